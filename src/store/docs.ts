import type { Table } from 'dexie';
import * as Y from 'yjs';
import type { Contact } from '../core/appeal';
import { alertFeed } from '../core/alerts';
import { requestedOriginals } from '../core/media-budget';
import { eventsOf, readAppeal } from '../core/doc';
import { eventsToResend } from '../core/history';
import { isMeetingFields, projectMeeting } from '../core/meeting';
import { isPatrolFields, projectPatrol } from '../core/patrol';
import { isPointsFields, projectPoints } from '../core/points';
import { project } from '../core/projection';
import { updatesTable, type AppealRow, type MinshengDB } from './db';
import { asStorageError } from './errors';
import { getMeta, setMeta } from './meta';
import { currentPolicy } from './policy-cache';
import { keepReceipts } from './receipts';

// Writes to appeal documents that bypass a live Y.Doc: each builds a scratch doc from
// y-dexie's stored updates, changes it, and writes the update row, the outbox entry
// (for local changes) and the re-derived projection in one transaction.

interface UpdateRow {
  i?: number;
  k: string;
  u: Uint8Array;
  f?: number;
}

export async function scratchDoc(db: MinshengDB, docId: string): Promise<Y.Doc> {
  const rows = (await updatesTable(db).where('k').equals(docId).toArray()) as UpdateRow[];
  const doc = new Y.Doc();
  doc.transact(() => rows.forEach((r) => Y.applyUpdateV2(doc, r.u)));
  return doc;
}

/** Tables a write to any document may touch: appeals, meetings and patrols share the updates table. */
export function docTables(db: MinshengDB) {
  return [db.appeals, db.meetings, db.patrols, db.points, updatesTable(db)];
}

export async function putProjection(db: MinshengDB, docId: string, doc: Y.Doc): Promise<void> {
  const snapshot = readAppeal(doc, docId);
  if (isMeetingFields(snapshot.fields)) return void (await db.meetings.put(projectMeeting(snapshot)));
  if (isPatrolFields(snapshot.fields)) return void (await db.patrols.put(projectPatrol(snapshot)));
  if (isPointsFields(snapshot.fields)) return void (await db.points.put(projectPoints(snapshot)));
  // A plain object without `doc`: y-dexie keeps the CRDT rows we wrote ourselves.
  // The alert feed rides on the row, so the alerts reach the device with the sync itself.
  // Requests for originals ride on the row too, for the uploader to find without opening documents.
  const requested = requestedOriginals(snapshot.events);
  // The server's first receipt is not derived from the document: the row keeps it.
  const receivedAt = (await db.appeals.get(docId))?.receivedAt;
  await db.appeals.put({ ...project(snapshot, currentPolicy(db, snapshot.fields.villageCode)), alertFeed: alertFeed(snapshot.events, docId), ...(requested.length > 0 && { originalsRequested: requested }), ...(receivedAt !== undefined && { receivedAt }) } as AppealRow);
}

/**
 * Keeps a document made on this device (a meeting, a patrol) in one transaction: its projected
 * row in `table`, its first update, and that update queued for the server. The doc is destroyed.
 */
export async function storeNewDoc<R>(db: MinshengDB, table: Table<R>, id: string, doc: Y.Doc, project: (snapshot: ReturnType<typeof readAppeal>) => R, now: number): Promise<void> {
  const update = Y.encodeStateAsUpdate(doc);
  try {
    await db.transaction('rw', [table, updatesTable(db), db.outbox], async () => {
      await table.add(project(readAppeal(doc, id)));
      await updatesTable(db).add({ k: id, u: Y.convertUpdateFormatV1ToV2(update), f: 1 });
      await db.outbox.add({ docId: id, update, createdAt: now } as never);
    });
  } catch (err) {
    throw asStorageError(err);
  } finally {
    doc.destroy();
  }
}

/** Merges updates from the server. The cursor moves in the same transaction as the data. */
/**
 * Where the device stands after a page: `cursor` once a catch-up is complete (every change
 * up to it is here); mid catch-up only how far it got, since documents not sent yet may
 * hold changes older than the page's position.
 */
export type SyncPosition = { cursor: number } | { resume: CatchUpResume };
export interface CatchUpResume {
  from: number;
  at: number;
}

export async function applyRemoteChanges(db: MinshengDB, items: { docId: string; update: Uint8Array; contact?: Contact; receivedAt?: number }[], position?: SyncPosition): Promise<void> {
  try {
    await db.transaction('rw', [...docTables(db), db.meta, db.contacts], async () => {
      for (const { docId, update, contact, receivedAt } of items) {
        if (contact) await db.contacts.put({ appealId: docId, ...contact });
        // Stored even when it adds nothing visible: a pure deletion leaves the state vector
        // unchanged, and an update waiting on missing parts must be kept until they arrive.
        const doc = await scratchDoc(db, docId);
        Y.applyUpdate(doc, update);
        await updatesTable(db).add({ k: docId, u: Y.convertUpdateFormatV1ToV2(update) });
        if (doc.getMap('fields').size > 0) await putProjection(db, docId, doc);
        doc.destroy();
        if (receivedAt !== undefined) await keepReceipts(db, [[docId, receivedAt]]);
      }
      if (position && 'resume' in position) await setMeta(db, 'catchUpResume', position.resume);
      else if (position) {
        if (position.cursor > ((await getMeta<number>(db, 'cursor')) ?? 0)) await setMeta(db, 'cursor', position.cursor);
        await setMeta(db, 'catchUpResume', null);
      }
    });
  } catch (err) {
    throw asStorageError(err);
  }
}

/**
 * Applies a local change made by `mutate` and queues it for the server. Returns false
 * when the change turned out to be a no-op.
 */
export async function applyLocalChange(db: MinshengDB, docId: string, mutate: (doc: Y.Doc) => void, now = Date.now()): Promise<boolean> {
  try {
    return await db.transaction('rw', [...docTables(db), db.outbox], async () => {
      if (!(await db.appeals.get(docId)) && !(await db.meetings.get(docId)) && !(await db.patrols.get(docId)) && !(await db.points.get(docId))) throw new Error(`No document ${docId} on this device`);
      const doc = await scratchDoc(db, docId);
      const captured: Uint8Array[] = [];
      doc.on('update', (u: Uint8Array) => captured.push(u));
      doc.transact(() => mutate(doc));
      if (captured.length === 0) return false;
      const update = Y.mergeUpdates(captured);
      await updatesTable(db).add({ k: docId, u: Y.convertUpdateFormatV1ToV2(update), f: 1 });
      await db.outbox.add({ docId, update, createdAt: now } as never);
      await putProjection(db, docId, doc);
      doc.destroy();
      return true;
    });
  } catch (err) {
    throw asStorageError(err);
  }
}

/**
 * Rebuilds a document after the server rejected one of our updates: the server's state
 * (if it has the document) plus our updates still pending. Call inside a transaction
 * that covers appeals, the updates table and the outbox.
 */
export async function rebuildDoc(db: MinshengDB, docId: string, base: Uint8Array | undefined): Promise<void> {
  const pending = await db.outbox.where('docId').equals(docId).sortBy('seq');
  const parts = [...(base ? [base] : []), ...pending.map((p) => p.update)];
  if (parts.length === 0) {
    // Nothing of it survives on the server or in the outbox; the quarantine keeps the bytes.
    await updatesTable(db).where('k').equals(docId).delete();
    await db.appeals.delete(docId);
    await db.meetings.delete(docId);
    await db.patrols.delete(docId);
    await db.points.delete(docId);
    return;
  }
  const doc = new Y.Doc();
  doc.transact(() => parts.forEach((u) => Y.applyUpdate(doc, u)));
  await replaceDoc(db, docId, doc);
  doc.destroy();
}

/** The document's stored updates become `doc`'s whole state, and its row is projected again. */
async function replaceDoc(db: MinshengDB, docId: string, doc: Y.Doc): Promise<void> {
  await updatesTable(db).where('k').equals(docId).delete();
  await updatesTable(db).add({ k: docId, u: Y.encodeStateAsUpdateV2(doc) });
  await putProjection(db, docId, doc);
}

/**
 * After the server refused our steps as `history_rewritten` (Yjs placed a step made offline
 * before someone's concurrent one, which would change how theirs is judged): the server's
 * state, then every event of ours it lacks appended again at the end, unchanged (same id,
 * same basis), as one new change to push. The server then judges them as the race they
 * were: applied if they still fit, kept as a conflict note if not. Replaces the document's
 * pending changes; call inside a transaction over the document tables and the outbox.
 * Returns whether field or text edits were among them (not carried: the caller quarantines).
 */
export async function rebaseDoc(db: MinshengDB, docId: string, base: Uint8Array): Promise<{ editsLeft: boolean }> {
  const local = await scratchDoc(db, docId);
  const mine = readAppeal(local, docId);
  local.destroy();
  const pending = await db.outbox.where('docId').equals(docId).toArray();
  await db.outbox.bulkDelete(pending.map((p) => p.seq));
  const doc = new Y.Doc();
  Y.applyUpdate(doc, base);
  const theirs = readAppeal(doc, docId);
  const resend = eventsToResend(mine.events, theirs.events);
  const captured: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => captured.push(u));
  if (resend.length > 0) eventsOf(doc).push(resend);
  await replaceDoc(db, docId, doc);
  if (captured.length > 0) await db.outbox.add({ docId, update: Y.mergeUpdates(captured), createdAt: Date.now() } as never);
  doc.destroy();
  const sameFields = Object.keys({ ...mine.fields, ...theirs.fields }).every((k) => JSON.stringify(mine.fields[k]) === JSON.stringify(theirs.fields[k]));
  return { editsLeft: mine.description !== theirs.description || !sameFields };
}
