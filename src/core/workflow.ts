import type { Channel, Kind, Urgency } from './appeal';
import { listedOriginals } from './attachments';
import { extensionRoom, type AppealTerms, type DeadlinePolicy } from './deadline';
import { assignedTier, TIERS, type AppealEvent, type EventType, type Tier } from './events';
import { fold, NEXT_TIER, refusal, RETURNS_BEFORE_REVIEW, step, TIER_RANK, type AppealState, type ConflictReason } from './fold';
import { DISPATCH_ROLES, PUBLISH_ROLES, regionInScope, type Role, type SessionUser } from './roles';
import { atLeast, scopeTier, userTier, worksAtTier } from './tiers';

// Who may do what to an appeal. The server refuses pushed events with `authorize`; the
// UI offers exactly the actions `availableActions` returns. One table, both sides.

export type Denial =
  | 'role_not_allowed'
  | 'out_of_scope'
  | 'wrong_tier'
  | 'not_assignee'
  | 'assign_above_role'
  | 'extension_not_allowed'
  | 'extension_too_long'
  | 'own_request'
  | 'not_original_channel'
  | 'not_suggestion'
  | 'top_tier'
  | 'wrong_destination'
  | 'not_sender'
  | 'not_above'
  | 'wrong_desk'
  | 'not_dispute'
  | 'not_mediator'
  | 'not_attachment';

/** Actions a person takes (the scanner's `warned` is the system's alone). */
export const ACTIONS = [
  'accepted', 'assigned', 'started', 'escalated', 'replied', 'extension_requested', 'extension_decided',
  'supervised', 'visited', 'reopened', 'closed', 'merged', 'commented', 'published', 'unpublished',
  'adopted', 'reception_booked', 'reception_held',
  'reassigned', 'returned', 'reviewed', 'unreasonable_requested', 'unreasonable_decided', 'quality_reviewed',
  'mediation_requested', 'mediation_session', 'mediation_closed',
] as const satisfies readonly EventType[];
export type Action = (typeof ACTIONS)[number];

const CENTERS: readonly Role[] = ['county_dispatcher', 'city_dispatcher'];
/** Who handles what they are given: every desk and the departments. */
const HANDLERS: readonly Role[] = [...DISPATCH_ROLES, 'dept_handler'];

/**
 * The matrix. `tier` means the user must work at the appeal's current tier or above it
 * (tiers.ts); `assignee` means the user must be who the appeal is assigned to; `sender` means
 * the dispatcher whose desk sent it, or one above.
 */
export const MATRIX: Record<Action, { roles: readonly Role[]; rule: 'any' | 'tier' | 'assignee' | 'sender' | 'mediator' }> = {
  accepted: { roles: DISPATCH_ROLES, rule: 'tier' },
  assigned: { roles: DISPATCH_ROLES, rule: 'tier' },
  reassigned: { roles: DISPATCH_ROLES, rule: 'sender' },
  reviewed: { roles: DISPATCH_ROLES, rule: 'tier' },
  started: { roles: HANDLERS, rule: 'assignee' },
  replied: { roles: HANDLERS, rule: 'assignee' },
  returned: { roles: ['town_official', 'dept_handler', 'county_dispatcher'], rule: 'assignee' },
  extension_requested: { roles: HANDLERS, rule: 'assignee' },
  unreasonable_requested: { roles: HANDLERS, rule: 'assignee' },
  // Decided one level above the tier that holds the case (checked in `authorize`).
  unreasonable_decided: { roles: [...CENTERS, 'town_official', 'leader'], rule: 'any' },
  escalated: { roles: ['village_station', 'town_official', 'county_dispatcher', 'dept_handler'], rule: 'tier' },
  extension_decided: { roles: ['town_official', ...CENTERS, 'leader'], rule: 'tier' },
  supervised: { roles: [...CENTERS, 'leader'], rule: 'any' },
  visited: { roles: ['grid_worker', ...DISPATCH_ROLES], rule: 'any' },
  // Whoever hears "unsatisfied" on the return visit sends it back for redo, at any tier.
  reopened: { roles: DISPATCH_ROLES, rule: 'any' },
  closed: { roles: DISPATCH_ROLES, rule: 'tier' },
  merged: { roles: ['town_official', ...CENTERS], rule: 'tier' },
  // Publishing speaks for the government in public: the town and the dispatch centers.
  published: { roles: PUBLISH_ROLES, rule: 'any' },
  unpublished: { roles: PUBLISH_ROLES, rule: 'any' },
  adopted: { roles: ['town_official', ...CENTERS, 'leader'], rule: 'any' },
  // Booking is done for the citizen by whoever takes appeals in; the host records the outcome.
  reception_booked: { roles: ['grid_worker', ...DISPATCH_ROLES], rule: 'any' },
  reception_held: { roles: ['town_official', ...CENTERS, 'leader'], rule: 'any' },
  commented: { roles: ['grid_worker', 'bench_facilitator', ...HANDLERS, 'leader', 'quality_reviewer', 'mediator', 'deputy', 'admin'], rule: 'any' },
  // 质检 is a reviewer's own work, never the handler's: nobody marks their own reply.
  quality_reviewed: { roles: ['quality_reviewer'], rule: 'any' },
  // A desk holding a dispute sends it to a mediator; only that mediator records and closes it.
  mediation_requested: { roles: DISPATCH_ROLES, rule: 'tier' },
  mediation_session: { roles: ['mediator'], rule: 'mediator' },
  mediation_closed: { roles: ['mediator'], rule: 'mediator' },
};

/** A dispute (矛盾纠纷) of any sub-category: what mediation takes. */
export function isDispute(category: string | undefined): boolean {
  return category !== undefined && category.startsWith('disputes.');
}

export function isAction(t: string): t is Action {
  return (ACTIONS as readonly string[]).includes(t);
}

/** Departments exist at the county and at the city: one given below the county is the county's bureau. */
function bureauTier(tier: Tier): Tier {
  return tier === 'city' ? 'city' : 'county';
}

/**
 * Whether `user` is who the appeal is now assigned to: its named handler, else its department
 * at its tier (the county's bureau or the city's), else the desk of its tier.
 */
export function isAssignee(user: SessionUser, state: AppealState): boolean {
  if (state.handler) return state.handler === user.id;
  if (state.dept) return user.role === 'dept_handler' && user.scope.departments.includes(state.dept) && scopeTier(user.scope) === bureauTier(state.tier);
  return user.role !== 'dept_handler' && userTier(user) === state.tier;
}

/** The tiers `user` may assign an appeal to: its own and those below it. */
export function assignableTiers(user: Pick<SessionUser, 'role' | 'scope'>): Tier[] {
  return TIERS.filter((tier) => worksAtTier(user, tier));
}

/** The deployment's top tier: a county's platform, or the city's center. */
export function topTier(policy: DeadlinePolicy): Tier {
  return policy.topTier ?? 'county';
}

/** The dispatcher at the deployment's top desk: whom the server's own intakes (hotline partners, public pages) record as. */
export function topDeskRole(policy: DeadlinePolicy): Role {
  return topTier(policy) === 'city' ? 'city_dispatcher' : 'county_dispatcher';
}

/** Where escalating from `tier` goes, or null at the deployment's top (the screen names it before confirming). */
export function escalationTarget(tier: Tier, policy: DeadlinePolicy): Tier | null {
  const next = NEXT_TIER[tier];
  return next !== null && TIER_RANK[next] <= TIER_RANK[topTier(policy)] ? next : null;
}

/**
 * Where a return sends the appeal: back to the desk that sent it, or, when this return makes
 * RETURNS_BEFORE_REVIEW, to the dispatcher above that desk for review (the top reviews its own).
 */
export function returnTarget(state: AppealState, policy: DeadlinePolicy): Tier | null {
  if (!state.sentBy) return null;
  const desk = state.sentBy.tier;
  if (state.review !== null || state.returns + 1 < RETURNS_BEFORE_REVIEW) return desk;
  return escalationTarget(desk, policy) ?? desk;
}

export interface AppealContext extends AppealTerms {
  villageCode: string;
  /** The files the appeal lists (originals' hashes): an original may be requested only of these. */
  files?: string[];
  /** Sub-category code (e.g. disputes.land): mediation takes disputes only. */
  category?: string;
  /** Replies go back through the channel the appeal came in by. */
  channel: Channel;
}

/** The parts of an appeal's fields the rules read. */
export function appealContext(fields: Record<string, unknown>): AppealContext {
  return { villageCode: String(fields.villageCode ?? ''), kind: fields.kind as Kind, urgency: fields.urgency as Urgency, channel: fields.channel as Channel, category: String(fields.category ?? ''), files: listedOriginals(fields.attachments) };
}

/** Why `user` may not append `event` to an appeal in `state`, or null when they may. */
export function authorize(user: SessionUser, appeal: AppealContext, state: AppealState, event: AppealEvent, policy: DeadlinePolicy): Denial | null {
  if (event.type === 'recorded' || event.type === 'warned' || event.type === 'sms') return 'role_not_allowed';
  if (event.type === 'original_requested') return originalRequestDenial(user, appeal, state, event.hash);
  const rule = MATRIX[event.type];
  if (!rule.roles.includes(user.role)) return 'role_not_allowed';
  if (!regionInScope(user.scope, appeal.villageCode)) return 'out_of_scope';
  // A department handler escalates only what it was given: "beyond our remit".
  if (event.type === 'escalated' && user.role === 'dept_handler') return isAssignee(user, state) ? destinationDenial(event, state, policy) : 'not_assignee';
  if (rule.rule === 'tier' && !worksAtTier(user, state.tier)) return 'wrong_tier';
  // 上报 is the desk holding the case sending it up: a desk above it would just take it.
  if (event.type === 'escalated' && userTier(user) !== state.tier) return 'wrong_tier';
  if (rule.rule === 'assignee' && !isAssignee(user, state)) return 'not_assignee';
  if (rule.rule === 'sender' && !(state.sentBy && worksAtTier(user, state.sentBy.tier))) return 'not_sender';
  if (rule.rule === 'mediator' && state.mediation?.mediator !== user.id) return 'not_mediator';
  // Mediation is for disputes (矛盾纠纷).
  if (event.type === 'mediation_requested' && !isDispute(appeal.category)) return 'not_dispute';
  const destination = destinationDenial(event, state, policy);
  if (destination) return destination;
  if (event.type === 'assigned' || event.type === 'reassigned' || event.type === 'reviewed') {
    if (!worksAtTier(user, event.type === 'assigned' ? assignedTier(event) : event.to)) return 'assign_above_role';
    // A sender names its own desk: a return will come back there.
    if (event.from !== undefined && event.from !== userTier(user)) return 'wrong_desk';
  }
  if (event.type === 'unreasonable_decided') {
    if (state.unreasonableBy === user.id) return 'own_request';
    const own = userTier(user);
    // At the deployment's top there is no desk above: its leaders decide.
    const topLeader = user.role === 'leader' && own === state.tier && state.tier === topTier(policy);
    if (own === null || (TIER_RANK[own] <= TIER_RANK[state.tier] && !topLeader)) return 'not_above';
  }
  if (event.type === 'extension_decided' && state.extensionRequestedBy === user.id) return 'own_request';
  // Approval grants at most what was asked for.
  if (event.type === 'extension_decided' && event.approved && state.extensionRequested !== null && event.days > state.extensionRequested) return 'extension_too_long';
  if (event.type === 'replied' && event.via !== appeal.channel) return 'not_original_channel';
  // Only a suggestion (建议) is adopted; a complaint is handled, not adopted.
  if (event.type === 'adopted' && appeal.kind !== 'suggestion') return 'not_suggestion';
  if (event.type === 'extension_requested' || (event.type === 'extension_decided' && event.approved)) {
    const room = extensionRoom(policy, appeal, state);
    if (room === 0) return 'extension_not_allowed';
    if (event.days > room) return 'extension_too_long';
  }
  return null;
}

/** Who may ask the recording phone for a photo's original (调原图): whoever works the appeal. Not a pipeline action. */
export const ORIGINAL_REQUEST_ROLES: readonly Role[] = [...DISPATCH_ROLES, 'dept_handler', 'leader', 'quality_reviewer', 'mediator'];

/** Why `user` may not request the original of `hash` on this appeal, or null. */
export function originalRequestDenial(user: SessionUser, appeal: AppealContext, state: AppealState, hash: string): Denial | null {
  if (!ORIGINAL_REQUEST_ROLES.includes(user.role)) return 'role_not_allowed';
  if (!regionInScope(user.scope, appeal.villageCode)) return 'out_of_scope';
  // A department sees the cases it was given, a mediator the disputes sent to them.
  if (user.role === 'dept_handler' && !isAssignee(user, state)) return 'not_assignee';
  if (user.role === 'mediator' && state.mediation?.mediator !== user.id) return 'not_mediator';
  if (!(appeal.files ?? []).includes(hash)) return 'not_attachment';
  return null;
}

/** Whether an escalation or a return goes where the rules send it (the deployment's tiers, the review rule). */
function destinationDenial(event: AppealEvent, state: AppealState, policy: DeadlinePolicy): Denial | null {
  if (event.type === 'escalated') {
    const target = escalationTarget(state.tier, policy);
    if (target === null) return 'top_tier';
    return event.to !== undefined && event.to !== target ? 'wrong_destination' : null;
  }
  if (event.type === 'returned') return event.to === returnTarget(state, policy) ? null : 'wrong_destination';
  return null;
}

/** A stand-in event for asking "could this user do X now?" before they fill in the form. */
function probe(type: Action, user: SessionUser, appeal: AppealContext, state: AppealState, policy: DeadlinePolicy): AppealEvent {
  const base = { id: '00000000-0000-7000-8000-000000000000', actor: user.id, role: user.role, at: 0 };
  const own = userTier(user) ?? 'village';
  // Offered where the user could take it: its own tier's desk, or the appeal's when that is lower.
  const here = atLeast(own, state.tier) ? state.tier : own;
  switch (type) {
    case 'assigned':
      return { ...base, type, to: here, from: own };
    case 'reassigned':
      return { ...base, type, to: here, from: own, reason: '-' };
    case 'reviewed':
      return { ...base, type, to: here, from: own, note: '-' };
    case 'escalated':
      return { ...base, type, reason: '-', to: escalationTarget(state.tier, policy) ?? state.tier };
    case 'returned':
      return { ...base, type, reason: '-', to: returnTarget(state, policy) ?? state.tier };
    case 'reopened':
    case 'unreasonable_requested':
      return { ...base, type, reason: '-' };
    case 'unreasonable_decided':
      return { ...base, type, approved: false };
    case 'replied':
      return { ...base, type, note: '-', via: appeal.channel };
    case 'extension_requested':
      return { ...base, type, days: 1, reason: '-' };
    case 'extension_decided':
      return { ...base, type, approved: false, days: 1 };
    case 'supervised':
      return { ...base, type, level: Math.min(5, state.supervisionLevel + 1) };
    case 'visited':
      return { ...base, type, satisfaction: 'satisfied' };
    case 'merged':
      return { ...base, type, into: '00000000-0000-7000-8000-000000000001' };
    case 'commented':
      return { ...base, type, note: '-' };
    case 'published':
      return { ...base, type, summary: '-' };
    case 'reception_booked':
      return { ...base, type, slotId: base.id, startsAt: 0, host: '-' };
    case 'reception_held':
      return { ...base, type, slotId: state.reception?.slotId ?? base.id, note: '-' };
    case 'quality_reviewed':
      return { ...base, type, verdict: 'passed', reply: state.lastReplyId ?? base.id };
    case 'mediation_requested':
      return { ...base, type, mediator: base.id, mediatorName: '-' };
    case 'mediation_session':
      return { ...base, type, parties: '-', place: '-', agreed: '-' };
    case 'mediation_closed':
      return { ...base, type, settled: true, note: '-' };
    default:
      return { ...base, type };
  }
}

/** The actions to offer `user` on this appeal: allowed by the state machine and by the matrix. */
export function availableActions(user: SessionUser, appeal: AppealContext, state: AppealState, policy: DeadlinePolicy): Action[] {
  return ACTIONS.filter((type) => {
    const e = probe(type, user, appeal, state, policy);
    return refusal(state, e) === null && authorize(user, appeal, state, e, policy) === null;
  });
}

export type EventRefusal =
  | { kind: 'denied'; event: AppealEvent; denial: Denial }
  | { kind: 'invalid'; event: AppealEvent; reason: ConflictReason };

/**
 * Checks the events added (those `isNew` picks), each as its author, against the state at their place in
 * the array. An event that no longer fits there is kept only when it fitted the state its
 * author last saw (its basis) and something happened since: an honest offline race, which
 * every replica then folds into the same conflict note. Anything else is refused.
 */
export function checkNewEvents(
  events: readonly unknown[],
  isNew: (index: number) => boolean,
  id: string,
  authorOf: (actor: string) => SessionUser | null,
  appeal: AppealContext,
  policy: DeadlinePolicy,
): EventRefusal | null {
  const after = new Map<string, AppealState>();
  // Applied events by position, so a basis can be checked against what its author did since.
  const appliedAt = new Map<string, number>();
  const lastOwn = new Map<string, number>();
  let found: EventRefusal | null = null;
  fold(events, id, (event, before, index, refused) => {
    if (found) return;
    if (isNew(index) && event.type === 'recorded') {
      if (refused) found = { kind: 'invalid', event, reason: refused };
    } else if (isNew(index)) {
      // An author has seen their own earlier events: a basis older than those is not what they saw.
      const basisAt = event.basis ? appliedAt.get(event.basis) : undefined;
      const honest = basisAt !== undefined && basisAt >= (lastOwn.get(event.actor) ?? -1);
      const basis = refused && honest && event.basis !== before.lastAppliedId ? after.get(event.basis!) : undefined;
      const judgedOn = refused ? basis : before;
      if (!judgedOn) found = { kind: 'invalid', event, reason: refused! };
      else if (refused && refusal(judgedOn, event)) found = { kind: 'invalid', event, reason: refused };
      else {
        // A relaying county server answers for its own writes (its deadline scanner): no role to check.
        const user = authorOf(event.actor);
        const denial = user && authorize(user, appeal, judgedOn, event, policy);
        if (denial) found = { kind: 'denied', event, denial };
      }
    }
    if (!refused) {
      after.set(event.id, step(before, event));
      appliedAt.set(event.id, index);
      lastOwn.set(event.actor, index);
    }
  });
  return found;
}
