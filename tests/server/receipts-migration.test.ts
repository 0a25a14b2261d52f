import Database from 'better-sqlite3';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readAppeal, writeNewAppeal } from '../../src/core/doc';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { newId } from '../../src/core/id';
import { dropPgSchema, MIGRATIONS as PG_MIGRATIONS, openPgStore } from '../../server/store/postgres';
import { MIGRATIONS as SQLITE_MIGRATIONS, openSqliteStore } from '../../server/store/sqlite';
import type { Store } from '../../server/store/types';
import { storeUpdate } from '../../server/sync/bus';
import { PG_URL, tempDir } from '../helpers/server';

// A database whose receipts were keyed by (device, seq) alone gains the user: each receipt
// takes the user of its update row; one whose row compaction folded away takes '' and
// matches no one (a resend of it is stored again, which changes no document).

const pgUp = process.env.MINSHENG_TEST_PG_UP === '1';
const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropPgSchema(PG_URL, s);
});

const user = { id: '0190a000-0000-7000-8000-0000000000aa', role: 'grid_worker' as const };
const other = '0190a000-0000-7000-8000-0000000000bb';

async function pushOne(store: Store): Promise<number> {
  const id = newId();
  const doc = new Y.Doc();
  writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.roads', kind: 'help', urgency: 'red', villageCode: '371324101201', description: '路灯不亮', citizen: { anonymous: true } }, user, Date.now(), newId());
  const c = await store.inPushTx((tx) => storeUpdate(tx, { docId: id, deviceId: 'old', clientSeq: 1, userId: user.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), Date.now(), POLICY_PRESETS.lanling));
  return c.seq;
}

const versionOf = (migrations: string[], pattern: RegExp) => migrations.findIndex((sql) => pattern.test(sql)) + 1;

const seen = (store: Store, seq: number, userId: string) => store.inPushTx((tx) => tx.seen('old', seq, userId));

describe('receipts keyed by user: the migration of an existing database', () => {
  it('on SQLite', async () => {
    const dir = tempDir();
    let store = openSqliteStore(dir);
    const seq = await pushOne(store);
    await store.close();
    // Back to the receipts of before: (device, seq) only, one of them folded away.
    const version = versionOf(SQLITE_MIGRATIONS, /receipts_by_user/);
    expect(version).toBeGreaterThan(0);
    const db = new Database(path.join(dir, 'minsheng.sqlite'));
    db.exec(`DROP TABLE receipts;
      CREATE TABLE receipts (device_id TEXT NOT NULL, client_seq INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (device_id, client_seq)) WITHOUT ROWID;
      INSERT INTO receipts VALUES ('old', 1, ${seq}), ('old', 2, 999999);`);
    db.prepare('DELETE FROM schema_migrations WHERE version = ?').run(version);
    db.close();

    store = openSqliteStore(dir);
    try {
      expect(await seen(store, 1, user.id)).toBe(true);
      expect(await seen(store, 1, other)).toBe(false);
      expect(await seen(store, 2, user.id)).toBe(false);
      expect(await store.receiptCount()).toBe(2);
    } finally {
      await store.close();
    }
  });

  it.skipIf(!pgUp)('on PostgreSQL', async () => {
    const schema = `rcpt_${process.pid}_${Date.now() % 100000}`;
    schemas.push(schema);
    let store = await openPgStore(PG_URL, schema);
    const seq = await pushOne(store);
    await store.close();
    const version = versionOf(PG_MIGRATIONS, /receipts ADD COLUMN user_id/);
    expect(version).toBeGreaterThan(0);
    const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await c.connect();
    await c.query(`DROP TABLE receipts;
      CREATE TABLE receipts (device_id TEXT NOT NULL, client_seq BIGINT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (device_id, client_seq));
      INSERT INTO receipts VALUES ('old', 1, ${seq}), ('old', 2, 999999);`);
    await c.query('DELETE FROM schema_migrations WHERE version = $1', [version]);
    await c.end();

    store = await openPgStore(PG_URL, schema);
    try {
      expect(await seen(store, 1, user.id)).toBe(true);
      expect(await seen(store, 1, other)).toBe(false);
      expect(await seen(store, 2, user.id)).toBe(false);
      expect(await store.receiptCount()).toBe(2);
    } finally {
      await store.close();
    }
  });
});
