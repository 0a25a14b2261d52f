import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { dropPgSchema, openPgStore } from '../../server/store/postgres';
import { openSqliteStore } from '../../server/store/sqlite';
import type { Store } from '../../server/store/types';
import { storeUpdate } from '../../server/sync/bus';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, compactParts, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { PG_URL, tempDir } from '../helpers/server';
import { seedGeneratedAppeals } from '../../bench/seed-store';
import { reprojectIfPolicyChanged } from '../../server/jobs/reproject';

// The store contract, run against both implementations: what the server relies on, from
// the push transaction's atomicity to the order catch-up reads changes in.

const pgUp = process.env.MINSHENG_TEST_PG_UP === '1';
if (!pgUp) console.warn('store contract on PostgreSQL: SKIPPED (no PostgreSQL reachable; see vitest.config.ts)');

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropPgSchema(PG_URL, s);
});

const kinds: { name: string; open: () => Promise<Store>; skip: boolean }[] = [
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

const VILLAGE = '371324101201';
const OTHER = '371324102203';
const POLICY = POLICY_PRESETS.lanling;
const user = { id: '0190a000-0000-7000-8000-000000000001', role: 'grid_worker' as const };

function newAppeal(village = VILLAGE, description = '路灯不亮') {
  const id = newId();
  const doc = new Y.Doc();
  writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.roads', kind: 'help', urgency: 'red', villageCode: village, description, citizen: { anonymous: true } }, user, Date.now() - 5 * 86_400_000, newId());
  return { id, doc };
}

async function push(store: Store, id: string, doc: Y.Doc, device = 'd1', bytes = Y.encodeStateAsUpdate(doc)) {
  return store.inPushTx(async (tx) => storeUpdate(tx, { docId: id, deviceId: device, clientSeq: await tx.nextClientSeq(device), userId: user.id, bytes }, readAppeal(doc, id), Date.now(), POLICY));
}

for (const kind of kinds) {
  describe.skipIf(kind.skip)(`the ${kind.name} store`, () => {
    it('keeps meta, claims a value once, and stores regions, users and sessions', async () => {
      const store = await kind.open();
      try {
        expect(await store.getMeta('x')).toBeNull();
        await store.setMeta('x', '1');
        await store.setMeta('x', '2');
        expect(await store.getMeta('x')).toBe('2');
        expect(await store.claimMeta('secret', 'a')).toBe('a');
        expect(await store.claimMeta('secret', 'b')).toBe('a');

        await store.insertRegions([
          { code: '371324000000', name: '兰陵县', level: 'city', parent: null },
          { code: '371324101000', name: '大仲村镇', level: 'town', parent: '371324000000' },
          { code: VILLAGE, name: '大仲村', level: 'village', parent: '371324101000' },
        ]);
        expect(await store.regionCount()).toBe(3);
        expect((await store.regionsUnder(['371324101'])).map((r) => r.code)).toEqual(['371324101000', VILLAGE]);
        expect(await store.isVillage(VILLAGE)).toBe(true);
        expect(await store.isVillage('371324101000')).toBe(false);

        await store.insertUser({ id: user.id, username: 'w', displayName: '王', role: 'grid_worker', scope: { regions: [VILLAGE], departments: [] }, passwordHash: 'h' }, 1);
        expect(await store.userByUsername('w')).toMatchObject({ id: user.id, displayName: '王', disabled: false, tokenVersion: 0, scope: { regions: [VILLAGE] } });
        await store.createSession('s1', 'r1', user.id, 1, Date.now() + 60_000);
        expect(await store.sessionAlive('s1', Date.now())).toBe(true);
        expect((await store.sessionByRefresh('r1', Date.now()))?.sid).toBe('s1');
        await store.rotateRefresh('s1', 'r2', Date.now() + 60_000);
        expect(await store.sessionByRefresh('r1', Date.now())).toBeNull();
        // A new password ends every session and bumps the token version.
        const changed = await store.updateUser(user.id, { passwordHash: 'h2' });
        expect(changed).toMatchObject({ revoked: true, user: { tokenVersion: 1, passwordHash: 'h2' } });
        expect(await store.sessionAlive('s1', Date.now())).toBe(false);
        expect(await store.updateUser('nobody', { displayName: 'x' })).toBeNull();

        for (const action of ['a', 'b', 'c']) await store.insertAudit({ at: 1, action, detail: { n: action } });
        const newest = await store.audit(2);
        expect(newest.map((e) => e.action)).toEqual(['c', 'b']);
        expect((await store.audit(5, newest[1]!.id)).map((e) => e.action)).toEqual(['a']);
        expect(newest[0]!.detail).toEqual({ n: 'c' });
      } finally {
        await store.close();
      }
    });

    it('commits a push transaction whole or not at all, and remembers each idempotency key', async () => {
      const store = await kind.open();
      try {
        const a = newAppeal();
        const c = await push(store, a.id, a.doc);
        expect(c.seq).toBeGreaterThan(0);
        expect(await store.head()).toBe(c.seq);
        const b = newAppeal(OTHER, '水渠堵了');
        await expect(
          store.inPushTx(async (tx) => {
            await storeUpdate(tx, { docId: b.id, deviceId: 'd2', clientSeq: 1, userId: user.id, bytes: Y.encodeStateAsUpdate(b.doc) }, readAppeal(b.doc, b.id), Date.now(), POLICY);
            throw new Error('validation failed after the write');
          }),
        ).rejects.toThrow(/validation failed/);
        // Nothing of the failed batch remains: no row, no projection, no receipt.
        expect(await store.docParts(b.id)).toEqual([]);
        expect(await store.appealScope(b.id)).toBeNull();
        expect(await store.inPushTx(async (tx) => tx.seen('d2', 1, user.id))).toBe(false);
        expect(await store.inPushTx(async (tx) => tx.seen('d1', 1, user.id))).toBe(true);
        expect(await store.receiptCount()).toBe(1);
        expect((await store.appealRows()).map((r) => [r.id, r.village, r.status])).toEqual([[a.id, VILLAGE, 'new']]);
      } finally {
        await store.close();
      }
    });

    it('runs concurrent push transactions one after another, so sequence order is commit order', async () => {
      const store = await kind.open();
      try {
        const order: string[] = [];
        const docs = Array.from({ length: 6 }, (_, i) => newAppeal(VILLAGE, `第${i}件`));
        const seqs = await Promise.all(
          docs.map((d, i) =>
            store.inPushTx(async (tx) => {
              order.push(`begin ${i}`);
              await new Promise((r) => setTimeout(r, 5));
              const c = await storeUpdate(tx, { docId: d.id, deviceId: `c${i}`, clientSeq: 1, userId: user.id, bytes: Y.encodeStateAsUpdate(d.doc) }, readAppeal(d.doc, d.id), Date.now(), POLICY);
              order.push(`end ${i}`);
              return c.seq;
            }),
          ),
        );
        // Never two open at once.
        for (let i = 0; i < order.length; i += 2) expect(order[i]!.replace('begin', 'end')).toBe(order[i + 1]);
        expect(new Set(seqs).size).toBe(6);
      } finally {
        await store.close();
      }
    });

    it('lists changed documents in order of their last change, scoped, and serves what a cursor lacks', async () => {
      const store = await kind.open();
      try {
        const a = newAppeal(VILLAGE, '甲');
        const b = newAppeal(OTHER, '乙');
        const c1 = await push(store, a.id, a.doc);
        const c2 = await push(store, b.id, b.doc);
        const sv = Y.encodeStateVector(a.doc);
        appendEvent(a.doc, { id: newId(), type: 'commented', actor: user.id, role: 'grid_worker', at: Date.now(), note: '补充' } as never);
        const c3 = await push(store, a.id, a.doc, 'd1', Y.encodeStateAsUpdate(a.doc, sv));
        expect((await store.changedDocs(0, ['371324'], 10)).map((d) => [d.docId, d.lastSeq])).toEqual([[b.id, c2.seq], [a.id, c3.seq]]);
        expect((await store.changedDocs(0, ['371324101'], 10)).map((d) => d.docId)).toEqual([a.id]);
        expect((await store.changedDocs(c2.seq, ['371324'], 10)).map((d) => d.docId)).toEqual([a.id]);
        expect(await store.changedDocs(0, ['371324'], 10, ['water'])).toEqual([]);
        expect(await store.docPartsSince(a.id, c1.seq)).toHaveLength(1);
        expect(await store.docPartsSince(a.id, 0)).toHaveLength(2);

        // Compaction folds rows into a snapshot; the document reads the same, the receipts stay.
        expect(await store.compact(a.id, 2, compactParts)).toBe(true);
        expect(await store.docParts(a.id)).toHaveLength(1);
        expect(await store.updateCount()).toBe(1);
        expect(await store.receiptCount()).toBe(3);
        const back = new Y.Doc();
        for (const p of await store.docParts(a.id)) Y.applyUpdate(back, p);
        expect(readAppeal(back, a.id)).toEqual(readAppeal(a.doc, a.id));
        // A client behind the snapshot gets it whole.
        expect(await store.docPartsSince(a.id, c1.seq)).toHaveLength(1);
        expect(await store.head()).toBe(c3.seq);

        // Map counts and due dates read the projection.
        expect(await store.mapTally('town', ['371324'], undefined, Date.now())).toEqual([
          { code: '371324101000', total: 1, open: 1, overdue: 1, red: 1, orange: 0, yellow: 0 },
          { code: '371324102000', total: 1, open: 1, overdue: 1, red: 1, orange: 0, yellow: 0 },
        ]);
        expect((await store.dueBy(Date.now())).sort()).toEqual([a.id, b.id].sort());
      } finally {
        await store.close();
      }
    });

    it('takes a transaction of 2,500 documents (seeding, re-projection), past PostgreSQL’s parameter limit per statement', async () => {
      const store = await kind.open();
      try {
        const snapshots = await seedGeneratedAppeals(store, {
          count: 2500,
          villages: [{ code: VILLAGE, name: '大仲村村民委员会' }, { code: OTHER, name: '某村村民委员会' }],
          seed: 3,
          official: { id: user.id, name: '王' },
          from: Date.now() - 86_400_000,
          policy: POLICY,
        });
        expect(snapshots).toHaveLength(2500);
        expect((await store.appealRows()).length).toBe(2500);
        expect(await store.receiptCount()).toBe(2500);
        // Every projection rewritten in one transaction, sent as few statements as the limit allows.
        expect(await reprojectIfPolicyChanged(store, { ...POLICY, name: 'faster', dispatchDays: 0.5 })).toBe(2500);
        expect((await store.appealRows()).filter((r) => r.stage === 'dispatch').length).toBeGreaterThan(0);
      } finally {
        await store.close();
      }
    }, 60_000);

    it('keeps contacts, files and the documents that list a file', async () => {
      const store = await kind.open();
      try {
        const a = newAppeal();
        const hash = 'ab'.repeat(32);
        a.doc.getMap('fields').set('attachments', [{ hash, type: 'image/jpeg', size: 10 }]);
        await store.inPushTx(async (tx) => {
          await tx.putContact(a.id, { name: '李四', phone: '13912345678' }, user.id, 1);
          await storeUpdate(tx, { docId: a.id, deviceId: 'd', clientSeq: 1, userId: user.id, bytes: Y.encodeStateAsUpdate(a.doc) }, readAppeal(a.doc, a.id), Date.now(), POLICY);
          // Inside the transaction, its own writes are visible.
          expect(await tx.appealScope(a.id)).toEqual({ villageCode: VILLAGE, dept: null });
        });
        expect(await store.contact(a.id)).toEqual({ name: '李四', phone: '13912345678' });
        expect(await store.contacts([a.id, 'none'])).toEqual(new Map([[a.id, { name: '李四', phone: '13912345678' }]]));
        expect((await store.appealsById([a.id, newId()])).map((r) => r.id)).toEqual([a.id]);
        expect(await store.attachmentScopes(hash)).toEqual([{ villageCode: VILLAGE, dept: null }]);
        await store.putFile({ hash, type: 'image/jpeg', size: 10, uploadedBy: user.id }, 1);
        await store.putFile({ hash, type: 'image/png', size: 99, uploadedBy: 'x' }, 2);
        expect(await store.file(hash)).toEqual({ hash, type: 'image/jpeg', size: 10, uploadedBy: user.id });
      } finally {
        await store.close();
      }
    });
  });
}
