import 'fake-indexeddb/auto';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { LOGIN_LIMITS } from '../../server/http/api';
import { decodeServerFrame, encodeFrame } from '../../src/core/protocol';
import { device, login, until } from '../helpers/clients';
import { tempDir } from '../helpers/server';

// Tokens, throttling, revocation, the admin API and the audit log, through the real server.

let server: RunningServer;
const json = { 'content-type': 'application/json' };
const post = (path: string, body: unknown, token?: string) =>
  fetch(server.url + path, { method: 'POST', headers: { ...json, ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
const patch = (path: string, body: unknown, token: string) =>
  fetch(server.url + path, { method: 'PATCH', headers: { ...json, authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
const get = (path: string, token?: string) => fetch(server.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });

interface SessionBody {
  token: string;
  expiresAt: number;
  refreshToken: string;
  refreshExpiresAt: number;
  user: { id: string; scope: { regions: string[] } };
}
const loginAs = async (username: string, password = 'demo1234') => (await (await post('/api/login', { username, password })).json()) as SessionBody;

beforeAll(async () => {
  server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }));
});
afterAll(() => server?.close());

describe('access tokens', () => {
  it('are signed JWTs that expire; the refresh token rotates', async () => {
    const s = await loginAs('town');
    expect(s.token.split('.')).toHaveLength(3);
    expect(s.expiresAt - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    expect((await get('/api/me', s.token)).status).toBe(200);

    const renewed = (await (await post('/api/refresh', { refreshToken: s.refreshToken })).json()) as SessionBody;
    expect(renewed.token).not.toBe(s.token);
    expect((await get('/api/me', renewed.token)).status).toBe(200);
    // The used refresh token is spent.
    expect((await post('/api/refresh', { refreshToken: s.refreshToken })).status).toBe(401);
    expect((await post('/api/refresh', { refreshToken: renewed.refreshToken })).status).toBe(200);
  });

  it('refuses tampered, wrongly signed, expired and logged-out tokens', async () => {
    const s = await loginAs('grid');
    const [h, p, sig] = s.token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url')}.${sig}`;
    expect((await get('/api/me', tampered)).status).toBe(401);

    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('not the server secret, but long enough'));
    expect((await get('/api/me', foreign)).status).toBe(401);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`;
    expect((await get('/api/me', unsigned)).status).toBe(401);

    const secret = new Uint8Array(Buffer.from((await server.store.getMeta('jwt_secret'))!, 'base64url'));
    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 }).setProtectedHeader({ alg: 'HS256' }).sign(secret);
    expect((await get('/api/me', expired)).status).toBe(401);
    // Same secret, valid claims: accepted (the check above failed on expiry, not on the key).
    const fresh = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(secret);
    expect((await get('/api/me', fresh)).status).toBe(200);

    expect((await post('/api/logout', {}, s.token)).status).toBe(200);
    expect((await get('/api/me', s.token)).status).toBe(401);
    expect((await post('/api/refresh', { refreshToken: s.refreshToken })).status).toBe(401);
  });

  it('the sync hub takes the token in its first frame and refuses a bad one', async () => {
    const ws = new WebSocket(server.url.replace('http', 'ws') + '/sync');
    ws.binaryType = 'arraybuffer';
    const frames: unknown[] = [];
    ws.on('message', (d: ArrayBuffer) => frames.push(decodeServerFrame(new Uint8Array(d))));
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    await new Promise((r) => ws.on('open', r));
    ws.send(encodeFrame({ t: 'hello', token: 'eyJhbGciOiJIUzI1NiJ9.e30.forged', deviceId: '0190a000-0000-7000-8000-00000000000a', cursor: 0 }));
    expect(await closed).toBe(4401);
    expect(frames).toEqual([expect.objectContaining({ t: 'error', code: 'unauthorized' })]);
  });
});

describe('login throttling', () => {
  it('slows down guessing one account, and says for how long', async () => {
    for (let i = 0; i < LOGIN_LIMITS.pair.max; i++) expect((await post('/api/login', { username: 'leader', password: `guess-${i}` })).status).toBe(401);
    const blocked = await post('/api/login', { username: 'leader', password: 'demo1234' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other accounts from the same address are not locked out by it.
    expect((await post('/api/login', { username: 'station', password: 'demo1234' })).status).toBe(200);
    const audit = (await server.store.audit(50)).filter((e) => e.target === 'leader').map((e) => e.action);
    expect(audit).toContain('login_failed');
    expect(audit).toContain('login_throttled');
  });
});

describe('administration', () => {
  it('creates a user, resets their password, changes their scope and disables them — ending their access at once', async () => {
    const admin = await loginAs('admin');
    const village = (await loginAs('grid')).user.scope.regions[0]!;
    const created = await post('/api/admin/users', { username: 'grid2', displayName: '网格员 二', role: 'grid_worker', password: 'first-pass', regions: [village], departments: [] }, admin.token);
    expect(created.status).toBe(201);
    const { user } = (await created.json()) as { user: { id: string } };

    // A connected device of the new user.
    const session = await login(server, 'grid2', 'first-pass');
    const dev = await device(server, session);
    dev.engine.start();
    await dev.settled();

    expect((await patch(`/api/admin/users/${user.id}`, { password: 'second-pass' }, admin.token)).status).toBe(200);
    await until(() => dev.status().needsLogin, 10_000, 'socket closed on password reset');
    expect((await get('/api/me', session.token)).status).toBe(401);
    expect((await post('/api/login', { username: 'grid2', password: 'first-pass' })).status).toBe(401);
    dev.close();

    const again = await loginAs('grid2', 'second-pass');
    const town = (await loginAs('town')).user.scope.regions[0]!;
    expect((await patch(`/api/admin/users/${user.id}`, { regions: [town] }, admin.token)).status).toBe(200);
    expect((await get('/api/me', again.token)).status).toBe(401);
    expect((await patch(`/api/admin/users/${user.id}`, { disabled: true }, admin.token)).status).toBe(200);
    expect((await post('/api/login', { username: 'grid2', password: 'second-pass' })).status).toBe(401);

    const { entries } = (await (await get('/api/admin/audit?limit=50', admin.token)).json()) as { entries: { action: string; target: string; detail: Record<string, unknown> }[] };
    const mine = entries.filter((e) => e.target === user.id).map((e) => e.action);
    expect(mine).toEqual(['user_updated', 'user_updated', 'user_updated', 'user_created']);
    expect(JSON.stringify(entries)).not.toContain('second-pass');
  });

  it('refuses non-admins, bad bodies and scopes beyond the admin’s own', async () => {
    const town = await loginAs('town');
    expect((await get('/api/admin/users', town.token)).status).toBe(403);
    expect((await get('/api/admin/audit', town.token)).status).toBe(403);
    const admin = await loginAs('admin');
    const bad = await post('/api/admin/users', { username: 'X Y', displayName: '', role: 'king', password: 'short', regions: [], departments: ['nowhere'] }, admin.token);
    expect(bad.status).toBe(400);
    const elsewhere = await post('/api/admin/users', { username: 'far', displayName: 'far', role: 'grid_worker', password: 'long-enough', regions: ['511781'], departments: [] }, admin.token);
    expect(elsewhere.status).toBe(403);
    const taken = await post('/api/admin/users', { username: 'town', displayName: 't', role: 'grid_worker', password: 'long-enough', regions: ['371324'], departments: [] }, admin.token);
    expect(taken.status).toBe(409);
    const { users } = (await (await get('/api/admin/users', admin.token)).json()) as { users: Record<string, unknown>[] };
    expect(users.length).toBeGreaterThanOrEqual(8);
    expect(JSON.stringify(users)).not.toMatch(/scrypt|passwordHash/);
  });
});

describe('hardening', () => {
  it('sends security headers and a strict CSP on every response', async () => {
    for (const res of [await get('/api/health'), await get('/api/nothing')]) {
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'; script-src 'self'/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('closes a sync connection that floods frames', async () => {
    const ws = new WebSocket(server.url.replace('http', 'ws') + '/sync');
    await new Promise((r) => ws.on('open', r));
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    for (let i = 0; i < 200; i++) ws.send(new Uint8Array([1, 0, 0, 0, 2, 123, 125]));
    expect(await closed).toBe(1008);
  });
});
