import { expect, it } from 'vitest';
import { fillOwnMinutes } from '../../../server/jobs/own-minutes';
import { unitTallies } from '../../../server/services/rank-tallies';
import { monthOf } from '../../../src/core/metrics';
import { unitOf } from '../../../src/core/units';
import { eachStore, POLICY, storeProjection } from './stores';

// Rows written before the appeals kept their own handling minutes get them once at start, as
// the calendar gives them; the rankings then read them instead of working them out.

const DAY = 86_400_000;

eachStore('filling the own handling minutes', (use) => {
  it('fills the rows without, once, and the rankings count the same', () =>
    use(async (store) => {
      const created = Date.parse('2026-11-02T10:00:00+08:00');
      // Written without working hours, as rows from before; each waited until now to sync, and was answered after.
      for (let i = 0; i < 5; i++) await storeProjection(store, { createdAt: created + i * 3_600_000, repliedAt: Date.now() + DAY, handlingMinutes: 100_000 + i });
      const period = monthOf(Date.now() + DAY);
      const county = unitOf('county', 'county');
      const before = await unitTallies(store, ['371324'], undefined, county, period, POLICY);
      expect((await store.rankTallies(['371324'], undefined, period, 90 * DAY, true)).unkept).toHaveLength(5);

      expect(await fillOwnMinutes(store, POLICY)).toBe(5);
      expect((await store.rankTallies(['371324'], undefined, period, 90 * DAY, true)).unkept).toHaveLength(0);
      const after = await unitTallies(store, ['371324'], undefined, county, period, POLICY);
      expect([...after.keys()]).toEqual([...before.keys()]);
      const [was, now] = [[...before.values()][0]!, [...after.values()][0]!];
      // Summed in SQL after the fill and in JS before it: equal up to the order of the additions.
      expect(now.ownMinutes).toBeCloseTo(was.ownMinutes, 6);
      expect({ ...now, ownMinutes: 0 }).toEqual({ ...was, ownMinutes: 0 });
      expect(now.ownMinutes).toBeGreaterThan(0);
      // Once: a second start finds the job done.
      expect(await fillOwnMinutes(store, POLICY)).toBe(0);
    }));
});
