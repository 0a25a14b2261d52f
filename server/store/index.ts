import type { Config } from '../config';
import { openPgStore } from './postgres';
import { openSqliteStore } from './sqlite';
import type { Store } from './types';

/** The store the configuration names: PostgreSQL when DATABASE_URL is set, else SQLite in the data directory. */
export function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'pgPool'>>): Promise<Store> {
  return config.databaseUrl ? openPgStore(config.databaseUrl, undefined, config.pgPool) : Promise.resolve(openSqliteStore(config.dataDir));
}
