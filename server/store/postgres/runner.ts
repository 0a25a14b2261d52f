import pg from 'pg';
import { plannedName, type Dialect, type Sql } from '../sql';

// PostgreSQL's runner: statements written with `?` are numbered once and cached; reads go
// through the pool, a transaction holds one connection from BEGIN to COMMIT.

export const MIGRATE_LOCK = 7_302_402;

// Times, sequences and counts are BIGINT: read back as numbers (all stay below 2^53).
const NUMERIC_OIDS = new Set([20]);
export const PG_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    NUMERIC_OIDS.has(oid) ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export const POSTGRES: Dialect = {
  name: 'postgres',
  inList: (column, values) => ({ sql: `${column} = ANY(?)`, args: [values] }),
  // LIKE with a constant prefix uses the text_pattern_ops index on village.
  scope: (prefixes, departments, qualifier = '') => {
    const sql = `(${prefixes.map(() => `${qualifier}village LIKE ?`).join(' OR ')})`;
    const args: unknown[] = prefixes.map((p) => `${p}%`);
    return departments ? { sql: `${sql} AND ${qualifier}dept = ANY(?)`, args: [...args, departments] } : { sql, args };
  },
  greatest: (a, b) => `GREATEST(${a}, ${b})`,
  forUpdate: ' FOR UPDATE',
};

const numbered = new Map<string, string>();
/** `?` → `$1`, `$2`, … outside quoted literals. */
export function numberPlaceholders(text: string): string {
  let out = numbered.get(text);
  if (out !== undefined) return out;
  let n = 0;
  let quoted = false;
  out = '';
  for (const ch of text) {
    if (ch === "'") quoted = !quoted;
    out += ch === '?' && !quoted ? `$${++n}` : ch;
  }
  numbered.set(text, out);
  return out;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

export interface PgTransactionOptions {
  withPushes?: boolean;
  /** Parameterless SQL sent after COMMIT, in the same round trip, outside the transaction (asked for once `fn` resolved). */
  afterCommit?: () => string;
  /** Parameterless SQL sent after ROLLBACK, in the same round trip; when it fails, the connection is not used again. */
  afterRollback?: string;
}

/**
 * Runs `fn` on one connection between BEGIN and COMMIT (ROLLBACK when it rejects).
 * `withPushes` asks for nothing more here: push transactions lock the documents they
 * rewrite (sync-log/pg-locks.ts).
 */
export async function pgTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>, options?: PgTransactionOptions): Promise<T> {
  const c = await pool.connect();
  // A connection lost mid-transaction (PostgreSQL restarting) fails the query and also emits
  // 'error' on the client: unheard, that event would end the process. The broken connection is
  // then discarded rather than handed to the next request.
  let broken: Error | undefined;
  const onError = (err: Error) => (broken = err);
  c.on('error', onError);
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    const after = options?.afterCommit?.();
    await c.query(after ? `COMMIT; ${after}` : 'COMMIT');
    return out;
  } catch (err) {
    if (!broken) await c.query(options?.afterRollback ? `ROLLBACK; ${options.afterRollback}` : 'ROLLBACK').catch((e: Error) => (broken = e));
    throw err;
  } finally {
    c.removeListener('error', onError);
    c.release(broken);
  }
}

/** A runner over the pool, or over one connection already inside a transaction (whose `transaction` then joins it). */
export function pgRunner(db: pg.Pool | Queryable): Sql {
  const query = (text: string, args: readonly unknown[]) => {
    const name = plannedName(text);
    return name ? db.query({ name, text: numberPlaceholders(text), values: [...args] }) : db.query(numberPlaceholders(text), [...args]);
  };
  const self: Sql = {
    dialect: POSTGRES,
    all: async <T extends object>(text: string, args: readonly unknown[] = []): Promise<T[]> => (await query(text, args)).rows as T[],
    get: async <T extends object>(text: string, args: readonly unknown[] = []): Promise<T | undefined> => (await self.all<T>(text, args))[0],
    run: async (text, args = []) => (await query(text, args)).rowCount ?? 0,
    transaction: async (fn, options) => (db instanceof pg.Pool ? pgTransaction(db, (c) => fn(pgRunner(c)), options) : fn(self)),
  };
  return self;
}
