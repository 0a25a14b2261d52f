import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOpen } from '../../src/core/fold';
import { DAY_MS, DEFAULT_RETENTION_DAYS } from '../../src/core/retention';
import { openDb, updatesTable, type MinshengDB } from '../../src/store/db';
import { applyRemoteChanges } from '../../src/store/docs';
import { saveDraft } from '../../src/store/drafts';
import { purgeExpired, refetchPending, screenPurged, storageSummary } from '../../src/store/retention';
import { appealDoc, buildYear, photo, PHOTO_BYTES, PHOTO_EVERY, villageRegions } from '../helpers/village-year';

// A year of a busy village on a grid worker's phone: 20,000 appeals over 365 days, most closed,
// each with its events, one in four with a photo (tests/helpers/village-year.ts builds them: a
// sample through the real receive path, the bulk with bulkPut). After the purge the device
// holds what the retention window says (README, "A year on the phone"), and nothing unsynced
// is gone.

const N = Number(process.env.YEAR_N ?? 20_000);
const SAMPLE = 200;
const YEAR_DAYS = 365;
const NOW = Date.UTC(2026, 10, 30, 2);
const START = NOW - YEAR_DAYS * DAY_MS;
const W = DEFAULT_RETENTION_DAYS.grid_worker!;

let db: MinshengDB;
const name = `year-${Math.random()}`;
const ids: string[] = [];
const openIds = new Set<string>();
const unsynced = new Set<string>();
let sharedPhoto = '';
let pendingPhoto = '';

/** Bytes the device keeps for its appeals: projected rows (as JSON), CRDT updates, file blobs. */
async function footprint(): Promise<{ appeals: number; bytes: number }> {
  let bytes = 0;
  await db.appeals.each((r) => (bytes += JSON.stringify({ ...r, doc: undefined }).length));
  await updatesTable(db).each((r: { u: Uint8Array }) => (bytes += r.u.byteLength));
  await db.files.each((f) => (bytes += f.size));
  return { appeals: await db.appeals.count(), bytes };
}

beforeAll(async () => {
  db = openDb(name);
  await villageRegions(db);
  ids.push(
    ...(await buildYear(db, {
      n: N,
      days: YEAR_DAYS,
      now: NOW,
      sample: SAMPLE,
      onAppeal: (i, id, open, own) => {
        if (open) openIds.add(id);
        if (i === 4) sharedPhoto = own!;
      },
      // The newest appeal lists appeal 4's photo (old, closed): that file must stay.
      photoOf: (i, own) => (i === N - 1 ? sharedPhoto : own),
    })),
  );
  // Unsynced work on old closed appeals: a local change in the outbox, a refused one in the
  // quarantine, a draft naming one, and one listing a photo still waiting to upload.
  await db.outbox.bulkAdd(ids.slice(10, 40).filter((id) => !openIds.has(id)).map((docId) => ({ docId, update: new Uint8Array([0, 0]), createdAt: START }) as never));
  for (const id of ids.slice(10, 40)) if (!openIds.has(id)) unsynced.add(id);
  await db.quarantine.bulkAdd(ids.slice(41, 46).map((docId, j) => ({ seq: 9_000 + j, docId, update: new Uint8Array([0, 0]), reason: 'forbidden', detail: 'x', at: START })));
  for (const id of ids.slice(41, 46)) unsynced.add(id);
  await saveDraft(db, `action:${ids[47]}`, { appealId: ids[47], note: '回访记录未写完' });
  unsynced.add(ids[47]!);
  // Appeal 48 lists a photo that is not on the server yet.
  const p = await photo(999_999);
  pendingPhoto = p.hash;
  const { update } = appealDoc(48, START + 48 * DAY_MS / 60, false, p.hash);
  await updatesTable(db).where('k').equals(ids[48]!).delete();
  await applyRemoteChanges(db, [{ docId: ids[48]!, update }]);
  await db.appeals.update(ids[48]!, { updatedAt: START + DAY_MS });
  await db.files.put({ hash: p.hash, type: 'image/jpeg', size: PHOTO_BYTES, blob: p.blob, pending: 1, sent: 0, createdAt: START });
  unsynced.add(ids[48]!);
}, 240_000);

afterAll(async () => {
  db.close();
  await indexedDB.deleteDatabase(name);
});

describe('a year of a busy village on one phone', () => {
  it('the sample written through the receive path matches the bulk rows', async () => {
    const a = (await db.appeals.get(ids[SAMPLE - 2]!))!;
    const b = (await db.appeals.get(ids[SAMPLE + 1]!))!;
    expect(a.status).toBe('closed');
    expect(b.status).toBe('closed');
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    expect(openIds.has(ids[0]!)).toBe(true);
    expect(isOpen((await db.appeals.get(ids[0]!))!.status)).toBe(true);
  });

  it('stays under the bound the retention window gives, and keeps everything unsynced', async () => {
    const before = await footprint();
    expect(before.appeals).toBe(N);
    const perAppeal = before.bytes / N;

    const first = await purgeExpired(db, 'grid_worker', NOW);
    const after = await footprint();

    // The bound (README): appeals recorded in the last W+5 days (closed within 5 days of
    // recording, so changed within W), plus every open one, plus every unsynced one.
    const perDay = N / YEAR_DAYS;
    const bound = Math.ceil(perDay * (W + 5 + 1)) + openIds.size + unsynced.size;
    expect(after.appeals).toBeLessThanOrEqual(bound);
    // Bytes: at most the bound in appeals of average size, twice over for the spread of sizes.
    expect(after.bytes).toBeLessThanOrEqual(bound * perAppeal * 2);
    expect(after.bytes).toBeLessThan(before.bytes * 0.4);
    expect(first.appeals).toBe(N - after.appeals);
    expect(first.files).toBeGreaterThan((first.appeals / PHOTO_EVERY) * 0.9);

    const held = new Set((await db.appeals.toCollection().primaryKeys()) as string[]);
    for (const id of openIds) expect(held.has(id)).toBe(true);
    for (const id of unsynced) expect(held.has(id), id).toBe(true);
    // Every appeal changed within the window is still here.
    const cutoff = NOW - W * DAY_MS;
    for (const id of (await db.appeals.where('updatedAt').aboveOrEqual(cutoff).primaryKeys()) as string[]) expect(held.has(id)).toBe(true);
    // Files: the shared photo (listed by a kept appeal) and the one waiting to upload stay.
    expect(await db.files.get(sharedPhoto)).toBeDefined();
    expect(await db.files.get(pendingPhoto)).toBeDefined();
    // Every file left is listed by an appeal still here (or not yet uploaded).
    const purged = ids.filter((id) => !held.has(id));
    expect(await updatesTable(db).where('k').anyOf(purged.slice(0, 500)).count()).toBe(0);
    expect(await db.outbox.count()).toBe([...unsynced].filter((id) => ids.indexOf(id) < 40).length);
    expect(await db.quarantine.count()).toBe(5);

    // Idempotent: a second purge at the same time lets go of nothing more.
    expect(await purgeExpired(db, 'grid_worker', NOW)).toEqual({ appeals: 0, files: 0 });

    const summary = await storageSummary(db, 'grid_worker', async () => ({ usage: 123, quota: 456 }));
    expect(summary).toMatchObject({ retentionDays: W, appeals: after.appeals, purged: first.appeals, usage: 123, quota: 456 });
    console.info(`year of a village: ${N} appeals, ${(before.bytes / 1e6).toFixed(1)} MB → ${after.appeals} appeals, ${(after.bytes / 1e6).toFixed(1)} MB (bound ${bound} appeals)`);
  }, 120_000);

  it('holds back a later change to a purged appeal and queues it to be fetched whole', async () => {
    const purgedId = ids[101]!;
    expect(await db.appeals.get(purgedId)).toBeUndefined();
    const kept = ids[N - 2]!;
    const { apply, held } = await screenPurged(db, [{ docId: purgedId, update: new Uint8Array([1]) }, { docId: kept, update: new Uint8Array([2]) }]);
    expect(held).toEqual([purgedId]);
    expect(apply.map((i) => i.docId)).toEqual([kept]);
    expect(await refetchPending(db)).toEqual([purgedId]);
  });
});
