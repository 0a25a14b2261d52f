import { startServer } from '../app';
import { ConfigError, loadConfig } from '../config';
import { faultFromEnv } from '../testing/fault';
import { formatLogins } from '../services/seed';
import { scheduleBackups } from '../backup/schedule';
import { log } from '../log';

/** How long a SIGTERM may take; systemd's TimeoutStopSec (docs/deploy.md) is longer. */
const SHUTDOWN_BOUND_MS = 15_000;

try {
  // The first start of an empty data directory seeds a demo county unless MINSHENG_DEMO=0.
  const config = loadConfig(process.env, { demo: true, accountsWithoutDemo: 'admin' });
  const fault = faultFromEnv(process.env.MINSHENG_FAULT);
  // Checked before the server starts: a wrong backup setting stops it (the first run is one interval later).
  const backups = scheduleBackups(process.env, config);
  const server = await startServer(config, undefined, fault ? { fault } : {});
  if (server.seed.seededNow) console.log(`Seeded ${config.dataDir}`);
  console.log(formatLogins(server.seed));
  console.log(`Minsheng is running at ${server.url}  (data: ${config.databaseUrl ? 'PostgreSQL' : config.dataDir})`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal, or pushes that do not finish in time (a database that stopped
    // answering), end the process anyway: what was not acked is sent again by the phones.
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'finishing the pushes under way, then stopping');
    setTimeout(() => {
      log.error({ boundMs: SHUTDOWN_BOUND_MS }, 'still stopping at the bound: exiting; un-acked pushes will be sent again');
      process.exit(1);
    }, SHUTDOWN_BOUND_MS).unref();
    backups?.stop();
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (err) {
  console.error(err instanceof ConfigError ? `Configuration error: ${err.message}` : err);
  process.exit(1);
}
