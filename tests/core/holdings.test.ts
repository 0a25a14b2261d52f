import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TIERS, type AppealEvent, type Tier } from '../../src/core/events';
import { fold, TIER_RANK } from '../../src/core/fold';
import { boundedTier, holds, holdsAt, RECENT_MS, receivesWholeDocs, SUPERVISION_HELD_FROM, touched, type HoldingRow } from '../../src/core/holdings';
import type { Role, SessionUser } from '../../src/core/roles';
import { ev } from './fixtures';

// What a county or city desk's device keeps. The promise that matters most: whatever a
// device holds, the server still sends it the appeal's next change (else the copy goes stale
// and, say, a case returned from the city stays on the city's queue forever).

const user = (role: Role, regions: string[], departments: string[] = []): SessionUser => ({ id: `u-${role}`, username: role, displayName: role, role, scope: { regions, departments } });
const cityDesk = user('city_dispatcher', ['3713']);
const countyDesk = user('county_dispatcher', ['371324']);
const NOW = Date.UTC(2026, 10, 30, 2);
const DAY = 24 * 60 * 60_000;

const row = (over: Partial<HoldingRow> = {}): HoldingRow => ({
  status: 'new', tier: 'village', reached: 'village', supervisionLevel: 0, unreasonable: null, changedAt: NOW - 30 * DAY, ...over,
});

describe('who holds only a share of their scope', () => {
  it('bounds county and city desks, leaders and admins; never the field, towns or departments', () => {
    expect(boundedTier(cityDesk)).toBe('city');
    expect(boundedTier(countyDesk)).toBe('county');
    expect(boundedTier(user('leader', ['3713']))).toBe('city');
    expect(boundedTier(user('admin', ['371324']))).toBe('county');
    for (const u of [user('grid_worker', ['371324102201']), user('town_official', ['371324102']), user('village_station', ['371324102201']), user('dept_handler', ['3713'], ['water']), user('leader', ['371324102'])]) {
      expect(boundedTier(u), u.role).toBeNull();
      expect(holds(u, row({ status: 'closed' }), NOW), u.role).toBe(true);
    }
  });

  it('sends whole documents to the devices whose share follows an appeal’s state', () => {
    expect(receivesWholeDocs(cityDesk)).toBe(true);
    expect(receivesWholeDocs(user('dept_handler', ['371324'], ['water']))).toBe(true);
    expect(receivesWholeDocs(user('grid_worker', ['371324102201']))).toBe(false);
  });
});

describe('the city desk’s share', () => {
  const since = NOW - RECENT_MS;
  it('holds what waits at its desk, its supervision rung and label requests', () => {
    expect(holdsAt('city', row({ tier: 'city', reached: 'city', status: 'accepted' }), since)).toBe(true);
    expect(holdsAt('city', row({ supervisionLevel: SUPERVISION_HELD_FROM.city, status: 'assigned' }), since)).toBe(true);
    expect(holdsAt('city', row({ unreasonable: 'requested', status: 'in_progress' }), since)).toBe(true);
  });
  it('does not hold what never came near it, however recent', () => {
    expect(holdsAt('city', row({ changedAt: NOW }), since)).toBe(false);
    expect(holdsAt('city', row({ tier: 'county', reached: 'county', status: 'accepted', changedAt: NOW }), since)).toBe(false);
    expect(holdsAt('city', row({ supervisionLevel: SUPERVISION_HELD_FROM.city - 1, changedAt: NOW }), since)).toBe(false);
  });
  it('lets go of what it had a part in a week after its last change, once no longer open at its desk', () => {
    // Returned to the county, or dispatched there and led from the city (首接负责): others work it now.
    const returned = row({ tier: 'county', reached: 'city', status: 'accepted' });
    expect(holdsAt('city', { ...returned, changedAt: NOW - DAY }, since)).toBe(true);
    expect(holdsAt('city', { ...returned, changedAt: NOW - 8 * DAY }, since)).toBe(false);
  });
});

describe('the county desk’s share', () => {
  const since = NOW - RECENT_MS;
  it('holds everything of its county changed this week, and what is open at its desk or supervised from any time', () => {
    expect(holdsAt('county', row({ changedAt: NOW - DAY }), since)).toBe(true);
    expect(holdsAt('county', row({ status: 'closed', changedAt: NOW - 8 * DAY }), since)).toBe(false);
    expect(holdsAt('county', row({ tier: 'county', reached: 'county', status: 'accepted' }), since)).toBe(true);
    expect(holdsAt('county', row({ supervisionLevel: 1, status: 'assigned', tier: 'town', reached: 'town' }), since)).toBe(true);
    expect(holdsAt('county', row({ status: 'new' }), since)).toBe(false);
  });
});

// Dispatch-loop events in any order; the fold refuses those that do not fit, as on every replica.
const dispatcher = (tier: Tier) => ({ id: `u-${tier}`, role: tier === 'city' ? ('city_dispatcher' as const) : tier === 'county' ? ('county_dispatcher' as const) : ('town_official' as const) });
const anyTier = fc.constantFrom(...TIERS);
const loopEvent: fc.Arbitrary<() => AppealEvent> = fc.oneof(
  fc.tuple(anyTier, anyTier, fc.boolean()).map(([to, from, dept]) => () => ev('assigned', { to, from, ...(dept && { dept: 'water' }) }, dispatcher(from))),
  fc.tuple(anyTier, anyTier).map(([to, from]) => () => ev('reassigned', { to, from, reason: '改派' }, dispatcher(from))),
  anyTier.map((to) => () => ev('returned', { to, reason: '不属本单位' })),
  anyTier.map((to) => () => ev('escalated', { to } as never)),
  fc.integer({ min: 1, max: 5 }).map((level) => () => ev('supervised', { level }, { id: 'system', role: 'system' })),
  fc.constant(() => ev('accepted')),
  fc.constant(() => ev('started')),
  fc.constant(() => ev('replied')),
  fc.constant(() => ev('visited')),
  fc.constant(() => ev('closed')),
  fc.constant(() => ev('unreasonable_requested')),
  fc.boolean().map((approved) => () => ev('unreasonable_decided', { approved })),
);

function holdingAfter(events: AppealEvent[], changedAt: number): HoldingRow {
  const s = fold(events, 'a');
  return { status: s.status ?? 'new', tier: s.tier, reached: s.reached, supervisionLevel: s.supervisionLevel, unreasonable: s.unreasonable, changedAt };
}

describe('no held copy goes stale', () => {
  it('an appeal a desk has touched stays touched through any later events, and its tier never exceeds the highest reached', () => {
    fc.assert(
      fc.property(fc.array(loopEvent, { maxLength: 25 }), fc.constantFrom<'county' | 'city'>('county', 'city'), (makers, tier) => {
        const events: AppealEvent[] = [ev('recorded')];
        let wasTouched = false;
        for (const make of makers) {
          events.push(make());
          const h = holdingAfter(events, NOW);
          expect(TIER_RANK[h.tier]).toBeLessThanOrEqual(TIER_RANK[h.reached]);
          if (wasTouched) expect(touched(tier, h)).toBe(true);
          wasTouched = touched(tier, h);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('whatever a device holds at any moment, the server sends it the next change (live and in catch-up)', () => {
    fc.assert(
      fc.property(fc.array(loopEvent, { minLength: 1, maxLength: 25 }), fc.constantFrom<'county' | 'city'>('county', 'city'), fc.integer({ min: 0, max: 60 }), (makers, tier, daysLater) => {
        const events: AppealEvent[] = [ev('recorded')];
        for (const make of makers) {
          const before = holdingAfter(events, NOW);
          events.push(make());
          // The device judges its copy at any later moment with the change's own time.
          const deviceNow = NOW + daysLater * DAY;
          if (!holdsAt(tier, before, deviceNow - RECENT_MS)) continue;
          // The next change commits after that moment: live fan-out judges it with the commit
          // time; a catch-up from a cursor before it starts its window no later than the commit.
          const commit = deviceNow + 1;
          expect(holdsAt(tier, holdingAfter(events, commit), commit - RECENT_MS)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a case sent to the city and returned to the county on the city’s device for the week, so the return reaches it', () => {
    const toCity = [ev('recorded'), ev('assigned', { to: 'city', from: 'county' }, dispatcher('county'))];
    const back = [...toCity, ev('returned', { to: 'county', reason: '属县级事权' }, dispatcher('city'))];
    expect(holdsAt('city', holdingAfter(toCity, NOW), NOW - RECENT_MS)).toBe(true);
    const after = holdingAfter(back, NOW + DAY);
    expect(after).toMatchObject({ tier: 'county', reached: 'city' });
    expect(holdsAt('city', after, NOW + DAY - RECENT_MS)).toBe(true);
    expect(holdsAt('city', after, NOW + 9 * DAY - RECENT_MS)).toBe(false);
  });
});
