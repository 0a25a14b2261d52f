import type { DeadlinePolicy } from '../../src/core/deadline';
import { mergeTallies, ownHandlingMinutes, type Period, type UnitTally } from '../../src/core/metrics';
import type { UnitRow } from '../../src/core/units';
import type { RankGroup, ReportStore } from '../store/reports/contract';

const DAY = 86_400_000;

/** What the unit rules read of a group: its town's code stands for its villages (a county is their first six digits). */
const unitRowOf = (g: RankGroup): UnitRow => ({ village: g.town, town: g.town, dept: g.dept, tier: g.city ? 'city' : 'county' });

/**
 * Each unit's tally for the period over the appeals in scope, added up by the store, with the
 * own handling minutes of rows that do not keep them yet worked out here on the calendar.
 * `fair`: with the fair figures' own parts (re-complaints, own handling), which cost the most.
 */
export async function unitTallies(
  store: ReportStore,
  regions: string[],
  departments: string[] | undefined,
  unitOf: (r: UnitRow) => string | null,
  period: Period,
  policy: DeadlinePolicy,
  fair = true,
): Promise<Map<string, UnitTally>> {
  const { groups, unkept } = await store.rankTallies(regions, departments, period, policy.repeat.windowDays * DAY, fair);
  return mergeTallies(
    [...groups.map((g) => [unitRowOf(g), g.tally] as const), ...unkept.map((w) => [unitRowOf(w), { ownMinutes: ownHandlingMinutes(w, policy.hours) }] as const)],
    unitOf,
  );
}
