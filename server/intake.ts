import * as Y from 'yjs';
import type { AppealInput, Contact } from '../src/core/appeal';
import type { DeadlinePolicy } from '../src/core/deadline';
import { appendEvent, docFromUpdates, readAppeal, writeNewAppeal } from '../src/core/doc';
import type { AppealEvent } from '../src/core/events';
import { fold, type AppealState } from '../src/core/fold';
import { newId } from '../src/core/id';
import type { Role } from '../src/core/roles';
import type { Store } from './store/types';
import { storeUpdate, type CommitBus } from './sync/bus';

// Appeals and events the server writes itself, for people without a device of ours: a partner
// system (Open311), a citizen on the public pages. Each is one push transaction, fanned out
// after it commits, exactly as if a device had pushed it.

export interface ServerActor {
  /** Also the device id its updates are numbered under. */
  id: string;
  role: Role;
}

/** Records a new appeal (and its citizen's contact, kept beside it); returns its id and evaluation code. */
export async function recordOnServer(store: Store, bus: CommitBus, policy: DeadlinePolicy, input: AppealInput, contact: Contact | null, actor: ServerActor): Promise<{ id: string; evalCode: string | null }> {
  const id = newId();
  const doc = new Y.Doc();
  const now = Date.now();
  writeNewAppeal(doc, input, actor, now, newId());
  const snapshot = readAppeal(doc, id);
  const committed = await store.inPushTx(async (tx) => {
    if (contact) await tx.putContact(id, contact, actor.id, now);
    return storeUpdate(tx, { docId: id, deviceId: actor.id, clientSeq: await tx.nextClientSeq(actor.id), userId: actor.id, bytes: Y.encodeStateAsUpdate(doc) }, snapshot, now, policy);
  });
  doc.destroy();
  bus.publish([committed], null);
  const code = snapshot.fields.evalCode;
  return { id, evalCode: typeof code === 'string' ? code : null };
}

/**
 * Appends the event `make` builds from the appeal's current state, or nothing when it returns
 * null (the state no longer allows it). Read and write happen in one transaction, so no push
 * can slip between the check and the append. True when an event was appended.
 */
export async function appendOnServer(store: Store, bus: CommitBus, policy: DeadlinePolicy, appealId: string, device: string, make: (state: AppealState) => AppealEvent | null): Promise<boolean> {
  const committed = await store.inPushTx(async (tx) => {
    const doc = docFromUpdates(await tx.docParts(appealId));
    try {
      const state = fold(readAppeal(doc, appealId).events, appealId);
      const event = make(state);
      if (!event) return null;
      const sv = Y.encodeStateVector(doc);
      appendEvent(doc, event);
      const update = { docId: appealId, deviceId: device, clientSeq: await tx.nextClientSeq(device), userId: event.actor, bytes: Y.encodeStateAsUpdate(doc, sv) };
      return storeUpdate(tx, update, readAppeal(doc, appealId), Date.now(), policy);
    } finally {
      doc.destroy();
    }
  });
  if (committed) bus.publish([committed], null);
  return committed !== null;
}
