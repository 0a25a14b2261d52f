import * as Y from 'yjs';
import { DexieYProvider } from 'y-dexie';
import { validateAppealInput, type Checked, type AppealInput } from '../core/appeal';
import { appendEvent, readAppeal, writeNewAppeal, type Actor, type AppealSnapshot } from '../core/doc';
import { MAX_EVENT_NOTE_CHARS } from '../core/limits';
import { newId } from '../core/id';
import { project } from '../core/projection';
import { regionInScope, type Scope } from '../core/roles';
import { updatesTable, type AppealRow, type MinshengDB } from './db';
import { applyLocalChange } from './docs';
import { asStorageError } from './errors';

export interface Recorder extends Actor {
  scope: Scope;
}

/** The villages a user may record in: known locally and inside their scope. */
export async function villageChecker(db: MinshengDB, scope: Scope): Promise<(code: string) => boolean> {
  const villages = new Set(await db.regions.where('level').equals('village').primaryKeys());
  return (code) => villages.has(code) && regionInScope(scope, code);
}

/**
 * Records a new appeal: validates, builds its Y.Doc, and writes the row, the CRDT and
 * the outbox entry in one transaction, so a crash leaves all of it or none of it.
 */
export async function recordAppeal(db: MinshengDB, raw: unknown, who: Recorder, now = Date.now()): Promise<Checked<{ id: string }>> {
  const checked = validateAppealInput(raw, await villageChecker(db, who.scope));
  if (!checked.ok) return checked;
  const id = newId();
  const doc = new Y.Doc();
  writeNewAppeal(doc, checked.value as AppealInput, who, now, newId());
  const row = { ...project(readAppeal(doc, id)), doc } as AppealRow;
  try {
    await db.transaction('rw', [db.appeals, updatesTable(db), db.outbox], async () => {
      await db.appeals.add(row);
      await db.outbox.add({ docId: id, update: Y.encodeStateAsUpdate(doc), createdAt: now } as never);
    });
  } catch (err) {
    throw asStorageError(err);
  } finally {
    doc.destroy();
  }
  return { ok: true, value: { id } };
}

/** Reads an appeal's whole document (fields, text, events) through y-dexie. */
export async function loadAppeal(db: MinshengDB, id: string): Promise<AppealSnapshot | null> {
  const row = await db.appeals.get(id);
  if (!row) return null;
  const provider = DexieYProvider.load(row.doc);
  try {
    await provider.whenLoaded;
    return readAppeal(row.doc, id);
  } finally {
    DexieYProvider.release(row.doc);
  }
}

export function myAppeals(db: MinshengDB): Promise<AppealRow[]> {
  return db.appeals.orderBy('updatedAt').reverse().toArray();
}

/** Appends a comment by `who`. Returns false when the note is empty or too long. */
export async function addComment(db: MinshengDB, id: string, who: Actor, note: string, now = Date.now()): Promise<boolean> {
  const text = note.trim();
  if (!text || text.length > MAX_EVENT_NOTE_CHARS) return false;
  return applyLocalChange(db, id, (doc) => appendEvent(doc, { id: newId(), type: 'commented', actor: who.id, role: who.role, at: now, note: text }), now);
}
