import pg from 'pg';
import { accountStore } from '../accounts';
import { articleStore } from '../articles';
import { auditLog } from '../audit';
import { civicStore } from '../civic';
import { documentStore } from '../documents';
import { fileStore } from '../files';
import { metaStore } from '../meta';
import { regionStore } from '../regions';
import { relayKeyStore } from '../relays';
import { issuedReportStore } from '../issued-reports';
import { reportStore } from '../reports';
import { smsStore } from '../sms';
import { qaStore } from '../qa';
import { handoverStore } from '../handover';
import { pgSyncLog } from '../sync-log/postgres';
import { deputyStore } from '../deputies';
import type { Store } from '../types';
import { MIGRATIONS } from './migrations';
import { MIGRATE_LOCK, PG_TYPES, pgRunner } from './runner';
import { log } from '../../log';

// The scale-out store: several server instances share one PostgreSQL. Same tables and
// columns as SQLite (so rows read back alike), in PostgreSQL's types.

export { MIGRATIONS };

/** Applies the migrations not yet applied, under an advisory lock: instances starting together migrate once. */
async function migrate(pool: pg.Pool): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const done = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const [i, sql] of MIGRATIONS.entries()) {
      if (done.has(i + 1)) continue;
      await c.query('BEGIN');
      try {
        await c.query(sql);
        await c.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [i + 1, Date.now()]);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK');
        throw err;
      }
    }
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]).catch(() => undefined);
    c.release();
  }
}

/** Connections one instance keeps (MINSHENG_PG_POOL_MAX) and how long a request waits for one (MINSHENG_PG_POOL_WAIT_MS). */
export interface PoolLimits {
  max: number;
  waitMs: number;
}

export const DEFAULT_POOL: PoolLimits = { max: 10, waitMs: 10_000 };

/**
 * The connection string and the session's settings: the schema when given, and no JIT. JIT's
 * compile (100–450 ms) is planned for statements whose correlated subqueries only look costly,
 * like the push's gap upkeep (reports/problem-gaps.ts), and every statement here is short.
 * Settings already in the URL's `options` are kept (the URL's would replace the pool's).
 */
function sessionOf(url: string, schema: string | undefined): { connectionString: string; options: string } {
  const settings = [schema && `-c search_path=${schema}`, '-c jit=off'];
  try {
    const parsed = new URL(url);
    const given = parsed.searchParams.get('options');
    parsed.searchParams.delete('options');
    return { connectionString: parsed.toString(), options: [given, ...settings].filter(Boolean).join(' ') };
  } catch {
    return { connectionString: url, options: settings.filter(Boolean).join(' ') };
  }
}

/**
 * Opens (and migrates) the store at `url`. `schema`, when given, is created if missing and
 * used for every table: tests run side by side in one database this way.
 */
export async function openPgStore(url: string, schema?: string, limits: PoolLimits = DEFAULT_POOL): Promise<Store> {
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`schema must be a plain lower-case identifier, got "${schema}"`);
  // A request waits at most `waitMs` for a connection, then fails as "busy" (server/store/trouble.ts), never hangs.
  const pool = new pg.Pool({ ...sessionOf(url, schema), max: limits.max, connectionTimeoutMillis: limits.waitMs, types: PG_TYPES });
  pool.on('error', (err) => log.error({ err }, 'postgres pool error'));
  if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await migrate(pool);

  const sql = pgRunner(pool);
  return {
    close: () => pool.end(),
    databaseBytes: async () => Number((await pool.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n')).rows[0]!.n),
    ...metaStore(sql),
    ...regionStore(sql),
    ...accountStore(sql),
    ...auditLog(sql),
    ...pgSyncLog({ pool, sql, url, schema }),
    ...documentStore(sql),
    ...civicStore(sql),
    ...reportStore(sql),
    ...fileStore(sql),
    ...relayKeyStore(sql),
    ...issuedReportStore(sql),
    ...smsStore(sql),
    ...deputyStore(sql),
    ...qaStore(sql),
    ...articleStore(sql),
    ...handoverStore(sql),
  };
}

/** Drops a test's schema and everything in it. */
export async function dropPgSchema(url: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
