import type { CampaignWithCounts } from '../../src/core/campaign';
import type { SlotWithBookings } from '../../src/core/reception';
import type { Contact } from '../../src/core/appeal';
import type { MeetingProjection } from '../../src/core/meeting';
import type { RankRow } from '../../src/core/metrics';
import type { AppealProjection } from '../../src/core/projection';
import type { Role, Scope } from '../../src/core/roles';
import type { CommentStatus, PublicComment, Store, UserRecord } from './types';

// Row shapes both stores share: the same columns in SQLite and PostgreSQL, read back alike.

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: string;
  scope: string;
  password_hash: string;
  disabled: number;
  token_version: number;
}

/** The store's methods as a driver runs them synchronously (better-sqlite3). */
export type Synchronous = { [K in Exclude<keyof Store, 'inPushTx' | 'subscribeCommits' | 'commitsBySeq'>]: (...args: Parameters<Store[K]>) => Awaited<ReturnType<Store[K]>> };

export interface ContactRow {
  name: string | null;
  phone: string | null;
}

/** Tables both stores create alike (same SQL in SQLite and PostgreSQL). */
export const SHARED_DDL = {
  comments: `CREATE TABLE public_comments (id TEXT PRIMARY KEY, appeal_id TEXT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', moderated_by TEXT, moderated_at BIGINT);
  CREATE INDEX public_comments_appeal ON public_comments(appeal_id, status);
  CREATE INDEX public_comments_status ON public_comments(status, created_at);`,
  civic: `CREATE INDEX appeals_campaign ON appeals(campaign_id) WHERE campaign_id IS NOT NULL;
  CREATE INDEX appeals_reception ON appeals(reception_slot) WHERE reception_slot IS NOT NULL;
  CREATE TABLE campaigns (id TEXT PRIMARY KEY, title TEXT NOT NULL, question TEXT NOT NULL, region TEXT NOT NULL, category TEXT NOT NULL,
    closes_on TEXT NOT NULL, created_by TEXT NOT NULL, created_at BIGINT NOT NULL);
  CREATE TABLE reception_slots (id TEXT PRIMARY KEY, host TEXT NOT NULL, place TEXT NOT NULL, starts_at BIGINT NOT NULL, ends_at BIGINT NOT NULL,
    capacity INTEGER NOT NULL, region TEXT NOT NULL, created_by TEXT NOT NULL, created_at BIGINT NOT NULL);
  CREATE INDEX reception_slots_starts ON reception_slots(starts_at);`,
  fileUploads: `CREATE TABLE file_uploads (hash TEXT NOT NULL, user_id TEXT NOT NULL, size BIGINT NOT NULL, started_at BIGINT NOT NULL, done_at BIGINT,
    PRIMARY KEY (hash, user_id));
  CREATE INDEX file_uploads_open ON file_uploads(user_id) WHERE done_at IS NULL;
  CREATE INDEX file_uploads_started ON file_uploads(started_at) WHERE done_at IS NULL;
  INSERT INTO file_uploads (hash, user_id, size, started_at, done_at) SELECT hash, uploaded_by, size, created_at, created_at FROM files;
  CREATE TABLE attachment_backers (doc_id TEXT NOT NULL, hash TEXT NOT NULL, backer TEXT NOT NULL, PRIMARY KEY (doc_id, hash, backer));
  INSERT INTO attachment_backers (doc_id, hash, backer) SELECT doc_id, hash, '' FROM attachment_refs;`,
};

const CAMPAIGN_SQL = `SELECT c.*, count(a.id) AS suggestions, coalesce(sum(a.adopted), 0) AS adopted_count
  FROM campaigns c LEFT JOIN appeals a ON a.campaign_id = c.id GROUP BY c.id ORDER BY c.created_at DESC, c.id`;
const SLOT_SQL = (param: string) => `SELECT s.*, count(a.id) AS booked FROM reception_slots s LEFT JOIN appeals a ON a.reception_slot = s.id
  WHERE s.ends_at > ${param} GROUP BY s.id ORDER BY s.starts_at, s.id`;
export const CAMPAIGN_STATEMENTS = { list: CAMPAIGN_SQL, slots: SLOT_SQL };

export function campaignFromRow(r: Record<string, unknown>): CampaignWithCounts {
  return {
    id: r.id as string,
    title: r.title as string,
    question: r.question as string,
    region: r.region as string,
    category: r.category as string,
    closesOn: r.closes_on as string,
    createdBy: r.created_by as string,
    createdAt: Number(r.created_at),
    suggestions: Number(r.suggestions),
    adopted: Number(r.adopted_count),
  };
}

export function slotFromRow(r: Record<string, unknown>): SlotWithBookings {
  return {
    id: r.id as string,
    host: r.host as string,
    place: r.place as string,
    startsAt: Number(r.starts_at),
    endsAt: Number(r.ends_at),
    capacity: Number(r.capacity),
    region: r.region as string,
    createdBy: r.created_by as string,
    booked: Number(r.booked),
  };
}

export const COMMENT_COLUMNS = 'c.id, c.appeal_id, c.body, c.created_at, c.status, a.village';

export function commentFromRow(r: Record<string, unknown>): PublicComment {
  return { id: r.id as string, appealId: r.appeal_id as string, body: r.body as string, createdAt: r.created_at as number, status: r.status as CommentStatus, village: r.village as string };
}

export function contactFromRow(r: ContactRow): Contact {
  return { ...(r.name && { name: r.name }), ...(r.phone && { phone: r.phone }) };
}

/** The appeals table's columns, in the order `appealValues` gives an appeal's. */
export const APPEAL_COLUMNS = [
  'id', 'status', 'tier', 'village', 'town', 'urgency', 'category', 'channel', 'kind', 'dept', 'handler', 'created_by', 'created_at', 'updated_at',
  'due_at', 'stage', 'supervision_level', 'satisfaction', 'merged_into', 'title', 'anonymous', 'conflicts', 'reopen_count', 'meeting_id', 'on_spot',
  'attachments', 'lat', 'lng', 'replied_at', 'closed_at', 'on_time', 'handling_minutes', 'eval_code', 'published_at', 'public_summary', 'public_reply', 'campaign_id', 'adopted', 'reception_slot', 'received_at', 'last_seq',
];
/** Set by the document on every change; who recorded it, when, and first receipt stay. */
const APPEAL_KEPT = new Set(['id', 'created_by', 'created_at', 'received_at', 'last_seq']);
/** `column = excluded.column` for each column a newer projection replaces (each store keeps the larger last_seq its own way). */
export const APPEAL_REPLACED = APPEAL_COLUMNS.filter((k) => !APPEAL_KEPT.has(k)).map((k) => `${k} = excluded.${k}`).join(', ');

/** An appeal's projection as the row both stores write. */
export function appealValues(p: AppealProjection, lastSeq: number, receivedAt: number): unknown[] {
  return [
    p.id, p.status, p.tier, p.village, p.town, p.urgency, p.category, p.channel, p.kind, p.dept, p.handler, p.createdBy, p.createdAt, p.updatedAt,
    p.dueAt, p.stage, p.supervisionLevel, p.satisfaction, p.mergedInto, p.title, p.anonymous ? 1 : 0, p.conflicts, p.reopenCount, p.meetingId,
    p.onSpot ? 1 : 0, p.attachments, p.lat, p.lng, p.repliedAt, p.closedAt, p.onTime === null ? null : p.onTime ? 1 : 0, p.handlingMinutes, p.evalCode, p.publishedAt, p.publicSummary, p.publicReply, p.campaignId, p.adopted ? 1 : 0, p.receptionSlot, receivedAt, lastSeq,
  ];
}

export function bytesOf(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function toUser(r: UserRow | undefined): UserRecord | null {
  if (!r) return null;
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role as Role,
    scope: JSON.parse(r.scope) as Scope,
    passwordHash: r.password_hash,
    disabled: r.disabled !== 0,
    tokenVersion: r.token_version,
  };
}

export function appealFromRow(r: Record<string, unknown>): AppealProjection {
  return {
    id: r.id,
    status: r.status,
    tier: r.tier,
    village: r.village,
    town: r.town,
    urgency: r.urgency,
    category: r.category,
    channel: r.channel,
    kind: r.kind,
    dept: r.dept,
    handler: r.handler,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    dueAt: r.due_at,
    stage: r.stage,
    supervisionLevel: r.supervision_level,
    satisfaction: r.satisfaction,
    mergedInto: r.merged_into,
    title: r.title,
    anonymous: r.anonymous === 1,
    conflicts: r.conflicts,
    reopenCount: r.reopen_count,
    meetingId: r.meeting_id,
    onSpot: r.on_spot === 1,
    attachments: r.attachments,
    lat: r.lat,
    lng: r.lng,
    repliedAt: r.replied_at ?? null,
    closedAt: r.closed_at ?? null,
    onTime: r.on_time === null || r.on_time === undefined ? null : r.on_time === 1,
    handlingMinutes: r.handling_minutes ?? null,
    evalCode: r.eval_code ?? null,
    publishedAt: r.published_at ?? null,
    publicSummary: r.public_summary ?? null,
    publicReply: r.public_reply ?? null,
    campaignId: r.campaign_id ?? null,
    adopted: r.adopted === 1,
    receptionSlot: r.reception_slot ?? null,
  } as AppealProjection;
}

export function rankFromRow(r: Record<string, unknown>): RankRow {
  return {
    id: r.id as string,
    town: r.town as string,
    dept: (r.dept as string | null) ?? null,
    village: r.village as string,
    category: r.category as string,
    createdAt: r.created_at as number,
    repliedAt: (r.replied_at as number | null) ?? null,
    onTime: r.on_time === null || r.on_time === undefined ? null : r.on_time === 1,
    handlingMinutes: (r.handling_minutes as number | null) ?? null,
    satisfaction: (r.satisfaction as RankRow['satisfaction']) ?? null,
    reopenCount: r.reopen_count as number,
    mergedInto: (r.merged_into as string | null) ?? null,
  };
}

/** The projection columns the rankings read. */
export const RANK_COLUMNS = 'id, town, dept, village, category, created_at, replied_at, on_time, handling_minutes, satisfaction, reopen_count, merged_into';

export function meetingFromRow(r: Record<string, unknown>): MeetingProjection {
  return {
    id: r.id,
    village: r.village,
    town: r.town,
    heldOn: r.held_on,
    place: r.place,
    attendees: r.attendees,
    topics: r.topics,
    createdBy: r.created_by,
    createdAt: r.created_at,
    ideas: r.ideas,
    adopted: r.adopted,
  } as MeetingProjection;
}
