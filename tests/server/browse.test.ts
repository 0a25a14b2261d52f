import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningServer } from '../../server/app';
import { storeUpdate } from '../../server/sync/bus';
import { readAppeal, writeNewAppeal } from '../../src/core/doc';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { newId } from '../../src/core/id';
import type { AppealProjection } from '../../src/core/projection';
import { addUser, login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';
import { validInput } from '../core/fixtures';

// Browsing what a county or city desk's device does not hold: pages of the scope on the
// server, and one appeal whole, never outside the user's scope.

const LANLING = '371324102201';
const LANSHAN = '371302001001';
let server: RunningServer;
const ids: Record<string, string[]> = { lanling: [], lanshan: [] };
const tokens: Record<string, string> = {};

async function seedAppeal(village: string, at: number): Promise<string> {
  const id = newId();
  const doc = new Y.Doc();
  writeNewAppeal(doc, validInput({ villageCode: village, description: `第${at % 1000}件` }), { id: 'u-grid', role: 'grid_worker' }, at, newId());
  await server.store.inPushTx((tx) =>
    storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: at, userId: 'u-grid', bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), at, POLICY_PRESETS.linyi),
  );
  return id;
}

const get = (who: string, path: string) => fetch(server.url + path, { headers: tokens[who] ? { authorization: `Bearer ${tokens[who]}` } : {} });

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REGION: '371300' });
  const t0 = Date.now() - 60_000;
  for (let i = 0; i < 5; i++) ids.lanling!.push(await seedAppeal(LANLING, t0 + i * 1000));
  for (let i = 0; i < 2; i++) ids.lanshan!.push(await seedAppeal(LANSHAN, t0 + 500 + i * 1000));
  await addUser(server, 'lanshanwater', 'dept_handler', ['371302'], ['water']);
  for (const name of ['city', 'dispatcher', 'lanshanwater']) tokens[name] = (await login(server, name)).token;
}, 60_000);
afterAll(() => server?.close());

async function allPages(who: string, query: string, limit: number): Promise<AppealProjection[]> {
  const rows: AppealProjection[] = [];
  let before: string | null = null;
  for (let page = 0; page < 20; page++) {
    const res = await get(who, `/api/appeals?${query}&limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ''}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: AppealProjection[]; next: string | null };
    rows.push(...body.rows);
    if (!body.next) return rows;
    before = body.next;
  }
  throw new Error('paging never ended');
}

describe('browsing the scope on the server', () => {
  it('pages a city desk through the whole city, latest change first, each appeal once', async () => {
    const rows = await allPages('city', 'status=open', 3);
    expect(rows.map((r) => r.id).sort()).toEqual([...ids.lanling!, ...ids.lanshan!].sort());
    const times = rows.map((r) => r.updatedAt);
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('keeps a county desk to its county, and a department to its own assignments', async () => {
    expect((await allPages('dispatcher', 'status=open', 2)).map((r) => r.id).sort()).toEqual([...ids.lanling!].sort());
    expect(await allPages('dispatcher', `within=${LANSHAN.slice(0, 6)}`, 50)).toEqual([]);
    expect(await allPages('lanshanwater', 'status=open', 50)).toEqual([]);
    expect((await allPages('city', `within=${LANSHAN.slice(0, 6)}`, 50)).map((r) => r.id).sort()).toEqual([...ids.lanshan!].sort());
    expect(await allPages('city', 'status=closed', 50)).toEqual([]);
  });

  it('answers bad queries with a clear error and no session with 401', async () => {
    expect((await get('', '/api/appeals')).status).toBe(401);
    for (const q of ['status=done', 'urgency=purple', 'within=12', 'limit=0', 'limit=500', 'before=yesterday']) {
      const res = await get('city', `/api/appeals?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { message: string }).message.length, q).toBeGreaterThan(10);
    }
  });
});

describe('one appeal from the server', () => {
  it('gives a desk any appeal of its scope whole, and treats one outside it as missing', async () => {
    const id = ids.lanshan![0]!;
    const res = await get('city', `/api/appeal-doc?id=${id}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; update: string; contact?: unknown };
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Buffer.from(body.update, 'base64'));
    expect(readAppeal(doc, id)).toMatchObject({ fields: { villageCode: LANSHAN }, events: [expect.objectContaining({ type: 'recorded' })] });
    expect(body.contact).toBeUndefined();
    const outside = await get('dispatcher', `/api/appeal-doc?id=${id}`);
    const missing = await get('dispatcher', `/api/appeal-doc?id=${newId()}`);
    expect([outside.status, missing.status]).toEqual([404, 404]);
    expect(await outside.json()).toEqual(await missing.json());
    expect((await get('city', '/api/appeal-doc?id=nope')).status).toBe(400);
    expect((await get('', `/api/appeal-doc?id=${id}`)).status).toBe(401);
  });
});
