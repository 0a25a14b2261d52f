import { assignedTier, isAppealEvent, type AppealEvent, type EventType, type QualityVerdict, type Satisfaction, type Tier, type Unreasonable, type WarningStage } from './events';
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
  | 'supervision_not_higher'
  | 'nothing_to_return'
  | 'review_final'
  | 'review_pending'
  | 'not_under_review'
  | 'label_pending'
  | 'no_label_request'
  | 'stale_reply'
  | 'already_reviewed'
  | 'mediation_open'
  | 'no_mediation'
  | 'already_requested';

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
  /** Who gave it to its current owner, and from which tier's desk: a return goes back there. Null while it waits for dispatch. */
  sentBy: { actor: string; tier: Tier } | null;
  /** The bounce-back ledger: returns (退回) and reassignments (改派) so far. */
  returns: number;
  reassigns: number;
  /** 分级研判: pending after repeated returns, decided once the dispatcher above ruled (final). */
  review: 'pending' | 'decided' | null;
  /** 不合理诉求: the label's state, and who asked for it (they may not decide it). */
  unreasonable: Unreasonable | null;
  unreasonableBy: string | null;
  /** 首接负责: the desk that first dispatched it; it leads the case. */
  leadTier: Tier | null;
  /** The highest tier it has ever been at: only ever rises, so a desk that once had it knows. */
  reached: Tier;
  /** The first dispatch (Unix ms): receipt → first assignment is the dispatch time. */
  firstAssignedAt: number | null;
  stage: Stage | null;
  /** When the running stage's clock started (event time). */
  stageStartedAt: number | null;
  /** The standing reply (the `replied` event, or the `recorded` one answered on the spot), and the reviewer's verdict on it. */
  lastReplyId: string | null;
  quality: QualityVerdict | null;
  /** Replies sent back for redo so far. */
  redoCount: number;
  /** When the handling clock that the standing reply stopped had started: a redo resumes it. */
  handleStartedAt: number | null;
  /** Spans of the running owner's handling already spent before replies sent back for redo: their working time counts against the deadline. */
  handleSpent: ReadonlyArray<readonly [number, number]>;
  /** 调解: the mediator it was last sent to, their sessions so far, and the outcome (null while it runs). */
  mediation: { mediator: string; name: string; sessions: number; outcome: 'settled' | 'not_settled' | null } | null;
  /** Warnings already given, as `${stage}@${dueAt}`, so the scanner never repeats one. */
  warned: string[];
  /** Originals asked for (original_requested), once each: a repeat would only eat the appeal's step budget. */
  originalsRequested: string[];
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
  reassigned: WORKING,
  // A desk that was sent a case to dispatch may send it back too.
  returned: ['accepted', ...WORKING],
  reviewed: ['accepted'],
  unreasonable_requested: WORKING,
  unreasonable_decided: OPEN_STATUSES,
  // A closed case's reply is still reviewed (it counts in the pass rate) but no longer redone.
  quality_reviewed: ['replied', 'visited', 'closed'],
  // Sent to mediation by whoever holds it; the mediator works it while its handler waits.
  mediation_requested: ['new', 'accepted', 'assigned', 'in_progress'],
  mediation_session: ['in_progress'],
  mediation_closed: ['in_progress'],
  // An SMS's progress is recorded whatever the appeal's status: a receipt may come after it closed.
  sms: STATUSES,
  // An original may be wanted at any time, even after the case closed (a review, a complaint).
  original_requested: STATUSES,
};

/** Escalation climbs one tier; whether the next tier exists in a deployment is workflow.ts's concern (topTier). */
export const NEXT_TIER: Record<Tier, Tier | null> = { village: 'town', town: 'county', county: 'city', city: null };
export const TIER_RANK: Record<Tier, number> = { village: 0, town: 1, county: 2, city: 3 };

/** Returns of one case after which the dispatcher above reviews who owns it (分级研判). */
export const RETURNS_BEFORE_REVIEW = 2;

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
    sentBy: null,
    returns: 0,
    reassigns: 0,
    review: null,
    unreasonable: null,
    unreasonableBy: null,
    leadTier: null,
    reached: 'village',
    firstAssignedAt: null,
    stage: null,
    stageStartedAt: null,
    lastReplyId: null,
    quality: null,
    redoCount: 0,
    handleStartedAt: null,
    handleSpent: [],
    mediation: null,
    warned: [],
    originalsRequested: [],
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
      if (NEXT_TIER[state.tier] === null) return 'top_tier';
      return event.to !== undefined && event.to !== NEXT_TIER[state.tier] ? 'invalid_transition' : null;
    case 'assigned':
      return state.review === 'pending' ? 'review_pending' : null;
    case 'returned':
      if (state.sentBy === null) return 'nothing_to_return';
      if (state.review === 'decided') return 'review_final';
      // Back to the desk that sent it, or (for review) no further than the tier above that desk.
      return event.to === state.sentBy.tier || event.to === NEXT_TIER[state.sentBy.tier] ? null : 'invalid_transition';
    case 'reviewed':
      return state.review !== 'pending' ? 'not_under_review' : null;
    case 'unreasonable_requested':
      return state.unreasonable === 'requested' || state.unreasonable === 'approved' ? 'label_pending' : null;
    case 'unreasonable_decided':
      return state.unreasonable !== 'requested' ? 'no_label_request' : null;
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
    case 'mediation_requested':
      return state.mediation !== null && state.mediation.outcome === null ? 'mediation_open' : null;
    case 'mediation_session':
    case 'mediation_closed':
      return state.mediation === null || state.mediation.outcome !== null ? 'no_mediation' : null;
    case 'original_requested':
      return state.originalsRequested.includes(event.hash) ? 'already_requested' : null;
    case 'quality_reviewed':
      // A verdict on a reply that has since been replaced judges nothing the citizen now has.
      if (event.reply !== state.lastReplyId) return 'stale_reply';
      if (state.quality !== null) return 'already_reviewed';
      return event.verdict === 'redo' && state.status === 'closed' ? 'invalid_transition' : null;
    default:
      return null;
  }
}

function startStage(s: AppealState, stage: Stage | null, at: number): void {
  s.stage = stage;
  s.stageStartedAt = stage ? at : null;
}

function moveTo(s: AppealState, tier: Tier): void {
  s.tier = tier;
  if (TIER_RANK[tier] > TIER_RANK[s.reached]) s.reached = tier;
}

/** A new owner at `tier`: a department or a handler there, or that tier's desk; its handling clock starts. */
function giveTo(s: AppealState, tier: Tier, owner: { dept?: string; handler?: string }, at: number): void {
  s.status = 'assigned';
  moveTo(s, tier);
  s.dept = owner.dept ?? null;
  s.handler = owner.handler ?? null;
  s.extensionDays = 0;
  s.extensionRequested = null;
  s.handleSpent = [];
  startStage(s, 'handle', at);
}

/** Waiting on `tier`'s dispatcher, with nobody owning it; the dispatch clock restarts. */
function toDesk(s: AppealState, tier: Tier, at: number): void {
  moveTo(s, tier);
  s.status = 'accepted';
  s.dept = null;
  s.handler = null;
  s.extensionRequested = null;
  startStage(s, 'dispatch', at);
}

/** Back on a desk nobody sent it to (escalated, or returned): no sender to return it to. */
function backToDispatch(s: AppealState, tier: Tier, at: number): void {
  toDesk(s, tier, at);
  s.sentBy = null;
}

/** The citizen is answered (a reply, or a mediation settled): the handling clock stops, the return visit's starts. */
function answer(s: AppealState, e: AppealEvent): void {
  s.handleStartedAt = s.stage === 'handle' ? s.stageStartedAt : null;
  s.status = 'replied';
  s.repliedAt = e.at;
  s.lastReplyId = e.id;
  s.quality = null;
  s.extensionRequested = null;
  startStage(s, 'visit', e.at);
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
        s.lastReplyId = e.id;
        startStage(s, 'visit', e.at);
      } else {
        s.status = 'new';
        if (e.desk) moveTo(s, e.desk);
        startStage(s, 'dispatch', e.at);
      }
      break;
    case 'accepted':
      s.status = 'accepted';
      break;
    case 'assigned':
    case 'reviewed':
    case 'reassigned': {
      const from = e.from ?? s.tier;
      s.leadTier ??= from;
      s.firstAssignedAt ??= e.at;
      if (e.type === 'reviewed') s.review = 'decided';
      if (e.type === 'reassigned') s.reassigns++;
      // A return goes back to the desk that sent it.
      s.sentBy = { actor: e.actor, tier: from };
      const to = e.type === 'assigned' ? assignedTier(e) : e.to;
      // To another tier's desk (written `to`, no owner named): that desk dispatches it in turn.
      if (e.to !== undefined && e.dept === undefined && e.handler === undefined && to !== from) toDesk(s, to, e.at);
      else giveTo(s, to, e, e.at);
      break;
    }
    case 'returned':
      s.returns++;
      if (s.returns >= RETURNS_BEFORE_REVIEW && s.review === null) s.review = 'pending';
      backToDispatch(s, e.to, e.at);
      break;
    case 'unreasonable_requested':
      s.unreasonable = 'requested';
      s.unreasonableBy = e.actor;
      break;
    case 'unreasonable_decided':
      s.unreasonable = e.approved ? 'approved' : 'rejected';
      break;
    case 'started':
      s.status = 'in_progress';
      break;
    case 'escalated':
      backToDispatch(s, e.to ?? NEXT_TIER[s.tier]!, e.at);
      break;
    case 'replied':
      answer(s, e);
      break;
    case 'mediation_requested':
      // The handler's clock keeps running: mediation is how it is handled, not a pause. Sent
      // straight from a desk's waiting list, it counts as dispatched and its handling clock starts.
      if (s.status === 'new' || s.status === 'accepted') {
        s.firstAssignedAt ??= e.at;
        s.leadTier ??= s.tier;
        startStage(s, 'handle', e.at);
      }
      s.status = 'in_progress';
      s.mediation = { mediator: e.mediator, name: e.mediatorName, sessions: 0, outcome: null };
      break;
    case 'mediation_session':
      s.mediation = { ...s.mediation!, sessions: s.mediation!.sessions + 1 };
      break;
    case 'mediation_closed':
      s.mediation = { ...s.mediation!, outcome: e.settled ? 'settled' : 'not_settled' };
      // The signed agreement answers the citizen, as a reply does.
      if (e.settled) answer(s, e);
      break;
    case 'quality_reviewed':
      s.quality = e.verdict;
      if (e.verdict === 'redo') {
        // Back to the same owner; the handling clock resumes where the reply stopped it (the time
        // already spent still counts, see deadlineOf), and the wait for review does not.
        s.status = 'in_progress';
        s.satisfaction = null;
        s.redoCount++;
        if (s.handleStartedAt !== null && s.repliedAt !== null) s.handleSpent = [...s.handleSpent, [s.handleStartedAt, s.repliedAt]];
        startStage(s, 'handle', e.at);
      }
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
      s.handleSpent = [];
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
    case 'sms':
      break;
    case 'original_requested':
      s.originalsRequested = [...s.originalsRequested, e.hash];
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
