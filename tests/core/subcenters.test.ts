import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { POLICY_PRESETS, type DeadlinePolicy } from '../../src/core/deadline';
import { TIERS, type AppealEvent } from '../../src/core/events';
import { fold, refusal, STATUSES } from '../../src/core/fold';
import { mayViewContact } from '../../src/core/privacy';
import { inQueue, ROLE_QUEUES } from '../../src/core/queues';
import { appealInScope, type Role, type SessionUser } from '../../src/core/roles';
import { parseSubcenters, subcenterOf, subcenterScope } from '../../src/core/subcenters';
import { scopeFitsRole, userTier } from '../../src/core/tiers';
import { ACTIONS, assignableTiers, authorize, availableActions, escalationTarget, MATRIX, returnTarget, type AppealContext } from '../../src/core/workflow';
import { ev, OTHER_TOWN_VILLAGE, VILLAGE } from './fixtures';

// An area sub-center (Wanyuan's 1+7+N) is a county dispatcher whose scope lists a few towns
// of one county: the county tier's desk, for those towns only. Here in Lanling: a sub-center
// over 371324102 (VILLAGE's town) and 371324104; 371324103 (OTHER_TOWN_VILLAGE's) is not in it.

const COUNTY_POLICY: DeadlinePolicy = POLICY_PRESETS.lanling;
const CITY_POLICY: DeadlinePolicy = { ...POLICY_PRESETS.linyi, topTier: 'city' };
const TOWNS = ['371324102', '371324104'];

const person = (id: string, role: Role, regions: string[], departments: string[] = []): SessionUser => ({ id, username: id, displayName: id, role, scope: { regions, departments } });
const center = person('center', 'county_dispatcher', ['371324']);
const sub = person('sub', 'county_dispatcher', TOWNS);
/** The same person as `center`, moved to the sub-center: only the scope differs. */
const narrowed: SessionUser = { ...center, scope: { regions: TOWNS, departments: [] } };
const town = person('town', 'town_official', ['371324102']);
const cityDesk = person('city', 'city_dispatcher', ['3713']);
const station = person('station', 'village_station', [VILLAGE]);

const inside: AppealContext = { villageCode: VILLAGE, kind: 'help', urgency: 'orange', channel: 'hotline_12345' };
const outside: AppealContext = { ...inside, villageCode: OTHER_TOWN_VILLAGE };
const by = (u: SessionUser) => ({ id: u.id, role: u.role });
const act = <T extends AppealEvent['type']>(u: SessionUser, type: T, over: object = {}) => ev(type, over as never, by(u));

/** Appends each event after checking it against the rules on the state before it. */
function run(policy: DeadlinePolicy, history: AppealEvent[], steps: [SessionUser, AppealEvent][]): ReturnType<typeof fold> {
  for (const [u, e] of steps) {
    const s = fold(history, 'a');
    expect(refusal(s, e) ?? authorize(u, inside, s, e, policy), `${u.username} ${e.type}`).toBeNull();
    history.push(e);
  }
  return fold(history, 'a');
}

describe('a dispatcher’s tier comes from its role, not from how wide its scope is', () => {
  it('a county dispatcher over a few towns works at the county tier; a city dispatcher always at the city', () => {
    expect(userTier(sub)).toBe('county');
    expect(userTier(center)).toBe('county');
    expect(userTier(person('one', 'county_dispatcher', ['371324102']))).toBe('county');
    expect(userTier(cityDesk)).toBe('city');
    expect(assignableTiers(sub)).toEqual(['village', 'town', 'county']);
    // Leaders and departments still take theirs from the scope.
    expect(userTier(person('l', 'leader', ['371324102']))).toBe('town');
    expect(userTier(person('w', 'dept_handler', ['3713'], ['water']))).toBe('city');
  });
});

describe('scopeFitsRole', () => {
  it('takes for a county dispatcher one county, or towns of one county', () => {
    const fits = (regions: string[]) => scopeFitsRole('county_dispatcher', { regions, departments: [] });
    expect(fits(['371324'])).toBeNull();
    expect(fits(['371324102'])).toBeNull();
    expect(fits(TOWNS)).toBeNull();
    for (const bad of [[], ['3713'], ['371324', '371302'], ['371324', '371324102'], ['371324102', '371302001'], ['371324102201'], ['371324102', '371324102201']]) {
      expect(fits(bad), bad.join(' ')).toMatch(/one county \(6 digits\), or for an area sub-center towns of one county \(9 digits each\)/);
    }
  });

  it('takes for a city dispatcher the city alone', () => {
    const fits = (regions: string[]) => scopeFitsRole('city_dispatcher', { regions, departments: [] });
    expect(fits(['3713'])).toBeNull();
    for (const bad of [[], ['371324'], ['3713', '3714'], ['371324102']]) expect(fits(bad), bad.join(' ')).toMatch(/the city \(4 digits\)/);
  });

  it('property: a county dispatcher’s scope fits exactly when it is one county or a non-empty set of towns sharing a county', () => {
    const prefix = fc.constantFrom('3713', '371324', '371302', '371324102', '371324104', '371302001', '371324102201', '371302001001');
    fc.assert(
      fc.property(fc.array(prefix, { maxLength: 5 }), (regions) => {
        const oneCounty = regions.length === 1 && regions[0]!.length === 6;
        const towns = regions.length > 0 && regions.every((p) => p.length === 9) && new Set(regions.map((p) => p.slice(0, 6))).size === 1;
        expect(scopeFitsRole('county_dispatcher', { regions, departments: [] }) === null).toBe(oneCounty || towns);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the matrix for a sub-center’s dispatcher', () => {
  it('dispatches a town’s escalation in its towns, reassigns it, takes the returns and reviews it; another town’s it may not touch', () => {
    const history: AppealEvent[] = [ev('recorded')];
    let s = run(COUNTY_POLICY, history, [
      [town, act(town, 'assigned', { to: 'town', from: 'town' })],
      [town, act(town, 'escalated', { to: 'county', reason: '超出镇级能力' })],
    ]);
    expect(s.tier).toBe('county');
    const dispatch = act(sub, 'assigned', { to: 'county', from: 'county', dept: 'water' });
    expect(authorize(sub, outside, s, dispatch, COUNTY_POLICY)).toBe('out_of_scope');
    s = run(COUNTY_POLICY, history, [[sub, dispatch]]);
    expect(s).toMatchObject({ tier: 'county', dept: 'water', status: 'assigned', sentBy: { tier: 'county' } });
    // 改派: the water bureau was the wrong choice; the town's desk takes it.
    const reassign = act(sub, 'reassigned', { to: 'town', from: 'county', reason: '应由镇里办' });
    expect(authorize(sub, outside, s, reassign, COUNTY_POLICY)).toBe('out_of_scope');
    s = run(COUNTY_POLICY, history, [[sub, reassign]]);
    expect(s).toMatchObject({ tier: 'town', reassigns: 1 });
    // The town says it is not theirs: back to the county desk, the sub-center's for this town.
    expect(returnTarget(s, COUNTY_POLICY)).toBe('county');
    const water = person('water', 'dept_handler', ['371324'], ['water']);
    s = run(COUNTY_POLICY, history, [
      [town, act(town, 'returned', { to: 'county', reason: '不属本镇' })],
      [sub, act(sub, 'assigned', { to: 'county', from: 'county', dept: 'water' })],
      [water, act(water, 'returned', { to: 'county', reason: '不属水务' })],
    ]);
    // The second return: the county is the top, so its desk reviews (final).
    expect(s).toMatchObject({ review: 'pending', tier: 'county', returns: 2 });
    const review = act(sub, 'reviewed', { to: 'town', from: 'county', note: '由镇办理（研判结论）' });
    expect(authorize(sub, outside, s, review, COUNTY_POLICY)).toBe('out_of_scope');
    s = run(COUNTY_POLICY, history, [[sub, review]]);
    expect(s).toMatchObject({ review: 'decided', tier: 'town' });
    // A sender names its own desk: the sub-center's is the county's.
    expect(authorize(sub, inside, fold([ev('recorded')], 'a'), act(sub, 'assigned', { to: 'town', from: 'town' }), COUNTY_POLICY)).toBe('wrong_desk');
  });

  it('in a city deployment, escalates its towns’ county-tier cases to the city; the city’s desk stays above it', () => {
    const history: AppealEvent[] = [ev('recorded')];
    const s = run(CITY_POLICY, history, [
      [town, act(town, 'assigned', { to: 'town', from: 'town' })],
      [town, act(town, 'escalated', { to: 'county', reason: '超出镇级能力' })],
    ]);
    expect(escalationTarget(s.tier, CITY_POLICY)).toBe('city');
    const up = act(sub, 'escalated', { to: 'city', reason: '跨县问题' });
    expect(authorize(sub, inside, s, up, CITY_POLICY)).toBeNull();
    expect(authorize(sub, outside, s, up, CITY_POLICY)).toBe('out_of_scope');
    // Sending it to the city's desk is the city's, not the sub-center's.
    expect(authorize(sub, inside, s, act(sub, 'assigned', { to: 'city', from: 'county' }), CITY_POLICY)).toBe('assign_above_role');
    expect(authorize(cityDesk, outside, s, act(cityDesk, 'assigned', { to: 'county', from: 'city' }), CITY_POLICY)).toBeNull();
  });

  // Histories made of what the county center, a town, a station, the city and a bureau may do.
  const people = [center, town, station, cityDesk, person('water', 'dept_handler', ['371324'], ['water']), person('leader', 'leader', ['371324'])];
  for (const [name, policy] of [['county', COUNTY_POLICY], ['city', CITY_POLICY]] as const) {
    it(`property (${name} deployment): in its towns it may do exactly what the county center may; elsewhere nothing`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(people.length - 1), fc.nat()), { maxLength: 20 }), (choices) => {
          const history: AppealEvent[] = [ev('recorded')];
          for (const [who, pick] of choices) {
            const u = people[who]!;
            const s = fold(history, 'a');
            const offered = availableActions(u, inside, s, policy).filter((a) => a !== 'commented');
            if (offered.length > 0) {
              const e = probeEvent(offered[pick % offered.length]!, u, s, policy);
              if (!(refusal(s, e) ?? authorize(u, inside, s, e, policy))) history.push(e);
            }
            const now = fold(history, 'a');
            expect(availableActions(narrowed, inside, now, policy)).toEqual(availableActions(center, inside, now, policy));
            expect(availableActions(narrowed, outside, now, policy)).toEqual([]);
            for (const type of ACTIONS) {
              const e = probeEvent(type, narrowed, now, policy);
              expect(authorize(narrowed, inside, now, e, policy), type).toBe(authorize(center, inside, now, e, policy));
              expect(authorize(narrowed, outside, now, e, policy), type).toBe(MATRIX[type].roles.includes('county_dispatcher') ? 'out_of_scope' : 'role_not_allowed');
            }
          }
        }),
        { numRuns: 100 },
      );
    });
  }
});

/** An event of `type` by `u` as its form would fill it in. */
function probeEvent(type: (typeof ACTIONS)[number], u: SessionUser, s: ReturnType<typeof fold>, policy: DeadlinePolicy): AppealEvent {
  const own = userTier(u) ?? 'village';
  const here = TIERS.indexOf(own) >= TIERS.indexOf(s.tier) ? s.tier : own;
  switch (type) {
    case 'assigned':
    case 'reassigned':
    case 'reviewed':
      return act(u, type, { to: here, from: own, reason: 'r', note: 'n' });
    case 'escalated':
      return act(u, type, { to: escalationTarget(s.tier, policy) ?? s.tier, reason: 'r' });
    case 'returned':
      return act(u, type, { to: returnTarget(s, policy) ?? s.tier });
    case 'replied':
      return act(u, type, { via: inside.channel });
    case 'supervised':
      return act(u, type, { level: Math.min(5, s.supervisionLevel + 1) });
    case 'extension_requested':
    case 'extension_decided':
      return act(u, type, { days: 1 });
    default:
      return act(u, type);
  }
}

describe('what a sub-center’s dispatcher sees', () => {
  const county = fc.constantFrom('371324', '371302');
  const villageCode = fc.tuple(county, fc.integer({ min: 100, max: 106 }), fc.integer({ min: 200, max: 210 })).map(([c, t, v]) => `${c}${t}${v}`);

  it('property: contacts and appeals of its own towns only, never an anonymous citizen’s contact', () => {
    fc.assert(
      fc.property(villageCode, fc.boolean(), fc.option(fc.constantFrom('water', 'roads'), { nil: null }), (code, anonymous, dept) => {
        const mine = TOWNS.includes(code.slice(0, 9));
        expect(appealInScope(sub, { villageCode: code, dept })).toBe(mine);
        expect(mayViewContact(sub, { villageCode: code, dept, anonymous })).toBe(mine && !anonymous);
        // The county center keeps the whole county.
        expect(appealInScope(center, { villageCode: code, dept })).toBe(code.startsWith('371324'));
      }),
      { numRuns: 400 },
    );
  });

  it('property: its queues are the county center’s (sync has already kept other towns’ appeals off its device)', () => {
    const row = fc.record({
      status: fc.constantFrom(...STATUSES),
      tier: fc.constantFrom(...TIERS),
      dept: fc.option(fc.constantFrom('water', 'roads'), { nil: null }),
      handler: fc.constant(null),
      createdBy: fc.constantFrom('sub', 'center', 'grid'),
      dueAt: fc.option(fc.integer({ min: 0, max: 2_000 }), { nil: null }),
      supervisionLevel: fc.integer({ min: 0, max: 5 }),
      returns: fc.integer({ min: 0, max: 3 }),
      review: fc.constantFrom('pending' as const, 'decided' as const, null),
      replyId: fc.constant(null),
      quality: fc.constant(null),
      qualityFlags: fc.constant([]),
      redoCount: fc.constant(0),
      mediator: fc.constant(null),
      mediationOutcome: fc.constant(null),
    });
    fc.assert(
      fc.property(row, (r) => {
        for (const q of ROLE_QUEUES.county_dispatcher) expect(inQueue(q, r, narrowed, 1_000), q).toBe(inQueue(q, r, center, 1_000));
      }),
      { numRuns: 300 },
    );
    // A town's escalation waits in the sub-center's "escalated" queue; a town-tier case does not.
    const escalated = { status: 'accepted', tier: 'county', dept: null, handler: null, createdBy: 'grid', dueAt: null, supervisionLevel: 0, returns: 0, review: null, replyId: null, quality: null, qualityFlags: [], redoCount: 0, mediator: null, mediationOutcome: null } as const;
    expect(inQueue('escalated', escalated, sub, 0)).toBe(true);
    expect(inQueue('escalated', { ...escalated, tier: 'town' }, sub, 0)).toBe(false);
  });
});

describe('parseSubcenters', () => {
  const east = { id: 'wy-east', name: '东片区中心', towns: ['511781101', '511781102'] };
  const west = { id: 'wy-west', name: '西片区中心', towns: ['511781103'] };

  it('takes a list of sub-centers, each over towns of one county, and finds a village’s', () => {
    const parsed = parseSubcenters([east, west], '511781');
    expect(parsed).toEqual({ ok: true, subcenters: [east, west] });
    const list = parsed.ok ? parsed.subcenters : [];
    expect(subcenterOf(list, '511781102203')?.id).toBe('wy-east');
    expect(subcenterOf(list, '511781103')?.id).toBe('wy-west');
    expect(subcenterOf(list, '511781104203')).toBeUndefined();
    expect(subcenterScope(east)).toEqual({ regions: east.towns, departments: [] });
    expect(scopeFitsRole('county_dispatcher', subcenterScope(east))).toBeNull();
    expect(parseSubcenters([], '511781')).toEqual({ ok: true, subcenters: [] });
  });

  it('refuses each fault with a message that says which', () => {
    const fault = (input: unknown, within = '511781') => {
      const r = parseSubcenters(input, within);
      return r.ok ? 'accepted' : r.error;
    };
    expect(fault({ id: 'x' })).toMatch(/list/);
    expect(fault([{ ...east, name: '  ' }])).toMatch(/^0\.name: a name is required/);
    expect(fault([{ ...east, id: 'East Side' }])).toMatch(/^0\.id: an id is 1–28 of a-z 0-9/);
    expect(fault([{ ...east, towns: [] }])).toMatch(/^0\.towns: at least one town/);
    expect(fault([{ ...east, towns: ['51178110'] }])).toMatch(/^0\.towns\.0: a town is its 9-digit code/);
    expect(fault([{ ...east, extra: 1 }])).toMatch(/extra/);
    expect(fault([east, { ...west, id: 'wy-east' }])).toBe('id "wy-east" is used twice');
    expect(fault([east, { ...west, towns: ['511781103', '511781101'] }])).toBe('town 511781101 is in both wy-east and wy-west');
    expect(fault([{ ...east, towns: ['511781101', '511781101'] }])).toBe('wy-east: town 511781101 is listed twice');
    expect(fault([{ ...east, towns: ['371324102', '371302001'] }], '3713')).toBe('wy-east: towns 371324102 and 371302001 lie in different counties (a sub-center covers towns of one county)');
    expect(fault([{ ...east, towns: ['371324102'] }])).toBe("wy-east: town 371324102 is outside the deployment's region 511781");
  });
});
