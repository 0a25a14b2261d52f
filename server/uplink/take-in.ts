import * as Y from 'yjs';
import type { Contact } from '../../src/core/appeal';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import type { Policies } from '../../src/core/policy-book';
import type { PushTx, Store } from '../store/types';
import { storeUpdate, type Committed } from '../sync/bus';

/** Where updates taken from the city are numbered in a county server's sync log: never relayed back up. */
export const UPSTREAM_DEVICE = 'upstream';
/** Where a county server numbers the moves it makes after the city refused a race (rebaseRelayed): relayed up like its phones' changes. */
export const REBASE_DEVICE = 'uplink-rebase';

/**
 * Stores what the city sent, each document in its own push transaction: the city's changes
 * join this server's log as if a device had pushed them, so its phones receive them. The city
 * validated them; an update that adds nothing this server lacks is not stored again.
 */
export async function takeIn(store: Store, policy: Policies, items: { docId: string; update: Uint8Array; contact?: Contact }[]): Promise<Committed[]> {
  const out: Committed[] = [];
  for (const { docId, update, contact } of items) {
    const committed = await store.inPushTx(async (tx) => {
      if (contact) await tx.putContact(docId, contact, UPSTREAM_DEVICE, Date.now());
      return storeIfNew(tx, policy, docId, update, UPSTREAM_DEVICE);
    });
    if (committed) out.push(committed);
  }
  return out;
}

/** Inside a push transaction: stores `update` under `device` unless the document holds all of it already. */
export async function storeIfNew(tx: PushTx, policy: Policies, docId: string, update: Uint8Array, device: string): Promise<Committed | null> {
  const parts = await tx.docParts(docId);
  const doc = docFromUpdates(parts);
  try {
    const before = Y.encodeStateAsUpdate(doc);
    Y.applyUpdate(doc, update);
    if (parts.length > 0 && Buffer.from(before).equals(Buffer.from(Y.encodeStateAsUpdate(doc)))) return null;
    const clientSeq = await tx.nextClientSeq(device);
    return await storeUpdate(tx, { docId, deviceId: device, clientSeq, userId: device, bytes: update }, readAppeal(doc, docId), Date.now(), policy);
  } finally {
    doc.destroy();
  }
}
