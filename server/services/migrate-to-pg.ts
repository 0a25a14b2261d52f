import Database from 'better-sqlite3';
import path from 'node:path';
import pg from 'pg';
import * as Y from 'yjs';
import { docFromUpdates } from '../../src/core/doc';
import { openPgStore } from '../store/postgres';
import { openSqliteStore } from '../store/sqlite';

// Moves a county's SQLite data directory into PostgreSQL (when it outgrows one process):
// every table copied in one transaction, the sequences carried over, then every document's
// state vector compared between the two. Uploaded files stay in the data directory.

/** Tables in an order that satisfies the foreign keys. */
export const TABLES = [
  'meta', 'regions', 'users', 'sessions', 'updates', 'receipts', 'snapshots', 'appeals', 'audit', 'contacts', 'meetings', 'patrols', 'points_docs', 'attachment_refs', 'files',
  'public_comments', 'campaigns', 'reception_slots', 'file_uploads', 'attachment_backers', 'relay_keys', 'issued_reports',
  'qa_sessions', 'qa_questions', 'articles', 'work_phones', 'sms_outbox', 'sms_parts', 'sms_optouts',
  'device_keys', 'handover_entries', 'handover_relays',
];
const BATCH = 500;

export interface MigrationReport {
  rows: Record<string, number>;
  documents: number;
  mismatched: string[];
}

export async function migrateSqliteToPg(dataDir: string, url: string, log: (line: string) => void = () => undefined): Promise<MigrationReport> {
  // Brings the SQLite file to the latest schema, and creates PostgreSQL's.
  await openSqliteStore(dataDir).close();
  await (await openPgStore(url)).close();
  const sqlite = new Database(path.join(dataDir, 'minsheng.sqlite'), { readonly: true });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rows: Record<string, number> = {};
  try {
    const existing = Number((await client.query<{ n: string }>('SELECT (SELECT count(*) FROM updates) + (SELECT count(*) FROM users) AS n')).rows[0]!.n);
    if (existing > 0) throw new Error('the PostgreSQL database already holds data: migrate into an empty one');
    await client.query('BEGIN');
    for (const table of TABLES) {
      const sqliteCols = (sqlite.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
      const pgCols = new Set(
        (await client.query<{ column_name: string }>('SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND table_schema = current_schema()', [table])).rows.map((r) => r.column_name),
      );
      const cols = sqliteCols.filter((c) => pgCols.has(c));
      let n = 0;
      let batch: unknown[][] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const values = batch.map((_, r) => `(${cols.map((__, c) => `$${r * cols.length + c + 1}`).join(', ')})`).join(', ');
        await client.query(`INSERT INTO ${table} (${cols.join(', ')}) VALUES ${values}`, batch.flat());
        n += batch.length;
        batch = [];
      };
      // Insertion order where the table has one (users are listed in it).
      const rowid = !/WITHOUT ROWID/i.test((sqlite.prepare("SELECT sql FROM sqlite_master WHERE name = ?").get(table) as { sql: string }).sql);
      for (const row of sqlite.prepare(`SELECT ${cols.join(', ')} FROM ${table}${rowid ? ' ORDER BY rowid' : ''}`).iterate() as Iterable<Record<string, unknown>>) {
        batch.push(cols.map((c) => row[c]));
        if (batch.length === BATCH) await flush();
      }
      await flush();
      rows[table] = n;
      log(`${table}: ${n} rows`);
    }
    // Sequences go on from where SQLite's stood (compaction may have removed the last rows).
    for (const [table, column] of [['updates', 'seq'], ['audit', 'id']] as const) {
      const last = (sqlite.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').get(table) as { seq: number } | undefined)?.seq ?? 0;
      if (last > 0) await client.query(`SELECT setval(pg_get_serial_sequence('${table}', '${column}'), $1)`, [last]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
    sqlite.close();
  }

  // Every document must have the same state on both sides.
  const from = openSqliteStore(dataDir);
  const to = await openPgStore(url);
  // The documents' ids are streamed from the file: a city's store holds millions, and reading
  // their whole projections to list them ran out of memory at a million.
  const listing = new Database(path.join(dataDir, 'minsheng.sqlite'), { readonly: true });
  const mismatched: string[] = [];
  let documents = 0;
  try {
    // A snapshot holds the deletions as well as the state vector: a lost deletion shows here.
    const snapshot = (parts: Uint8Array[]) => {
      const doc = docFromUpdates(parts);
      const snap = Y.snapshot(doc);
      doc.destroy();
      return snap;
    };
    const ids = listing.prepare('SELECT id FROM appeals UNION SELECT id FROM meetings UNION SELECT id FROM patrols UNION SELECT id FROM points_docs').pluck().iterate() as Iterable<string>;
    for (const id of ids) {
      if (!Y.equalSnapshots(snapshot(await from.docParts(id)), snapshot(await to.docParts(id)))) mismatched.push(id);
      if (++documents % 100_000 === 0) log(`verified ${documents} documents`);
    }
    if ((await from.head()) !== (await to.head())) mismatched.push('(global sequence)');
    log(`verified ${documents} documents by snapshot (state and deletions): ${mismatched.length === 0 ? 'all equal' : `${mismatched.length} differ`}`);
    return { rows, documents, mismatched };
  } finally {
    listing.close();
    await from.close();
    await to.close();
  }
}
