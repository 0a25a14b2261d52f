import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { ConfigError, loadConfig } from '../../server/config';
import { tempDir } from '../helpers/server';

let server: RunningServer;

const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(server.url + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

beforeAll(async () => {
  server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '' }));
});
afterAll(() => server?.close());

describe('REST edges', () => {
  it('logs in a demo user and returns a session with their scope', async () => {
    const res = await post('/api/login', { username: 'town', password: 'demo1234' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; user: { role: string; scope: { regions: string[] } } };
    expect(body.user.role).toBe('town_official');
    expect(body.user.scope.regions[0]).toMatch(/^371324\d{3}$/);
    const me = await fetch(server.url + '/api/me', { headers: { authorization: `Bearer ${body.token}` } });
    expect(me.status).toBe(200);
  });

  it('answers bad input with a clear error', async () => {
    const wrong = await post('/api/login', { username: 'town', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'bad_credentials' });
    const missing = await post('/api/login', { username: 'town' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { message: string }).message).toMatch(/password/);
    expect((await post('/api/login', '{not json')).status).toBe(400);
    expect((await post('/api/login', 'x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('/api/login', { username: 'a', password: 'b'.repeat(20_000) })).status).toBe(413);
    expect((await fetch(server.url + '/api/nothing')).status).toBe(404);
  });

  it('requires a session for regions and gives only what the scope covers', async () => {
    expect((await fetch(server.url + '/api/regions')).status).toBe(401);
    const { token, user } = (await (await post('/api/login', { username: 'grid', password: 'demo1234' })).json()) as { token: string; user: { scope: { regions: string[] } } };
    const { regions } = (await (await fetch(server.url + '/api/regions', { headers: { authorization: `Bearer ${token}` } })).json()) as { regions: { code: string; level: string }[] };
    const village = user.scope.regions[0]!;
    expect(regions.filter((r) => r.level === 'village').map((r) => r.code)).toEqual([village]);
    expect(regions.map((r) => r.level).sort()).toEqual(['county', 'town', 'village']);
  });
});

describe('configuration', () => {
  it('rejects malformed values with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig({ MINSHENG_COUNTY: '3713' })).toThrow(/MINSHENG_COUNTY/);
    expect(() => loadConfig({ MINSHENG_SESSION_DAYS: '-1' })).toThrow(/MINSHENG_SESSION_DAYS/);
    expect(loadConfig({}).region.code).toBe('371324');
  });
});
