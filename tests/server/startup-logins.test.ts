import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/services/seed';
import { spawnServer, tempDir } from '../helpers/server';

async function loginStatus(url: string, username: string, password: string): Promise<number> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  return res.status;
}

// The demo password is printed on the start that seeds the data directory, never again:
// by the next start the accounts may be real ones, with real passwords (issue 21).

describe('start-up output', () => {
  it('prints the demo logins when it seeds them, and not on a later start on the same data', async () => {
    const env = { MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' };
    const first = await spawnServer(env);
    await first.stop();
    expect(first.output()).toContain('Seeded ');
    expect(first.output()).toContain('Demo logins');
    expect(first.output()).toMatch(new RegExp(`^\\s+town\\s+${DEMO_PASSWORD}\\s`, 'm'));

    const second = await spawnServer(env);
    await second.stop();
    expect(second.output()).toContain('running at');
    expect(second.output()).not.toContain(DEMO_PASSWORD);
    expect(second.output()).not.toContain('Demo logins');
    expect(second.output()).not.toMatch(/^\s+town\s/m);
    expect(second.output()).toMatch(/\d+ active accounts/);
  }, 120_000);

  it('a production start (MINSHENG_DEMO=0) makes only an administrator, with a password printed once', async () => {
    const env = { MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_DEMO_ACCOUNTS: '' };
    const first = await spawnServer(env);
    try {
      const password = /^Administrator: admin \/ (\S+)$/m.exec(first.output())?.[1];
      expect(password, first.output()).toBeDefined();
      expect(password!.length).toBeGreaterThanOrEqual(16);
      expect(first.output()).not.toContain(DEMO_PASSWORD);
      expect(await loginStatus(first.url, 'admin', password!)).toBe(200);
      // No known password opens anything: the demo people do not exist.
      for (const who of ['admin', 'grid', 'town', 'dispatcher']) expect(await loginStatus(first.url, who, DEMO_PASSWORD)).toBe(401);
    } finally {
      await first.stop();
    }
    const second = await spawnServer(env);
    await second.stop();
    expect(second.output()).not.toContain('Administrator: admin');
    expect(second.output()).toMatch(/1 active accounts/);
  }, 120_000);
});
