import type * as Y from 'yjs';
import type { Role } from './roles';

// The layout every synced document shares: one Y.Doc per appeal (doc.ts) or bench meeting
// (meeting.ts). A leaf both build on, so neither imports the other for it.
// Root names are part of the wire format: never rename them.
export const ROOT_FIELDS = 'fields';
export const ROOT_TEXT = 'text';
export const ROOT_EVENTS = 'events';
/** A patrol's GPS trail (patrol.ts); no other document may have anything in it. */
export const ROOT_TRAIL = 'trail';
export const ROOT_NAMES: readonly string[] = [ROOT_FIELDS, ROOT_TEXT, ROOT_EVENTS, ROOT_TRAIL];

export interface Actor {
  id: string;
  role: Role;
  /** Display name, written into the events this actor appends. */
  name?: string;
  /** The dispatch desk a person records at (the hotline), where a new appeal then waits; see intake-desk.ts. */
  desk?: 'county' | 'city' | null;
}

/** A plain read of a document, detached from Yjs. */
export interface AppealSnapshot {
  id: string;
  fields: Record<string, unknown>;
  description: string;
  events: unknown[];
  /** A patrol's trail points; present only on a document that has a trail root. */
  trail?: unknown[];
}

export function fieldsOf(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(ROOT_FIELDS);
}
export function textOf(doc: Y.Doc): Y.Text {
  return doc.getText(ROOT_TEXT);
}
export function eventsOf(doc: Y.Doc): Y.Array<unknown> {
  return doc.getArray(ROOT_EVENTS);
}
export function trailOf(doc: Y.Doc): Y.Array<unknown> {
  return doc.getArray(ROOT_TRAIL);
}
