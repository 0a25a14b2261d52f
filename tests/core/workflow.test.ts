import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHANNELS, KINDS, type Channel } from '../../src/core/appeal';
import { POLICY_PRESETS, type DeadlinePolicy } from '../../src/core/deadline';
import { SATISFACTION, TIERS, type AppealEvent, type Tier } from '../../src/core/events';
import { fold, NEXT_TIER, refusal, type AppealState } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { ROLES, type Role, type SessionUser } from '../../src/core/roles';
import { ACTIONS, MATRIX, authorize, availableActions, checkNewEvents, isAssignee, type Action, type AppealContext, type Denial } from '../../src/core/workflow';
import { VILLAGE, OTHER_TOWN_VILLAGE, ev } from './fixtures';

// The role × action matrix as the pipeline intends it, checked role by role and action by
// action with everything else in the user's favour; then each reason for a refusal on its
// own; then the promise that what the phone offers is exactly what the rules allow.

// A city deployment (Linyi), so every tier up to the city center exists.
const POLICY: DeadlinePolicy = { ...POLICY_PRESETS.wanyuan, topTier: 'city' };
const CITY = '3713';
const COUNTY = '371324';
const TOWN = '371324102';
const FOREIGN_VILLAGE = '370402101201'; // another city (Zaozhuang)

const DISPATCH: readonly Role[] = ['village_station', 'town_official', 'county_dispatcher', 'city_dispatcher'];
const CENTERS: readonly Role[] = ['county_dispatcher', 'city_dispatcher'];

/** Who may take each step (受理 转办 办理 反馈 回访 销号, the dispatch loop, plus the side steps). */
const INTENT: Record<Action, readonly Role[]> = {
  accepted: DISPATCH,
  assigned: DISPATCH,
  reassigned: DISPATCH,
  reviewed: DISPATCH,
  started: [...DISPATCH, 'dept_handler'],
  replied: [...DISPATCH, 'dept_handler'],
  extension_requested: [...DISPATCH, 'dept_handler'],
  unreasonable_requested: [...DISPATCH, 'dept_handler'],
  returned: ['town_official', 'dept_handler', 'county_dispatcher'],
  unreasonable_decided: ['town_official', ...CENTERS, 'leader'],
  escalated: ['village_station', 'town_official', 'county_dispatcher', 'dept_handler'],
  extension_decided: ['town_official', ...CENTERS, 'leader'],
  supervised: [...CENTERS, 'leader'],
  visited: ['grid_worker', ...DISPATCH],
  reopened: DISPATCH,
  closed: DISPATCH,
  merged: ['town_official', ...CENTERS],
  commented: ROLES,
  published: ['town_official', ...CENTERS],
  unpublished: ['town_official', ...CENTERS],
  adopted: ['town_official', ...CENTERS, 'leader'],
  reception_booked: ['grid_worker', ...DISPATCH],
  reception_held: ['town_official', ...CENTERS, 'leader'],
  quality_reviewed: ['quality_reviewer'],
  mediation_requested: DISPATCH,
  mediation_session: ['mediator'],
  mediation_closed: ['mediator'],
};

const SCOPE: Record<Role, SessionUser['scope']> = {
  grid_worker: { regions: [VILLAGE], departments: [] },
  bench_facilitator: { regions: [VILLAGE], departments: [] },
  village_station: { regions: [VILLAGE], departments: [] },
  town_official: { regions: [TOWN], departments: [] },
  dept_handler: { regions: [COUNTY], departments: ['water'] },
  county_dispatcher: { regions: [COUNTY], departments: [] },
  city_dispatcher: { regions: [CITY], departments: [] },
  leader: { regions: [COUNTY], departments: [] },
  quality_reviewer: { regions: [COUNTY], departments: [] },
  mediator: { regions: [TOWN], departments: [] },
  deputy: { regions: [COUNTY], departments: [] },
  admin: { regions: [COUNTY], departments: [] },
};
/** The tier each role works at (roles without one are placed at the village; a department handler is given work at the town). */
const HOME: Record<Role, Tier> = {
  grid_worker: 'village',
  bench_facilitator: 'village',
  village_station: 'village',
  town_official: 'town',
  dept_handler: 'town',
  county_dispatcher: 'county',
  city_dispatcher: 'city',
  leader: 'county',
  quality_reviewer: 'village',
  mediator: 'village',
  deputy: 'village',
  admin: 'village',
};
const user = (role: Role, over: Partial<SessionUser> = {}): SessionUser => ({ id: newId(), username: role, displayName: role, role, scope: SCOPE[role], ...over });
const USERS = Object.fromEntries(ROLES.map((r) => [r, user(r)])) as Record<Role, SessionUser>;
const as = (u: SessionUser) => ({ id: u.id, role: u.role });
const ctx = (over: Partial<AppealContext> = {}): AppealContext => ({ villageCode: VILLAGE, kind: 'special', urgency: 'orange', channel: 'grid_patrol', ...over });
/** Only a suggestion can be adopted: that action is tried on one. */
const ctxFor = (action: Action) => ctx(action === 'adopted' ? { kind: 'suggestion' } : action === 'mediation_requested' ? { category: 'disputes.land' } : {});
const someoneElse = user('dept_handler', { username: 'other' });

/** An assignment that makes `u` the assignee at `tier`. */
function assignTo(u: SessionUser, tier: Tier): AppealEvent {
  return ev('assigned', { to: tier, handler: u.id, ...(u.role === 'dept_handler' ? { dept: 'water' } : {}) });
}

/** Escalations that carry an appeal recorded at the village up to `tier`'s desk. */
function climb(tier: Tier): AppealEvent[] {
  const out: AppealEvent[] = [];
  for (let t: Tier = 'village'; t !== tier; t = NEXT_TIER[t]!) out.push(ev('escalated', { to: NEXT_TIER[t]! }));
  return out;
}

/** A history in which the state machine allows `action` and `u` is placed as well as can be. */
function placed(action: Action, u: SessionUser, tier: Tier = HOME[u.role]): { history: AppealEvent[]; event: AppealEvent } {
  const r = ev('recorded');
  const mine = (type: Action, over: object = {}) => ({ ...ev(type), ...over, actor: u.id, role: u.role }) as AppealEvent;
  // Escalation needs a tier above; the city's roles take it from the county.
  const t = action === 'escalated' && tier === 'city' ? 'county' : tier;
  const toReplied = [r, assignTo(u, t), ev('replied')];
  const other = { handler: someoneElse.id };
  switch (action) {
    case 'accepted':
      return { history: [r], event: mine('accepted') };
    case 'assigned':
      return { history: [r], event: mine('assigned', { to: t }) };
    case 'reassigned':
      // Sent from the village desk, which every dispatcher works at or above.
      return { history: [r, ev('assigned', { to: t, ...other })], event: mine(action, { to: t }) };
    case 'returned':
      return { history: [r, assignTo(u, t)], event: mine(action, { to: 'village' }) };
    case 'reviewed': {
      // Two returns to the desk at `t` put it under review there.
      const bounce = () => [ev('assigned', { to: t, ...other }), ev('returned', { to: t })];
      return { history: [r, ...climb(t), ...bounce(), ...bounce()], event: mine(action, { to: t }) };
    }
    case 'unreasonable_requested':
      return { history: [r, assignTo(u, t)], event: mine(action) };
    case 'unreasonable_decided':
      // Asked at the village: every decider works above it.
      return { history: [r, assignTo(someoneElse, 'village'), ev('unreasonable_requested', {}, as(someoneElse))], event: mine(action) };
    case 'started':
    case 'replied':
      return { history: [r, assignTo(u, t)], event: mine(action) };
    case 'extension_requested':
      return { history: [r, assignTo(u, t)], event: mine(action, { days: 2 }) };
    case 'escalated':
      return { history: [r, assignTo(u, t)], event: mine(action) };
    case 'extension_decided':
      return { history: [r, assignTo(someoneElse, t), ev('extension_requested', { days: 2 }, as(someoneElse))], event: mine(action, { approved: true, days: 2 }) };
    case 'supervised':
      return { history: [r, assignTo(u, t)], event: mine(action, { level: 1 }) };
    case 'visited':
      return { history: toReplied, event: mine(action) };
    case 'reopened':
      return { history: [...toReplied, ev('visited', { satisfaction: 'unsatisfied' })], event: mine(action) };
    case 'closed':
      return { history: [...toReplied, ev('visited')], event: mine(action) };
    case 'merged':
      return { history: [r, assignTo(u, t)], event: mine(action, { into: newId() }) };
    case 'commented':
      return { history: [r], event: mine(action) };
    case 'published':
      return { history: [r, ev('accepted')], event: mine(action) };
    case 'unpublished':
      return { history: [r, ev('accepted'), ev('published')], event: mine(action) };
    case 'adopted':
      return { history: [r, ev('accepted')], event: mine(action) };
    case 'reception_booked':
      return { history: [r], event: mine(action) };
    case 'reception_held':
      return { history: [r, ev('reception_booked')], event: mine(action) };
    case 'quality_reviewed':
      return { history: toReplied, event: mine(action, { verdict: 'redo', reply: toReplied[2]!.id }) };
    case 'mediation_requested':
      return { history: [r, assignTo(someoneElse, t)], event: mine(action) };
    case 'mediation_session':
    case 'mediation_closed':
      // Sent to this user as the mediator.
      return { history: [r, assignTo(someoneElse, t), ev('mediation_requested', { mediator: u.id })], event: mine(action) };
  }
}

function verdict(action: Action, u: SessionUser, appeal = ctxFor(action), tier?: Tier): { denial: Denial | null; state: AppealState; event: AppealEvent } {
  const { history, event } = placed(action, u, tier);
  const state = fold(history, 'appeal');
  expect(state.conflicts, `${action} history`).toEqual([]);
  expect(refusal(state, event), `${action} is possible in ${state.status}`).toBeNull();
  return { denial: authorize(u, appeal, state, event, POLICY), state, event };
}

describe('the role × action matrix', () => {
  it('MATRIX names exactly the intended roles for every action', () => {
    for (const action of ACTIONS) expect([...MATRIX[action].roles].sort(), action).toEqual([...INTENT[action]].sort());
    expect([...ACTIONS].sort()).toEqual(Object.keys(INTENT).sort());
  });

  const table = ACTIONS.flatMap((action) => ROLES.map((role) => [action, role, INTENT[action].includes(role)] as const));

  it.each(table)('%s by %s, in scope and in place: allowed=%s', (action, role, allowed) => {
    const u = USERS[role];
    const { denial, state } = verdict(action, u);
    expect(denial).toBe(allowed ? null : 'role_not_allowed');
    expect(availableActions(u, ctxFor(action), state, POLICY).includes(action)).toBe(allowed);
  });

  const allowedPairs = table.filter(([, , allowed]) => allowed).map(([action, role]) => [action, role] as const);

  it.each(allowedPairs)('%s by %s: refused out of scope', (action, role) => {
    expect(verdict(action, USERS[role], { ...ctxFor(action), villageCode: FOREIGN_VILLAGE }).denial).toBe('out_of_scope');
  });

  it.each(allowedPairs)('%s by %s: refused when out of place, by the rule of the action', (action, role) => {
    const u = USERS[role];
    const rule = MATRIX[action].rule;
    if (rule === 'assignee' || (action === 'escalated' && role === 'dept_handler')) {
      // The appeal is someone else's.
      const other = user(role, { username: 'colleague' });
      const { history, event } = placed(action, other);
      const state = fold(history, 'appeal');
      expect(authorize(u, ctx(), state, { ...event, actor: u.id }, POLICY)).toBe('not_assignee');
    } else if (rule === 'tier') {
      const higher = NEXT_TIER[HOME[role]];
      // The city works at every tier; an appeal is only ever accepted at the village (where
      // it is recorded); nothing escalates from the city.
      if (higher === null || action === 'accepted' || (action === 'escalated' && NEXT_TIER[higher] === null)) return;
      const { history, event } =
        action === 'assigned'
          ? { history: [ev('recorded'), ...climb(higher)], event: { ...ev('assigned', { to: higher }), ...as(u) } as AppealEvent }
          : placed(action, u, higher);
      const state = fold(history, 'appeal');
      expect(state.tier).toBe(higher);
      expect(refusal(state, event)).toBeNull();
      expect(authorize(u, ctx(), state, event, POLICY)).toBe('wrong_tier');
    } else if (rule === 'sender') {
      // Sent from a desk above this dispatcher's.
      const higher = NEXT_TIER[HOME[role]];
      if (higher === null) return;
      const history = [ev('recorded'), ...climb(higher), ev('assigned', { to: higher, handler: someoneElse.id })];
      const state = fold(history, 'appeal');
      expect(state.sentBy?.tier).toBe(higher);
      expect(authorize(u, ctx(), state, { ...ev('reassigned', { to: HOME[role] }), ...as(u) } as AppealEvent, POLICY)).toBe('not_sender');
    } else if (rule === 'mediator') {
      // Sent to another mediator.
      const other = user(role, { username: 'colleague' });
      const { history, event } = placed(action, other);
      const state = fold(history, 'appeal');
      expect(authorize(u, ctx(), state, { ...event, actor: u.id } as AppealEvent, POLICY)).toBe('not_mediator');
    } else {
      // "any": tier and assignment do not matter.
      const other = user('village_station', { username: 'colleague' });
      const { history, event } = placed(action, other, 'city');
      const state = fold(history, 'appeal');
      const e = { ...event, actor: u.id, role: u.role } as AppealEvent;
      expect(authorize(u, ctxFor(action), state, e, POLICY)).toBeNull();
    }
  });
});

describe('refusals the pipeline relies on', () => {
  it('a grid worker may record a visit and comment, but never close', () => {
    const g = USERS.grid_worker;
    const visited = fold([ev('recorded'), ev('assigned'), ev('replied'), ev('visited')]);
    expect(authorize(g, ctx(), visited, { ...ev('closed'), ...as(g) } as AppealEvent, POLICY)).toBe('role_not_allowed');
    expect(availableActions(g, ctx(), visited, POLICY)).toEqual(['commented', 'reception_booked']);
    const replied = fold([ev('recorded'), ev('assigned'), ev('replied')]);
    expect(availableActions(g, ctx(), replied, POLICY)).toEqual(['visited', 'commented', 'reception_booked']);
  });

  it('a department handler may not reply to an appeal assigned to another department', () => {
    const water = USERS.dept_handler;
    const transport = user('dept_handler', { scope: { regions: [COUNTY], departments: ['transport'] } });
    const state = fold([ev('recorded'), ev('assigned', { tier: 'town', dept: 'transport' })]);
    expect(authorize(water, ctx(), state, ev('replied'), POLICY)).toBe('not_assignee');
    expect(authorize(transport, ctx(), state, ev('replied'), POLICY)).toBeNull();
    expect(isAssignee(water, state)).toBe(false);
    expect(isAssignee(transport, state)).toBe(true);
    // Without a department, a tier's appeal is that tier's office's, never a department's.
    const town = fold([ev('recorded'), ev('assigned', { to: 'town' })]);
    expect(isAssignee(water, town)).toBe(false);
    expect(isAssignee(USERS.town_official, town)).toBe(true);
    expect(isAssignee(USERS.village_station, town)).toBe(false);
  });

  it('nobody acts on a village outside their scope', () => {
    const s = fold([ev('recorded')]);
    expect(authorize(USERS.town_official, ctx({ villageCode: OTHER_TOWN_VILLAGE }), s, ev('accepted'), POLICY)).toBe('out_of_scope');
    expect(authorize(USERS.village_station, ctx({ villageCode: '371324102202' }), s, ev('accepted'), POLICY)).toBe('out_of_scope');
    expect(authorize(USERS.city_dispatcher, ctx({ villageCode: FOREIGN_VILLAGE }), s, ev('accepted'), POLICY)).toBe('out_of_scope');
    expect(availableActions(USERS.town_official, ctx({ villageCode: OTHER_TOWN_VILLAGE }), s, POLICY)).toEqual([]);
  });

  it('a town official cannot act on a county-tier appeal', () => {
    const t = USERS.town_official;
    const county = fold([ev('recorded'), ev('escalated'), ev('escalated')]);
    expect(county).toMatchObject({ tier: 'county', status: 'accepted' });
    expect(authorize(t, ctx(), county, ev('assigned', { to: 'county' }), POLICY)).toBe('wrong_tier');
    expect(authorize(t, ctx(), county, ev('assigned', { to: 'town' }), POLICY)).toBe('wrong_tier');
    expect(authorize(t, ctx(), county, ev('merged', { into: newId() }), POLICY)).toBe('wrong_tier');
    const closing = fold([ev('recorded'), ev('assigned', { to: 'county' }), ev('replied'), ev('visited')]);
    expect(authorize(t, ctx(), closing, ev('closed'), POLICY)).toBe('wrong_tier');
    expect(availableActions(t, ctx(), closing, POLICY)).toEqual(['commented', 'published', 'reception_booked']);
    expect(authorize(USERS.county_dispatcher, ctx(), closing, ev('closed'), POLICY)).toBeNull();
    expect(authorize(USERS.city_dispatcher, ctx(), closing, ev('closed'), POLICY)).toBeNull();
  });

  it('reads an older event’s tier “city” as the county platform it meant then', () => {
    const legacy = fold([ev('recorded'), ev('assigned', { tier: 'city', dept: 'water' })]);
    expect(legacy).toMatchObject({ tier: 'county', dept: 'water' });
    // The county's water bureau is its assignee; the city's is not.
    expect(isAssignee(USERS.dept_handler, legacy)).toBe(true);
    expect(isAssignee(user('dept_handler', { scope: { regions: [CITY], departments: ['water'] } }), legacy)).toBe(false);
  });

  it('only a suggestion is adopted', () => {
    const t = USERS.town_official;
    const accepted = fold([ev('recorded'), ev('accepted')]);
    const adopt = { ...ev('adopted'), ...as(t) } as AppealEvent;
    expect(authorize(t, ctx({ kind: 'complaint' }), accepted, adopt, POLICY)).toBe('not_suggestion');
    expect(authorize(t, ctx({ kind: 'suggestion' }), accepted, adopt, POLICY)).toBeNull();
    expect(availableActions(t, ctx({ kind: 'help' }), accepted, POLICY)).not.toContain('adopted');
  });

  it('a village station cannot assign to the town tier, nor a town to the county', () => {
    const s = fold([ev('recorded')]);
    expect(authorize(USERS.village_station, ctx(), s, ev('assigned', { to: 'town' }), POLICY)).toBe('assign_above_role');
    expect(authorize(USERS.village_station, ctx(), s, ev('assigned', { to: 'county' }), POLICY)).toBe('assign_above_role');
    expect(authorize(USERS.village_station, ctx(), s, ev('assigned', { to: 'village' }), POLICY)).toBeNull();
    expect(authorize(USERS.town_official, ctx(), s, ev('assigned', { to: 'county' }), POLICY)).toBe('assign_above_role');
    expect(authorize(USERS.town_official, ctx(), s, ev('assigned', { to: 'town', dept: 'water' }), POLICY)).toBeNull();
    // Sending work up goes by escalation, with a reason.
    expect(authorize(USERS.village_station, ctx(), s, ev('escalated'), POLICY)).toBeNull();
  });

  describe('extensions follow the policy: its kinds, at most its maximum', () => {
    const own: DeadlinePolicy = { ...POLICY, name: 'own', extension: { kinds: ['complaint'], maxDays: 4 } };
    const dept = USERS.dept_handler;
    const town = USERS.town_official;
    const handling = () => [ev('recorded'), ev('assigned', { tier: 'town', dept: 'water' })];
    const ask = (days: number) => ev('extension_requested', { days }, as(dept));
    const decide = (days: number, approved = true) => ev('extension_decided', { days, approved }, as(town));

    it('only kinds the policy names', () => {
      const s = fold(handling());
      expect(authorize(dept, ctx({ kind: 'complaint' }), s, ask(1), own)).toBeNull();
      for (const kind of KINDS.filter((k) => k !== 'complaint')) expect(authorize(dept, ctx({ kind }), s, ask(1), own), kind).toBe('extension_not_allowed');
      // The Wanyuan preset: special cases only.
      expect(authorize(dept, ctx({ kind: 'special' }), s, ask(1), POLICY)).toBeNull();
      expect(authorize(dept, ctx({ kind: 'complaint' }), s, ask(1), POLICY)).toBe('extension_not_allowed');
      expect(availableActions(dept, ctx({ kind: 'help' }), s, own)).not.toContain('extension_requested');
    });

    it('never beyond the maximum, counting what was already granted', () => {
      const c = ctx({ kind: 'complaint' });
      expect(authorize(dept, c, fold(handling()), ask(4), own)).toBeNull();
      expect(authorize(dept, c, fold(handling()), ask(5), own)).toBe('extension_too_long');
      const granted = fold([...handling(), ask(3), decide(3)]);
      expect(granted.extensionDays).toBe(3);
      expect(authorize(dept, c, granted, ask(1), own)).toBeNull();
      expect(authorize(dept, c, granted, ask(2), own)).toBe('extension_too_long');
      const full = fold([...handling(), ask(3), decide(3), ask(1), decide(1)]);
      expect(authorize(dept, c, full, ask(1), own)).toBe('extension_not_allowed');
      expect(availableActions(dept, c, full, own)).not.toContain('extension_requested');
    });

    it('an approval is held to the same limit; a refusal is always possible', () => {
      const c = ctx({ kind: 'complaint' });
      const pending = fold([...handling(), ask(4)]);
      expect(authorize(town, c, pending, decide(4), own)).toBeNull();
      expect(authorize(town, c, pending, decide(5), own)).toBe('extension_too_long');
      expect(authorize(town, c, pending, decide(9, false), own)).toBeNull();
      // The asker never decides their own request.
      const own_ = fold([ev('recorded'), ev('assigned', { tier: 'town' }), ev('extension_requested', { days: 2 }, as(town))]);
      expect(authorize(town, c, own_, decide(2), own)).toBe('own_request');
      expect(authorize(town, c, own_, decide(2, false), own)).toBe('own_request');
    });
  });

  it('recording and warnings are never pipeline actions for anyone', () => {
    for (const role of ROLES) {
      expect(authorize(USERS[role], ctx(), fold([]), ev('recorded'), POLICY)).toBe('role_not_allowed');
      expect(authorize(USERS[role], ctx(), fold([ev('recorded')]), ev('warned'), POLICY)).toBe('role_not_allowed');
    }
  });
});

describe('what the phone offers is what the rules allow', () => {
  const county = { regions: [COUNTY], departments: [] };
  const ids = [newId(), newId(), newId()] as const;
  const userArb = fc.record({
    id: fc.constantFrom(...ids),
    role: fc.constantFrom(...ROLES),
    scope: fc.constantFrom(
      county,
      { regions: [TOWN], departments: [] },
      { regions: [VILLAGE], departments: [] },
      { regions: [COUNTY], departments: ['water'] },
      { regions: [COUNTY], departments: ['transport'] },
      { regions: ['371325'], departments: ['water'] },
      { regions: [CITY], departments: [] },
      { regions: [CITY], departments: ['water'] },
    ),
  }).map((u): SessionUser => ({ ...u, username: u.role, displayName: u.role }));
  const appealArb = fc.record({
    villageCode: fc.constantFrom(VILLAGE, OTHER_TOWN_VILLAGE),
    kind: fc.constantFrom(...KINDS),
    urgency: fc.constantFrom('red' as const, 'orange' as const, 'yellow' as const),
    channel: fc.constantFrom<Channel>('grid_patrol', 'hotline_12345'),
  });
  const actor = fc.constantFrom(...ids.map((id) => ({ id, role: 'county_dispatcher' as const })), { id: 'u-x', role: 'town_official' as const });
  /** Any event a person could append, with any payload. */
  const eventArb: fc.Arbitrary<AppealEvent> = fc
    .tuple(
      fc.constantFrom(...ACTIONS),
      fc.record({
        tier: fc.constantFrom(...TIERS),
        dept: fc.constantFrom(undefined, 'water', 'transport'),
        handler: fc.constantFrom(undefined, ...ids),
        via: fc.constantFrom(...CHANNELS),
        days: fc.integer({ min: 1, max: 10 }),
        approved: fc.boolean(),
        level: fc.integer({ min: 1, max: 5 }),
        satisfaction: fc.constantFrom(...SATISFACTION),
        into: fc.constantFrom('appeal-into', ...ids),
      }),
      actor,
    )
    .map(([type, p, by]) => {
      const e = ev(type, {}, by) as AppealEvent & Record<string, unknown>;
      switch (type) {
        case 'assigned':
        case 'reassigned':
        case 'reviewed': {
          const { tier: _legacy, ...rest } = e;
          return { ...rest, to: p.tier, ...(p.dept && { dept: p.dept }), ...(p.handler && { handler: p.handler }) } as AppealEvent;
        }
        case 'escalated':
        case 'returned':
          return { ...e, to: p.tier } as AppealEvent;
        case 'unreasonable_decided':
          return { ...e, approved: p.approved } as AppealEvent;
        case 'replied':
          return { ...e, via: p.via } as AppealEvent;
        case 'extension_requested':
          return { ...e, days: p.days } as AppealEvent;
        case 'extension_decided':
          return { ...e, days: p.days, approved: p.approved } as AppealEvent;
        case 'supervised':
          return { ...e, level: p.level } as AppealEvent;
        case 'visited':
          return { ...e, satisfaction: p.satisfaction } as AppealEvent;
        case 'merged':
          return { ...e, into: p.into === 'appeal-into' ? newId() : p.into } as AppealEvent;
        default:
          return e;
      }
    });

  /** The events a form could send for `action`: if none passes, the button must be absent. */
  function candidates(action: Action, u: SessionUser, a: AppealContext, s: AppealState): AppealEvent[] {
    const base = { ...ev(action), actor: u.id, role: u.role } as AppealEvent;
    switch (action) {
      case 'assigned':
      case 'reassigned':
      case 'reviewed':
      case 'returned':
        return TIERS.map((to) => ({ ...base, to }) as AppealEvent);
      case 'escalated':
        return [base, ...TIERS.map((to) => ({ ...base, to }) as AppealEvent)];
      case 'unreasonable_decided':
        return [{ ...base, approved: false } as AppealEvent];
      case 'replied':
        return [{ ...base, via: a.channel } as AppealEvent];
      case 'extension_requested':
        return [{ ...base, days: 1 } as AppealEvent];
      case 'extension_decided':
        return [{ ...base, days: 1, approved: false } as AppealEvent];
      case 'supervised':
        return s.supervisionLevel < 5 ? [{ ...base, level: s.supervisionLevel + 1 } as AppealEvent] : [];
      case 'merged':
        return [{ ...base, into: newId() } as AppealEvent];
      case 'quality_reviewed':
        return s.lastReplyId === null ? [] : (['passed', 'redo'] as const).map((verdict) => ({ ...base, verdict, reply: s.lastReplyId }) as AppealEvent);
      default:
        return [base];
    }
  }

  const passes = (u: SessionUser, a: AppealContext, s: AppealState, e: AppealEvent) => refusal(s, e) === null && authorize(u, a, s, e, POLICY) === null;

  it('an action is offered exactly when an event of that kind would pass, and any passing event is offered', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 14 }), userArb, appealArb, fc.array(eventArb, { minLength: 1, maxLength: 6 }), (steps, u, a, tries) => {
        const s = fold([ev('recorded'), ...steps], 'appeal');
        const offered = availableActions(u, a, s, POLICY);
        for (const action of ACTIONS) {
          const ok = candidates(action, u, a, s).some((e) => passes(u, a, s, e));
          expect(offered.includes(action), `${u.role} ${action} in ${s.status}/${s.tier}`).toBe(ok);
        }
        for (const t of tries) {
          const e = { ...t, actor: u.id, role: u.role } as AppealEvent;
          if (passes(u, a, s, e)) expect(offered, `${u.role} ${e.type} in ${s.status}/${s.tier}`).toContain(e.type);
          else expect(refusal(s, e) ?? authorize(u, a, s, e, POLICY)).not.toBeNull();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the server (checkNewEvents) agrees with refusal + authorize for an event built on the latest state', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 14 }), userArb, appealArb, eventArb, (steps, u, a, t) => {
        const history = [ev('recorded'), ...steps];
        const s = fold(history, 'appeal');
        const e = { ...t, actor: u.id, role: u.role, basis: s.lastAppliedId! } as AppealEvent;
        const verdict = checkNewEvents([...history, e], (i) => i === history.length, 'appeal', () => u, a, POLICY);
        expect(verdict === null).toBe(passes(u, a, s, e));
        if (verdict?.kind === 'invalid') expect(verdict.reason).toBe(refusal(s, e));
        if (verdict?.kind === 'denied') expect(verdict.denial).toBe(authorize(u, a, s, e, POLICY));
      }),
      { numRuns: 500 },
    );
  });

  it('no action is dead: each is offered to its first role somewhere', () => {
    for (const action of ACTIONS) {
      const role = INTENT[action][0]!;
      expect(availableActions(USERS[role], ctxFor(action), verdict(action, USERS[role]).state, POLICY), `${action} by ${role}`).toContain(action);
    }
  });
});
