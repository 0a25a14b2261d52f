import { composeReport } from '../server/services/weekly-report';
import { ensureSeeded } from '../server/services/seed';
import { openSqliteStore } from '../server/store/sqlite';
import { DEFAULT_SCORECARD } from '../src/core/scorecard';
import { POLICY_PRESETS } from '../src/core/deadline';
import { fairRank } from '../src/core/fair-ranking';
import { repeats } from '../src/core/metrics';
import { unitOf } from '../src/core/units';
import { lastClosedPeriod, reportSince } from '../src/core/weekly-report';
import { DEFAULT_TREND_RULE } from '../src/core/trends';
import { tempDir } from '../tests/helpers/server';
import { seedGeneratedAppeals } from './seed-store';
import type { BenchRow } from './table';

// The weekly report (issue 28) as the job composes it when a week closes: a county's whole
// scope, its store read and every section (headline against the week before, towns and
// departments ranked fairly and scored, rising issues against four weeks, special governance).
// On 200,000 appeals over 200 days on SQLite, beside the town ranking alone on the same store
// and week (its read and fairRank, what GET /api/reports/ranking does), and beside the same
// report on 20,000 appeals (how it grows with the store). Appeals are written straight into
// the store (bench/seed-store.ts): the figure is the composition, not the seeding.

const SMALL = 20_000;
const LARGE = 200_000;
const CHUNK = 5_000;
const DAY = 86_400_000;

export async function weeklyReport(): Promise<BenchRow[]> {
  const store = openSqliteStore(tempDir('bench-weekly-'));
  try {
    await ensureSeeded(store, '371324');
    const villages = (await store.regionsUnder(['371324'])).filter((r) => r.level === 'village');
    const official = (await store.userByUsername('town'))!;
    const policy = POLICY_PRESETS.lanling;
    const deps = { policy, scorecard: DEFAULT_SCORECARD };
    const now = Date.now();
    const start = now - 200 * DAY;
    let seeded = 0;
    const seedTo = async (total: number) => {
      const t = performance.now();
      for (; seeded < total; seeded += CHUNK) {
        // Each chunk spread over the whole 200 days, so every week holds its share at every size.
        await seedGeneratedAppeals(store, { count: CHUNK, villages, seed: 2800 + seeded, official: { id: official.id, name: official.displayName }, from: start + (seeded / CHUNK) * 60_000, spacingMs: Math.floor((200 * DAY) / CHUNK), policy, varied: true });
      }
      console.log(`weekly-report: ${total.toLocaleString('en-US')} appeals seeded (${((performance.now() - t) / 1000).toFixed(0)} s)`);
    };
    const scope = { regions: ['371324'], departments: undefined };
    const week = lastClosedPeriod('week', now);
    const best = async (f: () => Promise<unknown>) => {
      let min = Infinity;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        await f();
        min = Math.min(min, performance.now() - t);
      }
      return min;
    };
    const report = (kind: 'week' | 'month') => best(() => composeReport(store, deps, scope, kind, week.from, now));
    const read = () => best(() => store.rankRows(['371324'], undefined, reportSince('week', week.from, policy.repeat, DEFAULT_TREND_RULE)));
    const ranking = () =>
      best(async () => {
        const rows = await store.rankRows(['371324'], undefined, week.from - policy.repeat.windowDays * DAY);
        return fairRank(rows, unitOf('town', 'county'), week, policy.hours, repeats(rows, policy.repeat.windowDays), policy.repeat.windowDays);
      });

    await seedTo(SMALL);
    const small = await report('week');
    await seedTo(LARGE);
    const large = await report('week');
    const rankingAlone = await ranking();
    const readAlone = await read();
    const month = await report('month');
    const n = LARGE.toLocaleString('en-US');
    return [
      { figure: `weekly report, last week, ${n} appeals`, minsheng: large, comparison: rankingAlone, against: 'the town ranking alone (its read and fairRank), same store and week', kind: 'peer', unit: 'ms' },
      { figure: '   same', minsheng: large, comparison: readAlone, against: 'its store read alone (the rows since the repeat window before last week)', kind: 'peer', unit: 'ms' },
      { figure: '   same', minsheng: large, comparison: small, against: `the same report on ${SMALL.toLocaleString('en-US')} appeals`, kind: 'peer', unit: 'ms' },
      { figure: `monthly report, last week's month, ${n} appeals`, minsheng: month, comparison: large, against: 'the weekly report, same store', kind: 'peer', unit: 'ms' },
    ];
  } finally {
    await store.close();
  }
}
