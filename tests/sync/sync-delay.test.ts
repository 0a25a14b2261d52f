import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { cstDate, cstDay } from '../../src/core/calendar';
import type { ServerMessage } from '../../src/core/protocol';
import { townOf } from '../../src/core/regions';
import { receiptOf, type DelayFigures } from '../../src/core/sync-delay';
import { act, recordAppeal } from '../../src/store/appeals';
import { device, login, sniffingWebSocket, until, type Device } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// Time waited on the phone, over the real hub: a grid worker's phone with no signal for three
// days records an appeal (its capture time three days back), then syncs. The server keeps when
// it received it; the phone learns that from its ack, a town official's live phone from the
// fan-out, a phone that had synced before from its catch-up and a new phone from a catch-up
// from nothing. The due time runs from capture; the report shows the wait apart.

const HOUR = 3_600_000;
const WAIT = 3 * 24 * HOUR + 2 * HOUR;

let server: RunningServer;
let grid: Device, town: Device, returning: Device, fresh: Device | undefined;
const townFrames: ServerMessage[] = [];

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  grid = await device(server, await login(server, 'grid'));
  town = await device(server, await login(server, 'town'), { WebSocketImpl: sniffingWebSocket((m) => townFrames.push(m)) });
  returning = await device(server, await login(server, 'town'));
  town.engine.start();
  returning.engine.start();
  // An earlier appeal, elsewhere in the town, so the returning phone's cursor is past zero.
  const gridVillage = grid.session.user.scope.regions[0]!;
  const other = (await town.db.regions.where('level').equals('village').primaryKeys()).find((c) => c !== gridVillage && c.startsWith(town.session.user.scope.regions[0]!))!;
  const earlier = await recordAppeal(town.db, input(other, '路灯不亮。'), town.who);
  if (!earlier.ok) throw new Error(JSON.stringify(earlier.errors));
  town.engine.kick();
  await town.settled();
  await until(async () => (await returning.db.appeals.get(earlier.value.id)) !== undefined, 10_000, 'the earlier appeal');
  await returning.settled();
  expect((await returning.db.meta.get('cursor'))?.value).toBeGreaterThan(0);
});

afterAll(async () => {
  for (const d of [grid, town, returning, fresh]) d?.close();
  await server?.close();
});

const input = (village: string, description: string) => ({ channel: 'grid_patrol', category: 'infra.water', kind: 'help', urgency: 'orange', villageCode: village, description, citizen: { anonymous: true } });
const receivedOn = async (d: Device, id: string) => (await d.db.appeals.get(id))?.receivedAt;

describe('an appeal that waited three days on a phone', () => {
  let id: string;
  let capturedAt: number;
  let receivedAt: number;

  it('is recorded offline and says it has not reached the server', async () => {
    // The grid worker's phone has had no signal for three days (its engine is not started); a town phone is off too.
    returning.engine.stop();
    const village = grid.session.user.scope.regions[0]!;
    capturedAt = Date.now() - WAIT;
    const r = await recordAppeal(grid.db, input(village, '机井水泵坏了，全村浇不上地。'), grid.who, capturedAt);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    id = r.value.id;
    const row = (await grid.db.appeals.get(id))!;
    expect(row.createdAt).toBe(capturedAt);
    expect(receiptOf(row.createdAt, row.receivedAt, (await grid.db.outbox.where('docId').equals(id).count()) > 0)).toEqual({ kind: 'pending' });
  });

  it('syncs: the server keeps its receipt apart from capture, and the deadline runs from capture', async () => {
    const before = Date.now();
    grid.engine.start();
    await grid.settled();
    const serverRow = (await server.store.rankRows([grid.session.user.scope.regions[0]!], undefined, 0)).find((r) => r.id === id)!;
    expect(serverRow.createdAt).toBe(capturedAt);
    receivedAt = serverRow.receivedAt!;
    expect(receivedAt).toBeGreaterThanOrEqual(before - 1_000);
    expect(receivedAt).toBeLessThanOrEqual(Date.now() + 1_000);
    const stored = (await server.store.appealsById([id]))[0]!;
    const local = (await grid.db.appeals.get(id))!;
    expect(stored.dueAt).not.toBeNull();
    expect(stored.dueAt).toBe(local.dueAt);
  });

  it('the recording phone learns the receipt from its ack, and shows the wait', async () => {
    await until(async () => (await receivedOn(grid, id)) !== undefined, 10_000, 'the receipt on the recording phone');
    expect(await receivedOn(grid, id)).toBe(receivedAt);
    const row = (await grid.db.appeals.get(id))!;
    const receipt = receiptOf(row.createdAt, row.receivedAt, false);
    expect(receipt.kind).toBe('received');
    expect(receipt.kind === 'received' && Math.abs(receipt.waitMs - WAIT)).toBeLessThan(30_000);
  });

  it('a live phone learns it with the document, a returning one from its catch-up, a new one from nothing', async () => {
    await until(async () => (await receivedOn(town, id)) !== undefined, 10_000, 'the receipt on the live phone');
    expect(await receivedOn(town, id)).toBe(receivedAt);
    expect(townFrames.some((m) => m.t === 'changes' && m.items.some((i) => i.docId === id && i.receivedAt === receivedAt))).toBe(true);
    returning.engine.start();
    await returning.settled();
    expect(await receivedOn(returning, id)).toBe(receivedAt);
    fresh = await device(server, await login(server, 'town'));
    fresh.engine.start();
    await fresh.settled();
    expect(await receivedOn(fresh, id)).toBe(receivedAt);
  });

  it('a later change carries no receipt and leaves the first one as it was', async () => {
    const acksBefore = townFrames.length;
    expect(await act(town.db, id, town.session.user, { type: 'commented', note: '已联系水利站' })).toEqual({ ok: true });
    town.engine.kick();
    await town.settled();
    const acks = townFrames.slice(acksBefore).filter((m) => m.t === 'ack');
    expect(acks.length).toBeGreaterThan(0);
    expect(acks.every((m) => m.t === 'ack' && m.received === undefined)).toBe(true);
    await until(async () => ((await grid.db.appeals.get(id))?.updatedAt ?? 0) > capturedAt + WAIT - 60_000, 10_000, 'the comment on the recording phone');
    expect(await receivedOn(grid, id)).toBe(receivedAt);
    const serverRow = (await server.store.rankRows([grid.session.user.scope.regions[0]!], undefined, 0)).find((r) => r.id === id)!;
    expect(serverRow.receivedAt).toBe(receivedAt);
  });

  it('the report shows the wait on the phone apart, per town and per village', async () => {
    const at = cstDate(cstDay(capturedAt));
    const get = async (by: string) => {
      const res = await fetch(`${server.url}/api/reports/delay?period=week&at=${at}&by=${by}`, { headers: { authorization: `Bearer ${town.session.token}` } });
      return { status: res.status, body: (await res.json()) as { units: DelayFigures[] } };
    };
    const village = grid.session.user.scope.regions[0]!;
    for (const [by, unit] of [['town', townOf(village)], ['village', village]] as const) {
      const { status, body } = await get(by);
      expect(status).toBe(200);
      const figures = body.units.find((u) => u.unit === unit)!;
      // The town also has the earlier appeal, received at once (in this week or not, by the day the test runs).
      expect(figures).toMatchObject(by === 'village' ? { recorded: 1, received: 1, waited: 1 } : { waited: 1 });
      expect(figures.longestWaitHours! * HOUR).toBeCloseTo(receivedAt - capturedAt, -3);
      expect(figures.medianWaitHours).toBe(figures.longestWaitHours);
    }
    expect((await get('county')).status).toBe(400);
    const res = await fetch(`${server.url}/api/reports/delay?period=week&at=${at}`, { headers: { authorization: `Bearer ${grid.session.token}` } });
    expect(res.status).toBe(403);
  });
});
