import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
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
import { sqliteSyncLog } from '../sync-log/sqlite';
import { deputyStore } from '../deputies';
import type { Store } from '../types';
import { MIGRATIONS } from './migrations';
import { sqliteRunner } from './runner';

export { MIGRATIONS };

/** Applies the migrations not yet applied, each in its own transaction. */
function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const done = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  MIGRATIONS.forEach((sql, i) => {
    const version = i + 1;
    if (done.has(version)) return;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Date.now());
    })();
  });
}

/** The embedded default: one file in the data directory (or memory, for tests), migrated on open. */
export function openSqliteStore(dataDir: string | ':memory:'): Store {
  let file = ':memory:';
  if (dataDir !== ':memory:') {
    mkdirSync(dataDir, { recursive: true });
    file = path.join(dataDir, 'minsheng.sqlite');
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // FULL: an ack promises the update survives power loss, not just a process crash.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);

  const { sql, close } = sqliteRunner(db);
  return {
    close,
    ...metaStore(sql),
    ...regionStore(sql),
    ...accountStore(sql),
    ...auditLog(sql),
    ...sqliteSyncLog(sql),
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
