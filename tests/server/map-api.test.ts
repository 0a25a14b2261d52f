import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { storeUpdate } from '../../server/sync/bus';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import type { Urgency } from '../../src/core/appeal';
import { pipelineEvents } from '../../bench/generate';
import { login, type Login } from '../helpers/clients';
import { tempDir } from '../helpers/server';

// The map's server counts: what a city or town view shows when the device holds only part
// of the user's scope. Each user gets exactly their own scope's counts.

let server: RunningServer;
const logins: Record<string, Login> = {};
const DAZHONGCUN = '371324101';
const OTHER_TOWN = '371324102';

async function seed(village: string, urgency: Urgency, closed = false, dept?: string, on = server, by = logins.town!): Promise<void> {
  const town = by.user;
  const doc = new Y.Doc();
  const at = Date.now() - 30 * 86_400_000;
  writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.water', kind: 'help', urgency, villageCode: village, description: '自来水停了', citizen: { anonymous: true } }, { id: town.id, role: town.role }, at, newId());
  const step = (e: object) => appendEvent(doc, { id: newId(), actor: town.id, role: 'town_official', at: at + 1000, ...e } as never);
  if (dept) step({ type: 'assigned', tier: 'town', dept });
  if (closed) for (const e of pipelineEvents('closed', 'walk_in', { id: town.id, role: 'town_official', name: town.displayName }, at, newId)) appendEvent(doc, e);
  await on.store.inPushTx((tx) => storeUpdate(tx, { docId: newId(), deviceId: 'seed', clientSeq: Math.floor(Math.random() * 1e9), userId: town.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, newId()), Date.now(), POLICY_PRESETS.lanling));
}

beforeAll(async () => {
  server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }));
  for (const u of ['town', 'dispatcher', 'dept', 'admin']) logins[u] = await login(server, u);
  const villages = (await server.store.regionsUnder([DAZHONGCUN])).filter((r) => r.level === 'village');
  const far = (await server.store.regionsUnder([OTHER_TOWN])).filter((r) => r.level === 'village');
  await seed(villages[0]!.code, 'red');
  await seed(villages[0]!.code, 'yellow', true);
  await seed(villages[1]!.code, 'orange', false, 'water');
  await seed(far[0]!.code, 'yellow');
});
afterAll(() => server.close());

type Tallies = { code: string; total: number; open: number; overdue: number; red: number; orange: number; yellow: number }[];
const tally = async (who: string, level: string, on = server, as = logins) =>
  ((await (await fetch(`${on.url}/api/map/tally?level=${level}`, { headers: { authorization: `Bearer ${as[who]!.token}` } })).json()) as { tallies: Tallies }).tallies;

describe('map tallies from the server', () => {
  it('count a town official’s own town only, by village, open ones by urgency', async () => {
    const byVillage = await tally('town', 'village');
    expect(byVillage.map((t) => t.code.slice(0, 9))).toEqual([DAZHONGCUN, DAZHONGCUN]);
    expect(byVillage[0]).toMatchObject({ total: 2, open: 1, red: 1, orange: 0, yellow: 0 });
    expect(byVillage[1]).toMatchObject({ total: 1, open: 1, orange: 1 });
    expect(await tally('town', 'town')).toEqual([expect.objectContaining({ code: `${DAZHONGCUN}000`, total: 3, open: 2 })]);
  });

  it('give the city every town, and a department only what is assigned to it', async () => {
    expect((await tally('dispatcher', 'town')).map((t) => [t.code, t.total])).toEqual([[`${DAZHONGCUN}000`, 3], [`${OTHER_TOWN}000`, 1]]);
    expect((await tally('dept', 'town')).map((t) => [t.code, t.total, t.orange])).toEqual([[`${DAZHONGCUN}000`, 1, 1]]);
  });
});

describe('map tallies of a city', () => {
  // A deployment over Linyi (MINSHENG_REGION=371300): the city center's map opens on its counties.
  let city: RunningServer;
  const cityLogins: Record<string, Login> = {};
  const YINAN = '371321';
  const LANLING_VILLAGE = `${DAZHONGCUN}201`;
  const query = (who: string, q: string) => fetch(`${city.url}/api/map/tally?${q}`, { headers: { authorization: `Bearer ${cityLogins[who]!.token}` } });
  const counts = async (who: string, q: string) => ((await (await query(who, q)).json()) as { tallies: Tallies }).tallies;

  beforeAll(async () => {
    city = await startServer(loadConfig({ PORT: '0', MINSHENG_REGION: '371300', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }));
    for (const u of ['city', 'dispatcher', 'citywater', 'town']) cityLogins[u] = await login(city, u);
    const yinan = (await city.store.regionsUnder([YINAN])).filter((r) => r.level === 'village');
    const by = cityLogins.town!;
    await seed(LANLING_VILLAGE, 'red', false, undefined, city, by);
    await seed(LANLING_VILLAGE, 'yellow', true, undefined, city, by);
    await seed(yinan[0]!.code, 'orange', false, 'water', city, by);
    await seed(yinan[40]!.code, 'red', false, undefined, city, by);
  });
  afterAll(() => city?.close());

  it('count per county for the city center, and only its own county for a county platform', async () => {
    expect(await tally('city', 'county', city, cityLogins)).toEqual([
      // Recorded 30 days ago: every open one is overdue.
      { code: `${YINAN}000000`, total: 2, open: 2, overdue: 2, red: 1, orange: 1, yellow: 0 },
      { code: '371324000000', total: 2, open: 1, overdue: 1, red: 1, orange: 0, yellow: 0 },
    ]);
    expect((await tally('dispatcher', 'county', city, cityLogins)).map((t) => [t.code, t.total])).toEqual([['371324000000', 2]]);
    expect((await tally('citywater', 'county', city, cityLogins)).map((t) => [t.code, t.total])).toEqual([[`${YINAN}000000`, 1]]);
    expect((await tally('town', 'county', city, cityLogins)).map((t) => [t.code, t.total])).toEqual([['371324000000', 2]]);
  });

  it('narrow to one county within the reader’s scope, and filter as the map does', async () => {
    const yinanVillages = await counts('city', `level=village&within=${YINAN}`);
    expect(yinanVillages.map((t) => t.code.slice(0, 6))).toEqual([YINAN, YINAN]);
    // Another county's platform asking for Yinan gets nothing, not Yinan.
    expect(await counts('dispatcher', `level=village&within=${YINAN}`)).toEqual([]);
    expect((await counts('dispatcher', 'level=town&within=3713')).map((t) => t.code)).toEqual([`${DAZHONGCUN}000`]);
    expect((await counts('city', 'level=county&urgency=red')).map((t) => [t.code, t.total])).toEqual([[`${YINAN}000000`, 1], ['371324000000', 1]]);
    expect(await counts('city', 'level=county&category=livelihood')).toEqual([]);
    expect((await counts('city', 'level=county&category=infra')).map((t) => t.total)).toEqual([2, 2]);
    // Recorded 30 days ago (China-time days, both ends inclusive).
    const day = (ago: number) => new Date(Date.now() + 8 * 3_600_000 - ago * 86_400_000).toISOString().slice(0, 10);
    expect((await counts('city', `level=county&from=${day(31)}&to=${day(29)}`)).map((t) => t.total)).toEqual([2, 2]);
    expect(await counts('city', `level=county&from=${day(28)}`)).toEqual([]);
    expect(await counts('city', `level=county&to=${day(32)}`)).toEqual([]);
  });

  it('refuse a level, region or filter the map does not have', async () => {
    for (const q of ['level=city', 'level=appeal', 'level=county&within=37132', 'level=county&within=3713%25', 'level=county&category=infra.water', 'level=county&urgency=blue', 'level=county&from=2026-13-01', 'level=county&to=yesterday']) {
      const res = await query('city', q);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: string }).error, q).toBe('invalid_query');
    }
  });
});

describe('place corrections', () => {
  const call = (who: string, path: string, init: RequestInit = {}) =>
    fetch(server.url + path, { ...init, headers: { 'content-type': 'application/json', authorization: `Bearer ${logins[who]!.token}` } });

  it('lets an administrator move a village, refuses anyone else and implausible points, and can put it back', async () => {
    const village = (await server.store.regionsUnder([DAZHONGCUN])).find((r) => r.level === 'village')!.code;
    const moved = { lat: 34.9912, lng: 118.0655 };
    expect((await call('town', `/api/admin/places/${village}`, { method: 'PUT', body: JSON.stringify(moved) })).status).toBe(403);
    expect((await call('admin', `/api/admin/places/${village}`, { method: 'PUT', body: JSON.stringify({ lat: 3.1, lng: 101.7 }) })).status).toBe(400);
    expect((await call('admin', `/api/admin/places/371324999999`, { method: 'PUT', body: JSON.stringify(moved) })).status).toBe(404);
    expect((await call('admin', `/api/admin/places/${village}`, { method: 'PUT', body: JSON.stringify(moved) })).status).toBe(200);
    // Every device's map reads the corrections.
    expect(((await (await call('town', '/api/places')).json()) as { corrections: object }).corrections).toEqual({ [village]: moved });
    expect((await server.store.audit(3)).find((a) => a.action === 'place_corrected')).toMatchObject({ target: village, detail: { before: null, after: moved } });
    expect((await call('admin', `/api/admin/places/${village}`, { method: 'DELETE' })).status).toBe(200);
    expect(((await (await call('town', '/api/places')).json()) as { corrections: object }).corrections).toEqual({});
  });
});
