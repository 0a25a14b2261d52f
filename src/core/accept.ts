import { recordingDesk } from './intake-desk';
import * as Y from 'yjs';
import { validateStoredFields } from './appeal';
import { ROOT_NAMES, ROOT_TRAIL, readAppeal, trailOf, type AppealSnapshot } from './doc';
import { isAppealEvent } from './events';
import { MAX_DESCRIPTION_CHARS, MAX_EVENTS_PER_APPEAL, MAX_UPDATE_BYTES } from './limits';
import { appealInScope, RECORDING_ROLES, regionInScope, type Role, type SessionUser } from './roles';
import { deputyChannelDenial } from './deputy';
import { isMeetingEvent, isMeetingFields, meetingRefusal, validateMeetingInput, type MeetingEvent } from './meeting';
import { fold } from './fold';
import { isPatrolEvent, isPatrolFields, judgePatrol, PATROL_ROLES, patrolErrors, type PatrolEvent } from './patrol';
import { isPointsEvent, isPointsFields, judgePoints, mayCreatePoints, pointsErrors, pointsRefusal, type PointsEvent, type PointsKind } from './points';
import { historyChange, judgeAppeal, judgeMeeting, matchHistory, type HistoryMatch } from './history';
import { overBudget } from './budget';
import { policyFor, type Policies } from './policy-book';
import { appealContext, checkNewEvents } from './workflow';
import type { RelayedAuthor } from './relay';

// Whole-update validation: the server applies a pushed update to a scratch copy of the
// stored document and keeps it only if the result passes every rule here.

/** Why a pushed update is refused; each is said in words on the device (`reject.<reason>`). */
export const REJECT_REASONS = [
  'too_large',
  'malformed_update',
  'missing_dependencies',
  'unknown_root',
  'invalid_fields',
  'not_recorded',
  'not_creator',
  'out_of_scope',
  'events_removed',
  'history_rewritten',
  'duplicate_event',
  'comment_flood',
  'malformed_event',
  'foreign_author',
  'too_many_events',
  'description_too_long',
  'fields_rewritten',
  'forbidden',
  'attachment_not_yours',
  'invalid_transition',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type UpdateCheck =
  | { ok: true; doc: Y.Doc; snapshot: AppealSnapshot; changed: boolean }
  | { ok: false; reason: RejectReason; detail: string };

export interface CheckContext {
  user: SessionUser;
  /** The deployment's policy, or its book: an appeal's steps are judged by its county's. */
  policy: Policies;
  /** Whether a village code exists in the county. */
  knownVillage: (code: string) => boolean;
  /**
   * A county server's relayed change (relay.ts): each event is judged as its own author, and
   * `user` (the relay) only bounds where. Absent for a person's push: every addition is theirs.
   */
  authorOf?: (id: string) => RelayedAuthor;
}

/** Who wrote what a check reads: the pushing person, or for a relay each actor's own record (null: the relaying server). */
type Authors = (actor: string) => SessionUser | null | undefined;

/** undefined: nobody the pusher may speak for. */
function authorsOf(ctx: CheckContext): Authors {
  const { authorOf, user } = ctx;
  if (!authorOf) return (actor) => (actor === user.id ? user : undefined);
  return (actor) => {
    const a = authorOf(actor);
    return a === null ? undefined : a.kind === 'person' ? a.user : null;
  };
}

const reject = (reason: RejectReason, detail: string): UpdateCheck => ({ ok: false, reason, detail });

/** Said of any document outside the user's scope: nothing about what it is or where. */
const NOT_YOURS = 'not in your area';

/**
 * Checks `update` against the current state of document `docId` (null when new).
 * Returns the merged doc on success so the caller can project it without re-applying.
 */
export function checkUpdate(docId: string, current: Y.Doc | null, update: Uint8Array, ctx: CheckContext): UpdateCheck {
  if (update.byteLength > MAX_UPDATE_BYTES) return reject('too_large', `${update.byteLength} bytes > ${MAX_UPDATE_BYTES}`);
  const before = current ? readAppeal(current, docId) : null;
  // A guid of our own: Yjs's default draws a random UUID, 7 % of the server's time in a push.
  const doc = new Y.Doc({ guid: docId });
  try {
    if (current) Y.applyUpdate(doc, Y.encodeStateAsUpdate(current));
    const sv = Y.encodeStateVector(doc);
    Y.applyUpdate(doc, update);
    if (doc.store.pendingStructs || doc.store.pendingDs) {
      return reject('missing_dependencies', 'update depends on changes the server does not have');
    }
    const changed = !equalBytes(sv, Y.encodeStateVector(doc)) || !before;
    for (const name of doc.share.keys()) {
      if (!ROOT_NAMES.includes(name)) return reject('unknown_root', `unexpected root "${name}"`);
    }
    // Keyed entries in the trail would travel unseen by every check that reads it as a list.
    if (doc.share.has(ROOT_TRAIL) && trailOf(doc)._map.size > 0) return reject('unknown_root', 'the trail is a list');
    const after = readAppeal(doc, docId);
    const why = checkSnapshots(before, after, ctx);
    return why ?? { ok: true, doc, snapshot: after, changed };
  } catch (err) {
    return reject('malformed_update', err instanceof Error ? err.message : String(err));
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const formOf = (fields: Record<string, unknown>) => (isMeetingFields(fields) ? 'meeting' : isPatrolFields(fields) ? 'patrol' : isPointsFields(fields) ? 'points' : 'appeal');

export function checkSnapshots(before: AppealSnapshot | null, after: AppealSnapshot, ctx: CheckContext): UpdateCheck | null {
  const form = formOf(after.fields);
  if (before && formOf(before.fields) !== form) return reject('fields_rewritten', 'a document never changes form');
  if (form !== 'patrol' && (after.trail?.length ?? 0) > 0) return reject('unknown_root', 'only a patrol has a trail');
  if (form === 'points') return checkPoints(before, after, ctx);
  return form === 'meeting' ? checkMeeting(before, after, ctx) : form === 'patrol' ? checkPatrol(before, after, ctx) : checkAppeal(before, after, ctx);
}

function checkAppeal(before: AppealSnapshot | null, after: AppealSnapshot, ctx: CheckContext): UpdateCheck | null {
  const { user } = ctx;
  const fields = validateStoredFields(after.fields, after.description, ctx.knownVillage);
  if (after.description.length > MAX_DESCRIPTION_CHARS) return reject('description_too_long', `${after.description.length} chars`);
  if (!fields.ok) return reject('invalid_fields', Object.entries(fields.errors).map(([k, v]) => `${k}: ${v}`).join(', '));
  if (!regionInScope(user.scope, fields.value.villageCode)) return reject('out_of_scope', NOT_YOURS);

  if (before) {
    // Moving an appeal into one's scope is no way to reach it.
    const heldBy = { villageCode: String(before.fields.villageCode ?? ''), dept: fold(before.events, before.id).dept, createdBy: String(before.fields.createdBy ?? '') };
    if (!appealInScope(user, heldBy)) return reject('out_of_scope', NOT_YOURS);
  }
  const authors = authorsOf(ctx);
  const history = checkHistory(before, after, authors, judgeAppeal(after.id));
  if (!('added' in history)) return history;

  const first = after.events[0];
  if (!isAppealEvent(first) || first.type !== 'recorded') return reject('not_recorded', 'the first event must be "recorded"');
  const created = checkCreation(before, fields.value.createdBy, first.actor, authors, APPEAL_RECORDERS);
  if (created) return created;
  const creator = authors(String(fields.value.createdBy));
  // Deputies post only in their columns, and only deputies post there (deputy.ts).
  if (!before && creator && deputyChannelDenial(creator.role, fields.value.channel)) return reject('forbidden', 'recorded: role_not_allowed');
  if (!before && creator && first.desk !== undefined && first.desk !== recordingDesk(creator.role)) return reject('forbidden', 'recorded: wrong_desk');

  const added = addedEvents(after, history, authors, isAppealEvent);
  if (!(added instanceof Set)) return added;
  if (added.size === 0) return null;
  for (const actor of new Set([...added].map((i) => (after.events[i] as { actor: string }).actor))) {
    const budget = overBudget(after.events, new Set([...added].filter((i) => (after.events[i] as { actor: string }).actor === actor)), actor);
    if (budget) return reject(budget.reason, budget.detail);
  }
  // The same context the phone builds (workflow.ts), so both judge an event alike.
  const appeal = appealContext(after.fields);
  const { villageCode } = appeal;
  const refused = checkNewEvents(after.events, (i) => added.has(i), after.id, (actor) => authors(actor) ?? null, appeal, policyFor(ctx.policy, villageCode));
  if (refused?.kind === 'denied') return reject('forbidden', `${refused.event.type}: ${refused.denial}`);
  if (refused) return reject('invalid_transition', `${refused.event.type}: ${refused.reason}`);
  return null;
}

function checkMeeting(before: AppealSnapshot | null, after: AppealSnapshot, ctx: CheckContext): UpdateCheck | null {
  const { user } = ctx;
  const f = after.fields;
  const { form: _f, createdBy, createdAt, ...input } = f;
  const checked = validateMeetingInput({ ...input, topics: after.description }, ctx.knownVillage);
  if (!checked.ok) return reject('invalid_fields', `meeting: ${checked.errors.join(', ')}`);
  if (typeof createdBy !== 'string' || !createdBy || typeof createdAt !== 'number' || !Number.isFinite(createdAt)) return reject('invalid_fields', 'meta: required');
  if (after.description.length > MAX_DESCRIPTION_CHARS) return reject('description_too_long', `${after.description.length} chars`);
  if (!regionInScope(user.scope, checked.value.villageCode)) return reject('out_of_scope', NOT_YOURS);
  if (before && !regionInScope(user.scope, String(before.fields.villageCode ?? ''))) return reject('out_of_scope', NOT_YOURS);
  if (after.events.length > MAX_EVENTS_PER_APPEAL) return reject('too_many_events', `${after.events.length}`);
  const authors = authorsOf(ctx);
  const history = checkHistory(before, after, authors, judgeMeeting);
  if (!('added' in history)) return history;

  const first = after.events[0];
  if (!isMeetingEvent(first) || first.type !== 'held') return reject('not_recorded', 'the first event must be "held"');
  const created = checkCreation(before, createdBy, first.actor, authors);
  if (created) return created;

  const added = addedEvents(after, history, authors, isMeetingEvent);
  if (!(added instanceof Set)) return added;
  const scope = { villageCode: checked.value.villageCode, createdBy };
  for (const index of added) {
    const author = authors((after.events[index] as MeetingEvent).actor);
    // The relaying server's own meeting steps: none exist, so none are taken.
    if (!author) return reject('foreign_author', `event ${(after.events[index] as MeetingEvent).id} has no author the city knows`);
    const denial = meetingRefusal(author, scope, after.events.slice(0, index), after.events[index] as MeetingEvent);
    if (denial) return reject(denial === 'invalid_transition' ? 'invalid_transition' : 'forbidden', `${(after.events[index] as MeetingEvent).type}: ${denial}`);
  }
  return null;
}

/**
 * A patrol (patrol.ts) is its walker's alone: only they create it (a village role, in
 * scope), add points and check-ins, or end it; where and when it started never change, nor
 * when it ended once it has.
 */
function checkPatrol(before: AppealSnapshot | null, after: AppealSnapshot, ctx: CheckContext): UpdateCheck | null {
  const { user } = ctx;
  const errors = patrolErrors(after, ctx.knownVillage);
  if (errors.length > 0) return reject('invalid_fields', `patrol: ${errors.join(', ')}`);
  const f = after.fields;
  if (!regionInScope(user.scope, String(f.villageCode))) return reject('out_of_scope', NOT_YOURS);
  if (before && !regionInScope(user.scope, String(before.fields.villageCode ?? ''))) return reject('out_of_scope', NOT_YOURS);
  if (before) {
    const b = before.fields;
    if (b.villageCode !== f.villageCode || b.startedAt !== f.startedAt || (b.endedAt !== undefined && b.endedAt !== f.endedAt)) {
      return reject('fields_rewritten', 'a patrol keeps its village, start and end');
    }
  }
  const authors = authorsOf(ctx);
  const walker = authors(String(f.createdBy));
  const history = checkHistory(before, after, authors, judgePatrol);
  if (!('added' in history)) return history;
  const first = after.events[0] as PatrolEvent;
  const created = checkCreation(before, f.createdBy, first.actor, authors);
  if (created) return created;
  if (!before && walker && !PATROL_ROLES.includes(walker.role)) return reject('forbidden', 'started: role_not_allowed');
  const added = addedEvents(after, history, authors, isPatrolEvent);
  if (!(added instanceof Set)) return added;
  for (const index of added) {
    if ((after.events[index] as PatrolEvent).actor !== f.createdBy) return reject('not_creator', 'only the patroller checks in on a patrol');
  }
  if (before && walker === undefined && JSON.stringify(before.trail ?? []) !== JSON.stringify(after.trail ?? [])) return reject('not_creator', 'only the patroller changes the trail');
  return null;
}

/**
 * Village points (points.ts): a sheet is its facilitator's alone; a village's rules document
 * takes rule lists from the town and the village station. Kind, village and meeting never change.
 */
function checkPoints(before: AppealSnapshot | null, after: AppealSnapshot, ctx: CheckContext): UpdateCheck | null {
  const { user } = ctx;
  const errors = pointsErrors(after, ctx.knownVillage);
  if (errors.length > 0) return reject('invalid_fields', `points: ${errors.join(', ')}`);
  const f = after.fields;
  if (!regionInScope(user.scope, String(f.villageCode))) return reject('out_of_scope', NOT_YOURS);
  if (before && !regionInScope(user.scope, String(before.fields.villageCode ?? ''))) return reject('out_of_scope', NOT_YOURS);
  if (before && (['kind', 'villageCode', 'meetingId'] as const).some((k) => before.fields[k] !== f[k])) return reject('fields_rewritten', 'points: kind, village and meeting never change');
  const authors = authorsOf(ctx);
  const history = checkHistory(before, after, authors, judgePoints);
  if (!('added' in history)) return history;
  const kind = f.kind as PointsKind;
  if (!before) {
    const creator = authors(String(f.createdBy));
    if (creator === undefined || (after.events[0] as PointsEvent).actor !== f.createdBy) return reject('not_creator', 'a new document must be created by the pushing user');
    if (creator && !mayCreatePoints(creator.role, kind)) return reject('forbidden', 'opened: role_not_allowed');
  }
  const added = addedEvents(after, history, authors, isPointsEvent);
  if (!(added instanceof Set)) return added;
  const scope = { kind, villageCode: String(f.villageCode), createdBy: String(f.createdBy) };
  for (const index of added) {
    if (index === 0 && !before) continue;
    const event = after.events[index] as PointsEvent;
    const author = authors(event.actor);
    if (!author) return reject('foreign_author', `event ${event.id} has no author the city knows`);
    const denial = pointsRefusal(author, scope, event);
    if (denial) return reject(denial === 'invalid_transition' ? 'invalid_transition' : denial === 'not_creator' ? 'not_creator' : denial === 'out_of_scope' ? 'out_of_scope' : 'forbidden', `${event.type}: ${denial}`);
  }
  return null;
}

/**
 * Events are append-only in meaning (see history.ts) and the authorship fields immutable;
 * only the creator edits fields. Returns which events the update adds.
 */
function checkHistory(before: AppealSnapshot | null, after: AppealSnapshot, authors: Authors, judge: Parameters<typeof historyChange>[3]): HistoryMatch | UpdateCheck {
  const match = matchHistory(before?.events ?? [], after.events);
  if (!('added' in match)) return reject('events_removed', `event ${(before!.events[match.removed] as { id?: string }).id ?? '?'} was removed or changed`);
  const change = historyChange(before?.events ?? [], after.events, match, judge);
  if (change?.kind === 'duplicate_id') return reject('duplicate_event', `event ${change.id} reuses an existing id`);
  if (change) return reject('history_rewritten', `event ${change.id ?? change.index} would be judged differently`);
  if (!before) return match;
  const prev = before.fields;
  if (prev.createdBy !== after.fields.createdBy || prev.createdAt !== after.fields.createdAt || prev.evalCode !== after.fields.evalCode) {
    return reject('fields_rewritten', 'createdBy/createdAt/evalCode are immutable');
  }
  const fieldsChanged = Object.keys({ ...prev, ...after.fields }).some((k) => JSON.stringify(prev[k]) !== JSON.stringify(after.fields[k]));
  if (fieldsChanged && authors(String(prev.createdBy)) === undefined) return reject('not_creator', 'only the recorder may change the fields');
  return match;
}

/** Who may create an appeal: the recording roles, and deputies (on their own channel only, checked in checkAppeal). */
const APPEAL_RECORDERS: readonly Role[] = [...RECORDING_ROLES, 'deputy'];

function checkCreation(before: AppealSnapshot | null, createdBy: unknown, firstActor: string, authors: Authors, roles: readonly Role[] = RECORDING_ROLES): UpdateCheck | null {
  if (before) return null;
  const creator = typeof createdBy === 'string' ? authors(createdBy) : undefined;
  if (creator === undefined || firstActor !== createdBy) return reject('not_creator', 'a new document must be created by the pushing user');
  if (creator && !roles.includes(creator.role)) return reject('forbidden', 'recorded: role_not_allowed');
  return null;
}

/** Indexes of events this update adds, each checked for shape and authorship. */
function addedEvents(after: AppealSnapshot, match: HistoryMatch, authors: Authors, shaped: (e: unknown) => boolean): Set<number> | UpdateCheck {
  for (const index of match.added) {
    const e = after.events[index];
    if (!shaped(e)) return reject('malformed_event', JSON.stringify(e).slice(0, 200));
    const ev = e as { id: string; actor: string; role: string; by?: string };
    const author = authors(ev.actor);
    if (author === undefined || (author && (ev.role !== author.role || (ev.by !== undefined && ev.by !== author.displayName)))) {
      return reject('foreign_author', `event ${ev.id} is not by ${author?.username ?? 'anyone this change may speak for'}`);
    }
  }
  return new Set(match.added);
}
