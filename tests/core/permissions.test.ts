import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extensionRoom, POLICY_PRESETS } from '../../src/core/deadline';
import type { AppealEvent } from '../../src/core/events';
import { fold, TIER_RANK, type AppealState } from '../../src/core/fold';
import { userTier } from '../../src/core/tiers';
import { newId } from '../../src/core/id';
import { ROLES, type Role, type SessionUser } from '../../src/core/roles';
import { ACTIONS, authorize, availableActions, checkNewEvents, escalationTarget, returnTarget, type Action, type AppealContext } from '../../src/core/workflow';
import { OTHER_TOWN_VILLAGE, VILLAGE, ev } from './fixtures';

// Who may do what: the matrix restated as the spec, then checked role by role, and the
// promise that the phone offers exactly what the server accepts.

const POLICY = POLICY_PRESETS.wanyuan;
const TOWN = '371324102';

const MEDIATOR_ID = newId();
function user(role: Role, over: Partial<SessionUser> = {}): SessionUser {
  const county = { regions: ['371324'], departments: [] };
  const scopes: Record<Role, SessionUser['scope']> = {
    grid_worker: { regions: [VILLAGE], departments: [] },
    bench_facilitator: { regions: [VILLAGE], departments: [] },
    village_station: { regions: [VILLAGE], departments: [] },
    town_official: { regions: [TOWN], departments: [] },
    dept_handler: { regions: ['371324'], departments: ['water'] },
    county_dispatcher: county,
    city_dispatcher: county,
    leader: county,
    quality_reviewer: county,
    mediator: { regions: [TOWN], departments: [] },
    deputy: county,
    admin: county,
  };
  // Events name a mediator by user id, which must be a UUID.
  return { id: role === 'mediator' ? MEDIATOR_ID : `u-${role}`, username: role, displayName: role, role, scope: scopes[role], ...over };
}
const USERS = Object.fromEntries(ROLES.map((r) => [r, user(r)])) as Record<Role, SessionUser>;
// A dispute, so mediation is possible too.
const appeal = (over: Partial<AppealContext> = {}): AppealContext => ({ villageCode: VILLAGE, kind: 'special', urgency: 'orange', channel: 'grid_patrol', category: 'disputes.neighbour', ...over });
const by = (u: SessionUser) => ({ id: u.id, role: u.role });

const toWater = () => ev('assigned', { tier: 'town', dept: 'water' });
const replied = () => [ev('recorded'), ev('assigned', { tier: 'village' }), ev('replied')];

/** For each action: a history where the state machine allows it, the event, and the roles that may then append it. */
const HANDLER = newId();
/** Every desk that works at the village tier or above. */
const DESKS: Role[] = ['village_station', 'town_official', 'county_dispatcher', 'city_dispatcher'];
/** Given to a handler at the village desk, then returned there. */
const bounce = () => [ev('assigned', { to: 'village', handler: HANDLER }), ev('returned', { to: 'village' })];

/** The reply a reviewer judges: one event, so the history and the verdict name the same id. */
const REPLY = ev('replied');

const SPEC: Record<Action, { history: () => AppealEvent[]; event: () => AppealEvent; roles: Role[] }> = {
  accepted: { history: () => [ev('recorded')], event: () => ev('accepted'), roles: ['village_station', 'town_official', 'county_dispatcher', 'city_dispatcher'] },
  assigned: { history: () => [ev('recorded')], event: () => ev('assigned', { tier: 'village' }), roles: ['village_station', 'town_official', 'county_dispatcher', 'city_dispatcher'] },
  started: { history: () => [ev('recorded'), toWater()], event: () => ev('started'), roles: ['dept_handler'] },
  replied: { history: () => [ev('recorded'), toWater()], event: () => ev('replied'), roles: ['dept_handler'] },
  extension_requested: { history: () => [ev('recorded'), toWater()], event: () => ev('extension_requested', { days: 3 }), roles: ['dept_handler'] },
  escalated: { history: () => [ev('recorded'), ev('assigned', { tier: 'village' })], event: () => ev('escalated'), roles: ['village_station'] },
  extension_decided: {
    history: () => [ev('recorded'), toWater(), ev('extension_requested', { days: 3 }, by(USERS.dept_handler))],
    event: () => ev('extension_decided', { approved: true, days: 3 }),
    roles: ['town_official', 'county_dispatcher', 'city_dispatcher', 'leader'],
  },
  supervised: { history: () => [ev('recorded')], event: () => ev('supervised', { level: 1 }), roles: ['county_dispatcher', 'city_dispatcher', 'leader'] },
  visited: { history: replied, event: () => ev('visited'), roles: ['grid_worker', 'village_station', 'town_official', 'county_dispatcher', 'city_dispatcher'] },
  reopened: {
    history: () => [ev('recorded'), ev('assigned', { tier: 'town' }), ev('replied'), ev('visited', { satisfaction: 'unsatisfied' })],
    event: () => ev('reopened'),
    roles: ['village_station', 'town_official', 'county_dispatcher', 'city_dispatcher'],
  },
  closed: { history: () => [...replied(), ev('visited')], event: () => ev('closed'), roles: ['village_station', 'town_official', 'county_dispatcher', 'city_dispatcher'] },
  merged: { history: () => [ev('recorded')], event: () => ev('merged', { into: newId() }), roles: ['town_official', 'county_dispatcher', 'city_dispatcher'] },
  commented: { history: () => [ev('recorded')], event: () => ev('commented'), roles: [...ROLES] },
  published: { history: () => [ev('recorded'), ev('accepted')], event: () => ev('published'), roles: ['town_official', 'county_dispatcher', 'city_dispatcher'] },
  unpublished: { history: () => [ev('recorded'), ev('accepted'), ev('published')], event: () => ev('unpublished'), roles: ['town_official', 'county_dispatcher', 'city_dispatcher'] },
  adopted: { history: () => [ev('recorded'), ev('accepted')], event: () => ev('adopted'), roles: ['town_official', 'county_dispatcher', 'city_dispatcher', 'leader'] },
  reception_booked: { history: () => [ev('recorded')], event: () => ev('reception_booked'), roles: ['grid_worker', 'village_station', 'town_official', 'county_dispatcher', 'city_dispatcher'] },
  reception_held: { history: () => [ev('recorded'), ev('reception_booked')], event: () => ev('reception_held'), roles: ['town_official', 'county_dispatcher', 'city_dispatcher', 'leader'] },
  // The dispatch loop. A city dispatcher works at the city's desk whatever its scope lists (tiers.ts), above the county's.
  reassigned: { history: () => [ev('recorded'), ev('assigned', { to: 'village', handler: HANDLER })], event: () => ev('reassigned', { to: 'village' }), roles: DESKS },
  returned: { history: () => [ev('recorded'), toWater()], event: () => ev('returned', { to: 'village' }), roles: ['dept_handler'] },
  reviewed: { history: () => [ev('recorded'), ...bounce(), ...bounce()], event: () => ev('reviewed', { to: 'village' }), roles: DESKS },
  unreasonable_requested: { history: () => [ev('recorded'), toWater()], event: () => ev('unreasonable_requested'), roles: ['dept_handler'] },
  // Decided above the town, where the water bureau was given it.
  unreasonable_decided: {
    history: () => [ev('recorded'), toWater(), ev('unreasonable_requested', {}, by(USERS.dept_handler))],
    event: () => ev('unreasonable_decided'),
    roles: ['county_dispatcher', 'city_dispatcher', 'leader'],
  },
  quality_reviewed: {
    history: () => [ev('recorded'), ev('assigned', { tier: 'village' }), REPLY],
    event: () => ev('quality_reviewed', { verdict: 'redo', reply: REPLY.id, note: '没有写明措施' }),
    roles: ['quality_reviewer'],
  },
  mediation_requested: { history: () => [ev('recorded'), ev('assigned', { tier: 'village' })], event: () => ev('mediation_requested', { mediator: USERS.mediator.id }), roles: ['village_station', 'town_official', 'county_dispatcher', 'city_dispatcher'] },
  mediation_session: {
    history: () => [ev('recorded'), ev('assigned', { tier: 'village' }), ev('mediation_requested', { mediator: USERS.mediator.id })],
    event: () => ev('mediation_session'),
    roles: ['mediator'],
  },
  mediation_closed: {
    history: () => [ev('recorded'), ev('assigned', { tier: 'village' }), ev('mediation_requested', { mediator: USERS.mediator.id })],
    event: () => ev('mediation_closed'),
    roles: ['mediator'],
  },
};

describe('the role × action matrix', () => {
  const cases = ACTIONS.flatMap((action) => ROLES.map((role) => [action, role, SPEC[action].roles.includes(role)] as const));

  it.each(cases)('%s by %s: allowed=%s', (action, role, allowed) => {
    const u = USERS[role];
    const state = fold(SPEC[action].history());
    const e = { ...SPEC[action].event(), actor: u.id, role: u.role } as AppealEvent;
    expect(state.conflicts).toEqual([]);
    const context = appeal(action === 'adopted' ? { kind: 'suggestion' } : {});
    expect(authorize(u, context, state, e, POLICY) === null).toBe(allowed);
    expect(availableActions(u, context, state, POLICY).includes(action)).toBe(allowed);
  });

  it('recording and warnings are never pipeline actions', () => {
    for (const role of ROLES) {
      expect(authorize(USERS[role], appeal(), fold([]), ev('recorded'), POLICY)).toBe('role_not_allowed');
      expect(authorize(USERS[role], appeal(), fold([ev('recorded')]), ev('warned'), POLICY)).toBe('role_not_allowed');
    }
  });
});

describe('refusals, each with its reason', () => {
  const at = (events: AppealEvent[]): AppealState => fold(events);

  it('a grid worker may not close', () => {
    expect(authorize(USERS.grid_worker, appeal(), at([...replied(), ev('visited')]), ev('closed'), POLICY)).toBe('role_not_allowed');
  });

  it('a department may only work what was assigned to it', () => {
    const transport = user('dept_handler', { id: 'u-transport', scope: { regions: ['371324'], departments: ['transport'] } });
    const state = at([ev('recorded'), toWater()]);
    expect(authorize(transport, appeal(), state, ev('replied'), POLICY)).toBe('not_assignee');
    expect(authorize(transport, appeal(), state, ev('escalated'), POLICY)).toBe('not_assignee');
    expect(authorize(USERS.dept_handler, appeal(), state, ev('escalated'), POLICY)).toBeNull();
    // Assigned to a named handler: only that person handles it.
    const named = at([ev('recorded'), ev('assigned', { tier: 'town', dept: 'water', handler: newId() })]);
    expect(authorize(USERS.dept_handler, appeal(), named, ev('replied'), POLICY)).toBe('not_assignee');
  });

  it('nobody acts outside their area', () => {
    const state = at([ev('recorded')]);
    expect(authorize(USERS.town_official, appeal({ villageCode: OTHER_TOWN_VILLAGE }), state, ev('accepted'), POLICY)).toBe('out_of_scope');
    expect(authorize(USERS.grid_worker, appeal({ villageCode: '371324102202' }), state, ev('commented'), POLICY)).toBe('out_of_scope');
  });

  it('a town official cannot act on a county-tier appeal (an older event’s "city"); a station cannot send work up', () => {
    const city = at([ev('recorded'), ev('assigned', { tier: 'city' })]);
    expect(authorize(USERS.town_official, appeal(), city, ev('escalated'), POLICY)).toBe('wrong_tier');
    expect(authorize(USERS.town_official, appeal(), at([ev('recorded'), ev('escalated'), ev('escalated')]), ev('assigned', { tier: 'town' }), POLICY)).toBe('wrong_tier');
    expect(authorize(USERS.village_station, appeal(), at([ev('recorded')]), ev('assigned', { tier: 'town' }), POLICY)).toBe('assign_above_role');
    expect(authorize(USERS.town_official, appeal(), at([ev('recorded')]), ev('assigned', { tier: 'city' }), POLICY)).toBe('assign_above_role');
    expect(authorize(USERS.city_dispatcher, appeal(), at([ev('recorded')]), ev('assigned', { tier: 'village' }), POLICY)).toBeNull();
  });

  it('extensions: only kinds the policy names, never beyond its maximum, never self-approved', () => {
    const dept = USERS.dept_handler;
    const state = at([ev('recorded'), toWater()]);
    expect(authorize(dept, appeal({ kind: 'complaint' }), state, ev('extension_requested', { days: 2 }), POLICY)).toBe('extension_not_allowed');
    const granted = at([ev('recorded'), toWater(), ev('extension_requested', { days: 6 }, by(dept)), ev('extension_decided', { approved: true, days: 6 })]);
    expect(granted.extensionDays).toBe(6);
    expect(authorize(dept, appeal(), granted, ev('extension_requested', { days: 5 }), POLICY)).toBe('extension_too_long');
    expect(authorize(dept, appeal(), granted, ev('extension_requested', { days: 4 }), POLICY)).toBeNull();
    const town = USERS.town_official;
    const own = at([ev('recorded'), ev('assigned', { tier: 'town' }), ev('extension_requested', { days: 2 }, by(town))]);
    expect(authorize(town, appeal(), own, ev('extension_decided', { days: 2 }), POLICY)).toBe('own_request');
    expect(authorize(USERS.leader, appeal(), own, ev('extension_decided', { days: 2 }), POLICY)).toBeNull();
  });

  it('a reply goes back through the channel the appeal came in by', () => {
    const state = at([ev('recorded'), toWater()]);
    expect(authorize(USERS.dept_handler, appeal({ channel: 'hotline_12345' }), state, ev('replied', { via: 'grid_patrol' }), POLICY)).toBe('not_original_channel');
    expect(authorize(USERS.dept_handler, appeal({ channel: 'hotline_12345' }), state, ev('replied', { via: 'hotline_12345' }), POLICY)).toBeNull();
  });
});

describe('checkNewEvents: forged transitions and honest races', () => {
  const town = USERS.town_official;
  const id = newId();
  const check = (events: AppealEvent[], u: SessionUser, isNew = (i: number) => i === events.length - 1) => checkNewEvents(events, isNew, id, () => u, appeal(), POLICY);
  const visited = () => [...replied(), ev('visited')];

  it('refuses a grid worker closing, whatever the state', () => {
    const h = visited();
    const g = USERS.grid_worker;
    expect(check([...h, ev('closed', { basis: h.at(-1)!.id }, by(g))], g)).toMatchObject({ kind: 'denied', denial: 'role_not_allowed' });
  });

  it('refuses a reply to an appeal its author saw closed', () => {
    const h = [...visited(), ev('closed')];
    expect(check([...h, ev('replied', { basis: h.at(-1)!.id }, by(town))], town)).toMatchObject({ kind: 'invalid', reason: 'invalid_transition' });
    // With no basis at all the event is judged where it stands.
    expect(check([...h, ev('replied', {}, by(town))], town)).toMatchObject({ kind: 'invalid', reason: 'invalid_transition' });
  });

  it('keeps a close that raced another close offline, folded as one conflict note', () => {
    const h = visited();
    const seen = h.at(-1)!.id;
    const first = ev('closed', { basis: seen }, { id: 'u-other-town', role: 'town_official' });
    const second = ev('closed', { basis: seen }, by(town));
    const events = [...h, first, second];
    expect(check(events, town)).toBeNull();
    const s = fold(events, id);
    expect(s.status).toBe('closed');
    expect(s.conflicts).toEqual([expect.objectContaining({ eventId: second.id, reason: 'invalid_transition', actor: town.id })]);
  });

  it('keeps close-versus-reopen the same way, whichever arrived first', () => {
    const h = [...replied(), ev('visited', { satisfaction: 'unsatisfied' })];
    const seen = h.at(-1)!.id;
    const reopen = ev('reopened', { basis: seen }, by(town));
    // The other side's close was refused by the fold (unsatisfied), so the reopen applies.
    const close = ev('closed', { basis: seen }, { id: 'u-dispatch', role: 'city_dispatcher' });
    const events = [...h, close, reopen];
    expect(check(events, town)).toBeNull();
    expect(fold(events, id)).toMatchObject({ status: 'assigned', reopenCount: 1 });
  });

  it('an honest race is still refused when the author could not have done it even then', () => {
    const h = visited();
    const seen = h.at(-1)!.id;
    const g = USERS.grid_worker;
    expect(check([...h, ev('closed', { basis: seen }), ev('closed', { basis: seen }, by(g))], g)).toMatchObject({ kind: 'denied', denial: 'role_not_allowed' });
  });

  it('a basis that is not an earlier applied event does not excuse anything', () => {
    const h = [...visited(), ev('closed')];
    expect(check([...h, ev('replied', { basis: newId() }, by(town))], town)).toMatchObject({ kind: 'invalid' });
  });

  it('a second "recorded" is refused', () => {
    expect(check([ev('recorded'), ev('recorded', {}, by(town))], town)).toMatchObject({ kind: 'invalid', reason: 'invalid_transition' });
  });

  it('events that are not new are not judged', () => {
    const g = USERS.grid_worker;
    expect(check([...visited(), ev('closed')], g, () => false)).toBeNull();
  });
});

describe('the phone offers exactly what the server accepts', () => {
  // Histories built from valid steps by various people, so every status and tier occurs.
  const stepArb = fc.constantFrom<() => AppealEvent>(
    () => ev('accepted'),
    () => ev('assigned', { tier: 'village' }),
    () => ev('assigned', { tier: 'town', dept: 'water' }),
    () => ev('assigned', { tier: 'city' }),
    () => ev('started'),
    () => ev('escalated'),
    () => ev('replied'),
    () => ev('extension_requested', { days: 2 }, by(USERS.dept_handler)),
    () => ev('extension_decided', { approved: true, days: 2 }),
    () => ev('visited', { satisfaction: 'unsatisfied' }),
    () => ev('visited', { satisfaction: 'satisfied' }),
    () => ev('reopened'),
    () => ev('closed'),
    () => ev('supervised', { level: 2 }),
  );
  // What the action form sends: approval is only offered while the policy leaves room.
  const concrete = (action: Action, u: SessionUser, a: AppealContext, state: AppealState, basis: string): AppealEvent => {
    const own = userTier(u) ?? 'village';
    const here = TIER_RANK[own] >= TIER_RANK[state.tier] ? state.tier : own;
    const payload: Partial<Record<Action, object>> = {
      assigned: { to: here },
      reassigned: { to: here },
      reviewed: { to: here },
      escalated: { to: escalationTarget(state.tier, POLICY) ?? state.tier },
      returned: { to: returnTarget(state, POLICY) ?? state.tier },
      supervised: { level: Math.min(5, state.supervisionLevel + 1) },
      extension_requested: { days: 1 },
      extension_decided: { approved: extensionRoom(POLICY, a, state) > 0, days: 1 },
      quality_reviewed: { verdict: 'passed', ...(state.lastReplyId && { reply: state.lastReplyId }) },
    };
    return { ...ev(action, (payload[action] ?? {}) as never), actor: u.id, role: u.role, basis } as AppealEvent;
  };

  it('every offered action passes the server check; every other one is refused', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 12 }), fc.constantFrom(...ROLES), fc.constantFrom<AppealContext['kind']>('special', 'help'), (steps, role, kind) => {
        const events = [ev('recorded'), ...steps.map((s) => s())];
        const state = fold(events, 'id');
        const u = USERS[role];
        const a = appeal({ kind });
        const offered = new Set(availableActions(u, a, state, POLICY));
        for (const action of ACTIONS) {
          const e = concrete(action, u, a, state, state.lastAppliedId!);
          const verdict = checkNewEvents([...events, e], (i) => i === events.length, 'id', () => u, a, POLICY);
          expect(verdict === null, `${role} ${action} in ${state.status}/${state.tier}`).toBe(offered.has(action));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('checkNewEvents: a basis older than the author’s own events', () => {
  it('is not an honest race: an assignee cannot annotate a closed appeal by naming an old basis', () => {
    const dept = USERS.dept_handler;
    const started = ev('started', {}, by(dept));
    const h = [ev('recorded'), ev('assigned', { tier: 'town', dept: 'water' }), started, ev('replied', {}, by(dept)), ev('visited'), ev('closed')];
    const late = ev('replied', { basis: started.id }, by(dept));
    const events = [...h, late];
    expect(checkNewEvents(events, (i) => i === events.length - 1, 'id', () => dept, appeal(), POLICY)).toMatchObject({ kind: 'invalid', reason: 'invalid_transition' });
  });
});
