// `npm run seed`: seeds the data directory with MINSHENG_REGION (a city or a county) without starting the server, printing the logins.
import { loadConfig } from '../config';
import { ensureSeeded, formatLogins } from '../services/seed';
import { openStore } from '../store';

const config = loadConfig();
const store = await openStore(config);
try {
  const result = await ensureSeeded(store, config.region.code, config.subcenters);
  console.log(result.seededNow ? `Seeded ${config.dataDir}` : `${config.dataDir} was already seeded`);
  console.log(formatLogins(result));
} finally {
  await store.close();
}
