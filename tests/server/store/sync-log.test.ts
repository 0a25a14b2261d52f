import { expect, it } from 'vitest';
import * as Y from 'yjs';
import { reprojectIfPolicyChanged } from '../../../server/jobs/reproject';
import { storeUpdate } from '../../../server/sync/bus';
import { appendEvent, compactParts, readAppeal } from '../../../src/core/doc';
import { newId } from '../../../src/core/id';
import { seedGeneratedAppeals } from '../../../bench/seed-store';
import { writeNewMeeting } from '../../../src/core/meeting';
import { eachStore, newAppeal, OTHER, POLICY, push, storeProjection, user, VILLAGE } from './stores';

// The sync log's contract (server/store/sync-log/contract.ts) on both stores: a push
// transaction's atomicity, commit order, idempotency keys, the catch-up reads and compaction.

eachStore('the sync log', (use) => {
  it('commits a push transaction whole or not at all, and remembers each idempotency key', () =>
    use(async (store) => {
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
    }));

  it('runs concurrent push transactions on one document one after another', () =>
    use(async (store) => {
      const order: string[] = [];
      const d = newAppeal(VILLAGE, '同一件');
      const seqs = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          store.inPushTx(async (tx) => {
            // Reading the document is where a push waits for another on it (PostgreSQL's document lock).
            await tx.docParts(d.id);
            order.push(`begin ${i}`);
            await new Promise((r) => setTimeout(r, 5));
            const c = await storeUpdate(tx, { docId: d.id, deviceId: `c${i}`, clientSeq: 1, userId: user.id, bytes: Y.encodeStateAsUpdate(d.doc) }, readAppeal(d.doc, d.id), Date.now(), POLICY);
            order.push(`end ${i}`);
            return c.seq;
          }),
        ),
      );
      // Never two open at once on the same document.
      for (let i = 0; i < order.length; i += 2) expect(order[i]!.replace('begin', 'end')).toBe(order[i + 1]);
      expect(new Set(seqs).size).toBe(6);
    }));

  it('lists changed documents in order of their last change, scoped, and serves what a cursor lacks', () =>
    use(async (store) => {
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
      expect(await store.changedDocs(0, ['371324'], 10, { departments: ['water'] })).toEqual([]);
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
    }));

  it('takes a transaction of 2,500 documents (seeding, re-projection), past PostgreSQL’s parameter limit per statement', () =>
    use(async (store) => {
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
    }), 60_000);

  it('gives a department handler the appeals assigned to its departments, and never a meeting', () =>
    use(async (store) => {
      const water = await storeProjection(store, { dept: 'water' });
      await storeProjection(store, { dept: 'roads' });
      const id = newId();
      const doc = new Y.Doc();
      writeNewMeeting(doc, { villageCode: VILLAGE, heldOn: '2026-11-20', place: '村委会', attendees: 3, topics: '修路' }, user, Date.now(), newId());
      await store.inPushTx(async (tx) => storeUpdate(tx, { docId: id, deviceId: 'm', clientSeq: 1, userId: user.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), Date.now(), POLICY));
      expect((await store.changedDocs(0, ['371324'], 10, { departments: ['water', 'health'] })).map((d) => [d.docId, d.dept])).toEqual([[water.id, 'water']]);
      expect((await store.changedDocs(0, ['371324'], 10)).find((d) => d.docId === id)).toMatchObject({ village: VILLAGE, dept: null, anonymous: true });
    }));
});
