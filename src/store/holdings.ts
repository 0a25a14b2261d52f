import * as Y from 'yjs';
import { boundedTier, holdingOf, holds, RECENT_MS } from '../core/holdings';
import type { AppealProjection } from '../core/projection';
import type { SessionUser } from '../core/roles';
import { updatesTable, type MinshengDB } from './db';
import { applyRemoteChanges } from './docs';
import { asStorageError } from './errors';
import { getMeta, setMeta } from './meta';

// A county or city desk's device keeps only its share of the scope (src/core/holdings.ts):
// what falls out of it is dropped here, unless something of it is still unsent or refused;
// what the desk opens from the server is kept for a while after, then dropped the same way.

const BROWSED = 'browsed';
/** Appeals let go of by retention (store/retention.ts): incoming changes to them are held back until fetched whole. */
export const PURGED = 'purged';

type Fetcher = (path: string) => Promise<Response>;

/** Appeal id → when this device last opened it from the server. */
async function browsedAt(db: MinshengDB): Promise<Record<string, number>> {
  return (await getMeta<Record<string, number>>(db, BROWSED)) ?? {};
}

/**
 * Drops the appeals the user's device no longer holds; returns how many. A device that holds
 * its whole scope (village, town, department) drops nothing.
 */
export async function pruneHoldings(db: MinshengDB, user: Pick<SessionUser, 'role' | 'scope'>, now: number): Promise<number> {
  if (boundedTier(user) === null) return 0;
  const since = now - RECENT_MS;
  try {
    return await db.transaction('rw', [db.appeals, updatesTable(db), db.contacts, db.outbox, db.quarantine, db.meta], async () => {
      const browsed = await browsedAt(db);
      const keep = new Set([...((await db.outbox.orderBy('docId').uniqueKeys()) as string[]), ...((await db.quarantine.orderBy('docId').uniqueKeys()) as string[])]);
      for (const [id, at] of Object.entries(browsed)) if (at >= since) keep.add(id);
      // The device reads a change's own time as when it reached it: earlier than the server's
      // commit time, so a device lets go first and is sent the appeal again whole if it changes.
      const rows = await db.appeals.toArray();
      const drop = rows.filter((r) => !keep.has(r.id) && !holds(user, holdingOf(r as AppealProjection, r.updatedAt), since)).map((r) => r.id);
      if (drop.length > 0) {
        await updatesTable(db).where('k').anyOf(drop).delete();
        await db.appeals.bulkDelete(drop);
        await db.contacts.bulkDelete(drop);
      }
      await setMeta(db, BROWSED, Object.fromEntries(Object.entries(browsed).filter(([, at]) => at >= since)));
      return drop.length;
    });
  } catch (err) {
    throw asStorageError(err);
  }
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export type FetchResult = { ok: true } | { ok: false; reason: 'offline' | 'not_found' | 'failed' };

/**
 * Brings one appeal of the user's scope from the server onto the device (whole), to open and
 * act on offline later; it stays for the recent window after the last time it was opened.
 */
export async function fetchAppeal(db: MinshengDB, id: string, fetcher: Fetcher, now = Date.now()): Promise<FetchResult> {
  let res: Response;
  try {
    res = await fetcher(`/api/appeal-doc?id=${encodeURIComponent(id)}`);
  } catch {
    return { ok: false, reason: 'offline' };
  }
  if (res.status === 404) return { ok: false, reason: 'not_found' };
  if (!res.ok) return { ok: false, reason: 'failed' };
  const body = (await res.json()) as { update?: unknown; contact?: { name?: string; phone?: string } };
  if (typeof body.update !== 'string') return { ok: false, reason: 'failed' };
  const update = fromBase64(body.update);
  // A reply that is not a document would leave a broken row: check it decodes first.
  try {
    Y.decodeUpdate(update);
  } catch {
    return { ok: false, reason: 'failed' };
  }
  await applyRemoteChanges(db, [{ docId: id, update, ...(body.contact && { contact: body.contact }) }]);
  await setMeta(db, BROWSED, { ...(await browsedAt(db)), [id]: now });
  // Whole on the device again: its next changes apply as increments (see store/retention.ts).
  const purged = await getMeta<string[]>(db, PURGED);
  if (purged?.includes(id)) await setMeta(db, PURGED, purged.filter((p) => p !== id));
  return { ok: true };
}

/**
 * Marks an appeal the device holds as opened now, so a browsed one stays a while longer.
 * True when it was browsed: the server does not keep such a copy up to date, so a screen
 * opening it online fetches it again.
 */
export async function touchBrowsed(db: MinshengDB, id: string, now = Date.now()): Promise<boolean> {
  const browsed = await browsedAt(db);
  if (!(id in browsed)) return false;
  await setMeta(db, BROWSED, { ...browsed, [id]: now });
  return true;
}
