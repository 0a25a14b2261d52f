import 'fake-indexeddb/auto';
import type { Observable } from 'dexie';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionUser } from '../../src/core/roles';
import { act, recordAppeal } from '../../src/store/appeals';
import { openDb, type MinshengDB } from '../../src/store/db';
import { forgetSession, keepLogin } from '../../src/store/device-session';
import { getMeta } from '../../src/store/meta';
import { recordMeeting } from '../../src/store/meetings';
import {
  allRegions,
  appealWithTimeline,
  countyRegion,
  discardQuarantined,
  keepPlaces,
  mapAppeals,
  placeCorrections,
  meetingById,
  meetingsOverview,
  meetingWithAppeals,
  quarantined,
  quarantinedCount,
  openQueueRows,
  ownQueueRows,
  queueRows,
  queueTotals,
  regionsAt,
  tileSource,
  unsentCount,
  unsentDocIds,
  villageNames,
} from '../../src/store/queries';

// The screens' query layer: each live query answers what its screen shows, and follows the
// tables when they change.

const VILLAGE = '371324101201';
const OTHER_VILLAGE = '371324102201';
const grid: SessionUser = { id: '0190a000-0000-7000-8000-000000000001', username: 'grid', displayName: '网格员 王芳', role: 'grid_worker', scope: { regions: [VILLAGE], departments: [] } };
const recorder = { id: grid.id, role: grid.role, name: grid.displayName, scope: grid.scope };

let db: MinshengDB;
let name: string;

beforeEach(async () => {
  name = `queries-${Math.random()}`;
  db = openDb(name);
  await db.regions.bulkAdd([
    { code: '371324000000', name: '兰陵县', level: 'county', parent: null },
    { code: '371324101000', name: '大仲村镇', level: 'town', parent: '371324000000' },
    { code: '371324102000', name: '另一镇', level: 'town', parent: '371324000000' },
    { code: VILLAGE, name: '大仲村村民委员会', level: 'village', parent: '371324101000' },
    { code: OTHER_VILLAGE, name: '另一村村民委员会', level: 'village', parent: '371324102000' },
  ]);
});

afterEach(async () => {
  db.close();
  await indexedDB.deleteDatabase(name);
});

/** The first result of a live query that satisfies `ok`. */
function until<T>(query: Observable<T>, ok: (value: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const sub = query.subscribe({
      next: (value) => {
        if (!ok(value)) return;
        queueMicrotask(() => sub.unsubscribe());
        resolve(value);
      },
      error: reject,
    });
  });
}

async function record(extra: Record<string, unknown> = {}): Promise<string> {
  const r = await recordAppeal(
    db,
    { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'orange', villageCode: VILLAGE, description: '村东头道路塌陷，雨天无法通行。', citizen: { anonymous: false, name: '张三', phone: '13812345678' }, ...extra },
    recorder,
  );
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.id;
}

describe('places', () => {
  it('lists regions by level, short village names and the city', async () => {
    expect((await until(regionsAt(db, 'county', 'town'))).map((r) => r.code)).toEqual(['371324000000', '371324101000', '371324102000']);
    expect((await until(regionsAt(db, 'village'))).map((r) => r.code)).toEqual([VILLAGE, OTHER_VILLAGE]);
    expect(await until(villageNames(db))).toEqual(new Map([[VILLAGE, '大仲村'], [OTHER_VILLAGE, '另一村']]));
    expect((await countyRegion(db))?.code).toBe('371324000000');
  });
});

describe('queues', () => {
  it('follows new appeals and what is still unsent', async () => {
    expect(await until(queueRows(db))).toEqual([]);
    const id = await record();
    expect((await until(queueRows(db), (rows) => rows.length === 1))[0]!.id).toBe(id);
    expect(await until(unsentDocIds(db))).toEqual(new Set([id]));
    expect(await until(unsentCount(db))).toBe(1);
    await db.outbox.clear();
    expect(await until(unsentDocIds(db))).toEqual(new Set());
  });

  it('reads the open rows apart and counts the device and its author on the indexes', async () => {
    const kept = await record();
    const closed = await record();
    const other = await record();
    await db.appeals.update(closed, { status: 'closed' });
    await db.appeals.update(other, { createdBy: 'someone-else' });
    expect((await until(openQueueRows(db), (rows) => rows.length === 2)).map((r) => r.id).sort()).toEqual([kept, other].sort());
    expect((await until(ownQueueRows(db, grid.id))).map((r) => r.id).sort()).toEqual([kept, closed].sort());
    expect(await until(queueTotals(db, grid.id))).toEqual({ all: 3, mine: 2 });
    await db.appeals.update(kept, { status: 'merged' });
    expect((await until(openQueueRows(db), (rows) => rows.length === 1)).map((r) => r.id)).toEqual([other]);
  });
});

describe('appealWithTimeline', () => {
  it('is null for an appeal the device does not have', async () => {
    expect(await until(appealWithTimeline(db, 'nope'))).toBeNull();
  });

  it('gives the document, its village, the contact and what it may merge into, and follows new events', async () => {
    const id = await record();
    const other = await record({ description: '另一处道路也塌陷了，需要修补。' });
    const view = (await until(appealWithTimeline(db, id)))!;
    expect(view.row.id).toBe(id);
    expect(view.village?.code).toBe(VILLAGE);
    expect(view.contact).toEqual({ appealId: id, name: '张三', phone: '13812345678' });
    expect(view.mergeCandidates.map((c) => c.id)).toEqual([other]);
    expect(view.snapshot.events).toHaveLength(1);

    expect(await act(db, id, grid, { type: 'commented', note: '已到现场查看。' })).toEqual({ ok: true });
    const after = (await until(appealWithTimeline(db, id), (v) => (v?.snapshot.events.length ?? 0) === 2))!;
    expect(after.snapshot.events.at(-1)).toMatchObject({ type: 'commented', note: '已到现场查看。' });
  });
});

describe('meetings', () => {
  it('gives a meeting with the appeals raised at it, and the overview of meetings in scope', async () => {
    const m = await recordMeeting(db, { villageCode: VILLAGE, heldOn: '2026-11-20', place: '村委会', attendees: 12, topics: '道路与饮水' }, recorder);
    expect(m.ok).toBe(true);
    const meetingId = m.id!;
    const appealId = await record({ channel: 'bench_meeting', meetingId });

    expect((await meetingById(db, meetingId))?.village).toBe(VILLAGE);
    const view = (await until(meetingWithAppeals(db, meetingId)))!;
    expect(view.row.id).toBe(meetingId);
    expect(view.village?.code).toBe(VILLAGE);
    expect(view.appeals.map((a) => a.id)).toEqual([appealId]);
    expect(view.pending).toEqual(new Set([meetingId, appealId]));
    expect(await until(meetingWithAppeals(db, 'nope'))).toBeNull();

    const overview = await until(meetingsOverview(db, grid.scope));
    expect(overview.meetings.map((x) => x.id)).toEqual([meetingId]);
    expect(overview.villages.map((v) => v.code)).toEqual([VILLAGE]);
    expect(overview.linked.map((a) => a.id)).toEqual([appealId]);
  });
});

describe('map', () => {
  it('gives rows, regions and kept corrections; keeps the tile source', async () => {
    const id = await record();
    expect((await until(mapAppeals(db))).map((r) => r.id)).toEqual([id]);
    expect(await until(allRegions(db))).toHaveLength(5);
    expect(await until(placeCorrections(db))).toEqual({});
    expect(await until(tileSource(db))).toBeUndefined();

    await keepPlaces(db, { [VILLAGE]: { lat: 34.8, lng: 118.0 } }, null);
    expect(await until(placeCorrections(db))).toEqual({ [VILLAGE]: { lat: 34.8, lng: 118.0 } });
    expect(await until(tileSource(db))).toBeNull();
    // Corrections alone leave the tile source as it was.
    await keepPlaces(db, {}, { url: 'https://tiles.example/{z}/{x}/{y}.png', attribution: 'x' });
    await keepPlaces(db, { [VILLAGE]: { lat: 34.9, lng: 118.1 } });
    expect(await until(tileSource(db))).toEqual({ url: 'https://tiles.example/{z}/{x}/{y}.png', attribution: 'x' });
  });
});

describe('quarantine', () => {
  it('lists refused changes in order and discards one', async () => {
    await db.quarantine.bulkAdd([
      { seq: 2, docId: 'b', update: new Uint8Array([2]), reason: 'rejected', detail: 'closed: role_not_allowed', at: 2 },
      { seq: 1, docId: 'a', update: new Uint8Array([1]), reason: 'rejected', detail: 'x', at: 1 },
    ]);
    expect((await until(quarantined(db))).map((q) => q.seq)).toEqual([1, 2]);
    expect(await until(quarantinedCount(db))).toBe(2);
    await discardQuarantined(db, 1);
    expect((await until(quarantined(db))).map((q) => q.seq)).toEqual([2]);
  });
});

describe('device session', () => {
  it('replaces the division list with the session on login, and forgets only the session', async () => {
    const regions = [{ code: '371324000000', name: '兰陵县', level: 'county' as const, parent: null }];
    await keepLogin(db, regions, { token: 't' });
    expect(await db.regions.toArray()).toEqual(regions);
    expect(await getMeta(db, 'session')).toEqual({ token: 't' });
    await forgetSession(db);
    expect(await getMeta(db, 'session')).toBeUndefined();
    expect(await db.regions.count()).toBe(1);
  });
});
