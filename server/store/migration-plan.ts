// What `npm run migrate -- --dry-run` prints: the migrations a database has not had yet, each
// told by the statements it runs, read from the SQL itself so the summary cannot drift from it.

export interface PendingMigration {
  version: number;
  statements: string[];
}

/** "CREATE TABLE qa_sessions", "ALTER TABLE appeals ADD COLUMN repeat_of", "UPDATE users", … */
export function summarizeSql(sql: string): string[] {
  const withoutComments = sql.replace(/--[^\n]*/g, '');
  return withoutComments
    .split(';')
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const m =
        /^(CREATE (?:UNIQUE )?INDEX(?: IF NOT EXISTS)? \S+ ON [^\s(]+)/i.exec(s) ??
        /^(ALTER TABLE \S+ (?:ADD|DROP|RENAME|ALTER) (?:COLUMN )?(?:IF (?:NOT )?EXISTS )?\S+)/i.exec(s) ??
        /^((?:CREATE|DROP) (?:TABLE|VIEW|SEQUENCE|FUNCTION|TRIGGER)(?: IF (?:NOT )?EXISTS)? [^\s(]+)/i.exec(s) ??
        /^((?:INSERT INTO|UPDATE|DELETE FROM) \S+)/i.exec(s);
      return m ? m[1]! : s.slice(0, 60);
    });
}

/** The migrations not in `applied`, in order. */
export function pendingMigrations(migrations: readonly string[], applied: ReadonlySet<number>): PendingMigration[] {
  return migrations.flatMap((sql, i) => (applied.has(i + 1) ? [] : [{ version: i + 1, statements: summarizeSql(sql) }]));
}
