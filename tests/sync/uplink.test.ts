import 'fake-indexeddb/auto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { generateRelayKeyPair } from '../../server/services/relay-keys';
import { newId } from '../../src/core/id';
import { recordAppeal } from '../../src/store/appeals';
import { fetchAppeal } from '../../src/store/holdings';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { seen, step } from '../helpers/appeal-steps';
import { device, login, until, type Device } from '../helpers/clients';
import { startTestServer, tempDir } from '../helpers/server';
import { validInput } from '../core/fixtures';

// A county server under a city (issue 25): the county's server connects up with its
// registered key and takes in what the city has of its county, such as appeals the city's
// 12345 hotline took in, which its own phones then receive; never another county's. What its
// own phones do goes up, each step judged at the city as its author's. The line is cut and
// comes back, with both sides at work meanwhile, and everything converges. The county runs on
// SQLite whatever the city runs on (PostgreSQL in the postgres project).

const LANSHAN_VILLAGE = '371302001001';
let city: RunningServer;
let county: RunningServer;
let hotline: Device;
let grid: Device;
let town: Device;
/** The demo grid worker's village in 兰陵 (the same code on the city's and the county's seed). */
let LANLING_VILLAGE = '';

async function takeCall(village: string, description: string): Promise<string> {
  const r = await recordAppeal(hotline.db, validInput({ villageCode: village, channel: 'hotline_12345', description }), { ...hotline.who, name: hotline.session.user.displayName });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  hotline.engine.kick();
  await hotline.settled();
  return r.value.id;
}

const countyHas = async (id: string) => (await county.store.appealsById([id])).length === 1;

beforeAll(async () => {
  city = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REGION: '371300' });
  hotline = await device(city, await login(city, 'city'));
  LANLING_VILLAGE = (await login(city, 'grid')).user.scope.regions[0]!;
  hotline.engine.start();
  const keys = generateRelayKeyPair();
  const keyId = newId();
  await city.store.insertRelayKey({ id: keyId, county: '371324', publicKey: keys.publicKey, label: '兰陵县服务器', createdBy: 'test', createdAt: Date.now() });
  const dir = tempDir();
  writeFileSync(path.join(dir, 'uplink-key.pem'), keys.privateKeyPem, { mode: 0o600 });
  // Taken in before the county server ever connected: it arrives with the first catch-up.
  await takeCall(LANLING_VILLAGE, '热线：村口变压器异响，担心着火。');
  county = await startServer(loadConfig({
    PORT: '0',
    MINSHENG_DATA_DIR: tempDir(),
    MINSHENG_STATIC_DIR: '',
    MINSHENG_SCAN_INTERVAL_MS: '0',
    MINSHENG_REGION: '371324',
    MINSHENG_UPSTREAM: city.url.replace('http', 'ws'),
    MINSHENG_UPSTREAM_KEY_ID: keyId,
    MINSHENG_UPSTREAM_KEY: path.join(dir, 'uplink-key.pem'),
  }));
  grid = await device(county, await login(county, 'grid'));
  grid.engine.start();
  town = await device(county, await login(county, 'town'));
  town.engine.start();
}, 120_000);

afterAll(async () => {
  for (const d of [hotline, grid, town]) d?.close();
  await county?.close();
  await city?.close();
});

describe('a county server under its city', () => {
  it('takes in what the city had of its county before it first connected, and its phones receive it', async () => {
    await until(() => county.uplink!.status().state === 'live', 15_000, 'the uplink live');
    const [first] = (await city.store.appealRows()).map((r) => r.id);
    await until(() => countyHas(first!), 15_000, 'the early call at the county');
    await seen(grid, first!, (s) => s.status === 'new' && s.tier === 'city', 'the city’s call in the village');
  });

  it('takes in live what the city does in its county, and nothing of another county', async () => {
    const here = await takeCall(LANLING_VILLAGE, '热线：村里水井被污染。');
    const away = await takeCall(LANSHAN_VILLAGE, '热线：兰山区某村路灯不亮。');
    await until(() => countyHas(here), 15_000, 'the live call at the county');
    await seen(grid, here, (s) => s.status === 'new', 'the live call on the phone');
    hotline.engine.kick();
    await hotline.settled();
    expect(await countyHas(away)).toBe(false);
    const status = county.uplink!.status();
    // The compact frames, agreed in the handshake as a phone's are.
    expect(status).toMatchObject({ state: 'live', error: null, wire: 2 });
    expect(status.cursor).toBeGreaterThan(0);
  });

  it('gets what happened while the line was down once it is back, from where it stopped', async () => {
    county.uplink!.cut();
    await until(() => county.uplink!.status().state !== 'live', 5_000, 'the line down');
    const during = await takeCall(LANLING_VILLAGE, '热线：断线期间的来电。');
    await until(() => countyHas(during), 20_000, 'the call made while the line was down');
    await seen(grid, during, (s) => s.status === 'new', 'that call on the phone');
    // Each change of the city is stored once, however often the line came back.
    const perDoc = async () => Object.fromEntries(await Promise.all((await county.store.appealRows()).map(async (r) => [r.title, (await county.store.docParts(r.id)).length] as const)));
    const before = await perDoc();
    county.uplink!.cut();
    await until(() => county.uplink!.status().state === 'live', 20_000, 'the line back');
    expect(await perDoc()).toEqual(before);
    for (const n of Object.values(before)) expect(n).toBe(1);
  });
});

/** A document as each side holds it: its fields, text and events. */
async function snapshotAt(server: RunningServer, id: string) {
  const doc = docFromUpdates(await server.store.docParts(id));
  const { fields, description, events } = readAppeal(doc, id);
  doc.destroy();
  return { fields, description, events };
}

async function record(d: Device, description: string, anonymous = true): Promise<string> {
  const citizen = anonymous ? { anonymous: true as const } : { anonymous: false as const, name: '韩大爷', phone: '13905390000' };
  const r = await recordAppeal(d.db, validInput({ villageCode: LANLING_VILLAGE, description, citizen }), { ...d.who, name: d.session.user.displayName });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  d.engine.kick();
  await d.settled();
  return r.value.id;
}

const cityHas = async (id: string) => (await city.store.appealsById([id])).length === 1;
const sameAtBoth = async (id: string) => JSON.stringify(await snapshotAt(city, id)) === JSON.stringify(await snapshotAt(county, id));

describe('what the county does goes up to its city', () => {
  it('sends up a new appeal with its citizen’s contact, and each step on it, judged at the city as its author’s', async () => {
    const id = await record(grid, '村西头路灯坏了一个月。', false);
    await until(() => cityHas(id), 15_000, 'the appeal at the city');
    expect(await city.store.contact(id)).toEqual({ name: '韩大爷', phone: '13905390000' });
    await seen(town, id, (s) => s.status === 'new', 'the new appeal');
    await step(town, id, { type: 'accepted' });
    await until(async () => (await city.store.appealsById([id]))[0]?.status === 'accepted', 15_000, 'the step at the city');
    expect(await sameAtBoth(id)).toBe(true);
    // The city stored each change as it came: nothing of the county is kept twice.
    await until(() => county.uplink!.status().pendingUp === 0, 15_000, 'nothing pending up');
    expect(county.uplink!.status()).toMatchObject({ refused: [], error: null });
    expect(county.uplink!.status().bytesUp).toBeGreaterThan(0);
  });

  it('keeps both sides working while the line is down, and converges with nothing lost or doubled once it is back', async () => {
    const raced = await record(grid, '渠道堵塞，浇不了地。');
    await until(() => cityHas(raced), 15_000, 'the appeal at the city before the cut');
    county.uplink!.pause();
    await until(() => county.uplink!.status().state === 'down', 5_000, 'the line down');
    // The county works its cases, its phones record new ones...
    const made = [await record(grid, '断线期间：桥栏杆松动。'), await record(grid, '断线期间：小学门口积水。', false)];
    await seen(town, raced, (s) => s.status === 'new', 'the raced appeal');
    await step(town, raced, { type: 'accepted' });
    // ...while the city supervises the same appeal and its hotline takes a call in the county.
    const fetcher = (p: string) => fetch(city.url + p, { headers: { authorization: `Bearer ${hotline.session.token}` } });
    expect(await fetchAppeal(hotline.db, raced, fetcher)).toMatchObject({ ok: true });
    await step(hotline, raced, { type: 'supervised', level: 1 });
    const called = await takeCall(LANLING_VILLAGE, '热线：断线期间打进来的电话。');
    expect(county.uplink!.status().pendingUp).toBeGreaterThanOrEqual(3);
    for (const id of made) expect(await cityHas(id)).toBe(false);

    county.uplink!.resume();
    for (const id of [...made, raced, called]) await until(() => sameAtBoth(id), 20_000, `${id} the same at city and county`);
    const atCity = await snapshotAt(city, raced);
    // Both sides' steps stand, each once, in the same order at both.
    expect(atCity.events.map((e) => (e as { type: string }).type).sort()).toEqual(['accepted', 'recorded', 'supervised']);
    expect(await city.store.contact(made[1]!)).toEqual({ name: '韩大爷', phone: '13905390000' });
    // Phones of the county converge with their server.
    await seen(town, raced, (s) => s.supervisionLevel > 0 && s.status === 'accepted', 'the city’s supervision on the town’s phone');
    await seen(town, called, (s) => s.status === 'new', 'the call taken while the line was down');
    await until(() => county.uplink!.status().pendingUp === 0, 15_000, 'nothing pending up');
    expect(county.uplink!.status().refused).toEqual([]);
    expect(county.uplink!.status().history.map((h) => h.state)).toContain('down');
  });
});
