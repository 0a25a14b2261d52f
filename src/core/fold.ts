import { isAppealEvent, type AppealEvent, type EventType, type Satisfaction, type Tier } from './events';

export const STATUSES = ['new', 'accepted', 'assigned', 'replied', 'visited', 'closed', 'merged'] as const;
export type Status = (typeof STATUSES)[number];

export type ConflictReason =
  | 'malformed'
  | 'duplicate_id'
  | 'not_recorded'
  | 'invalid_transition'
  | 'top_tier'
  | 'unsatisfied_cannot_close'
  | 'satisfied_cannot_reopen';

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

export interface AppealState {
  status: Status | null;
  tier: Tier;
  dept: string | null;
  handler: string | null;
  reopenCount: number;
  satisfaction: Satisfaction | null;
  supervisionLevel: number;
  extensionDays: number;
  mergedInto: string | null;
  recordedAt: number | null;
  lastEventAt: number | null;
  applied: number;
  conflicts: Conflict[];
}

const OPEN: readonly Status[] = ['new', 'accepted', 'assigned', 'replied', 'visited'];

/** Statuses from which each event may apply. `recorded` is handled on its own. */
const ALLOWED_FROM: Record<Exclude<EventType, 'recorded'>, readonly Status[]> = {
  accepted: ['new'],
  assigned: ['new', 'accepted'],
  escalated: ['new', 'accepted', 'assigned'],
  replied: ['assigned'],
  extended: ['assigned'],
  supervised: OPEN,
  visited: ['replied'],
  reopened: ['visited'],
  closed: ['visited'],
  merged: OPEN,
  commented: [...OPEN, 'closed', 'merged'],
};

const NEXT_TIER: Record<Tier, Tier | null> = { village: 'town', town: 'city', city: null };

export function initialState(): AppealState {
  return {
    status: null,
    tier: 'village',
    dept: null,
    handler: null,
    reopenCount: 0,
    satisfaction: null,
    supervisionLevel: 0,
    extensionDays: 0,
    mergedInto: null,
    recordedAt: null,
    lastEventAt: null,
    applied: 0,
    conflicts: [],
  };
}

/**
 * Why `event` cannot apply to `state`, or null when it can. Used by the fold and by
 * the UI to decide which actions to offer, so both answer the same.
 */
export function refusal(state: AppealState, event: AppealEvent): ConflictReason | null {
  if (event.type === 'recorded') return state.status === null ? null : 'invalid_transition';
  if (state.status === null) return 'not_recorded';
  if (!ALLOWED_FROM[event.type].includes(state.status)) return 'invalid_transition';
  if (event.type === 'escalated' && NEXT_TIER[state.tier] === null) return 'top_tier';
  if (event.type === 'closed' && state.satisfaction === 'unsatisfied') return 'unsatisfied_cannot_close';
  if (event.type === 'reopened' && state.satisfaction !== 'unsatisfied') return 'satisfied_cannot_reopen';
  return null;
}

function apply(s: AppealState, e: AppealEvent): void {
  switch (e.type) {
    case 'recorded':
      s.status = 'new';
      s.recordedAt = e.at;
      break;
    case 'accepted':
      s.status = 'accepted';
      break;
    case 'assigned':
      s.status = 'assigned';
      s.tier = e.tier;
      s.dept = e.dept ?? null;
      s.handler = e.handler ?? null;
      break;
    case 'escalated':
      s.tier = NEXT_TIER[s.tier]!;
      s.status = 'accepted';
      s.dept = null;
      s.handler = null;
      break;
    case 'replied':
      s.status = 'replied';
      break;
    case 'extended':
      s.extensionDays += e.days;
      break;
    case 'supervised':
      s.supervisionLevel = Math.max(s.supervisionLevel, e.level);
      break;
    case 'visited':
      s.status = 'visited';
      s.satisfaction = e.satisfaction;
      break;
    case 'reopened':
      s.status = 'assigned';
      s.reopenCount++;
      s.satisfaction = null;
      break;
    case 'closed':
      s.status = 'closed';
      break;
    case 'merged':
      s.status = 'merged';
      s.mergedInto = e.into;
      break;
    case 'commented':
      break;
  }
}

/**
 * Status is never stored: it is this pure walk over the events in array order, which
 * Yjs makes identical on every replica. Events that cannot apply are kept as conflicts.
 */
export function fold(events: readonly unknown[]): AppealState {
  const s = initialState();
  const seen = new Set<string>();
  events.forEach((raw, index) => {
    const conflict = (reason: ConflictReason, e?: AppealEvent) =>
      s.conflicts.push({ index, eventId: e?.id ?? null, type: e?.type ?? null, actor: e?.actor ?? null, reason, status: s.status });
    if (!isAppealEvent(raw)) return conflict('malformed');
    if (seen.has(raw.id)) return conflict('duplicate_id', raw);
    seen.add(raw.id);
    const why = refusal(s, raw);
    if (why) return conflict(why, raw);
    apply(s, raw);
    s.applied++;
    s.lastEventAt = Math.max(s.lastEventAt ?? raw.at, raw.at);
  });
  return s;
}

export function isOpen(status: Status | null): boolean {
  return status !== null && OPEN.includes(status);
}
