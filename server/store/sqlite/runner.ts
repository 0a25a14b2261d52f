import type Database from 'better-sqlite3';
import type { Dialect, Sql } from '../sql';

// SQLite's runner: one connection, statements prepared once, and a gate that lets one
// transaction run at a time while every other statement waits for it to end.

export const SQLITE: Dialect = {
  name: 'sqlite',
  // json_each takes any number of values in one bound parameter.
  inList: (column, values) => ({ sql: `${column} IN (SELECT value FROM json_each(?))`, args: [JSON.stringify(values)] }),
  scope: (prefixes, departments, qualifier = '') => {
    let sql = `(${prefixes.map(() => `substr(${qualifier}village, 1, ?) = ?`).join(' OR ')})`;
    const args: unknown[] = prefixes.flatMap((p) => [p.length, p]);
    if (departments) {
      sql += ` AND ${qualifier}dept IN (SELECT value FROM json_each(?))`;
      args.push(JSON.stringify(departments));
    }
    return { sql, args };
  },
  greatest: (a, b) => `max(${a}, ${b})`,
  forUpdate: '',
};

export interface SqliteRunner {
  sql: Sql;
  /** Closes the connection once no transaction is running. */
  close(): Promise<void>;
}

export function sqliteRunner(db: Database.Database): SqliteRunner {
  const statements = new Map<string, Database.Statement>();
  const prepared = (text: string) => {
    let s = statements.get(text);
    if (!s) statements.set(text, (s = db.prepare(text)));
    return s;
  };
  // While a transaction runs, `busy` is the promise its end resolves. Every wait below is
  // written out as `while (busy) await busy` so that the statement after it runs in the
  // same step the wait ends in, before another transaction can begin (a helper returning
  // a promise would add a step in between).
  let busy: Promise<void> | null = null;

  const runner = (gated: boolean): Sql => {
    const self: Sql = {
      dialect: SQLITE,
      all: async <T extends object>(text: string, args: readonly unknown[] = []) => {
        if (gated) while (busy) await busy;
        return prepared(text).all(...args) as T[];
      },
      get: async <T extends object>(text: string, args: readonly unknown[] = []) => {
        if (gated) while (busy) await busy;
        return prepared(text).get(...args) as T | undefined;
      },
      run: async (text, args = []) => {
        if (gated) while (busy) await busy;
        return prepared(text).run(...args).changes;
      },
      transaction: gated ? (fn) => exclusive(fn) : (fn) => fn(self),
    };
    return self;
  };
  const inside = runner(false);

  async function exclusive<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    // Checked and taken in one synchronous step: another waiter cannot slip in between.
    while (busy) await busy;
    let release!: () => void;
    busy = new Promise((r) => (release = r));
    try {
      db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(inside);
        db.exec('COMMIT');
        return out;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      busy = null;
      release();
    }
  }

  return {
    sql: runner(true),
    close: async () => {
      while (busy) await busy;
      db.close();
    },
  };
}
