import 'fake-indexeddb/auto';
import { newId } from '../src/core/id';
import { openDb, type MinshengDB } from '../src/store/db';
import { readOpenRows, readQueueTotals } from '../src/store/queries';
import { purgeExpired } from '../src/store/retention';
import { buildYear, OPEN_EVERY, villageRegions } from '../tests/helpers/village-year';
import type { BenchRow } from './table';

// Bounded storage (issue 30, item 1): a grid worker's phone after a year of a busy village
// (20,000 appeals, purged with the village roles' 90 days) opens its queue about as fast as a
// phone with 1,000 appeals? The village tabs read the open rows through the status index and
// count the rest on indexes (core/queues.ts queueStatuses), so the closed history kept costs
// little. The row before the purge is the old read of every row, for scale. Measured in Node on
// fake-indexeddb (the same store code as the phone; absolute times are not Chromium's, the
// ratio is the point).

const YEAR = 20_000;
const SMALL = 1_000;
const RUNS = 9;
const NOW = Date.UTC(2026, 10, 30, 2);

async function device(n: number, days: number): Promise<MinshengDB> {
  const db = openDb(`bench-retention-${newId()}`);
  await villageRegions(db);
  await buildYear(db, { n, days, now: NOW });
  return db;
}

/** The reads a grid worker's list makes when it opens: the open rows, and the counts of 'all' and 'mine'. */
async function villageQueueReads(db: MinshengDB): Promise<void> {
  await Promise.all([readOpenRows(db), readQueueTotals(db, 'grid-worker')]);
}

/** The read before queues named their statuses: every row on the device. */
async function everyRowRead(db: MinshengDB): Promise<void> {
  await db.appeals.toArray();
}

/** Median time of `read`, after one warm-up. */
async function timed(db: MinshengDB, read: (db: MinshengDB) => Promise<void>): Promise<number> {
  await read(db);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await read(db);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[RUNS >> 1]!;
}

export async function retention(): Promise<BenchRow[]> {
  const year = await device(YEAR, 365);
  const unpurged = await timed(year, villageQueueReads);
  const purged = await purgeExpired(year, 'grid_worker', NOW);
  const kept = await year.appeals.count();
  const open = await readOpenRows(year);
  const afterPurge = await timed(year, villageQueueReads);
  const everyRow = await timed(year, everyRowRead);
  // The same 55 appeals a day, for the 18 days that make 1,000.
  const small = await device(SMALL, Math.round((SMALL / YEAR) * 365));
  const thousand = await timed(small, villageQueueReads);
  const thousandEvery = await timed(small, everyRowRead);
  year.close();
  small.close();
  const n = (x: number) => x.toLocaleString('en-US');
  return [
    { figure: `village queue open after a year (${n(YEAR)} recorded, ${n(kept)} kept of which ${n(open.length)} open, ${n(purged.appeals)} purged)`, minsheng: afterPurge, comparison: thousandEvery, against: `a phone holding ${n(SMALL)} appeals reading them all (fake-indexeddb)`, kind: 'peer', unit: 'ms' },
    { figure: '   same', minsheng: afterPurge, comparison: thousand, against: `the same reads on a phone with ${n(SMALL)} appeals, ${n(SMALL / OPEN_EVERY)} open`, kind: 'peer', unit: 'ms' },
    { figure: '   same, before the purge', minsheng: unpurged, comparison: afterPurge, against: 'the same reads after the purge', kind: 'peer', unit: 'ms' },
    { figure: '   reading every row kept, as the queue did before', minsheng: everyRow, comparison: afterPurge, against: 'the open rows and index counts the queue reads now', kind: 'peer', unit: 'ms' },
  ];
}
