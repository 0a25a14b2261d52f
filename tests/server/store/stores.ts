import { afterAll, describe } from 'vitest';
import * as Y from 'yjs';
import { dropPgSchema, openPgStore } from '../../../server/store/postgres';
import { openSqliteStore } from '../../../server/store/sqlite';
import type { Store } from '../../../server/store/types';
import { storeUpdate } from '../../../server/sync/bus';
import { POLICY_PRESETS } from '../../../src/core/deadline';
import { readAppeal, writeNewAppeal } from '../../../src/core/doc';
import { newId } from '../../../src/core/id';
import type { AppealProjection } from '../../../src/core/projection';
import { PG_URL, tempDir } from '../../helpers/server';

// One table of store implementations that every capability's contract suite runs over
// (after yjs's tests/updates.tests.js, which runs one table over every encoder).

const pgUp = process.env.MINSHENG_TEST_PG_UP === '1';
if (!pgUp) console.warn('store contract on PostgreSQL: SKIPPED (no PostgreSQL reachable; see vitest.config.ts)');

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropPgSchema(PG_URL, s);
});

const STORES: { name: string; open: () => Promise<Store>; skip: boolean }[] = [
  { name: 'SQLite', open: async () => openSqliteStore(tempDir()), skip: false },
  {
    name: 'PostgreSQL',
    open: async () => {
      const schema = `store_${process.pid}_${schemas.length}_${Date.now() % 100000}`;
      schemas.push(schema);
      return openPgStore(PG_URL, schema);
    },
    skip: !pgUp,
  },
];

/** Declares `suite` once per implementation; `use` opens a fresh store, runs the body and closes it. */
export function eachStore(capability: string, suite: (use: (body: (store: Store) => Promise<void>) => Promise<void>) => void): void {
  for (const kind of STORES) {
    describe.skipIf(kind.skip)(`${capability} on ${kind.name}`, () => {
      suite(async (body) => {
        const store = await kind.open();
        try {
          await body(store);
        } finally {
          await store.close();
        }
      });
    });
  }
}

export const VILLAGE = '371324101201';
export const OTHER = '371324102203';
export const POLICY = POLICY_PRESETS.lanling;
export const user = { id: '0190a000-0000-7000-8000-000000000001', role: 'grid_worker' as const };

export function newAppeal(village = VILLAGE, description = '路灯不亮', recordedAt = Date.now() - 5 * 86_400_000) {
  const id = newId();
  const doc = new Y.Doc();
  writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.roads', kind: 'help', urgency: 'red', villageCode: village, description, citizen: { anonymous: true } }, user, recordedAt, newId());
  return { id, doc };
}

export async function push(store: Store, id: string, doc: Y.Doc, device = 'd1', bytes = Y.encodeStateAsUpdate(doc)) {
  return store.inPushTx(async (tx) => storeUpdate(tx, { docId: id, deviceId: device, clientSeq: await tx.nextClientSeq(device), userId: user.id, bytes }, readAppeal(doc, id), Date.now(), POLICY));
}

/**
 * Stores a new appeal, then overwrites its projection with `change`: the reads under test see
 * exactly these columns. (An upsert keeps the first recording time, so it is set at recording.)
 */
export async function storeProjection(store: Store, change: Partial<AppealProjection> = {}): Promise<AppealProjection> {
  const a = newAppeal(change.village ?? VILLAGE, undefined, change.createdAt);
  const committed = await push(store, a.id, a.doc);
  const [stored] = await store.appealsById([a.id]);
  const next = { ...stored!, ...change };
  await store.inPushTx((tx) => tx.upsertProjection(next, committed.seq, Date.now()));
  return next;
}
