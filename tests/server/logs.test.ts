import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { log, pathShape, tapLog } from '../../server/log';
import { recordAppeal } from '../../src/store/appeals';
import { device, login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// The server's log (issue 31): one JSON object per line, requests by id, method, path shape and
// status, and nothing that names a person: not a citizen's name, phone or words, not a
// username typed at login, not an evaluation code, not an address.

const NAME = '王小明';
const PHONE = '13987654321';
const WORDS = '村东头自来水管爆裂已三天无人修';
const TYPED_USER = '张三13912345678';

let server: RunningServer;
const lines: string[] = [];
let untap: () => void;

let levelBefore: string;

beforeAll(async () => {
  // Test runs log warnings only (server/log.ts); this test reads what production logs.
  levelBefore = log.level;
  log.level = 'info';
  untap = tapLog((line) => lines.push(line));
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
});
afterAll(async () => {
  untap();
  log.level = levelBefore;
  await server.close();
});

describe('the server log', () => {
  it('shapes paths so that codes, numbers and ids never reach it', () => {
    expect(pathShape('/p/c/K7M2Q9X4?lang=en')).toBe('/p/c/:id');
    expect(pathShape(`/api/appeals?phone=${PHONE}`)).toBe('/api/appeals');
    expect(pathShape('/api/files/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08')).toBe('/api/files/:id');
    expect(pathShape('/p/cards/371324100200')).toBe('/p/cards/:id');
    expect(pathShape(`/p/${encodeURIComponent(NAME)}`)).toBe('/p/:id');
  });

  it('is JSON lines with request ids, and holds nothing personal after a day of use', async () => {
    // A login with a phone number typed as the username, refused.
    const refused = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: TYPED_USER, password: 'wrong-password' }) });
    expect(refused.status).toBe(401);
    const refusedId = refused.headers.get('x-request-id');
    expect(refusedId).toMatch(/^[0-9a-f]{12}$/);

    // An appeal with a named citizen recorded on a phone and synced.
    const grid = await device(server, await login(server, 'grid'));
    grid.engine.start();
    const village = grid.who.scope.regions[0]!.padEnd(12, '0');
    const r = await recordAppeal(grid.db, { channel: 'grid_patrol', category: 'infra.water', kind: 'help', urgency: 'orange', villageCode: village, description: WORDS, citizen: { anonymous: false, name: NAME, phone: PHONE } }, { ...grid.who, name: grid.session.user.displayName });
    expect(r.ok).toBe(true);
    grid.engine.kick();
    await grid.settled(15_000);
    grid.close();

    // The citizen looks the appeal up by its code, and someone probes with a phone in the query.
    const code = r.ok ? r.value.evalCode! : '';
    expect((await fetch(`${server.url}/p/c/${code}`)).status).toBe(200);
    await fetch(`${server.url}/p/c?code=${code}&phone=${PHONE}`);
    await fetch(`${server.url}/api/nothing/${PHONE}?name=${encodeURIComponent(NAME)}`);

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const p of parsed) {
      expect(typeof p.level).toBe('string');
      expect(typeof p.time).toBe('string');
      expect(typeof p.msg).toBe('string');
    }
    const requests = parsed.filter((p) => p.msg === 'request');
    expect(requests.find((p) => p.reqId === refusedId)).toMatchObject({ method: 'POST', path: '/api/login', status: 401 });
    expect(requests.some((p) => p.path === '/p/c/:id' && p.status === 200)).toBe(true);
    expect(requests.some((p) => p.path === '/api/nothing/:id' && p.status === 404)).toBe(true);

    const all = lines.join('\n');
    for (const secret of [NAME, PHONE, WORDS.slice(0, 6), TYPED_USER, '13912345678', code, '127.0.0.1']) expect(all).not.toContain(secret);
  });
});
