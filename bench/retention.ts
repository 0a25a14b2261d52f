import 'fake-indexeddb/auto';
import { newId } from '../src/core/id';
import { openDb, type MinshengDB } from '../src/store/db';
import { purgeExpired } from '../src/store/retention';
import { buildYear, villageRegions } from '../tests/helpers/village-year';
import type { BenchRow } from './table';

// Bounded storage (issue 30, item 1): a grid worker's phone after a year of a busy village
// (20,000 appeals, purged with the village roles' 90 days) opens its queue about as fast as a
// phone with 1,000 appeals? The queue reads every appeal row on the device (store/queries.ts
// queueRows), so its cost follows the rows kept. Measured in Node on fake-indexeddb (the same
// store code as the phone; absolute times are not Chromium's, the ratio is the point).

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

/** Median time of the queue's query (every appeal row), after one warm-up read. */
async function openQueue(db: MinshengDB): Promise<number> {
  await db.appeals.toArray();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await db.appeals.toArray();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[RUNS >> 1]!;
}

export async function retention(): Promise<BenchRow[]> {
  const year = await device(YEAR, 365);
  const unpurged = await openQueue(year);
  const purged = await purgeExpired(year, 'grid_worker', NOW);
  const kept = await year.appeals.count();
  const afterPurge = await openQueue(year);
  // The same 55 appeals a day, for the 18 days that make 1,000.
  const small = await device(SMALL, Math.round((SMALL / YEAR) * 365));
  const thousand = await openQueue(small);
  year.close();
  small.close();
  return [
    { figure: `village queue open after a year (${YEAR.toLocaleString('en-US')} recorded, ${kept.toLocaleString('en-US')} kept, ${purged.appeals.toLocaleString('en-US')} purged)`, minsheng: afterPurge, comparison: thousand, against: `the same queue with ${SMALL.toLocaleString('en-US')} appeals on the phone (fake-indexeddb)`, kind: 'peer', unit: 'ms' },
    { figure: '   same, before the purge', minsheng: unpurged, comparison: afterPurge, against: 'the same queue after the purge', kind: 'peer', unit: 'ms' },
  ];
}
