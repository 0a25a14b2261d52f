import { JOURNAL_MS, meetStore, REPLAY_WAIT_MS, type StoreEpoch, type StoreMeeting } from '../core/store-epoch';
import { deviceNow } from './clock';
import type { MinshengDB, OutboxRow } from './db';
import { getMeta, setMeta } from './meta';

// A restored server (src/core/store-epoch.ts) lacks what it acknowledged after its backup.
// The phone keeps each acknowledged push for JOURNAL_MS; on meeting a new store identity it
// queues those from shortly before the backup again, with the photos recorded since, and
// catches up from the restore point.

/** The store identity this device last synced with, for the hello. */
export async function knownStore(db: MinshengDB): Promise<string | undefined> {
  return (await getMeta<string>(db, 'storeId')) ?? undefined;
}

/** Keeps what an ack accepted, and lets go of what is older than the journal. */
export async function journalAcked(db: MinshengDB, rows: readonly OutboxRow[]): Promise<void> {
  const ackedAt = deviceNow(db);
  await db.sent.bulkPut(rows.map((r) => ({ seq: r.seq, docId: r.docId, update: r.update, ackedAt, ...(r.contact && { contact: r.contact }) })));
  await db.sent.where('ackedAt').below(ackedAt - JOURNAL_MS).delete();
}

/**
 * Acts on the welcome's store identity, before anything is pushed or applied: remembers it, and
 * after a restore moves the cursor back to the restore point and queues the journal again.
 */
export async function meetStoreIdentity(db: MinshengDB, epoch: StoreEpoch): Promise<StoreMeeting> {
  return db.transaction('rw', [db.meta, db.sent, db.outbox, db.files], async () => {
    const meeting = meetStore(await knownStore(db), epoch, (await getMeta<number>(db, 'cursor')) ?? 0);
    if (meeting.kind === 'same') return meeting;
    await setMeta(db, 'storeId', epoch.id);
    if (meeting.kind === 'first') return meeting;
    await setMeta(db, 'cursor', meeting.cursor);
    await setMeta(db, 'catchUpResume', null);
    const again = await db.sent.where('ackedAt').aboveOrEqual(meeting.replayFrom).toArray();
    const now = Date.now();
    await db.outbox.bulkAdd(again.map((r) => ({ docId: r.docId, update: r.update, createdAt: now, replay: now, ...(r.contact && { contact: r.contact }) })) as OutboxRow[]);
    await db.sent.bulkDelete(again.map((r) => r.seq));
    // Photos this phone uploaded after the backup were lost with the rest: send them again.
    const uploadedFrom = meeting.replayFrom - (deviceNow(db) - now);
    await db.files.where('pending').equals(0).filter((f) => f.uploadedAt !== undefined && f.uploadedAt >= uploadedFrom).modify({ pending: 1, sent: 0 });
    return meeting;
  });
}

/**
 * A replay refused as missing dependencies needs a change another phone has yet to send
 * again: it waits (deferred) and is tried after the next full catch-up, for REPLAY_WAIT_MS.
 */
export function holdsBack(row: OutboxRow | undefined, reason: string, now = Date.now()): boolean {
  return row?.replay !== undefined && reason === 'missing_dependencies' && now - row.replay < REPLAY_WAIT_MS;
}

/** After a full catch-up the server may have what deferred replays needed: try them again. */
export async function releaseDeferred(db: MinshengDB): Promise<number> {
  return db.outbox.filter((r) => r.deferred === 1).modify((r: OutboxRow) => void delete r.deferred);
}
