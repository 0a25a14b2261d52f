import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../server/services/seed';
import { spawnServer, tempDir } from '../helpers/server';

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
});
