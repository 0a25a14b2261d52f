import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { startServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import Database from 'better-sqlite3';
import path from 'node:path';
import { migrateSqliteToPg, TABLES } from '../../server/services/migrate-to-pg';
import { openSqliteStore } from '../../server/store/sqlite';
import { dropPgSchema } from '../../server/store/postgres';
import { appendEvent, compactParts, docFromUpdates, readAppeal, textOf, writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { storeUpdate } from '../../server/sync/bus';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { login } from '../helpers/clients';
import { PG_URL, tempDir } from '../helpers/server';

// A county moves from its SQLite data directory to PostgreSQL with one command: the same
// documents, projections, users and sessions, and the same sequence, so devices resume
// their catch-up where they were. Documents are compared by CRDT snapshot (state vector
// and delete set): a state vector alone cannot see a lost deletion, and the documents
// here hold descriptions edited with text deleted, one deletion stored as its own update.

const pgUp = process.env.MINSHENG_TEST_PG_UP === '1';
if (!pgUp) console.warn('SQLite → PostgreSQL migration: SKIPPED (no PostgreSQL reachable)');
const schema = `mig_${process.pid}_${Date.now() % 100000}`;
afterAll(async () => {
  if (pgUp) await dropPgSchema(PG_URL, schema);
});

describe('the migration’s table list', () => {
  it('names every table SQLite holds, so nothing is left behind when a table is added', async () => {
    const dataDir = tempDir();
    await openSqliteStore(dataDir).close();
    const db = new Database(path.join(dataDir, 'minsheng.sqlite'), { readonly: true });
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'").all() as { name: string }[]).map((r) => r.name);
    db.close();
    expect([...TABLES].sort()).toEqual(tables.sort());
  });
});

describe.skipIf(!pgUp)('migrating a SQLite data directory into PostgreSQL', () => {
  it('copies everything, verifies every document, and the server goes on from there', async () => {
    const dataDir = tempDir();
    const env = { PORT: '0', MINSHENG_DATA_DIR: dataDir, MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' };
    const before = await startServer(loadConfig(env));
    const town = await login(before, 'town');
    const village = (await before.store.regionsUnder([town.user.scope.regions[0]!])).find((r) => r.level === 'village')!.code;
    const ids: string[] = [];
    // What the test wrote, kept as the truth both databases are compared with.
    const written = new Map<string, Y.Doc>();
    for (let i = 0; i < 5; i++) {
      const id = newId();
      const doc = new Y.Doc();
      writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.water', kind: 'help', urgency: 'orange', villageCode: village, description: `第${i}件：水管破裂`, citizen: { anonymous: false, name: '李四', phone: '13912345678' } }, { id: town.user.id, role: 'town_official' }, Date.now(), newId());
      await before.store.inPushTx(async (tx) => {
        await tx.putContact(id, { name: '李四', phone: '13912345678' }, town.user.id, Date.now());
        return storeUpdate(tx, { docId: id, deviceId: 'mig', clientSeq: i * 10 + 1, userId: town.user.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), Date.now(), POLICY_PRESETS.lanling);
      });
      // Each change pushed as the update its transaction emitted, as devices send them
      // (encodeStateAsUpdate would repeat the whole delete set in every later update).
      const push = async (clientSeq: number, change: () => void) => {
        const captured: Uint8Array[] = [];
        const onUpdate = (u: Uint8Array) => captured.push(u);
        doc.on('update', onUpdate);
        change();
        doc.off('update', onUpdate);
        const bytes = Y.mergeUpdates(captured);
        await before.store.inPushTx(async (tx) => storeUpdate(tx, { docId: id, deviceId: 'mig', clientSeq, userId: town.user.id, bytes }, readAppeal(doc, id), Date.now(), POLICY_PRESETS.lanling));
      };
      // The description corrected: old words deleted, new ones typed in.
      await push(i * 10 + 2, () =>
        doc.transact(() => {
          textOf(doc).delete(4, 4);
          textOf(doc).insert(4, '主水管破裂，已停水两天');
        }),
      );
      // Then a pure deletion, stored as its own update: it adds no item, so it leaves the
      // state vector as it was. Not the last update, so the global sequence cannot give it away.
      await push(i * 10 + 3, () => textOf(doc).delete(9, 6));
      for (let k = 0; k < 3; k++) {
        await push(i * 10 + 4 + k, () => appendEvent(doc, { id: newId(), type: 'commented', actor: town.user.id, role: 'town_official', at: Date.now(), note: `跟进${k}` } as never));
      }
      expect(textOf(doc).toString()).toBe(`第${i}件：主水管破裂`);
      ids.push(id);
      written.set(id, doc);
    }
    // Some documents compacted, so snapshots travel too.
    await before.store.compact(ids[0]!, 2, compactParts);
    const head = await before.store.head();
    const rowsBefore = await before.store.appealRows();
    // The source holds each document whole, deletions included (compacted or not).
    const partsBefore = new Map<string, Uint8Array[]>();
    for (const id of ids) {
      partsBefore.set(id, await before.store.docParts(id));
      expectSameDocument(partsBefore.get(id)!, written.get(id)!);
    }
    await before.close();

    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.end();
    const url = `${PG_URL}?options=-c%20search_path%3D${schema}`;
    const report = await migrateSqliteToPg(dataDir, url);
    expect(report.mismatched).toEqual([]);
    expect(report.documents).toBe(5);
    expect(report.rows).toMatchObject({ appeals: 5, contacts: 5, receipts: 30, users: 11 });
    // A second run refuses: the target is no longer empty.
    await expect(migrateSqliteToPg(dataDir, url)).rejects.toThrow(/already holds data/);

    const after = await startServer(loadConfig({ ...env, DATABASE_URL: url }));
    try {
      expect(after.seed.seededNow).toBe(false);
      expect(await after.store.head()).toBe(head);
      expect(await after.store.appealRows()).toEqual(rowsBefore);
      // Every document the same in PostgreSQL as in SQLite and as written: items and deletions.
      for (const id of ids) {
        const parts = await after.store.docParts(id);
        expectSameDocument(parts, written.get(id)!);
        expectSameDocument(parts, docFromUpdates(partsBefore.get(id)!));
      }
      expect(await after.store.contact(ids[1]!)).toEqual({ name: '李四', phone: '13912345678' });
      // The same users and passwords, and a token issued before the move still works (same secret, same sessions).
      const res = await fetch(`${after.url}/api/me`, { headers: { authorization: `Bearer ${town.token}` } });
      expect(res.status).toBe(200);
      expect((await login(after, 'dispatcher')).user.role).toBe('county_dispatcher');
      // Idempotency keys came along: a resend of an old (device, seq) is recognised.
      expect(await after.store.inPushTx(async (tx) => tx.seen('mig', 1, town.user.id))).toBe(true);
    } finally {
      await after.close();
    }
  }, 120_000);
});

/** Same CRDT state: equal snapshots (state vector and delete set), and the same content. */
function expectSameDocument(parts: Uint8Array[], expected: Y.Doc): void {
  const doc = docFromUpdates(parts);
  try {
    expect(readAppeal(doc, 'x')).toEqual(readAppeal(expected, 'x'));
    expect(Y.equalSnapshots(Y.snapshot(doc), Y.snapshot(expected))).toBe(true);
  } finally {
    doc.destroy();
  }
}
