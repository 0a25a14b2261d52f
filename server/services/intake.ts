import * as Y from 'yjs';
import { contactOf, type AppealInput } from '../../src/core/appeal';
import type { Policies } from '../../src/core/policy-book';
import { appendEvent, docFromUpdates, readAppeal, writeNewAppeal, type AppealSnapshot } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { fold, type AppealState } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import type { Role } from '../../src/core/roles';
import type { PushTx, Store } from '../store/types';
import { storeUpdate, type CommitBus, type Committed } from '../sync/bus';

// Appeals and events the server writes itself: for people without a device of ours (a partner
// system through Open311, a citizen on the public pages) and for the deadline scanner. Each is
// written in a push transaction and fanned out after it commits, exactly as if a device had pushed it.
// Each takes the deployment's policies: an appeal is projected by its county's (see storeUpdate).

export interface ServerActor {
  /** Also the device id its updates are numbered under. */
  id: string;
  role: Role;
}

/** Records a new appeal (and its citizen's contact, kept beside it); returns its id and evaluation code. */
export async function recordOnServer(store: Store, bus: CommitBus, policy: Policies, input: AppealInput, actor: ServerActor): Promise<{ id: string; evalCode: string | null }> {
  const id = newId();
  const contact = contactOf(input);
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
 * Inside a push transaction: appends to a stored appeal the events `make` builds from its
 * snapshot and folded state, as one update numbered under `device` (by the first event's
 * actor), and projects it. Nothing is written when `make` returns no event. Reading and
 * writing in the same transaction means no push can slip between the check and the append.
 */
export async function appendInTx(tx: PushTx, policy: Policies, appealId: string, device: string, now: number, make: (snapshot: AppealSnapshot, state: AppealState) => AppealEvent[]): Promise<Committed | null> {
  const doc = docFromUpdates(await tx.docParts(appealId));
  try {
    const snapshot = readAppeal(doc, appealId);
    const events = make(snapshot, fold(snapshot.events, appealId));
    if (events.length === 0) return null;
    const sv = Y.encodeStateVector(doc);
    doc.transact(() => {
      for (const e of events) appendEvent(doc, e);
    });
    const update = { docId: appealId, deviceId: device, clientSeq: await tx.nextClientSeq(device), userId: events[0]!.actor, bytes: Y.encodeStateAsUpdate(doc, sv) };
    return await storeUpdate(tx, update, readAppeal(doc, appealId), now, policy);
  } finally {
    doc.destroy();
  }
}

/** Appends the event `make` builds from the appeal's state, or nothing when it returns null; fanned out once committed. */
export async function appendOnServer(store: Store, bus: CommitBus, policy: Policies, appealId: string, device: string, make: (state: AppealState) => AppealEvent | null): Promise<boolean> {
  const committed = await store.inPushTx((tx) => appendInTx(tx, policy, appealId, device, Date.now(), (_snapshot, state) => {
    const event = make(state);
    return event ? [event] : [];
  }));
  if (committed) bus.publish([committed], null);
  return committed !== null;
}
