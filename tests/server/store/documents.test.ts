import { expect, it } from 'vitest';
import * as Y from 'yjs';
import { readAppeal } from '../../../src/core/doc';
import { newId } from '../../../src/core/id';
import { writeNewMeeting } from '../../../src/core/meeting';
import { storeUpdate } from '../../../server/sync/bus';
import { eachStore, newAppeal, OTHER, POLICY, push, storeProjection, user, VILLAGE } from './stores';

// Documents and projections (server/store/documents/contract.ts) and files
// (server/store/files/contract.ts) on both stores.

const HOUR = 3_600_000;

eachStore('documents', (use) => {
  it('reads projections by id and by evaluation code, and tells where a document lies', () =>
    use(async (store) => {
      const a = await storeProjection(store, { evalCode: 'K7Q2M9' });
      const b = await storeProjection(store, { village: OTHER, dept: 'water' });
      expect((await store.appealsById([a.id, newId(), b.id])).map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
      expect(await store.appealsById([])).toEqual([]);
      expect((await store.appealByEvalCode('K7Q2M9'))?.id).toBe(a.id);
      expect(await store.appealByEvalCode('NOPE00')).toBeNull();
      // With who recorded it: a deputy reaches only their own posts.
      expect(await store.appealScope(b.id)).toEqual({ villageCode: OTHER, dept: 'water', createdBy: b.createdBy });
      expect(await store.appealScope(newId())).toBeNull();
      // A projection reads back as it was written.
      expect((await store.appealsById([a.id]))[0]).toEqual(a);
      expect((await store.appealRows()).map((r) => r.id)).toEqual([a.id, b.id].sort());
    }));

  it('places a meeting in its village, with no department', () =>
    use(async (store) => {
      const id = newId();
      const doc = new Y.Doc();
      writeNewMeeting(doc, { villageCode: VILLAGE, heldOn: '2026-11-20', place: '村委会', attendees: 12, topics: '修路' }, user, Date.now(), newId());
      await store.inPushTx(async (tx) => storeUpdate(tx, { docId: id, deviceId: 'd', clientSeq: 1, userId: user.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), Date.now(), POLICY));
      expect(await store.appealScope(id)).toEqual({ villageCode: VILLAGE, dept: null });
      expect(await store.meetingRows()).toMatchObject([{ id, village: VILLAGE, heldOn: '2026-11-20', place: '村委会', attendees: 12 }]);
      expect(await store.appealRows()).toEqual([]);
    }));

  it('lists open appeals due by an instant, soonest first, leaving closed and merged ones out', () =>
    use(async (store) => {
      const now = Date.now();
      const late = await storeProjection(store, { dueAt: now - 2 * HOUR, status: 'in_progress' });
      const soon = await storeProjection(store, { dueAt: now - HOUR, status: 'accepted' });
      await storeProjection(store, { dueAt: now + HOUR, status: 'in_progress' });
      await storeProjection(store, { dueAt: now - 3 * HOUR, status: 'closed' });
      await storeProjection(store, { dueAt: now - 3 * HOUR, status: 'merged' });
      await storeProjection(store, { dueAt: null });
      expect(await store.dueBy(now)).toEqual([late.id, soon.id]);
    }));

  it('keeps contacts beside appeals, the latest write winning', () =>
    use(async (store) => {
      const a = newAppeal();
      await store.inPushTx(async (tx) => {
        await tx.putContact(a.id, { name: '李四', phone: '13912345678' }, user.id, 1);
        await tx.putContact(a.id, { name: '李四' }, user.id, 2);
      });
      await push(store, a.id, a.doc);
      expect(await store.contact(a.id)).toEqual({ name: '李四' });
      expect(await store.contact(newId())).toBeNull();
      expect(await store.contacts([a.id, 'none'])).toEqual(new Map([[a.id, { name: '李四' }]]));
      expect(await store.contacts([])).toEqual(new Map());
    }));
});

eachStore('files', (use) => {
  const hash = 'ab'.repeat(32);

  it('keeps the first record of a file and lists the documents that attach it', () =>
    use(async (store) => {
      const a = newAppeal();
      a.doc.getMap('fields').set('attachments', [{ hash, type: 'image/jpeg', size: 10 }]);
      await store.inPushTx(async (tx) => {
        await storeUpdate(tx, { docId: a.id, deviceId: 'd', clientSeq: 1, userId: user.id, bytes: Y.encodeStateAsUpdate(a.doc) }, readAppeal(a.doc, a.id), Date.now(), POLICY);
        // Inside the transaction, its own writes are visible.
        expect(await tx.appealScope(a.id)).toEqual({ villageCode: VILLAGE, dept: null, createdBy: user.id });
        expect((await tx.attachmentFacts(hash, user.id)).listings).toMatchObject([{ docId: a.id, valid: false, backers: [] }]);
      });
      expect(await store.attachmentScopes(hash)).toEqual([{ villageCode: VILLAGE, dept: null }]);
      expect(await store.file(hash)).toBeNull();
      await store.putFile({ hash, type: 'image/jpeg', size: 10, uploadedBy: user.id }, 1);
      await store.putFile({ hash, type: 'image/png', size: 99, uploadedBy: 'x' }, 2);
      expect(await store.file(hash)).toEqual({ hash, type: 'image/jpeg', size: 10, uploadedBy: user.id });
    }));

  it('makes a listing valid once one of its backers finished uploading, or at once for the backer ""', () =>
    use(async (store) => {
      const [a, b] = [newAppeal(), newAppeal(OTHER)];
      for (const d of [a, b]) d.doc.getMap('fields').set('attachments', [{ hash, type: 'image/jpeg', size: 10 }]);
      await push(store, a.id, a.doc);
      await push(store, b.id, b.doc, 'd2');
      await store.inPushTx(async (tx) => {
        await tx.vouchAttachment(a.id, hash, ['u1', 'u1', 'u2']);
        await tx.vouchAttachment(b.id, hash, ['']);
      });
      const listings = async () => new Map((await store.attachmentListings(hash)).map((l) => [l.docId, { backers: l.backers.sort(), valid: l.valid }]));
      expect(await listings()).toEqual(new Map([[a.id, { backers: ['u1', 'u2'], valid: false }], [b.id, { backers: [''], valid: true }]]));
      await store.openFileUpload(hash, 'u2', 10, 1);
      expect((await listings()).get(a.id)?.valid).toBe(false);
      await store.finishFileUpload(hash, 'u2', 10, 2);
      expect((await listings()).get(a.id)?.valid).toBe(true);
      expect(await store.inPushTx((tx) => tx.attachmentFacts(hash, 'u2'))).toMatchObject({ stored: false, upload: 'done' });
      // Vouching again replaces the backers.
      await store.inPushTx((tx) => tx.vouchAttachment(a.id, hash, []));
      expect(await listings()).toEqual(new Map([[a.id, { backers: [], valid: false }], [b.id, { backers: [''], valid: true }]]));
    }));

  it('tracks each user’s uploads: open, finished, dropped, counted and swept when stale', () =>
    use(async (store) => {
      const other = 'cd'.repeat(32);
      await store.openFileUpload(hash, 'u', 100, 1_000);
      await store.openFileUpload(hash, 'u', 999, 1_500);
      await store.openFileUpload(other, 'u', 50, 2_000);
      expect(await store.fileUpload(hash, 'u')).toEqual({ size: 100, startedAt: 1_000, done: false });
      expect(await store.fileUpload(hash, 'v')).toBeNull();
      expect(await store.openFileUploads('u')).toEqual({ count: 2, bytes: 150 });
      expect(await store.staleFileUploads(1_800, 10)).toEqual([{ hash, userId: 'u' }]);
      await store.finishFileUpload(hash, 'u', 100, 3_000);
      expect(await store.fileUpload(hash, 'u')).toEqual({ size: 100, startedAt: 1_000, done: true });
      // A finished upload is never dropped; an open one is.
      await store.dropFileUpload(hash, 'u');
      await store.dropFileUpload(other, 'u');
      expect(await store.fileUpload(hash, 'u')).toMatchObject({ done: true });
      expect(await store.fileUpload(other, 'u')).toBeNull();
      expect(await store.openFileUploads('u')).toEqual({ count: 0, bytes: 0 });
      // Finishing without an open record records it done.
      await store.finishFileUpload(other, 'v', 50, 4_000);
      expect(await store.fileUpload(other, 'v')).toEqual({ size: 50, startedAt: 4_000, done: true });
    }));
});
