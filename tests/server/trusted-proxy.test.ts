import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { ConfigError, loadConfig } from '../../server/config';
import { LOGIN_LIMITS } from '../../server/http/api';
import { NO_TRUSTED_PROXIES, parseTrustedProxies, resolveClientIp } from '../../server/net/address';
import { tempDir } from '../helpers/server';

// Behind a reverse proxy the client is named in X-Forwarded-For, which anyone can write: it is
// believed only from the proxies listed in MINSHENG_TRUSTED_PROXIES (issue 31).

describe('resolveClientIp', () => {
  const proxies = parseTrustedProxies('10.0.0.0/8, ::1, 192.0.2.7');

  it('ignores the header unless the peer is a trusted proxy', () => {
    expect(resolveClientIp('203.0.113.9', '198.51.100.1', proxies)).toBe('203.0.113.9');
    expect(resolveClientIp('10.1.2.3', '198.51.100.1', NO_TRUSTED_PROXIES)).toBe('10.1.2.3');
  });

  it('walks back through trusted hops to the first untrusted one', () => {
    expect(resolveClientIp('10.1.2.3', '198.51.100.1', proxies)).toBe('198.51.100.1');
    // The client wrote the leftmost entry; the chain 192.0.2.7 → 10.1.2.3 is ours.
    expect(resolveClientIp('10.1.2.3', '6.6.6.6, 198.51.100.1, 192.0.2.7', proxies)).toBe('198.51.100.1');
    expect(resolveClientIp('::ffff:10.1.2.3', ['198.51.100.1', '10.9.9.9'], proxies)).toBe('198.51.100.1');
    expect(resolveClientIp('::1', '2001:db8::5', proxies)).toBe('2001:db8::5');
  });

  it('stops at a malformed entry, charging the last trusted hop', () => {
    expect(resolveClientIp('10.1.2.3', 'not-an-ip', proxies)).toBe('10.1.2.3');
    expect(resolveClientIp('10.1.2.3', '198.51.100.1, <script>, 10.0.0.9', proxies)).toBe('10.0.0.9');
  });

  it('never names a client from entries left of an untrusted hop', () => {
    fc.assert(
      fc.property(fc.array(fc.ipV4(), { maxLength: 6 }), fc.ipV4(), fc.array(fc.constantFrom('10.0.0.1', '10.200.3.4', '192.0.2.7'), { maxLength: 4 }), (forged, client, chain) => {
        fc.pre(!client.startsWith('10.') && client !== '192.0.2.7');
        const header = [...forged, client, ...chain.slice(1)].join(', ');
        const peer = chain[0] ?? '10.0.0.2';
        return resolveClientIp(peer, header, proxies) === client;
      }),
    );
  });

  it('refuses a malformed list with the entry named', () => {
    expect(() => parseTrustedProxies('10.0.0.0/33')).toThrow(/10.0.0.0\/33/);
    expect(() => parseTrustedProxies('proxy.local')).toThrow(/proxy.local/);
    expect(() => loadConfig({ MINSHENG_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/x' })).toThrow(ConfigError);
    expect(() => loadConfig({ MINSHENG_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/x' })).toThrow(/MINSHENG_TRUSTED_PROXIES/);
  });
});

describe('per-address login limits behind a proxy', () => {
  // 127.0.0.0/8 is all this machine: 127.0.0.2 plays the proxy, 127.0.0.3 a client talking to
  // the server directly that forges the header.
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_DEMO: '0', MINSHENG_TRUSTED_PROXIES: '127.0.0.2' }));
  });
  afterAll(() => server.close());

  function loginVia(from: string, forwardedFor: string, username: string): Promise<number> {
    const url = new URL('/api/login', server.url);
    const data = JSON.stringify({ username, password: 'wrong-password' });
    return new Promise((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: from, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), 'x-forwarded-for': forwardedFor } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(data);
    });
  }

  it('counts each client behind the proxy apart', async () => {
    for (let i = 0; i < LOGIN_LIMITS.address.max; i++) expect(await loginVia('127.0.0.2', '198.51.100.1', `user${i}`)).toBe(401);
    expect(await loginVia('127.0.0.2', '198.51.100.1', 'another')).toBe(429);
    // Same proxy, another client: its own budget.
    expect(await loginVia('127.0.0.2', '198.51.100.2', 'another')).toBe(401);
    const throttled = (await server.store.audit(100)).filter((e) => e.action === 'login_throttled');
    expect(throttled.map((e) => e.ip)).toEqual(['198.51.100.1']);
  });

  it('does not believe the header from anyone else', async () => {
    for (let i = 0; i < LOGIN_LIMITS.address.max; i++) expect(await loginVia('127.0.0.3', `203.0.113.${i + 1}`, `user${i}`)).toBe(401);
    // A fresh forged address on every try changed nothing: the direct client is throttled.
    expect(await loginVia('127.0.0.3', '203.0.113.200', 'another')).toBe(429);
  });
});
