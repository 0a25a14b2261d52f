import { newEvalCode } from './evalcode';
import * as Y from 'yjs';
import type { AppealFields, AppealInput } from './appeal';
import { eventsOf, fieldsOf, ROOT_TRAIL, textOf, trailOf, type Actor, type AppealSnapshot } from './doc-roots';
import type { AppealEvent } from './events';
import type { MeetingEvent } from './meeting';

export { ROOT_EVENTS, ROOT_FIELDS, ROOT_NAMES, ROOT_TEXT, ROOT_TRAIL, eventsOf, fieldsOf, textOf, trailOf, type Actor, type AppealSnapshot } from './doc-roots';

/** Fills an empty doc with a new appeal and its `recorded` event, in one transaction. */
export function writeNewAppeal(doc: Y.Doc, input: AppealInput, actor: Actor, at: number, eventId: string): void {
  const { description, citizen, onSpot, ...rest } = input;
  // Name and phone stay out of the document: see `contactOf`.
  const fields: AppealFields = { ...rest, citizen: { anonymous: citizen.anonymous }, gps: rest.gps ?? null, createdBy: actor.id, createdAt: at, evalCode: newEvalCode() };
  doc.transact(() => {
    const map = fieldsOf(doc);
    for (const [k, v] of Object.entries(fields)) map.set(k, v);
    textOf(doc).insert(0, description);
    const desk = onSpot ? null : actor.desk;
    const recorded: AppealEvent = { id: eventId, type: 'recorded', actor: actor.id, role: actor.role, at, ...(actor.name ? { by: actor.name } : {}), ...(onSpot ? { onSpot } : {}), ...(desk ? { desk } : {}) };
    eventsOf(doc).push([recorded]);
  });
}

export function appendEvent(doc: Y.Doc, event: AppealEvent | MeetingEvent): void {
  eventsOf(doc).push([event]);
}

export function readAppeal(doc: Y.Doc, id: string): AppealSnapshot {
  return {
    id,
    fields: fieldsOf(doc).toJSON(),
    description: textOf(doc).toString(),
    events: eventsOf(doc).toArray(),
    // Only a document that has one (a patrol, or a push trying to smuggle one in) reads a trail.
    ...(doc.share.has(ROOT_TRAIL) && { trail: trailOf(doc).toArray() }),
  };
}

/**
 * Builds a doc from stored updates (V1 encoding, as on the wire). Its guid is fixed: Yjs's
 * default is a random UUID made of 31 separate random draws, dear on a server building many.
 */
export function docFromUpdates(updates: Iterable<Uint8Array>): Y.Doc {
  const doc = new Y.Doc({ guid: 'minsheng' });
  doc.transact(() => {
    for (const u of updates) Y.applyUpdate(doc, u);
  });
  return doc;
}

/**
 * Compacts stored parts of one document into a single update. Unlike Y.mergeUpdates this
 * goes through a Y.Doc, so deleted text is garbage-collected out of the snapshot.
 */
export function compactParts(parts: Iterable<Uint8Array>): Uint8Array {
  const doc = docFromUpdates(parts);
  try {
    return Y.encodeStateAsUpdate(doc);
  } finally {
    doc.destroy();
  }
}
