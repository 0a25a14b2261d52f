import type { HoldingRow } from '../../src/core/holdings';
import type { MeetingProjection } from '../../src/core/meeting';
import type { PatrolSummary } from '../../src/core/patrol';
import type { RankRow } from '../../src/core/metrics';
import type { AppealProjection } from '../../src/core/projection';
import type { WorkingHours } from '../../src/core/calendar';
import { ownHandlingMinutes } from '../../src/core/metrics';

// The projections' rows, the same columns in SQLite and PostgreSQL, written and read back alike.

/** The appeals table's columns, in the order `appealValues` gives an appeal's. */
export const APPEAL_COLUMNS = [
  'id', 'status', 'tier', 'village', 'town', 'urgency', 'category', 'channel', 'kind', 'dept', 'handler', 'created_by', 'created_at', 'updated_at',
  'due_at', 'stage', 'supervision_level', 'satisfaction', 'merged_into', 'repeat_of', 'title', 'anonymous', 'conflicts', 'reopen_count', 'meeting_id', 'on_spot',
  'attachments', 'lat', 'lng', 'replied_at', 'closed_at', 'on_time', 'handling_minutes', 'eval_code', 'published_at', 'public_summary', 'public_reply', 'campaign_id', 'adopted', 'reception_slot',
  'returns', 'reassigns', 'review', 'unreasonable', 'lead_tier', 'dispatch_minutes', 'reached', 'quality_flags', 'reply_id', 'quality', 'redo_count',
  'mediator', 'mediation_sessions', 'mediation_outcome', 'own_minutes', 'received_at', 'changed_at', 'last_seq',
];
/** Set by the document on every change; who recorded it, when, and first receipt stay; the last change's time only grows. */
const APPEAL_KEPT = new Set(['id', 'created_by', 'created_at', 'received_at', 'changed_at', 'last_seq']);
/** `column = excluded.column` for each column a newer projection replaces (each store keeps the larger last_seq its own way). */
export const APPEAL_REPLACED = APPEAL_COLUMNS.filter((k) => !APPEAL_KEPT.has(k)).map((k) => `${k} = excluded.${k}`).join(', ');

/** An appeal's projection as the row both stores write, with its own handling minutes (null: not known yet). */
export function appealValues(p: AppealProjection, lastSeq: number, receivedAt: number, ownMinutes: number | null): unknown[] {
  return [
    p.id, p.status, p.tier, p.village, p.town, p.urgency, p.category, p.channel, p.kind, p.dept, p.handler, p.createdBy, p.createdAt, p.updatedAt,
    p.dueAt, p.stage, p.supervisionLevel, p.satisfaction, p.mergedInto, p.repeatOf ?? null, p.title, p.anonymous ? 1 : 0, p.conflicts, p.reopenCount, p.meetingId,
    p.onSpot ? 1 : 0, p.attachments, p.lat, p.lng, p.repliedAt, p.closedAt, p.onTime === null ? null : p.onTime ? 1 : 0, p.handlingMinutes, p.evalCode, p.publishedAt, p.publicSummary, p.publicReply, p.campaignId, p.adopted ? 1 : 0, p.receptionSlot,
    p.returns, p.reassigns, p.review, p.unreasonable, p.leadTier, p.dispatchMinutes, p.reached, p.qualityFlags.join(','), p.replyId, p.quality, p.redoCount,
    p.mediator, p.mediationSessions, p.mediationOutcome, ownMinutes, receivedAt, receivedAt, lastSeq,
  ];
}

/**
 * An appeal's own handling minutes as its row keeps them, counted from its first receipt: the
 * stored one, or this write's when the row is new. Null without a handling time or `hours`.
 */
export function ownMinutesOf(p: AppealProjection, stored: { createdAt: number; receivedAt: number | null } | undefined, receivedAt: number, hours: WorkingHours | undefined): number | null {
  if (!hours || p.handlingMinutes === null) return null;
  return ownHandlingMinutes({ createdAt: stored?.createdAt ?? p.createdAt, repliedAt: p.repliedAt, handlingMinutes: p.handlingMinutes, receivedAt: stored ? stored.receivedAt : receivedAt }, hours);
}

export function bytesOf(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
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
    repeatOf: r.repeat_of ?? null,
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
    returns: r.returns ?? 0,
    reassigns: r.reassigns ?? 0,
    review: r.review ?? null,
    unreasonable: r.unreasonable ?? null,
    leadTier: r.lead_tier ?? null,
    dispatchMinutes: r.dispatch_minutes ?? null,
    reached: r.reached ?? r.tier,
    qualityFlags: typeof r.quality_flags === 'string' && r.quality_flags !== '' ? r.quality_flags.split(',') : [],
    replyId: r.reply_id ?? null,
    quality: r.quality ?? null,
    redoCount: Number(r.redo_count ?? 0),
    mediator: r.mediator ?? null,
    mediationSessions: Number(r.mediation_sessions ?? 0),
    mediationOutcome: r.mediation_outcome ?? null,
  } as AppealProjection;
}

export function rankFromRow(r: Record<string, unknown>): RankRow {
  return {
    id: r.id as string,
    town: r.town as string,
    dept: (r.dept as string | null) ?? null,
    tier: r.tier as RankRow['tier'],
    village: r.village as string,
    category: r.category as string,
    createdAt: r.created_at as number,
    repliedAt: (r.replied_at as number | null) ?? null,
    onTime: r.on_time === null || r.on_time === undefined ? null : r.on_time === 1,
    handlingMinutes: (r.handling_minutes as number | null) ?? null,
    satisfaction: (r.satisfaction as RankRow['satisfaction']) ?? null,
    reopenCount: r.reopen_count as number,
    mergedInto: (r.merged_into as string | null) ?? null,
    repeatOf: (r.repeat_of as string | null | undefined) ?? null,
    returns: Number(r.returns ?? 0),
    reassigns: Number(r.reassigns ?? 0),
    dispatchMinutes: r.dispatch_minutes === null || r.dispatch_minutes === undefined ? null : Number(r.dispatch_minutes),
    receivedAt: r.received_at === null || r.received_at === undefined ? null : Number(r.received_at),
    quality: (r.quality as RankRow['quality']) ?? null,
    redoCount: Number(r.redo_count ?? 0),
  };
}

/** The projection columns the rankings read. */
export const RANK_COLUMNS = 'id, town, dept, tier, village, category, created_at, replied_at, on_time, handling_minutes, satisfaction, reopen_count, merged_into, repeat_of, returns, reassigns, dispatch_minutes, received_at, quality, redo_count';

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

/** A patrol's columns, in the order both stores write them. */
export const PATROL_COLUMNS = ['id', 'village', 'town', 'created_by', 'by_name', 'started_at', 'ended_at', 'day', 'points', 'checkins', 'distance_m', 'received_at', 'last_seq'] as const;

export function patrolValues(p: PatrolSummary, lastSeq: number, receivedAt: number): unknown[] {
  return [p.id, p.village, p.town, p.createdBy, p.by, p.startedAt, p.endedAt, p.day, p.points, p.checkins, p.distanceM, receivedAt, lastSeq];
}

export function patrolFromRow(r: Record<string, unknown>): PatrolSummary {
  return {
    id: String(r.id),
    village: String(r.village),
    town: String(r.town),
    createdBy: String(r.created_by),
    by: String(r.by_name ?? ''),
    startedAt: Number(r.started_at),
    endedAt: r.ended_at === null || r.ended_at === undefined ? null : Number(r.ended_at),
    day: String(r.day),
    points: Number(r.points),
    checkins: Number(r.checkins),
    distanceM: Number(r.distance_m),
  };
}

/** The projection columns the holding rule reads (src/core/holdings.ts), for catch-up and fan-out. */
export const HOLDING_COLUMNS = 'status, tier, reached, supervision_level, unreasonable, created_by, changed_at';
/** The same number of columns for a meeting's row in a UNION (meetings have no holding row). */
export const HOLDING_NULLS = HOLDING_COLUMNS.split(',').map(() => 'NULL').join(', ');

export function holdingFromRow(r: Record<string, unknown>): HoldingRow {
  return {
    status: r.status as HoldingRow['status'],
    tier: r.tier as HoldingRow['tier'],
    reached: (r.reached as HoldingRow['reached'] | null) ?? (r.tier as HoldingRow['tier']),
    supervisionLevel: Number(r.supervision_level ?? 0),
    unreasonable: (r.unreasonable as HoldingRow['unreasonable']) ?? null,
    createdBy: String(r.created_by ?? ''),
    changedAt: Number(r.changed_at ?? 0),
  };
}
