import 'fake-indexeddb/auto';
import type { Observable } from 'dexie';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_PATROL_MS } from '../../src/core/patrol';
import type { SessionUser } from '../../src/core/roles';
import { openDb, type MinshengDB } from '../../src/store/db';
import { checkIn, endOverduePatrols, endPatrol, patrolsView, recordFix, runningPatrol, startPatrol } from '../../src/store/patrols';

// A patrol on the device: one at a time, each kept point and check-in an outbox entry, an
// end never before what it holds nor after its longest length, and the screen's queries.

const VILLAGE = '371324101201';
const OTHER_VILLAGE = '371324102201';
const grid: SessionUser = { id: '0190a000-0000-7000-8000-000000000001', username: 'grid', displayName: '网格员 王芳', role: 'grid_worker', scope: { regions: [VILLAGE], departments: [] } };
const walker = { id: grid.id, role: grid.role, name: grid.displayName, scope: grid.scope };
const MIN = 60_000;
const T0 = Date.now() - 60 * MIN;

let db: MinshengDB;
let name: string;

beforeEach(async () => {
  name = `patrols-${Math.random()}`;
  db = openDb(name);
  await db.regions.bulkAdd([
    { code: '371324101000', name: '大仲村镇', level: 'town', parent: '371324000000' },
    { code: VILLAGE, name: '大仲村村民委员会', level: 'village', parent: '371324101000' },
    { code: OTHER_VILLAGE, name: '另一村村民委员会', level: 'village', parent: '371324102000' },
  ]);
});

afterEach(async () => {
  db.close();
  await indexedDB.deleteDatabase(name);
});

function first<T>(query: Observable<T>, ok: (value: T) => boolean = () => true): Promise<T> {
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

describe('a patrol on the device', () => {
  it('starts only in the walker’s village, for a village role, one at a time', async () => {
    expect(await startPatrol(db, OTHER_VILLAGE, walker, T0)).toEqual({ ok: false, reason: 'villageCode' });
    expect(await startPatrol(db, VILLAGE, { ...walker, role: 'town_official' }, T0)).toEqual({ ok: false, reason: 'role_not_allowed' });
    const r = await startPatrol(db, VILLAGE, walker, T0);
    expect(r.ok).toBe(true);
    expect(await startPatrol(db, VILLAGE, walker, T0 + MIN)).toEqual({ ok: false, reason: 'already_running' });
    expect((await first(runningPatrol(db, grid.id)))?.village).toBe(VILLAGE);
    expect(await db.outbox.count()).toBe(1);
  });

  it('queues only kept points, and ends no earlier than its last check-in', async () => {
    const r = await startPatrol(db, VILLAGE, walker, T0);
    if (!r.ok) throw new Error(r.reason);
    expect(await recordFix(db, r.id, { lat: 34.8, lng: 117.5 }, T0 + MIN)).toBe(true);
    expect(await recordFix(db, r.id, { lat: 34.801, lng: 117.5 }, T0 + MIN + 5_000)).toBe(false);
    expect(await db.outbox.count()).toBe(2);
    expect((await checkIn(db, r.id, walker, { placeName: '  ', lat: 34.8, lng: 117.5 }, T0 + 2 * MIN)).ok).toBe(false);
    expect((await checkIn(db, r.id, { ...walker, id: 'someone-else' }, { placeName: '河堤', lat: 34.8, lng: 117.5 }, T0 + 2 * MIN))).toEqual({ ok: false, reason: 'not_creator' });
    expect((await checkIn(db, r.id, walker, { placeName: '河堤', lat: 34.8, lng: 117.5 }, T0 + 3 * MIN)).ok).toBe(true);
    // A clock corrected backwards does not end it before what it holds.
    await endPatrol(db, r.id, T0 + 2 * MIN);
    expect(await db.patrols.get(r.id)).toMatchObject({ points: 1, checkins: 1, endedAt: T0 + 3 * MIN });
    expect(await first(runningPatrol(db, grid.id))).toBeNull();
    expect((await checkIn(db, r.id, walker, { placeName: '村口', lat: 34.8, lng: 117.5 }, T0 + 4 * MIN))).toEqual({ ok: false, reason: 'ended' });
  });

  it('writes the end of a patrol left running past its longest length', async () => {
    const started = Date.now() - MAX_PATROL_MS - 10 * MIN;
    const r = await startPatrol(db, VILLAGE, walker, started);
    if (!r.ok) throw new Error(r.reason);
    await endOverduePatrols(db, grid.id, Date.now());
    expect((await db.patrols.get(r.id))?.endedAt).toBe(started + MAX_PATROL_MS);
    // And a new one may start.
    expect((await startPatrol(db, VILLAGE, walker)).ok).toBe(true);
  });

  it('shows the last days’ patrols of the scope', async () => {
    const r = await startPatrol(db, VILLAGE, walker, T0);
    if (!r.ok) throw new Error(r.reason);
    const view = await first(patrolsView(db, grid.scope), (v) => v.patrols.length > 0);
    expect(view.days).toHaveLength(7);
    expect(view.villages.map((v) => v.code)).toEqual([VILLAGE]);
    expect(view.patrols.map((p) => p.id)).toEqual([r.id]);
  });
});
