import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { AppealProjection } from '../../../src/core/projection';
import { trendCounts, trendWeeks, WEEK, type TrendCount } from '../../../src/core/trends';
import { eachStore, storeProjection } from './stores';

// The trends report is built from counts the database makes (one GROUP BY over a city's
// twelve weeks, too many appeals to read one by one). They must be exactly the counts the
// core makes from the same appeals: a week boundary divided the wrong way moves an appeal
// into the wrong week, and a scope read too wide counts another county's.

const cst = (s: string) => Date.parse(`${s}+08:00`);
const MONDAY = cst('2026-11-02T00:00:00');
const VILLAGES = ['371324101201', '371324102203', '371325101001', '371302001201'];
const CATEGORIES = ['infra.roads', 'env.water', 'social.security'];
const DEPTS = ['water', 'roads', null] as const;

const key = (c: TrendCount) => `${c.week}|${c.category}|${c.town}|${c.n}`;

eachStore('the trend counts', (use) => {
  it('are the core’s counts of the appeals in scope, week by week, at the boundaries too', () =>
    use(async (store) => {
      const stored: AppealProjection[] = [];
      // Around each Monday from 19 Oct to 30 Nov: a millisecond before, at midnight, and mid-week.
      for (let w = -2; w <= 4; w++) {
        // Twice mid-week in one village and category, hours apart: one count of two.
        for (const [j, offset] of [-1, 0, 3 * 86_400_000 + 5, 3 * 86_400_000 + 6 * 3_600_000].entries()) {
          const i = stored.length;
          const village = VILLAGES[(j === 3 ? i - 1 : i) % VILLAGES.length]!;
          stored.push(await storeProjection(store, { village, town: `${village.slice(0, 9)}000`, category: CATEGORIES[(j === 3 ? i + 1 : i + j) % CATEGORIES.length]!, dept: DEPTS[i % DEPTS.length]!, createdAt: MONDAY + w * WEEK + offset }));
        }
      }
      const scopes = fc.constantFrom<string[][]>(['3713'], ['371324'], ['371324101', '371302'], ['371325101001']);
      const departments = fc.option(fc.uniqueArray(fc.constantFrom<string>('water', 'roads'), { minLength: 1, maxLength: 2 }), { nil: undefined });
      const at = fc.integer({ min: 0, max: 20 }).map((d) => cst('2026-11-09T12:00:00') + d * 86_400_000);
      await fc.assert(
        fc.asyncProperty(scopes, departments, at, fc.integer({ min: 1, max: 6 }), async (prefixes, depts, at, weeks) => {
          const span = trendWeeks(at, at, weeks);
          const counted = await store.trendCounts(prefixes, depts, span.weeks[0]!.from, span.next.to, WEEK);
          const inScope = stored.filter((a) => prefixes.some((p) => a.village.startsWith(p)) && (!depts || (a.dept !== null && depts.includes(a.dept))));
          expect(counted.map(key).sort()).toEqual(trendCounts(inScope, span).map(key).sort());
        }),
        { numRuns: 40 },
      );
    }));
});
