import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningServer } from '../../server/app';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { DAY_MS } from '../../src/core/retention';
import { loadAppeal, recordAppeal } from '../../src/store/appeals';
import { fetchAppeal } from '../../src/store/holdings';
import { getMeta } from '../../src/store/meta';
import { purgeExpired, refetchPending } from '../../src/store/retention';
import { seen, step } from '../helpers/appeal-steps';
import { device, login, until, type Device } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// A grid worker's phone lets go of an old closed appeal; the server keeps it. Opened again,
// it comes back whole. Changed on the server after the purge (someone comments on it, the
// phone live or offline at the time), the phone must not end up with a document made of the
// latest change alone: it holds the change back and fetches the appeal whole.

let server: RunningServer;
let grid: Device, town: Device, dept: Device, station: Device;
const devices: Device[] = [];
const LATER = () => Date.now() + 200 * DAY_MS;

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  for (const name of ['grid', 'town', 'dept', 'station']) devices.push(await device(server, await login(server, name), { rest: name === 'grid' }));
  [grid, town, dept, station] = devices as [Device, Device, Device, Device];
  for (const d of devices) d.engine.start();
});

afterAll(async () => {
  for (const d of devices) d.close();
  await server?.close();
});

/** The appeal as the server holds it: fields, description and events of the whole document. */
async function onServer(id: string) {
  const doc = docFromUpdates(await server.store.docParts(id));
  const snap = readAppeal(doc, id);
  doc.destroy();
  return snap;
}

async function closedAppeal(description: string): Promise<string> {
  const village = grid.session.user.scope.regions[0]!;
  const r = await recordAppeal(grid.db, { channel: 'grid_patrol', category: 'infra.water', kind: 'help', urgency: 'orange', villageCode: village, description, citizen: { anonymous: false, name: '王大妈' } }, { ...grid.who, name: grid.session.user.displayName });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const id = r.value.id;
  grid.engine.kick();
  await grid.settled();
  await seen(town, id, (s) => s.status === 'new', 'the new appeal');
  await step(town, id, { type: 'accepted' });
  await step(town, id, { type: 'assigned', tier: 'town', dept: 'water' });
  await seen(dept, id, (s) => s.status === 'assigned', 'the assignment');
  await step(dept, id, { type: 'replied', note: '已抢修管道，恢复供水。', via: 'grid_patrol' });
  await seen(station, id, (s) => s.status === 'replied', 'the reply');
  await step(station, id, { type: 'visited', satisfaction: 'satisfied' });
  await seen(town, id, (s) => s.status === 'visited', 'the visit');
  await step(town, id, { type: 'closed', note: '销号' });
  await seen(grid, id, (s) => s.status === 'closed', 'the close');
  return id;
}

/** The grid worker's copy equals the server's whole document. */
async function wholeOnPhone(id: string): Promise<void> {
  const phone = await loadAppeal(grid.db, id);
  const whole = await onServer(id);
  expect(phone).not.toBeNull();
  expect(phone!.description).toBe(whole.description);
  expect(phone!.fields).toEqual(whole.fields);
  expect(phone!.events.map((e) => (e as { id: string }).id)).toEqual(whole.events.map((e) => (e as { id: string }).id));
  expect((await grid.db.appeals.get(id))!.status).toBe((await server.store.appealRows()).find((r) => r.id === id)!.status);
}

describe('bounded storage: purged appeals over a real server', () => {
  let id: string;

  it('purges an old closed appeal from the phone and brings it back whole when opened', async () => {
    id = await closedAppeal('三组自来水断了两天，老人挑水困难。');
    expect((await purgeExpired(grid.db, 'grid_worker', LATER())).appeals).toBeGreaterThanOrEqual(1);
    expect(await grid.db.appeals.get(id)).toBeUndefined();
    expect(await loadAppeal(grid.db, id)).toBeNull();
    // Kept on the server.
    expect((await onServer(id)).events.length).toBeGreaterThanOrEqual(6);
    const fetcher = (path: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${grid.session.token}` } });
    expect(await fetchAppeal(grid.db, id, fetcher)).toEqual({ ok: true });
    await wholeOnPhone(id);
    expect(await getMeta<string[]>(grid.db, 'purged')).not.toContain(id);
  });

  it('a change to a purged appeal while the phone is live does not leave a partial document', async () => {
    await grid.db.meta.delete('browsed');
    expect((await purgeExpired(grid.db, 'grid_worker', LATER())).appeals).toBe(1);
    expect(await grid.db.appeals.get(id)).toBeUndefined();
    await step(town, id, { type: 'commented', note: '回头看：供水正常' });
    await until(async () => (await loadAppeal(grid.db, id))?.events.some((e) => (e as { type: string }).type === 'commented') === true, 15_000, 'the phone has the comment');
    await wholeOnPhone(id);
    expect(await refetchPending(grid.db)).toEqual([]);
  });

  it('a change made while the phone was off reaches it in catch-up, and the appeal comes back whole', async () => {
    await grid.db.meta.delete('browsed');
    expect((await purgeExpired(grid.db, 'grid_worker', LATER())).appeals).toBe(1);
    grid.engine.stop();
    await step(town, id, { type: 'commented', note: '二次回访：群众满意' });
    const comments = (await onServer(id)).events.filter((e) => (e as { type: string }).type === 'commented').length;
    expect(comments).toBe(2);
    grid.engine.start();
    await until(async () => (await loadAppeal(grid.db, id))?.events.filter((e) => (e as { type: string }).type === 'commented').length === 2, 15_000, 'the phone has both comments');
    await wholeOnPhone(id);
    // The phone's copy takes further changes as increments again.
    await step(town, id, { type: 'commented', note: '第三次' });
    await until(async () => (await loadAppeal(grid.db, id))?.events.filter((e) => (e as { type: string }).type === 'commented').length === 3, 15_000, 'the third comment');
    await wholeOnPhone(id);
    // What the phone stores would rebuild the same document from scratch.
    const rows = (await grid.db.table('$appeals.doc_updates').where('k').equals(id).toArray()) as { u: Uint8Array }[];
    const rebuilt = new Y.Doc();
    for (const r of rows) Y.applyUpdateV2(rebuilt, r.u);
    expect(rebuilt.store.pendingStructs).toBeNull();
    expect(readAppeal(rebuilt, id).description).toBe((await onServer(id)).description);
  });
});
