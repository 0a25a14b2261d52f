import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { POLICY_PRESETS, type DeadlinePolicy } from '../../src/core/deadline';
import { TIERS, type AppealEvent, type Tier } from '../../src/core/events';
import { fold, refusal, TIER_RANK } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { project } from '../../src/core/projection';
import type { Role, SessionUser } from '../../src/core/roles';
import { authorize, availableActions, escalationTarget, returnTarget, type AppealContext } from '../../src/core/workflow';
import { ev, VILLAGE } from './fixtures';

// The city tier's dispatch loop (派单, 改派, 退回, 分级研判, 上报, 不合理诉求) on one appeal:
// where each step sends it, who may take it, and what the ledger counts.

const CITY_POLICY: DeadlinePolicy = { ...POLICY_PRESETS.linyi, topTier: 'city' };
const COUNTY_POLICY: DeadlinePolicy = POLICY_PRESETS.lanling;
const ctx: AppealContext = { villageCode: VILLAGE, kind: 'help', urgency: 'orange', channel: 'hotline_12345' };

const person = (role: Role, regions: string[], departments: string[] = []): SessionUser => ({ id: newId(), username: role, displayName: role, role, scope: { regions, departments } });
const cityDesk = person('city_dispatcher', ['3713']);
const countyDesk = person('county_dispatcher', ['371324']);
const town = person('town_official', ['371324102']);
const countyWater = person('dept_handler', ['371324'], ['water']);
const cityWater = person('dept_handler', ['3713'], ['water']);
const by = (u: SessionUser) => ({ id: u.id, role: u.role });
const act = <T extends AppealEvent['type']>(u: SessionUser, type: T, over: object = {}) => ev(type, over as never, by(u));

/** Each event must pass the rules on the state before it; the history is returned whole. */
function run(policy: DeadlinePolicy, steps: [SessionUser, AppealEvent][]): AppealEvent[] {
  const history: AppealEvent[] = [ev('recorded')];
  for (const [u, e] of steps) {
    const s = fold(history, 'a');
    expect(refusal(s, e) ?? authorize(u, ctx, s, e, policy), `${u.role} ${e.type}`).toBeNull();
    history.push(e);
  }
  return history;
}

describe('the dispatch loop in a city', () => {
  it('city → county platform → town → returned → county bureau → returned again → reviewed by the city (final) → handled and closed', () => {
    const countyGov = person('dept_handler', ['371324'], ['government']);
    const station = person('village_station', [VILLAGE]);
    const history = run(CITY_POLICY, [
      [cityDesk, act(cityDesk, 'assigned', { to: 'county', from: 'city' })],
    ]);
    // The county platform now dispatches it in turn; the city led it (首接负责).
    expect(fold(history, 'a')).toMatchObject({ tier: 'county', status: 'accepted', leadTier: 'city', sentBy: { tier: 'city' } });
    const more = (steps: [SessionUser, AppealEvent][]) => {
      for (const [u, e] of steps) {
        const s = fold(history, 'a');
        expect(refusal(s, e) ?? authorize(u, ctx, s, e, CITY_POLICY), `${u.role} ${e.type}`).toBeNull();
        history.push(e);
      }
      return fold(history, 'a');
    };
    let s = more([[countyDesk, act(countyDesk, 'assigned', { to: 'town', from: 'county' })]]);
    expect(s).toMatchObject({ tier: 'town', status: 'accepted', sentBy: { tier: 'county' } });
    // The town is not responsible: back to the county platform, which must dispatch again.
    expect(returnTarget(s, CITY_POLICY)).toBe('county');
    s = more([[town, act(town, 'returned', { reason: '不属本镇', to: 'county' })]]);
    expect(s).toMatchObject({ tier: 'county', status: 'accepted', returns: 1, review: null });
    s = more([[countyDesk, act(countyDesk, 'assigned', { to: 'county', from: 'county', dept: 'water' })]]);
    // The second return goes above the county platform, to the city, for review.
    expect(returnTarget(s, CITY_POLICY)).toBe('city');
    s = more([[countyWater, act(countyWater, 'returned', { reason: '不属水务', to: 'city' })]]);
    expect(s).toMatchObject({ tier: 'city', review: 'pending', returns: 2 });
    s = more([[cityDesk, act(cityDesk, 'reviewed', { to: 'county', from: 'city', dept: 'government', note: '县政府兜底' })]]);
    expect(s).toMatchObject({ tier: 'county', status: 'assigned', dept: 'government', review: 'decided' });
    s = more([
      [countyGov, act(countyGov, 'started')],
      [countyGov, act(countyGov, 'replied', { via: ctx.channel })],
      [station, act(station, 'visited')],
      [countyDesk, act(countyDesk, 'closed')],
    ]);
    expect(s).toMatchObject({ status: 'closed', returns: 2, reassigns: 0, leadTier: 'city' });
    // A sender names its own desk, never another's.
    const fresh = fold([ev('recorded')], 'a');
    expect(authorize(countyDesk, ctx, fresh, act(countyDesk, 'assigned', { to: 'town', from: 'city' }), CITY_POLICY)).toBe('wrong_desk');
  });

  it('a department that is not responsible returns the case to the desk that sent it; the second return goes up for review', () => {
    const climbed = [ev('escalated', { to: 'town' }), ev('escalated', { to: 'county' })];
    const base = [ev('recorded'), ...climbed];
    const history = [...base];
    const push = (u: SessionUser, e: AppealEvent) => {
      const s = fold(history, 'a');
      expect(refusal(s, e) ?? authorize(u, ctx, s, e, CITY_POLICY), `${u.role} ${e.type}`).toBeNull();
      history.push(e);
      return fold(history, 'a');
    };
    let s = push(countyDesk, act(countyDesk, 'assigned', { to: 'county', dept: 'water' }));
    expect(s).toMatchObject({ tier: 'county', dept: 'water', sentBy: { actor: countyDesk.id, tier: 'county' } });
    expect(returnTarget(s, CITY_POLICY)).toBe('county');
    s = push(countyWater, act(countyWater, 'returned', { reason: '不属水务', to: 'county' }));
    expect(s).toMatchObject({ tier: 'county', status: 'accepted', dept: null, returns: 1, review: null, stage: 'dispatch' });
    // Only the sender's desk or one above may reassign; a town may not.
    s = push(countyDesk, act(countyDesk, 'assigned', { to: 'county', dept: 'transport' }));
    expect(authorize(town, ctx, s, act(town, 'reassigned', { to: 'town' }), CITY_POLICY)).toBe('not_sender');
    s = push(cityDesk, act(cityDesk, 'reassigned', { to: 'county', dept: 'water', reason: '改由水务' }));
    expect(s).toMatchObject({ reassigns: 1, dept: 'water', sentBy: { actor: cityDesk.id, tier: 'county' } });
    // The second return: to the city for review (分级研判), never back to the county desk.
    expect(returnTarget(s, CITY_POLICY)).toBe('city');
    expect(authorize(countyWater, ctx, s, act(countyWater, 'returned', { to: 'county' }), CITY_POLICY)).toBe('wrong_destination');
    s = push(countyWater, act(countyWater, 'returned', { reason: '仍不属水务', to: 'city' }));
    expect(s).toMatchObject({ tier: 'city', review: 'pending', returns: 2 });
    // Under review, nobody assigns it the ordinary way.
    expect(refusal(s, act(cityDesk, 'assigned', { to: 'city' }))).toBe('review_pending');
    expect(availableActions(countyDesk, ctx, s, CITY_POLICY)).not.toContain('reviewed');
    expect(availableActions(cityDesk, ctx, s, CITY_POLICY)).toContain('reviewed');
    // The city's decision falls back to the county government (兜底) and is final.
    s = push(cityDesk, act(cityDesk, 'reviewed', { to: 'county', dept: 'government', note: '由县政府兜底' }));
    expect(s).toMatchObject({ status: 'assigned', tier: 'county', dept: 'government', review: 'decided' });
    expect(refusal(s, act(countyWater, 'returned', { to: 'county' }))).toBe('review_final');
    const row = project({ id: 'a', fields: { villageCode: VILLAGE, kind: 'help', urgency: 'orange', createdAt: 0 }, description: 'x', events: history } as never, CITY_POLICY);
    expect(row).toMatchObject({ returns: 2, reassigns: 1, review: 'decided', leadTier: 'county' });
    expect(row.dispatchMinutes).not.toBeNull();
  });

  it('escalation climbs one tier at a time and stops at the deployment’s top', () => {
    expect(TIERS.map((t) => escalationTarget(t, CITY_POLICY))).toEqual(['town', 'county', 'city', null]);
    expect(TIERS.map((t) => escalationTarget(t, COUNTY_POLICY))).toEqual(['town', 'county', null, null]);
    const atCounty = fold([ev('recorded'), ev('escalated', { to: 'town' }), ev('escalated', { to: 'county' })], 'a');
    expect(authorize(countyDesk, ctx, atCounty, act(countyDesk, 'escalated', { to: 'city' }), CITY_POLICY)).toBeNull();
    expect(authorize(countyDesk, ctx, atCounty, act(countyDesk, 'escalated', { to: 'city' }), COUNTY_POLICY)).toBe('top_tier');
    expect(authorize(countyDesk, ctx, atCounty, act(countyDesk, 'escalated', {}), COUNTY_POLICY)).toBe('top_tier');
    // An escalation names the next tier or nothing; skipping one is not a transition.
    const atVillage = fold([ev('recorded')], 'a');
    expect(refusal(atVillage, ev('escalated', { to: 'county' }))).toBe('invalid_transition');
  });

  it('in a county deployment a second return is reviewed by the county itself (nothing above it)', () => {
    const s = fold([ev('recorded'), ev('escalated'), ev('escalated'), act(countyDesk, 'assigned', { to: 'county', dept: 'water' }), act(countyWater, 'returned', { to: 'county' }), act(countyDesk, 'assigned', { to: 'county', dept: 'water' })], 'a');
    expect(s.returns).toBe(1);
    expect(returnTarget(s, COUNTY_POLICY)).toBe('county');
    const after = fold([ev('recorded'), ev('escalated'), ev('escalated'), act(countyDesk, 'assigned', { to: 'county', dept: 'water' }), act(countyWater, 'returned', { to: 'county' }), act(countyDesk, 'assigned', { to: 'county', dept: 'water' }), act(countyWater, 'returned', { to: 'county' })], 'a');
    expect(after).toMatchObject({ tier: 'county', review: 'pending' });
    expect(availableActions(countyDesk, ctx, after, COUNTY_POLICY)).toContain('reviewed');
  });

  it('labels a case unreasonable only with approval one level up, and never closes it', () => {
    let history = [ev('recorded'), act(town, 'assigned', { to: 'town', handler: town.id })];
    const asked = act(town, 'unreasonable_requested', { reason: '要求超出政策' });
    expect(authorize(town, ctx, fold(history, 'a'), asked, CITY_POLICY)).toBeNull();
    history = [...history, asked];
    const s = fold(history, 'a');
    expect(s).toMatchObject({ unreasonable: 'requested', status: 'assigned' });
    // The asker cannot decide; a desk at the same tier cannot either; the county above can.
    expect(authorize(town, ctx, s, act(town, 'unreasonable_decided', { approved: true }), CITY_POLICY)).toBe('own_request');
    const otherTown = person('town_official', ['371324102']);
    expect(authorize(otherTown, ctx, s, act(otherTown, 'unreasonable_decided', { approved: true }), CITY_POLICY)).toBe('not_above');
    const decided = fold([...history, act(countyDesk, 'unreasonable_decided', { approved: true })], 'a');
    expect(decided).toMatchObject({ unreasonable: 'approved', status: 'assigned' });
  });

  it('at the top tier, where no desk is above, the leaders of that tier decide the label', () => {
    const countyLeader = person('leader', ['371324']);
    const held = fold([ev('recorded'), ev('escalated'), ev('escalated'), act(countyDesk, 'assigned', { to: 'county', from: 'county', handler: countyDesk.id }), act(countyDesk, 'unreasonable_requested', { reason: '超出政策' })], 'a');
    expect(held).toMatchObject({ tier: 'county', unreasonable: 'requested' });
    const decide = (u: SessionUser) => act(u, 'unreasonable_decided', { approved: true });
    expect(authorize(countyLeader, ctx, held, decide(countyLeader), COUNTY_POLICY)).toBeNull();
    // In a city the county is not the top: the city decides, not the county's leader.
    expect(authorize(countyLeader, ctx, held, decide(countyLeader), CITY_POLICY)).toBe('not_above');
    expect(authorize(cityDesk, ctx, held, decide(cityDesk), CITY_POLICY)).toBeNull();
    expect(authorize(person('county_dispatcher', ['371324']), ctx, held, decide(person('county_dispatcher', ['371324'])), COUNTY_POLICY)).toBe('not_above');
  });

  it('a city bureau owns what is given to the city, a county bureau what is given at or below the county', () => {
    const atCity = fold([ev('recorded'), act(cityDesk, 'assigned', { to: 'city', dept: 'water' })], 'a');
    expect(authorize(cityWater, ctx, atCity, act(cityWater, 'started'), CITY_POLICY)).toBeNull();
    expect(authorize(countyWater, ctx, atCity, act(countyWater, 'started'), CITY_POLICY)).toBe('not_assignee');
  });
});

describe('whatever the rules let people do, an appeal stays within the deployment’s tiers', () => {
  const people = [cityDesk, countyDesk, town, countyWater, cityWater, person('village_station', [VILLAGE]), person('leader', ['371324'])];
  for (const [name, policy, top] of [['county', COUNTY_POLICY, 'county'], ['city', CITY_POLICY, 'city']] as const) {
    it(`in a ${name} deployment, never above the ${top}`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: people.length - 1 }), fc.nat()), { maxLength: 25 }), (choices) => {
          const history: AppealEvent[] = [ev('recorded')];
          for (const [who, pick] of choices) {
            const u = people[who]!;
            const s = fold(history, 'a');
            const offered = availableActions(u, ctx, s, policy).filter((a) => a !== 'commented');
            if (offered.length === 0) continue;
            const action = offered[pick % offered.length]!;
            const e = stepFor(action, u, s.tier, policy, s);
            if (refusal(s, e) ?? authorize(u, ctx, s, e, policy)) continue;
            history.push(e);
            const after = fold(history, 'a');
            expect(after.conflicts).toEqual([]);
            expect(TIER_RANK[after.tier]).toBeLessThanOrEqual(TIER_RANK[top as Tier]);
          }
        }),
        { numRuns: 300 },
      );
    });
  }
});

/** A plausible event for an offered action (the form's defaults). */
function stepFor(action: string, u: SessionUser, tier: Tier, policy: DeadlinePolicy, s: ReturnType<typeof fold>): AppealEvent {
  switch (action) {
    case 'assigned':
    case 'reviewed':
    case 'reassigned':
      return act(u, action, { to: tier, reason: 'r', note: 'n' });
    case 'escalated':
      return act(u, action, { to: escalationTarget(tier, policy) ?? tier });
    case 'returned':
      return act(u, action, { to: returnTarget(s, policy) ?? tier });
    case 'replied':
      return act(u, action, { via: ctx.channel });
    case 'supervised':
      return act(u, action, { level: Math.min(5, s.supervisionLevel + 1) });
    case 'extension_requested':
    case 'extension_decided':
      return act(u, action, { days: 1 });
    default:
      return act(u, action as AppealEvent['type']);
  }
}
