// `npm run seed`: seeds the data directory with MINSHENG_REGION (a city or a county) without serving it, printing the logins.
// With the demo on (the default; MINSHENG_DEMO=0 turns it off) the demo county goes in through the
// server's own hub and API, so the server is started on a private port for as long as that takes.
import { startServer } from '../app';
import { ConfigError, loadConfig } from '../config';
import { ensureSeeded, formatLogins, type SeedResult } from '../services/seed';
import { openStore } from '../store';

try {
  const config = loadConfig(process.env, { demo: true, accountsWithoutDemo: 'admin' });
  let result: SeedResult;
  if (config.demo) {
    const server = await startServer({ ...config, host: '127.0.0.1', port: 0, staticDir: null, scanIntervalMs: 0, reportIntervalMs: 0, upstream: null });
    result = server.seed;
    await server.close();
  } else {
    const store = await openStore(config);
    try {
      result = await ensureSeeded(store, config.region.code, config.subcenters, config.seedAccounts);
    } finally {
      await store.close();
    }
  }
  console.log(result.seededNow ? `Seeded ${config.dataDir}` : `${config.dataDir} was already seeded`);
  console.log(formatLogins(result));
} catch (err) {
  console.error(err instanceof ConfigError ? `Configuration error: ${err.message}` : err);
  process.exit(1);
}
