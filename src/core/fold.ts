import { isAppealEvent, type AppealEvent, type EventType, type Satisfaction, type Tier, type WarningStage } from './events';
import { exhaustive } from './exhaustive';

export const STATUSES = ['new', 'accepted', 'assigned', 'in_progress', 'replied', 'visited', 'closed', 'merged'] as const;
export type Status = (typeof STATUSES)[number];

export type ConflictReason =
  | 'malformed'
  | 'duplicate_id'
  | 'basis_unseen'
  | 'not_recorded'
  | 'invalid_transition'
  | 'top_tier'
  | 'unsatisfied_cannot_close'
  | 'satisfied_cannot_reopen'
  | 'no_extension_request'
  | 'extension_pending'
  | 'merge_into_self'
  | 'supervision_not_higher';

export interface Conflict {
  /** Position in the events array. */
  index: number;
  eventId: string | null;
  type: string | null;
  actor: string | null;
  reason: ConflictReason;
  /** Status the appeal had when the event was refused. */
  status: Status | null;
}

/** Which clock runs: dispatching (until assigned), handling (until replied), the return visit. */
export type Stage = 'dispatch' | 'handle' | 'visit';

export interface AppealState {
  /** Needed by the merge rule; set by `fold`. */
  id: string | null;
  status: Status | null;
  tier: Tier;
  dept: string | null;
  handler: string | null;
  reopenCount: number;
  /** Solved at the moment it was recorded (see the `recorded` event's `onSpot`). */
  onSpot: boolean;
  satisfaction: Satisfaction | null;
  supervisionLevel: number;
  /** Approved extension in working days for the running handling stage. */
  extensionDays: number;
  /** Days asked for and not yet decided, and who asked (they may not decide it). */
  extensionRequested: number | null;
  extensionRequestedBy: string | null;
  mergedInto: string | null;
  /** On the public board, with the publisher's wording; null when not (or no longer) shown. */
  published: { summary: string; reply: string | null; at: number } | null;
  /** A suggestion taken up. */
  adopted: boolean;
  /** The reception place booked last, and whether it was held. */
  reception: { slotId: string; startsAt: number; host: string; held: boolean } | null;
  stage: Stage | null;
  /** When the running stage's clock started (event time). */
  stageStartedAt: number | null;
  /** Warnings already given, as `${stage}@${dueAt}`, so the scanner never repeats one. */
  warned: string[];
  recordedAt: number | null;
  repliedAt: number | null;
  closedAt: number | null;
  lastEventAt: number | null;
  /** The last event applied: new events name it as their basis. */
  lastAppliedId: string | null;
  applied: number;
  conflicts: Conflict[];
}

export const OPEN_STATUSES: readonly Status[] = ['new', 'accepted', 'assigned', 'in_progress', 'replied', 'visited'];
const WORKING: readonly Status[] = ['assigned', 'in_progress'];

/** Statuses from which each event may apply. `recorded` is handled on its own. */
const ALLOWED_FROM: Record<Exclude<EventType, 'recorded'>, readonly Status[]> = {
  accepted: ['new'],
  assigned: ['new', 'accepted'],
  started: ['assigned'],
  escalated: ['new', 'accepted', 'assigned', 'in_progress'],
  replied: WORKING,
  extension_requested: WORKING,
  extension_decided: WORKING,
  warned: OPEN_STATUSES,
  supervised: OPEN_STATUSES,
  visited: ['replied'],
  reopened: ['visited'],
  closed: ['visited'],
  merged: OPEN_STATUSES,
  commented: STATUSES,
  // Closed and in-progress appeals may be shown; one just recorded or merged away may not.
  published: ['accepted', 'assigned', 'in_progress', 'replied', 'visited', 'closed'],
  unpublished: STATUSES,
  adopted: ['accepted', 'assigned', 'in_progress', 'replied', 'visited', 'closed'],
  reception_booked: OPEN_STATUSES,
  reception_held: STATUSES,
};

export const NEXT_TIER: Record<Tier, Tier | null> = { village: 'town', town: 'city', city: null };

export function initialState(id: string | null = null): AppealState {
  return {
    id,
    status: null,
    tier: 'village',
    dept: null,
    handler: null,
    reopenCount: 0,
    onSpot: false,
    satisfaction: null,
    supervisionLevel: 0,
    extensionDays: 0,
    extensionRequested: null,
    extensionRequestedBy: null,
    mergedInto: null,
    published: null,
    adopted: false,
    reception: null,
    stage: null,
    stageStartedAt: null,
    warned: [],
    recordedAt: null,
    repliedAt: null,
    closedAt: null,
    lastEventAt: null,
    lastAppliedId: null,
    applied: 0,
    conflicts: [],
  };
}

export function warningKey(stage: WarningStage, dueAt: number): string {
  return `${stage}@${dueAt}`;
}

/**
 * Why `event` cannot apply to `state`, or null when it can. The state machine only:
 * who may do it is `authorize` in workflow.ts. The fold, the server and the buttons the
 * UI offers all ask here, so they always agree.
 */
export function refusal(state: AppealState, event: AppealEvent): ConflictReason | null {
  if (event.type === 'recorded') return state.status === null ? null : 'invalid_transition';
  if (state.status === null) return 'not_recorded';
  if (!ALLOWED_FROM[event.type].includes(state.status)) return 'invalid_transition';
  switch (event.type) {
    case 'escalated':
      return NEXT_TIER[state.tier] === null ? 'top_tier' : null;
    case 'closed':
      return state.satisfaction === 'unsatisfied' ? 'unsatisfied_cannot_close' : null;
    case 'unpublished':
      return state.published === null ? 'invalid_transition' : null;
    case 'adopted':
      return state.adopted ? 'invalid_transition' : null;
    case 'reception_held':
      return state.reception?.slotId !== event.slotId || state.reception.held ? 'invalid_transition' : null;
    case 'reopened':
      return state.satisfaction !== 'unsatisfied' ? 'satisfied_cannot_reopen' : null;
    case 'extension_requested':
      return state.extensionRequested !== null ? 'extension_pending' : null;
    case 'extension_decided':
      return state.extensionRequested === null ? 'no_extension_request' : null;
    case 'merged':
      return event.into === state.id ? 'merge_into_self' : null;
    case 'supervised':
      return event.level <= state.supervisionLevel ? 'supervision_not_higher' : null;
    default:
      return null;
  }
}

function startStage(s: AppealState, stage: Stage | null, at: number): void {
  s.stage = stage;
  s.stageStartedAt = stage ? at : null;
}

function apply(s: AppealState, e: AppealEvent): void {
  switch (e.type) {
    case 'recorded':
      s.recordedAt = e.at;
      if (e.onSpot) {
        // Solved there and then: the answer is the reply, and the return visit's clock starts.
        s.status = 'replied';
        s.onSpot = true;
        s.repliedAt = e.at;
        startStage(s, 'visit', e.at);
      } else {
        s.status = 'new';
        startStage(s, 'dispatch', e.at);
      }
      break;
    case 'accepted':
      s.status = 'accepted';
      break;
    case 'assigned':
      s.status = 'assigned';
      s.tier = e.tier;
      s.dept = e.dept ?? null;
      s.handler = e.handler ?? null;
      s.extensionDays = 0;
      s.extensionRequested = null;
      startStage(s, 'handle', e.at);
      break;
    case 'started':
      s.status = 'in_progress';
      break;
    case 'escalated':
      s.tier = NEXT_TIER[s.tier]!;
      s.status = 'accepted';
      s.dept = null;
      s.handler = null;
      s.extensionRequested = null;
      startStage(s, 'dispatch', e.at);
      break;
    case 'replied':
      s.status = 'replied';
      s.repliedAt = e.at;
      s.extensionRequested = null;
      startStage(s, 'visit', e.at);
      break;
    case 'extension_requested':
      s.extensionRequested = e.days;
      s.extensionRequestedBy = e.actor;
      break;
    case 'extension_decided':
      if (e.approved) s.extensionDays += e.days;
      s.extensionRequested = null;
      break;
    case 'warned':
      s.warned.push(warningKey(e.stage, e.dueAt));
      break;
    case 'supervised':
      s.supervisionLevel = e.level;
      break;
    case 'visited':
      s.status = 'visited';
      s.satisfaction = e.satisfaction;
      startStage(s, null, e.at);
      break;
    case 'reopened':
      s.status = 'assigned';
      s.reopenCount++;
      s.satisfaction = null;
      s.extensionDays = 0;
      startStage(s, 'handle', e.at);
      break;
    case 'closed':
      s.status = 'closed';
      s.closedAt = e.at;
      startStage(s, null, e.at);
      break;
    case 'merged':
      s.status = 'merged';
      s.mergedInto = e.into;
      startStage(s, null, e.at);
      break;
    case 'commented':
      break;
    case 'published':
      s.published = { summary: e.summary, reply: e.reply ?? null, at: e.at };
      break;
    case 'unpublished':
      s.published = null;
      break;
    case 'adopted':
      s.adopted = true;
      break;
    case 'reception_booked':
      s.reception = { slotId: e.slotId, startsAt: e.startsAt, host: e.host, held: false };
      break;
    case 'reception_held':
      s.reception = { ...s.reception!, held: true };
      break;
    default:
      exhaustive(e);
  }
}

/** Called for each well-formed event with the state just before it. */
export type FoldVisitor = (event: AppealEvent, before: AppealState, index: number, refused: ConflictReason | null) => void;

/**
 * Status is never stored: it is this pure walk over the events in array order, which
 * Yjs makes identical on every replica, so every replica folds the same state. Events that
 * cannot apply are kept as conflicts, never dropped: a malformed event, a second event with
 * an id already seen, an event placed before its own basis (`basis_unseen`), and one the
 * state machine refuses (`refusal`). The server accepts an update only if it leaves every
 * stored event's verdict and the state it was judged on unchanged (history.ts).
 */
export function fold(events: readonly unknown[], id: string | null = null, visit?: FoldVisitor): AppealState {
  const s = initialState(id);
  const seen = new Set<string>();
  events.forEach((raw, index) => {
    const conflict = (reason: ConflictReason, e?: AppealEvent) =>
      s.conflicts.push({ index, eventId: e?.id ?? null, type: e?.type ?? null, actor: e?.actor ?? null, reason, status: s.status });
    if (!isAppealEvent(raw)) return conflict('malformed');
    if (seen.has(raw.id)) return conflict('duplicate_id', raw);
    seen.add(raw.id);
    // An event sits after everything its author had seen: one placed before its own basis was never appended honestly.
    const why = raw.basis !== undefined && !seen.has(raw.basis) ? 'basis_unseen' : refusal(s, raw);
    visit?.(raw, s, index, why);
    if (why) return conflict(why, raw);
    applyCounted(s, raw);
  });
  return s;
}

function applyCounted(s: AppealState, e: AppealEvent): void {
  apply(s, e);
  s.applied++;
  s.lastAppliedId = e.id;
  s.lastEventAt = Math.max(s.lastEventAt ?? e.at, e.at);
}

/** A new state: `state` with `event` (already known to be allowed) applied. */
export function step(state: AppealState, event: AppealEvent): AppealState {
  const s = { ...state, warned: [...state.warned], conflicts: [...state.conflicts] };
  applyCounted(s, event);
  return s;
}

export function isOpen(status: Status | null): boolean {
  return status !== null && OPEN_STATUSES.includes(status);
}
