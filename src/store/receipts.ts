import type { MinshengDB } from './db';

// When the server first received each appeal (core/sync-delay.ts), kept on its local row. The
// server tells a device once (the ack of the push that began the document, or the frame that
// brings the document); the first receipt never changes, so a value already kept stands.

/** Keeps first receipts on the appeals' rows; call inside a transaction over db.appeals. Other documents have none. */
export async function keepReceipts(db: MinshengDB, receipts: Iterable<readonly [docId: string, at: number]>): Promise<void> {
  for (const [docId, at] of receipts) {
    await db.appeals
      .where('id')
      .equals(docId)
      .filter((row) => row.receivedAt === undefined)
      .modify({ receivedAt: at });
  }
}
