import { defineConfig } from 'vitest/config';
import pg from 'pg';

const PG_URL = process.env.MINSHENG_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The PostgreSQL runs happen where a database answers. On a laptop without one they are
 * skipped, loudly; with MINSHENG_REQUIRE_PG=1 (CI) an unreachable database fails the run.
 */
async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    const why = `PostgreSQL is not reachable at ${PG_URL} (${err instanceof Error ? err.message : String(err)})`;
    if (process.env.MINSHENG_REQUIRE_PG === '1') throw new Error(`${why}, and MINSHENG_REQUIRE_PG=1 requires it`);
    console.warn(`\n*** ${why}: the PostgreSQL suites are SKIPPED ***\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const shared = {
  environment: 'node' as const,
  // Browser tests share one Chromium and one server build; run files one at a time on 2 cores.
  fileParallelism: false,
  testTimeout: 20_000,
  hookTimeout: 120_000,
  // y-dexie announces every released document on console.debug.
  onConsoleLog: (log: string) => !/^Y\.Doc \S+ was destroyed/.test(log),
};

export default defineConfig(async () => {
  const pgUp = await postgresReachable();
  process.env.MINSHENG_TEST_PG_UP = pgUp ? '1' : '';
  return {
    test: {
      fileParallelism: false,
      onConsoleLog: shared.onConsoleLog,
      projects: [
        { test: { ...shared, name: 'sqlite', include: ['tests/**/*.test.ts'] } },
        // The sync integration suites again, with the server on PostgreSQL (the restart test
        // copies a SQLite data directory, so it stays with SQLite).
        ...(pgUp
          ? [{ test: { ...shared, name: 'postgres', include: ['tests/sync/**/*.test.ts', 'tests/server/reports-api.test.ts', 'tests/server/wall-api.test.ts', 'tests/server/weekly-report-api.test.ts', 'tests/server/export-api.test.ts', 'tests/server/open311*.test.ts', 'tests/server/public.test.ts', 'tests/server/qa.test.ts', 'tests/server/health-metrics.test.ts', 'tests/server/ops-status.test.ts'], exclude: ['tests/sync/convergence.test.ts', 'tests/sync/crash.test.ts'], env: { MINSHENG_TEST_STORE: 'postgres' } } }]
          : []),
      ],
    },
  };
});
