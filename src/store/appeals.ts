import { deviceNow } from './clock';
import * as Y from 'yjs';
import { DexieYProvider } from 'y-dexie';
import { contactOf, validateAppealInput, type Checked, type AppealInput } from '../core/appeal';
import { isAppealEvent, type AppealEvent, type EventInput } from '../core/events';
import { fold, refusal } from '../core/fold';
import { appealContext, authorize, type Action } from '../core/workflow';
import type { SessionUser } from '../core/roles';
import { appendEvent, readAppeal, writeNewAppeal, type Actor, type AppealSnapshot } from '../core/doc';
import { recordingDesk } from '../core/intake-desk';
import { newId } from '../core/id';
import { project, type AppealProjection } from '../core/projection';
import { regionInScope, type Scope } from '../core/roles';
import { updatesTable, type AppealRow, type MinshengDB } from './db';
import { applyLocalChange } from './docs';
import { currentPolicy } from './policy';
import { asStorageError } from './errors';
import { phaseDone } from './phases';

export interface Recorder extends Actor {
  scope: Scope;
}

/**
 * The villages a user may record in: known locally and inside their scope. Given the codes a
 * check will ask about, only those are read (a save asks about one; a city holds 4,186).
 */
export async function villageChecker(db: MinshengDB, scope: Scope, asked?: readonly unknown[]): Promise<(code: string) => boolean> {
  const codes = asked?.filter((c): c is string => typeof c === 'string');
  const villages = new Set(codes ? (await db.regions.bulkGet(codes)).flatMap((r) => (r?.level === 'village' ? [r.code] : [])) : await db.regions.where('level').equals('village').primaryKeys());
  return (code) => villages.has(code) && regionInScope(scope, code);
}

/**
 * Records a new appeal: validates, builds its Y.Doc, and writes the row, the CRDT and
 * the outbox entry in one transaction, so a crash leaves all of it or none of it.
 */
export async function recordAppeal(db: MinshengDB, raw: unknown, who: Recorder, now = deviceNow(db)): Promise<Checked<{ id: string; evalCode: string | null; row: AppealProjection }>> {
  let t = performance.now();
  const village = typeof raw === 'object' && raw !== null ? (raw as { villageCode?: unknown }).villageCode : undefined;
  const checked = validateAppealInput(raw, await villageChecker(db, who.scope, [village]));
  if (!checked.ok) return checked;
  t = phaseDone('save:validate', t);
  const id = newId();
  const doc = new Y.Doc();
  // Taken in at a dispatch desk (the hotline), it waits there; anywhere else, at its village's.
  writeNewAppeal(doc, checked.value as AppealInput, { ...who, desk: recordingDesk(who.role) }, now, newId());
  const projected = project(readAppeal(doc, id), currentPolicy(db, (checked.value as AppealInput).villageCode));
  const row = { ...projected, doc } as AppealRow;
  const contact = contactOf(checked.value as AppealInput);
  t = phaseDone('save:build', t);
  try {
    await db.transaction('rw', [db.appeals, updatesTable(db), db.outbox, db.contacts], async () => {
      await db.appeals.add(row);
      if (contact) await db.contacts.put({ appealId: id, ...contact });
      await db.outbox.add({ docId: id, update: Y.encodeStateAsUpdate(doc), ...(contact && { contact }), createdAt: now } as never);
    });
    phaseDone('save:commit', t);
  } catch (err) {
    throw asStorageError(err);
  } finally {
    doc.destroy();
  }
  return { ok: true, value: { id, evalCode: row.evalCode, row: projected } };
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

/** A pipeline action, or a request for a photo's original (not a pipeline step, same rules path). */
export type ActionInput = EventInput<Extract<AppealEvent, { type: Action | 'original_requested' }>>;
export type ActResult = { ok: true } | { ok: false; reason: string };

/**
 * Appends a pipeline event by `user`, checked here with the same rules the server applies,
 * and naming as its basis the last event this device had applied.
 */
export async function act(db: MinshengDB, id: string, user: SessionUser, input: ActionInput, now = deviceNow(db)): Promise<ActResult> {
  let refused: string | null = null;
  const changed = await applyLocalChange(
    db,
    id,
    (doc) => {
      const snapshot = readAppeal(doc, id);
      const state = fold(snapshot.events, id);
      const event = { ...input, id: newId(), actor: user.id, role: user.role, by: user.displayName, at: now, ...(state.lastAppliedId ? { basis: state.lastAppliedId } : {}) };
      if (!isAppealEvent(event)) refused = 'malformed';
      else refused = refusal(state, event) ?? authorize(user, appealContext(snapshot.fields), state, event, currentPolicy(db, snapshot.fields.villageCode));
      if (!refused) appendEvent(doc, event as AppealEvent);
    },
    now,
  );
  if (refused) return { ok: false, reason: refused };
  return changed ? { ok: true } : { ok: false, reason: 'unchanged' };
}

// Bringing an appeal the device does not hold from the server is a command on appeals too.
export { fetchAppeal, touchBrowsed, type FetchResult } from './holdings';
