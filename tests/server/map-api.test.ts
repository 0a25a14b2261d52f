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

async function seed(village: string, urgency: Urgency, closed = false, dept?: string): Promise<void> {
  const town = logins.town!.user;
  const doc = new Y.Doc();
  const at = Date.now() - 30 * 86_400_000;
  writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.water', kind: 'help', urgency, villageCode: village, description: '自来水停了', citizen: { anonymous: true } }, { id: town.id, role: town.role }, at, newId());
  const step = (e: object) => appendEvent(doc, { id: newId(), actor: town.id, role: 'town_official', at: at + 1000, ...e } as never);
  if (dept) step({ type: 'assigned', tier: 'town', dept });
  if (closed) for (const e of pipelineEvents('closed', 'walk_in', { id: town.id, role: 'town_official', name: town.displayName }, at, newId)) appendEvent(doc, e);
  await server.store.inPushTx((tx) => storeUpdate(tx, { docId: newId(), deviceId: 'seed', clientSeq: Math.floor(Math.random() * 1e9), userId: town.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, newId()), Date.now(), POLICY_PRESETS.lanling));
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

const tally = async (who: string, level: string) =>
  ((await (await fetch(`${server.url}/api/map/tally?level=${level}`, { headers: { authorization: `Bearer ${logins[who]!.token}` } })).json()) as { tallies: { code: string; total: number; open: number; overdue: number; red: number; orange: number; yellow: number }[] }).tallies;

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
