import type { IndexableType } from 'dexie';
import { RECENT_MS } from '../core/holdings';
import type { Role } from '../core/roles';
import { choosePurge, DAY_MS, filesToDelete, mentionedHashes, retentionDays, type RetentionRow } from '../core/retention';
import { updatesTable, type MinshengDB } from './db';
import { asStorageError } from './errors';
import { fetchAppeal, PURGED, type FetchResult } from './holdings';
import { getMeta, setMeta } from './meta';
import { currentPolicy } from './policy-cache';

// Bounded storage on a device that holds its whole scope (src/core/retention.ts decides).
//
// A purged appeal leaves a tombstone ('purged'). Why: the server sends a village device each
// change as an increment, not the whole document (it holds the whole scope, so it has the
// history). After a purge the device no longer has that history, and an increment applied to
// nothing would make a document with only the latest change: a broken appeal. The server
// cannot tell which device let go of what (each purges by its own clock), so the device
// screens its incoming changes: one for a tombstoned appeal is not applied; the appeal is
// queued ('refetch') and brought again whole from the server (/api/appeal-doc), which clears
// the tombstone. Until then it is simply not on the device, as after the purge.

const REFETCH = 'refetch';
const BROWSED = 'browsed';

type Fetcher = (path: string) => Promise<Response>;

/** Days this device keeps closed appeals, or null when retention does not apply to the role. */
export function deviceRetentionDays(db: MinshengDB, role: Role): number | null {
  return retentionDays(role, currentPolicy(db).retention);
}

async function purgedIds(db: MinshengDB): Promise<Set<string>> {
  return new Set((await getMeta<string[]>(db, PURGED)) ?? []);
}

/** Appeal id → how many changes to it were held back since it was queued (a fetch that raced a newer one fetches again). */
async function refetchQueue(db: MinshengDB): Promise<Record<string, number>> {
  return (await getMeta<Record<string, number>>(db, REFETCH)) ?? {};
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

export interface PurgeResult {
  appeals: number;
  files: number;
}

/**
 * Lets go of closed appeals past the role's retention, with files only they listed. Kept
 * whatever the age: anything in the outbox or the quarantine, any appeal a draft names, one
 * opened from the server in the recent window, and every file not yet on the server.
 */
export async function purgeExpired(db: MinshengDB, role: Role, now: number): Promise<PurgeResult> {
  const days = deviceRetentionDays(db, role);
  if (days === null) return { appeals: 0, files: 0 };
  const updates = updatesTable(db);
  try {
    return await db.transaction('rw', [db.appeals, updates, db.contacts, db.outbox, db.quarantine, db.meta, db.files], async () => {
      const drafts = await db.meta.where('key').startsWith('draft:').toArray();
      const keep = new Set([...((await db.outbox.orderBy('docId').uniqueKeys()) as string[]), ...((await db.quarantine.orderBy('docId').uniqueKeys()) as string[])]);
      for (const d of drafts) for (const id of JSON.stringify(d.value ?? null).match(UUID) ?? []) keep.add(id);
      const browsed = (await getMeta<Record<string, number>>(db, BROWSED)) ?? {};
      for (const [id, at] of Object.entries(browsed)) if (at >= now - RECENT_MS) keep.add(id);
      // The index narrows to what is old enough; the rule decides.
      const old = (await db.appeals.where('updatedAt').below(now - days * DAY_MS).raw().toArray()) as RetentionRow[];
      const chosen = choosePurge(
        old.map((r) => ({ id: r.id, status: r.status, updatedAt: r.updatedAt })),
        keep,
        now,
        days,
      );
      if (chosen.length === 0) return { appeals: 0, files: 0 };
      // The files each chosen appeal lists; one that lists a file not yet on the server (or
      // refused, waiting for the user) is unsynced work and stays with it.
      // One pass over the updates table: on a year's device, anyOf() with thousands of keys
      // costs a cursor seek per key and was many times slower than reading every row once.
      const chosenSet = new Set(chosen);
      const listed = new Map<string, Set<string>>();
      const rowsOf = new Map<string, IndexableType[]>();
      await updates.toCollection().each((r: { k: string; u: Uint8Array }, cursor) => {
        if (!chosenSet.has(r.k)) return;
        if (!listed.has(r.k)) listed.set(r.k, new Set());
        mentionedHashes(r.u, listed.get(r.k));
        rowsOf.set(r.k, [...(rowsOf.get(r.k) ?? []), cursor.primaryKey]);
      });
      const unsent = new Set((await db.files.where('pending').equals(1).primaryKeys()) as string[]);
      await db.files.filter((f) => !!f.failed).each((f) => unsent.add(f.hash));
      const drop = chosen.filter((id) => ![...(listed.get(id) ?? [])].some((h) => unsent.has(h)));
      if (drop.length === 0) return { appeals: 0, files: 0 };
      const candidates = new Set(drop.flatMap((id) => [...(listed.get(id) ?? [])]));
      await updates.bulkDelete(drop.flatMap((id) => rowsOf.get(id) ?? []));
      await db.appeals.bulkDelete(drop);
      await db.contacts.bulkDelete(drop);
      const tombstones = await purgedIds(db);
      for (const id of drop) tombstones.add(id);
      await setMeta(db, PURGED, [...tombstones]);
      await setMeta(db, BROWSED, Object.fromEntries(Object.entries(browsed).filter(([, at]) => at >= now - RECENT_MS)));
      const held = new Map((await db.files.bulkGet([...candidates])).flatMap((f) => (f ? [[f.hash, f] as const] : [])));
      const deletable = [...held.values()].filter((f) => f.pending === 0 && !f.failed);
      if (deletable.length === 0) return { appeals: drop.length, files: 0 };
      // Any document left (appeal, meeting, patrol, points), anything unsent or refused, and
      // every draft may list a file: only a file none of them names goes.
      const named = new Set<string>();
      await updates.each((r: { u: Uint8Array }) => void mentionedHashes(r.u, named));
      await db.outbox.each((r) => void mentionedHashes(r.update, named));
      await db.quarantine.each((r) => void mentionedHashes(r.update, named));
      const encoder = new TextEncoder();
      for (const d of drafts) mentionedHashes(encoder.encode(JSON.stringify(d.value ?? null)), named);
      const files = filesToDelete(candidates, held, named);
      await db.files.bulkDelete(files);
      return { appeals: drop.length, files: files.length };
    });
  } catch (err) {
    throw asStorageError(err);
  }
}

/**
 * Holds back incoming changes to purged appeals (see above) and queues those appeals to be
 * fetched whole; returns the changes to apply. The queue is written before the changes are
 * applied and the cursor moves, so a crash in between loses nothing: the change comes again.
 */
export async function screenPurged<T extends { docId: string }>(db: MinshengDB, items: readonly T[]): Promise<{ apply: T[]; held: string[] }> {
  if (items.length === 0) return { apply: [...items], held: [] };
  const purged = await purgedIds(db);
  if (purged.size === 0) return { apply: [...items], held: [] };
  const candidates = [...new Set(items.map((i) => i.docId).filter((id) => purged.has(id)))];
  if (candidates.length === 0) return { apply: [...items], held: [] };
  // One fetched again since is whole on the device: its changes apply as usual.
  const present = new Set((await db.appeals.bulkGet(candidates)).flatMap((r) => (r ? [r.id] : [])));
  const held = candidates.filter((id) => !present.has(id));
  if (held.length === 0) return { apply: [...items], held: [] };
  await db.transaction('rw', db.meta, async () => {
    const queue = await refetchQueue(db);
    for (const id of held) queue[id] = (queue[id] ?? 0) + 1;
    await setMeta(db, REFETCH, queue);
  });
  const skip = new Set(held);
  return { apply: items.filter((i) => !skip.has(i.docId)), held };
}

/** Appeals waiting to be fetched whole again. */
export async function refetchPending(db: MinshengDB): Promise<string[]> {
  return Object.keys(await refetchQueue(db));
}

/**
 * Brings every queued appeal again whole. One that changed again while it was fetched stays
 * queued for another round (the fetched copy may predate that change). Stops at the first
 * offline answer; one the server no longer has in scope leaves the queue (it stays purged).
 */
export async function refetchPurged(db: MinshengDB, fetcher: Fetcher, now = Date.now()): Promise<number> {
  let fetched = 0;
  for (const [id, generation] of Object.entries(await refetchQueue(db))) {
    const r: FetchResult = await fetchAppeal(db, id, fetcher, now);
    if (!r.ok && r.reason === 'offline') break;
    if (!r.ok && r.reason === 'failed') continue;
    if (r.ok) fetched++;
    await db.transaction('rw', db.meta, async () => {
      const queue = await refetchQueue(db);
      if (queue[id] === generation) delete queue[id];
      await setMeta(db, REFETCH, queue);
    });
  }
  return fetched;
}

/** What Settings shows: what the device keeps and the space it takes. */
export interface StorageSummary {
  /** Null: this role's device keeps its share otherwise (holdings.ts), or everything. */
  retentionDays: number | null;
  appeals: number;
  meetings: number;
  files: number;
  fileBytes: number;
  /** Appeals let go of, on the server still. */
  purged: number;
  /** From navigator.storage.estimate(), where the browser tells. */
  usage: number | null;
  quota: number | null;
}

export async function storageSummary(db: MinshengDB, role: Role, estimate?: () => Promise<{ usage?: number; quota?: number }>): Promise<StorageSummary> {
  let fileBytes = 0;
  await db.files.each((f) => (fileBytes += f.size));
  let usage: number | null = null;
  let quota: number | null = null;
  try {
    const e = await estimate?.();
    usage = e?.usage ?? null;
    quota = e?.quota ?? null;
  } catch {
    // Not every browser tells; the counts still do.
  }
  return {
    retentionDays: deviceRetentionDays(db, role),
    appeals: await db.appeals.count(),
    meetings: await db.meetings.count(),
    files: await db.files.count(),
    fileBytes,
    purged: (await purgedIds(db)).size,
    usage,
    quota,
  };
}
