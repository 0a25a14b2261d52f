import type { Channel, Kind, Urgency } from './appeal';
import { extensionRoom, type AppealTerms, type DeadlinePolicy } from './deadline';
import { TIERS, type AppealEvent, type EventType, type Tier } from './events';
import { fold, refusal, step, type AppealState, type ConflictReason } from './fold';
import { PUBLISH_ROLES, regionInScope, type Role, type SessionUser } from './roles';

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
  | 'not_suggestion';

/** Actions a person takes (the scanner's `warned` is the system's alone). */
export const ACTIONS = [
  'accepted', 'assigned', 'started', 'escalated', 'replied', 'extension_requested', 'extension_decided',
  'supervised', 'visited', 'reopened', 'closed', 'merged', 'commented', 'published', 'unpublished',
  'adopted', 'reception_booked', 'reception_held',
] as const satisfies readonly EventType[];
export type Action = (typeof ACTIONS)[number];

const TIER_RANK: Record<Tier, number> = { village: 0, town: 1, city: 2 };

/** The highest tier each role works at; roles absent here act on no tier (e.g. grid workers). */
const ROLE_TIER: Partial<Record<Role, Tier>> = { village_station: 'village', town_official: 'town', city_dispatcher: 'city', leader: 'city' };

/**
 * The matrix. `tier` means the role must work at the appeal's current tier (see ROLE_TIER);
 * `assignee` means the user must be who the appeal is assigned to.
 */
export const MATRIX: Record<Action, { roles: readonly Role[]; rule: 'any' | 'tier' | 'assignee' }> = {
  accepted: { roles: ['village_station', 'town_official', 'city_dispatcher'], rule: 'tier' },
  assigned: { roles: ['village_station', 'town_official', 'city_dispatcher'], rule: 'tier' },
  started: { roles: ['village_station', 'town_official', 'dept_handler', 'city_dispatcher'], rule: 'assignee' },
  replied: { roles: ['village_station', 'town_official', 'dept_handler', 'city_dispatcher'], rule: 'assignee' },
  extension_requested: { roles: ['village_station', 'town_official', 'dept_handler', 'city_dispatcher'], rule: 'assignee' },
  escalated: { roles: ['village_station', 'town_official', 'dept_handler'], rule: 'tier' },
  extension_decided: { roles: ['town_official', 'city_dispatcher', 'leader'], rule: 'tier' },
  supervised: { roles: ['city_dispatcher', 'leader'], rule: 'any' },
  visited: { roles: ['grid_worker', 'village_station', 'town_official', 'city_dispatcher'], rule: 'any' },
  // Whoever hears "unsatisfied" on the return visit sends it back for redo, at any tier.
  reopened: { roles: ['village_station', 'town_official', 'city_dispatcher'], rule: 'any' },
  closed: { roles: ['village_station', 'town_official', 'city_dispatcher'], rule: 'tier' },
  merged: { roles: ['town_official', 'city_dispatcher'], rule: 'tier' },
  // Publishing speaks for the government in public: the town and the city center.
  published: { roles: PUBLISH_ROLES, rule: 'any' },
  unpublished: { roles: PUBLISH_ROLES, rule: 'any' },
  adopted: { roles: ['town_official', 'city_dispatcher', 'leader'], rule: 'any' },
  // Booking is done for the citizen by whoever takes appeals in; the host records the outcome.
  reception_booked: { roles: ['grid_worker', 'village_station', 'town_official', 'city_dispatcher'], rule: 'any' },
  reception_held: { roles: ['town_official', 'city_dispatcher', 'leader'], rule: 'any' },
  commented: { roles: ['grid_worker', 'bench_facilitator', 'village_station', 'town_official', 'dept_handler', 'city_dispatcher', 'leader', 'admin'], rule: 'any' },
};

export function isAction(t: string): t is Action {
  return (ACTIONS as readonly string[]).includes(t);
}

/** Whether `user` is who the appeal is now assigned to. */
export function isAssignee(user: SessionUser, state: AppealState): boolean {
  if (state.handler) return state.handler === user.id;
  if (state.dept) return user.role === 'dept_handler' && user.scope.departments.includes(state.dept);
  return user.role !== 'dept_handler' && ROLE_TIER[user.role] === state.tier;
}

function worksAtTier(role: Role, tier: Tier): boolean {
  const top = ROLE_TIER[role];
  return top !== undefined && TIER_RANK[tier] <= TIER_RANK[top];
}

/** The tiers a role may assign an appeal to: its own and those below it. */
export function assignableTiers(role: Role): Tier[] {
  return TIERS.filter((tier) => worksAtTier(role, tier));
}

export interface AppealContext extends AppealTerms {
  villageCode: string;
  /** Replies go back through the channel the appeal came in by. */
  channel: Channel;
}

/** The parts of an appeal's fields the rules read. */
export function appealContext(fields: Record<string, unknown>): AppealContext {
  return { villageCode: String(fields.villageCode ?? ''), kind: fields.kind as Kind, urgency: fields.urgency as Urgency, channel: fields.channel as Channel };
}

/** Why `user` may not append `event` to an appeal in `state`, or null when they may. */
export function authorize(user: SessionUser, appeal: AppealContext, state: AppealState, event: AppealEvent, policy: DeadlinePolicy): Denial | null {
  if (event.type === 'recorded' || event.type === 'warned') return 'role_not_allowed';
  const rule = MATRIX[event.type];
  if (!rule.roles.includes(user.role)) return 'role_not_allowed';
  if (!regionInScope(user.scope, appeal.villageCode)) return 'out_of_scope';
  // A department handler escalates only what it was given: "beyond our remit".
  if (event.type === 'escalated' && user.role === 'dept_handler') return isAssignee(user, state) ? null : 'not_assignee';
  if (rule.rule === 'tier' && !worksAtTier(user.role, state.tier)) return 'wrong_tier';
  if (rule.rule === 'assignee' && !isAssignee(user, state)) return 'not_assignee';
  if (event.type === 'assigned' && !worksAtTier(user.role, event.tier)) return 'assign_above_role';
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

/** A stand-in event for asking "could this user do X now?" before they fill in the form. */
function probe(type: Action, user: SessionUser, appeal: AppealContext, state: AppealState): AppealEvent {
  const base = { id: '00000000-0000-7000-8000-000000000000', actor: user.id, role: user.role, at: 0 };
  switch (type) {
    case 'assigned':
      return { ...base, type, tier: ROLE_TIER[user.role] === 'village' ? 'village' : state.tier };
    case 'escalated':
    case 'reopened':
      return { ...base, type, reason: '-' };
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
    default:
      return { ...base, type };
  }
}

/** The actions to offer `user` on this appeal: allowed by the state machine and by the matrix. */
export function availableActions(user: SessionUser, appeal: AppealContext, state: AppealState, policy: DeadlinePolicy): Action[] {
  return ACTIONS.filter((type) => {
    const e = probe(type, user, appeal, state);
    return refusal(state, e) === null && authorize(user, appeal, state, e, policy) === null;
  });
}

export type EventRefusal =
  | { kind: 'denied'; event: AppealEvent; denial: Denial }
  | { kind: 'invalid'; event: AppealEvent; reason: ConflictReason };

/**
 * Checks the events `user` adds (those `isNew` picks) against the state at their place in
 * the array. An event that no longer fits there is kept only when it fitted the state its
 * author last saw (its basis) and something happened since: an honest offline race, which
 * every replica then folds into the same conflict note. Anything else is refused.
 */
export function checkNewEvents(
  events: readonly unknown[],
  isNew: (index: number) => boolean,
  id: string,
  user: SessionUser,
  appeal: AppealContext,
  policy: DeadlinePolicy,
): EventRefusal | null {
  const after = new Map<string, AppealState>();
  // Applied events by position, so a basis can be checked against what its author did since.
  const appliedAt = new Map<string, number>();
  let lastOwn = -1;
  let found: EventRefusal | null = null;
  fold(events, id, (event, before, index, refused) => {
    if (found) return;
    if (isNew(index) && event.type === 'recorded') {
      if (refused) found = { kind: 'invalid', event, reason: refused };
    } else if (isNew(index)) {
      // An author has seen their own earlier events: a basis older than those is not what they saw.
      const basisAt = event.basis ? appliedAt.get(event.basis) : undefined;
      const honest = basisAt !== undefined && basisAt >= lastOwn;
      const basis = refused && honest && event.basis !== before.lastAppliedId ? after.get(event.basis!) : undefined;
      const judgedOn = refused ? basis : before;
      if (!judgedOn) found = { kind: 'invalid', event, reason: refused! };
      else if (refused && refusal(judgedOn, event)) found = { kind: 'invalid', event, reason: refused };
      else {
        const denial = authorize(user, appeal, judgedOn, event, policy);
        if (denial) found = { kind: 'denied', event, denial };
      }
    }
    if (!refused) {
      after.set(event.id, step(before, event));
      appliedAt.set(event.id, index);
      if (event.actor === user.id) lastOwn = index;
    }
  });
  return found;
}
