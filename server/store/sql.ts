/**
 * The one way every store capability talks to its database, SQLite and PostgreSQL alike.
 *
 * Statements are written once with `?` placeholders; the PostgreSQL runner numbers them
 * (`$1`, `$2`, …). Where the dialects disagree a capability says so in the open, with
 * `byDialect`, or asks `Dialect` for the fragment (a scope filter, a list parameter).
 *
 *   const n = await sql.get<{ n: number }>('SELECT count(*) AS n FROM users');
 *   await sql.transaction(async (tx) => { await tx.run('UPDATE …', [a]); await tx.run('DELETE …', [b]); });
 *
 * Contract: a transaction commits when `fn` resolves and rolls back when it rejects; a
 * `transaction` called on a transaction's own runner joins it. On SQLite every statement
 * outside a transaction waits until none is running, so no reader ever sees a push's
 * uncommitted rows. `withPushes` marks a transaction that belongs with push transactions
 * (SQLite runs every transaction one at a time anyway; on PostgreSQL the sync log locks the
 * documents such a transaction rewrites, see server/store/sync-log/pg-locks.ts).
 */
export interface Sql {
  readonly dialect: Dialect;
  all<T extends object>(sql: string, args?: readonly unknown[]): Promise<T[]>;
  get<T extends object>(sql: string, args?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, args?: readonly unknown[]): Promise<number>;
  transaction<T>(fn: (tx: Sql) => Promise<T>, options?: { withPushes?: boolean }): Promise<T>;
}

const plannedOnce = new Map<string, string>();
/**
 * Marks a statement whose text never changes and that runs at every push: PostgreSQL plans
 * it once per connection (a named prepared statement) instead of at every run. SQLite's
 * runner prepares every statement once anyway.
 */
export function planOnce(text: string): string {
  if (!plannedOnce.has(text)) plannedOnce.set(text, `minsheng_${plannedOnce.size}`);
  return text;
}
/** The prepared statement's name of a `planOnce` text (the same on every connection); undefined for any other. */
export const plannedName = (text: string): string | undefined => plannedOnce.get(text);

/** A piece of SQL with the arguments of its placeholders, in order. */
export interface Fragment {
  sql: string;
  args: unknown[];
}

export type DialectName = 'sqlite' | 'postgres';

export interface Dialect {
  readonly name: DialectName;
  /** `column` is one of `values`, bound as a single parameter whatever their number. */
  inList(column: string, values: readonly string[]): Fragment;
  /**
   * The row's village lies under one of `prefixes` (and, when given, its department is one
   * of `departments`). `qualifier` names the table in a join ("a.").
   */
  scope(prefixes: readonly string[], departments: readonly string[] | undefined, qualifier?: string): Fragment;
  /** The larger of two expressions. */
  greatest(a: string, b: string): string;
  /** Locks the rows a `SELECT` read until the transaction ends (SQLite's transactions already exclude every writer). */
  readonly forUpdate: string;
}

/** The statement for this dialect, where the two must differ. */
export function byDialect(sql: Sql, text: Record<DialectName, string>): string {
  return text[sql.dialect.name];
}

/** Rows per multi-row statement: PostgreSQL takes at most 65,535 parameters and SQLite 32,766. */
export const ROWS_PER_STATEMENT = 1000;

/** Splits `list` into pieces small enough for one multi-row statement. */
export function chunks<T>(list: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  return Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));
}

/** `(?, ?, …), (…)` for `rows` rows of `width` values. */
export function valueRows(rows: number, width: number): string {
  const row = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => row).join(', ');
}
