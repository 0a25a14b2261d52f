import * as Y from 'yjs';
import { validAttachmentRefs, type AttachmentRef } from './attachments';
import { eventsOf, fieldsOf, textOf, type Actor, type AppealSnapshot } from './doc-roots';
import { isUuidV7 } from './id';
import { MAX_EVENT_NOTE_CHARS, MAX_NAME_CHARS } from './limits';
import { isRegionCode, levelOf, townOf } from './regions';
import { isRole, RECORDING_ROLES, regionInScope, type Role, type SessionUser } from './roles';

// A bench meeting (板凳会): a facilitator sits with villagers, hears several matters in a
// row and collects good ideas (金点子). It is its own document, synced like an appeal:
// `fields` hold where and when, `text` the topics, `events` the ideas and decisions on
// them. Appeals raised there point to it by `meetingId`.

export const MEETING_FORM = 'meeting';
export const MAX_PLACE_CHARS = 100;
export const MAX_ATTENDEES = 10_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export interface MeetingInput {
  villageCode: string;
  /** Local date in China, YYYY-MM-DD. */
  heldOn: string;
  place: string;
  attendees: number;
  topics: string;
  attachments?: AttachmentRef[];
}

export interface MeetingFields extends Omit<MeetingInput, 'topics'> {
  form: typeof MEETING_FORM;
  createdBy: string;
  createdAt: number;
}

interface MeetingEventBase {
  id: string;
  actor: string;
  role: Role;
  at: number;
  by?: string;
}

export type MeetingEvent =
  | (MeetingEventBase & { type: 'held' })
  | (MeetingEventBase & { type: 'idea'; text: string; adopted: boolean | null })
  | (MeetingEventBase & { type: 'idea_decided'; idea: string; adopted: boolean; note?: string });

/** Roles that may decide whether an idea is adopted, besides the meeting's own facilitator. */
export const IDEA_DECIDERS: readonly Role[] = ['town_official', 'city_dispatcher', 'leader'];

export type MeetingError = 'villageCode' | 'heldOn' | 'place' | 'attendees' | 'topics' | 'attachments' | 'unknown_field';
export type MeetingCheck = { ok: true; value: MeetingInput } | { ok: false; errors: MeetingError[] };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The keys a meeting input may have (typed against MeetingInput, so the list cannot drift).
 * The document check passes the `fields` map here without form/createdBy/createdAt: anything
 * else, personal data or junk, would reach every device in scope and is refused.
 */
const MEETING_INPUT_KEYS: Record<keyof MeetingInput, true> = {
  villageCode: true,
  heldOn: true,
  place: true,
  attendees: true,
  topics: true,
  attachments: true,
};

function realDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
}

export function validateMeetingInput(raw: unknown, knownVillage: (code: string) => boolean): MeetingCheck {
  const r = isRecord(raw) ? raw : {};
  const errors: MeetingError[] = [];
  const village = r.villageCode;
  if (!isRegionCode(village) || levelOf(village) !== 'village' || !knownVillage(village)) errors.push('villageCode');
  if (typeof r.heldOn !== 'string' || !realDate(r.heldOn)) errors.push('heldOn');
  const place = typeof r.place === 'string' ? r.place.trim() : null;
  if (place === null || place.length > MAX_PLACE_CHARS) errors.push('place');
  if (typeof r.attendees !== 'number' || !Number.isInteger(r.attendees) || r.attendees < 1 || r.attendees > MAX_ATTENDEES) errors.push('attendees');
  const topics = typeof r.topics === 'string' ? r.topics.trim() : null;
  if (!topics || topics.length > MAX_EVENT_NOTE_CHARS) errors.push('topics');
  if (r.attachments !== undefined && !validAttachmentRefs(r.attachments)) errors.push('attachments');
  if (Object.keys(r).some((k) => !Object.hasOwn(MEETING_INPUT_KEYS, k))) errors.push('unknown_field');
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      villageCode: village as string,
      heldOn: r.heldOn as string,
      place: place!,
      attendees: r.attendees as number,
      topics: topics!,
      ...(Array.isArray(r.attachments) && r.attachments.length > 0 && { attachments: r.attachments as AttachmentRef[] }),
    },
  };
}

export function isMeetingFields(fields: Record<string, unknown>): boolean {
  return fields.form === MEETING_FORM;
}

/** Shape check of one meeting event as read from a document. */
export function isMeetingEvent(v: unknown): v is MeetingEvent {
  if (!isRecord(v) || !isUuidV7(v.id) || typeof v.actor !== 'string' || !v.actor || !isRole(v.role)) return false;
  if (typeof v.at !== 'number' || !Number.isFinite(v.at)) return false;
  if (v.by !== undefined && (typeof v.by !== 'string' || v.by.length > MAX_NAME_CHARS)) return false;
  const note = (x: unknown, required: boolean) => (x === undefined ? !required : typeof x === 'string' && x.length <= MAX_EVENT_NOTE_CHARS && (!required || x.trim().length > 0));
  switch (v.type) {
    case 'held':
      return true;
    case 'idea':
      return note(v.text, true) && (v.adopted === null || typeof v.adopted === 'boolean');
    case 'idea_decided':
      return isUuidV7(v.idea) && typeof v.adopted === 'boolean' && note(v.note, false);
    default:
      return false;
  }
}

export interface Idea {
  id: string;
  text: string;
  by: string | null;
  at: number;
  /** null while undecided. */
  adopted: boolean | null;
}

export interface MeetingState {
  ideas: Idea[];
}

/** The meeting's ideas with their latest decision, in array order (the last decision wins). */
export function foldMeeting(events: readonly unknown[]): MeetingState {
  const ideas: Idea[] = [];
  for (const e of events) {
    if (!isMeetingEvent(e)) continue;
    if (e.type === 'idea') ideas.push({ id: e.id, text: e.text, by: e.by ?? null, at: e.at, adopted: e.adopted });
    if (e.type === 'idea_decided') {
      const idea = ideas.find((i) => i.id === e.idea);
      if (idea) idea.adopted = e.adopted;
    }
  }
  return { ideas };
}

/** Why `user` may not append `event` to this meeting, or null. */
export function meetingRefusal(user: SessionUser, fields: { villageCode: string; createdBy: string }, prior: readonly unknown[], event: MeetingEvent): string | null {
  if (!regionInScope(user.scope, fields.villageCode)) return 'out_of_scope';
  switch (event.type) {
    case 'held':
      return prior.length === 0 ? null : 'invalid_transition';
    case 'idea':
      return RECORDING_ROLES.includes(user.role) ? null : 'role_not_allowed';
    case 'idea_decided': {
      if (fields.createdBy !== user.id && !IDEA_DECIDERS.includes(user.role)) return 'role_not_allowed';
      return foldMeeting(prior).ideas.some((i) => i.id === event.idea) ? null : 'invalid_transition';
    }
  }
}

/** The person deciding on ideas: the facilitator who held the meeting, or an official above. */
export function mayDecideIdeas(user: SessionUser, fields: { villageCode: string; createdBy: string }): boolean {
  return regionInScope(user.scope, fields.villageCode) && (fields.createdBy === user.id || IDEA_DECIDERS.includes(user.role));
}

/** Fills an empty doc with a new meeting and its `held` event, in one transaction. */
export function writeNewMeeting(doc: Y.Doc, input: MeetingInput, actor: Actor, at: number, eventId: string): void {
  const { topics, ...rest } = input;
  const fields: MeetingFields = { ...rest, form: MEETING_FORM, createdBy: actor.id, createdAt: at };
  doc.transact(() => {
    const map = fieldsOf(doc);
    for (const [k, v] of Object.entries(fields)) map.set(k, v);
    textOf(doc).insert(0, topics);
    const held: MeetingEvent = { id: eventId, type: 'held', actor: actor.id, role: actor.role, at, ...(actor.name ? { by: actor.name } : {}) };
    eventsOf(doc).push([held]);
  });
}

/** The columns both stores keep for lists: the town's view of meetings per village. */
export interface MeetingProjection {
  id: string;
  village: string;
  town: string;
  heldOn: string;
  place: string;
  attendees: number;
  topics: string;
  createdBy: string;
  createdAt: number;
  ideas: number;
  adopted: number;
}

export function projectMeeting(snapshot: AppealSnapshot): MeetingProjection {
  const f = snapshot.fields;
  const village = String(f.villageCode ?? '');
  const { ideas } = foldMeeting(snapshot.events);
  return {
    id: snapshot.id,
    village,
    town: village ? townOf(village) : '',
    heldOn: String(f.heldOn ?? ''),
    place: String(f.place ?? ''),
    attendees: typeof f.attendees === 'number' ? f.attendees : 0,
    topics: snapshot.description.slice(0, 200),
    createdBy: String(f.createdBy ?? ''),
    createdAt: typeof f.createdAt === 'number' ? f.createdAt : 0,
    ideas: ideas.length,
    adopted: ideas.filter((i) => i.adopted === true).length,
  };
}
