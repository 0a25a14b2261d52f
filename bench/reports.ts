import { startServer } from '../server/app';
import { loadConfig } from '../server/config';
import { POLICY_PRESETS } from '../src/core/deadline';
import { tempDir } from '../tests/helpers/server';
import { login } from '../tests/helpers/clients';
import { seedGeneratedAppeals } from './seed-store';
import type { BenchRow } from './table';

// The governance reports over a county's 50,000 appeals on SQLite, as the city dispatcher
// asks for them over HTTP, beside reading the same projection columns straight from the store.

const COUNT = 50_000;

export async function reports(): Promise<BenchRow[]> {
  const server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir('bench-reports-'), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }));
  try {
    const town = await login(server, 'town');
    const villages = (await server.store.regionsUnder(['371324'])).filter((r) => r.level === 'village');
    // Recorded over the last 200 days, a minute apart per batch of appeals, at all stages.
    for (let i = 0; i < COUNT; i += 5000) {
      await seedGeneratedAppeals(server.store, { count: 5000, villages, seed: 100 + i, official: { id: town.user.id, name: town.user.displayName }, from: Date.now() - 200 * 86_400_000 + i * 300_000, policy: POLICY_PRESETS.lanling });
    }
    const dispatcher = await login(server, 'dispatcher');
    const ask = async (query: string, report = 'ranking') => {
      const t = performance.now();
      const res = await fetch(`${server.url}/api/reports/${report}?${query}`, { headers: { authorization: `Bearer ${dispatcher.token}` } });
      if (!res.ok) throw new Error(`${report}: ${res.status}`);
      await res.json();
      return performance.now() - t;
    };
    const best = async (f: () => Promise<number>) => Math.min(await f(), await f(), await f());
    const week = await best(() => ask('by=town&period=week'));
    const month = await best(() => ask('by=dept&period=month'));
    const redBlack = await best(() => ask('by=town&period=week&history=6', 'redblack'));
    const trends = await best(() => ask('weeks=12', 'trends'));
    const special = await best(() => ask('', 'special'));
    const read = await best(async () => {
      const t = performance.now();
      await server.store.rankRows(['371324'], undefined, 0);
      return performance.now() - t;
    });
    return [
      { figure: `ranking by town, this week, ${COUNT.toLocaleString('en-US')} appeals`, minsheng: week, comparison: read, against: 'reading the ranking columns of every appeal', unit: 'ms' },
      { figure: 'ranking by department, this month', minsheng: month, comparison: read, against: 'reading the ranking columns of every appeal', unit: 'ms' },
      { figure: '   same', minsheng: month, comparison: 1000, against: 'one second, a dashboard refresh', unit: 'ms' },
      { figure: 'red/black lists, this week and 5 before', minsheng: redBlack, comparison: read, against: 'reading the ranking columns of every appeal', unit: 'ms' },
      { figure: 'trends, 12 weeks, with forecasts', minsheng: trends, comparison: read, against: 'reading the ranking columns of every appeal', unit: 'ms' },
      { figure: 'special governance, 90 days', minsheng: special, comparison: read, against: 'reading the ranking columns of every appeal', unit: 'ms' },
    ];
  } finally {
    await server.close();
  }
}
