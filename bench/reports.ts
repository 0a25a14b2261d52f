import { startServer } from '../server/app';
import { loadConfig } from '../server/config';
import type { Store } from '../server/store/types';
import { POLICY_PRESETS } from '../src/core/deadline';
import { tempDir } from '../tests/helpers/server';
import { login } from '../tests/helpers/clients';
import { seedThroughHub } from './seed-hub';
import type { BenchRow } from './table';

// The governance reports over a county's 50,000 appeals on SQLite, as the city dispatcher
// asks for them over HTTP, each beside the store reads that very request made (the same
// calls with the same arguments, so the same rows), replayed alone: what the report adds
// on top of fetching its rows. The appeals are pushed through the hub, each step of the
// pipeline by whoever does it, half of them sent on to county departments.

const COUNT = 50_000;
const CHUNK = 5000;

/** The store's reads behind the reports: what a report asks the database for. */
const REPORT_READS = ['rankRows', 'rankTallies', 'trendCounts', 'appealsById'] as const;

/** Wraps the store's report reads so that the reads one request makes can be replayed. */
export function recordReads(store: Store) {
  let calls: (() => Promise<unknown>)[] | null = null;
  for (const name of REPORT_READS) {
    const read = (store[name] as (...a: unknown[]) => Promise<unknown>).bind(store);
    (store as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
      calls?.push(() => read(...a));
      return read(...a);
    };
  }
  return {
    async during<T>(f: () => Promise<T>): Promise<{ value: T; reads: (() => Promise<unknown>)[] }> {
      calls = [];
      try {
        return { value: await f(), reads: calls };
      } finally {
        calls = null;
      }
    },
  };
}

export async function reports(): Promise<BenchRow[]> {
  const server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir('bench-reports-'), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }));
  try {
    const villages = (await server.store.regionsUnder(['371324'])).filter((r) => r.level === 'village');
    // Recorded over the last 200 days, a minute apart within a chunk, at all stages.
    let devices = 0;
    let seconds = 0;
    for (let i = 0; i < COUNT; i += CHUNK) {
      const r = await seedThroughHub(server, { count: CHUNK, villages, seed: 100 + i, from: Date.now() - 200 * 86_400_000 + i * 300_000, policy: POLICY_PRESETS.lanling });
      devices += r.devices;
      seconds += r.ms / 1000;
    }
    console.log(`reports: ${COUNT} appeals seeded through the hub from ${devices} device sessions in ${seconds.toFixed(0)} s`);
    const dispatcher = await login(server, 'dispatcher');
    const reads = recordReads(server.store);
    const ask = async (query: string, report: string) => {
      const t = performance.now();
      const res = await fetch(`${server.url}/api/reports/${report}?${query}`, { headers: { authorization: `Bearer ${dispatcher.token}` } });
      if (!res.ok) throw new Error(`${report}: ${res.status}`);
      await res.json();
      return performance.now() - t;
    };
    const best = async (f: () => Promise<number>) => Math.min(await f(), await f(), await f());
    /** The report's best of three, and the best of three replays of the reads its first request made. */
    const measure = async (query: string, report = 'ranking') => {
      const { value: first, reads: made } = await reads.during(() => ask(query, report));
      if (made.length === 0) throw new Error(`${report} read nothing through the store calls the bench replays`);
      const ms = Math.min(first, await best(() => ask(query, report)));
      const read = await best(async () => {
        const t = performance.now();
        for (const r of made) await r();
        return performance.now() - t;
      });
      return { ms, read };
    };
    const week = await measure('by=town&period=week');
    const month = await measure('by=dept&period=month');
    const redBlack = await measure('by=town&period=week&history=6', 'redblack');
    const trends = await measure('weeks=12', 'trends');
    const special = await measure('', 'special');
    const same = 'the same store reads as this request, alone';
    return [
      { figure: `ranking by town, this week, ${COUNT.toLocaleString('en-US')} appeals`, minsheng: week.ms, comparison: week.read, against: same, kind: 'peer', unit: 'ms' },
      { figure: 'ranking by department, this month', minsheng: month.ms, comparison: month.read, against: same, kind: 'peer', unit: 'ms' },
      { figure: '   same', minsheng: month.ms, comparison: 1000, against: 'one second, a dashboard refresh', kind: 'target', unit: 'ms' },
      { figure: 'red/black lists, this week and 5 before', minsheng: redBlack.ms, comparison: redBlack.read, against: same, kind: 'peer', unit: 'ms' },
      { figure: 'trends, 12 weeks, with forecasts', minsheng: trends.ms, comparison: trends.read, against: same, kind: 'peer', unit: 'ms' },
      { figure: 'special governance, 90 days', minsheng: special.ms, comparison: special.read, against: `${same} (rows, then the grouped appeals)`, kind: 'peer', unit: 'ms' },
    ];
  } finally {
    await server.close();
  }
}
