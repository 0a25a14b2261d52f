import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { docFromUpdates, fieldsOf, trailOf } from '../../src/core/doc';
import { trailPoint } from '../../src/core/patrol';
import { recordAppeal } from '../../src/store/appeals';
import { applyLocalChange } from '../../src/store/docs';
import { checkIn, endPatrol, recordFix, startPatrol } from '../../src/store/patrols';
import { addUser, device, login, until, type Device } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// 一日双巡 over the real hub: a grid worker's phone starts a patrol with no link, keeps a few
// points, checks in, records an appeal on the way and ends the patrol; once online it all
// reaches the server's patrols table and the town's device. Another worker of the same
// village, whose device holds the patrol too, cannot add to it.

let server: RunningServer;
let grid: Device, town: Device, other: Device;
const MIN = 60_000;

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  const gridLogin = await login(server, 'grid');
  await addUser(server, 'grid-b', 'grid_worker', gridLogin.user.scope.regions);
  [grid, town, other] = (await Promise.all([device(server, gridLogin), ...['town', 'grid-b'].map(async (n) => device(server, await login(server, n)))])) as [Device, Device, Device];
  // The town and the other worker are online; the patroller is not, yet.
  town.engine.start();
  other.engine.start();
});

afterAll(async () => {
  for (const d of [grid, town, other]) d?.close();
  await server?.close();
});

describe('a patrol walked offline', () => {
  let id: string;
  let appealId: string;

  it('is started, sampled, checked in, linked and ended with no link, then synced', async () => {
    const villageCode = (await grid.db.regions.where('level').equals('village').primaryKeys()).find((c) => grid.session.user.scope.regions.some((p) => c.startsWith(p)))!;
    const t0 = Date.now() - 30 * MIN;
    const started = await startPatrol(grid.db, villageCode, grid.who, t0);
    if (!started.ok) throw new Error(started.reason);
    id = started.id;
    // One patrol at a time.
    expect(await startPatrol(grid.db, villageCode, grid.who, t0 + MIN)).toEqual({ ok: false, reason: 'already_running' });
    // Fixes every 20 s walking 40 m a minute: one in three is kept.
    const kept: boolean[] = [];
    for (let i = 1; i <= 9; i++) kept.push(await recordFix(grid.db, id, { lat: 34.8 + (i * 40) / 3 / 111_000, lng: 117.5, accuracy: 8 }, t0 + i * 20_000));
    expect(kept.filter(Boolean)).toHaveLength(3);
    expect((await checkIn(grid.db, id, grid.who, { placeName: '村委会', lat: 34.801, lng: 117.5 }, t0 + 4 * MIN)).ok).toBe(true);
    const r = await recordAppeal(grid.db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'complaint', urgency: 'yellow', villageCode, description: '巡查发现村东路面塌陷。', citizen: { anonymous: true }, patrolId: id }, grid.who, t0 + 5 * MIN);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    appealId = r.value.id;
    await endPatrol(grid.db, id, t0 + 6 * MIN);
    expect(await grid.db.patrols.get(id)).toMatchObject({ points: 3, checkins: 1, endedAt: t0 + 6 * MIN });
    expect(await grid.db.outbox.count()).toBeGreaterThan(0);

    grid.engine.start();
    await grid.settled();
    expect(await grid.db.quarantine.toArray()).toEqual([]);
    const rows = await server.store.patrolRows();
    expect(rows).toEqual([expect.objectContaining({ id, village: villageCode, createdBy: grid.session.user.id, startedAt: t0, endedAt: t0 + 6 * MIN, points: 3, checkins: 1 })]);
    expect(rows[0]!.distanceM).toBeGreaterThan(70);
    const appealDoc = docFromUpdates(await server.store.docParts(appealId));
    expect(fieldsOf(appealDoc).get('patrolId')).toBe(id);
    await until(async () => (await town.db.patrols.get(id))?.endedAt === t0 + 6 * MIN, 15_000, 'the town’s device has the patrol');
    const onTown = (await town.db.patrols.get(id))!;
    expect(onTown).toMatchObject({ points: 3, checkins: 1, places: [expect.objectContaining({ placeName: '村委会' })] });
    expect(onTown.trail).toHaveLength(3);
  });

  it('refuses another worker’s point on someone else’s patrol, and keeps the server’s trail', async () => {
    await until(async () => (await other.db.patrols.get(id)) !== undefined, 15_000, 'the other worker’s device has the patrol');
    const before = (await server.store.patrolRows())[0]!;
    await applyLocalChange(other.db, id, (doc) => trailOf(doc).push([trailPoint(34.9, 117.5, before.startedAt + 3 * MIN + 1)]));
    other.engine.kick();
    await until(async () => (await other.db.quarantine.count()) > 0, 15_000, 'the refusal');
    expect((await other.db.quarantine.toArray()).map((q) => q.reason)).toEqual(['not_creator']);
    expect((await server.store.patrolRows())[0]).toMatchObject({ points: 3 });
    expect(trailOf(docFromUpdates(await server.store.docParts(id))).length).toBe(3);
    // The refused change is gone from the other device's copy too.
    await until(async () => (await other.db.patrols.get(id))?.points === 3, 15_000, 'the other device rebuilt');
  });
});
