import * as Y from 'yjs';
import { alertFeed } from '../../src/core/alerts';
import type { AppealInput } from '../../src/core/appeal';
import { appendEvent, readAppeal, writeNewAppeal } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { newId, uuidV7Factory } from '../../src/core/id';
import { project } from '../../src/core/projection';
import { DAY_MS } from '../../src/core/retention';
import { updatesTable, type AppealRow, type FileRow, type MinshengDB } from '../../src/store/db';
import { applyRemoteChanges } from '../../src/store/docs';
import { sha256Hex } from '../../src/store/files';
import { currentPolicy } from '../../src/store/policy';

// A year of a busy village on one phone, for the bounded-storage test and bench. Appeals are
// recorded evenly over `days`; one in OPEN_EVERY stays open, the rest are handled and closed
// within 5 days; one in PHOTO_EVERY lists a small photo kept on the device (already uploaded).
//
// The first `sample` go through the phone's real receive path (applyRemoteChanges, as from the
// server). The rest are built the same way (a Yjs document each, projected by `project` with
// the device's policy) but written with bulkPut in large transactions: the same rows, without a
// transaction per appeal, so a year takes seconds rather than minutes.

export const VILLAGE = '371324102201';
export const OPEN_EVERY = 25;
export const PHOTO_EVERY = 4;
export const PHOTO_BYTES = 2_048;

const grid = { id: 'u-grid', role: 'grid_worker' as const };
const town = { id: 'u-town', role: 'town_official' as const };

export async function villageRegions(db: MinshengDB): Promise<void> {
  await db.regions.bulkAdd([
    { code: '371324000000', name: '兰陵县', level: 'county', parent: null },
    { code: '371324102000', name: '镇', level: 'town', parent: '371324000000' },
    { code: VILLAGE, name: '村', level: 'village', parent: '371324102000' },
  ]);
}

function input(i: number, photo: string | null): AppealInput {
  return {
    channel: 'grid_patrol',
    category: 'infra.roads',
    kind: 'complaint',
    urgency: 'yellow',
    villageCode: VILLAGE,
    description: `第${i}号：村东头的路坏了，雨天无法通行。请尽快修复。`,
    citizen: { anonymous: true },
    gps: null,
    ...(photo && { attachments: [{ hash: photo, type: 'image/jpeg', size: PHOTO_BYTES }] }),
  };
}

/** One appeal's document: recorded at `at`, and unless left open, handled and closed within 5 days. */
export function appealDoc(i: number, at: number, open: boolean, photo: string | null, id = ''): { update: Uint8Array; v2: Uint8Array; snap: ReturnType<typeof readAppeal> } {
  const doc = new Y.Doc();
  writeNewAppeal(doc, input(i, photo), grid, at, newId());
  const e = (type: AppealEvent['type'], dt: number, extra: Record<string, unknown> = {}, who: { id: string; role: string } = town) =>
    appendEvent(doc, { id: newId(), type, actor: who.id, role: who.role, at: at + dt, ...extra } as AppealEvent);
  e('accepted', 3_600_000);
  e('assigned', 7_200_000, { to: 'village' });
  if (!open) {
    e('replied', 2 * DAY_MS, { note: '已修复', via: 'grid_patrol' }, grid);
    e('visited', 4 * DAY_MS, { satisfaction: 'satisfied' });
    e('closed', 5 * DAY_MS);
  }
  const update = Y.encodeStateAsUpdate(doc);
  const v2 = Y.encodeStateAsUpdateV2(doc);
  const snap = readAppeal(doc, id);
  doc.destroy();
  return { update, v2, snap };
}

/** A small photo's bytes, distinct per `i`. */
export async function photo(i: number): Promise<{ hash: string; blob: Blob }> {
  const bytes = new Uint8Array(PHOTO_BYTES);
  new DataView(bytes.buffer).setUint32(0, i);
  return { hash: await sha256Hex(bytes.buffer), blob: new Blob([bytes], { type: 'image/jpeg' }) };
}

export interface YearOptions {
  n: number;
  days: number;
  /** Recording time of the last appeal's day end. */
  now: number;
  sample?: number;
  /** The photo appeal `i` lists instead of its own (a shared one), or undefined. */
  photoOf?: (i: number, own: string | null) => string | null;
  /** Told each appeal's id and own photo hash as it is built. */
  onAppeal?: (i: number, id: string, open: boolean, photo: string | null) => void;
}

/** Writes a year of appeals onto `db`; returns their ids in recording order. */
export async function buildYear(db: MinshengDB, { n, days, now, sample = 0, photoOf, onAppeal }: YearOptions): Promise<string[]> {
  const start = now - days * DAY_MS;
  const policy = currentPolicy(db);
  const ids: string[] = [];
  const batch: { rows: AppealRow[]; updates: { k: string; u: Uint8Array }[]; files: FileRow[] } = { rows: [], updates: [], files: [] };
  const flush = async () => {
    await db.transaction('rw', [db.appeals, updatesTable(db), db.files], async () => {
      await db.appeals.bulkPut(batch.rows);
      await updatesTable(db).bulkAdd(batch.updates);
      await db.files.bulkPut(batch.files);
    });
    batch.rows = [];
    batch.updates = [];
    batch.files = [];
  };
  for (let i = 0; i < n; i++) {
    const at = start + Math.floor((i / n) * days * DAY_MS);
    const id = uuidV7Factory(() => at)();
    ids.push(id);
    const open = i % OPEN_EVERY === 0;
    const file = i % PHOTO_EVERY === 0 ? await photo(i) : null;
    onAppeal?.(i, id, open, file?.hash ?? null);
    const hash = photoOf ? photoOf(i, file?.hash ?? null) : file?.hash ?? null;
    const { update, v2, snap } = appealDoc(i, at, open, hash, id);
    if (file) batch.files.push({ hash: file.hash, type: 'image/jpeg', size: PHOTO_BYTES, blob: file.blob, pending: 0, sent: PHOTO_BYTES, createdAt: at });
    if (i < sample) {
      await applyRemoteChanges(db, [{ docId: id, update }]);
      continue;
    }
    batch.rows.push({ ...project(snap, policy), alertFeed: alertFeed(snap.events, id) } as AppealRow);
    batch.updates.push({ k: id, u: v2 });
    if (batch.rows.length >= 2_000) await flush();
  }
  await flush();
  return ids;
}
