import 'fake-indexeddb/auto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { generateRelayKeyPair } from '../../server/services/relay-keys';
import { newId } from '../../src/core/id';
import { recordAppeal } from '../../src/store/appeals';
import { seen } from '../helpers/appeal-steps';
import { device, login, until, type Device } from '../helpers/clients';
import { startTestServer, tempDir } from '../helpers/server';
import { validInput } from '../core/fixtures';

// A county server under a city (issue 25, its first half): the county's server connects up
// with its registered key and takes in what the city has of its county, such as appeals the
// city's 12345 hotline took in, which its own phones then receive; never another county's.
// The line is cut and comes back; what happened meanwhile arrives.

const LANSHAN_VILLAGE = '371302001001';
let city: RunningServer;
let county: RunningServer;
let hotline: Device;
let grid: Device;
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
  county = await startTestServer({
    MINSHENG_SCAN_INTERVAL_MS: '0',
    MINSHENG_REGION: '371324',
    MINSHENG_UPSTREAM: city.url.replace('http', 'ws'),
    MINSHENG_UPSTREAM_KEY_ID: keyId,
    MINSHENG_UPSTREAM_KEY: path.join(dir, 'uplink-key.pem'),
  });
  grid = await device(county, await login(county, 'grid'));
  grid.engine.start();
}, 120_000);

afterAll(async () => {
  for (const d of [hotline, grid]) d?.close();
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
    expect(status).toMatchObject({ state: 'live', error: null });
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
