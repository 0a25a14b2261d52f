import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { LOGIN_LIMITS } from '../../server/http/api';
import { addressKey } from '../../server/net/ratelimit';
import { tempDir } from '../helpers/server';

// Login throttling through the real server, from several client addresses: the whole of
// 127.0.0.0/8 is this machine, so each request picks its source address (issue 21).

let server: RunningServer;

interface Answer {
  status: number;
  retryAfter: number;
  body: { error?: string; message?: string; token?: string };
}

function postFrom(from: string, path: string, body: unknown, token?: string, method = 'POST'): Promise<Answer> {
  const url = new URL(path, server.url);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method, localAddress: from, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...(token ? { authorization: `Bearer ${token}` } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? 0), body: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
const login = (from: string, username: string, password: string) => postFrom(from, '/api/login', { username, password });
const fail = async (from: string, username: string, times: number) => {
  for (let i = 0; i < times; i++) expect((await login(from, username, `wrong-${i}`)).status).toBe(401);
};
const throttledWhy = async (username: string) =>
  (await server.store.audit(200)).filter((e) => e.target === username && e.action === 'login_throttled').map((e) => (e.detail as { why?: string } | null)?.why);

beforeAll(async () => {
  server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }));
});
afterAll(() => server?.close());

describe('login throttling', () => {
  it('failures from one address do not lock the owner out from another', async () => {
    await fail('127.0.0.2', 'leader', LOGIN_LIMITS.pair.max);
    const blocked = await login('127.0.0.2', 'leader', 'demo1234');
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toBe('too_many_attempts');
    expect(blocked.retryAfter).toBeGreaterThan(0);
    expect(blocked.retryAfter).toBeLessThanOrEqual(LOGIN_LIMITS.pair.windowMs / 1000);
    expect(blocked.body.message).toMatch(/try again in \d+ s/);
    // The owner, elsewhere, with the right password.
    expect((await login('127.0.0.3', 'leader', 'demo1234')).status).toBe(200);
    expect(await throttledWhy('leader')).toEqual(['pair']);
  });

  it('a spray from many addresses: past the account budget each address gets one guess, and the owner from a new address still logs in', async () => {
    await fail('127.0.1.99', 'town', 1);
    // The rest of the account's budget, each address up to its own limit.
    const sprayers: string[] = [];
    for (let left = LOGIN_LIMITS.account.max - 1; left > 0; left -= LOGIN_LIMITS.pair.max) {
      sprayers.push(`127.0.1.${sprayers.length + 1}`);
      await fail(sprayers.at(-1)!, 'town', Math.min(left, LOGIN_LIMITS.pair.max));
    }
    // A new address is checked once; a wrong guess and it waits, even with the right password next.
    expect((await login('127.0.1.100', 'town', 'wrong')).status).toBe(401);
    const second = await login('127.0.1.100', 'town', 'demo1234');
    expect(second.status).toBe(429);
    expect(second.retryAfter).toBeGreaterThan(0);
    expect(await throttledWhy('town')).toEqual(['account']);
    // So does an address that failed once before the account went over its budget.
    expect((await login('127.0.1.99', 'town', 'demo1234')).status).toBe(429);
    // The owner from an address that has not failed on the account logs in.
    const owner = await login('127.0.1.200', 'town', 'demo1234');
    expect(owner.status).toBe(200);
    expect(owner.body.token).toBeTruthy();
    // The account's budget is not reset by that login: the sprayers still wait.
    expect((await login(sprayers[0]!, 'town', 'demo1234')).status).toBe(429);
    // Other accounts are untouched.
    expect((await login('127.0.1.100', 'grid', 'demo1234')).status).toBe(200);
  });

  it('one address failing over many accounts waits for all of them', async () => {
    for (let i = 0; i < LOGIN_LIMITS.address.max; i++) expect((await login('127.0.2.1', `nobody-${i}`, 'x')).status).toBe(401);
    const blocked = await login('127.0.2.1', 'station', 'demo1234');
    expect(blocked.status).toBe(429);
    expect(blocked.body.message).toMatch(/from this address/);
    expect((await login('127.0.2.2', 'station', 'demo1234')).status).toBe(200);
  });

  it('an administrator setting a new password ends every wait on the account', async () => {
    await fail('127.0.3.1', 'dept', LOGIN_LIMITS.pair.max);
    expect((await login('127.0.3.1', 'dept', 'demo1234')).status).toBe(429);
    const admin = await login('127.0.3.9', 'admin', 'demo1234');
    const users = await new Promise<{ users: { id: string; username: string }[] }>((resolve, reject) => {
      http.get(new URL('/api/admin/users', server.url), { headers: { authorization: `Bearer ${admin.body.token}` } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(JSON.parse(text)));
      }).on('error', reject);
    });
    const dept = users.users.find((u) => u.username === 'dept')!;
    expect((await postFrom('127.0.3.9', `/api/admin/users/${dept.id}`, { password: 'a-new-password' }, admin.body.token, 'PATCH')).status).toBe(200);
    expect((await login('127.0.3.1', 'dept', 'a-new-password')).status).toBe(200);
  });
});

describe('addressKey', () => {
  it('counts IPv4 addresses alone and IPv6 ones by /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});
