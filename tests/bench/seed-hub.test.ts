import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctRatio, generateAppeals } from '../../bench/generate';
import { seedThroughHub } from '../../bench/seed-hub';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { fold } from '../../src/core/fold';
import { tempDir } from '../helpers/server';

// The benches' seeder pushes each pipeline step through the hub from another person's
// device: the hub must accept every step, and the stored appeals must carry the hands
// that did them, as the real ones do.

let server: RunningServer;
beforeAll(async () => {
  server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }));
});
afterAll(async () => {
  await server.close();
});

describe('seeding through the hub', () => {
  it('commits every appeal with each step by its own role and device', async () => {
    const villages = (await server.store.regionsUnder(['371324'])).filter((r) => r.level === 'village').slice(0, 12);
    const seeded = await seedThroughHub(server, { count: 60, villages, seed: 3, from: Date.now() - 20 * 86_400_000, policy: POLICY_PRESETS.lanling });
    expect(seeded.appeals).toHaveLength(60);
    const stored = new Map((await server.store.appealRows()).map((a) => [a.id, a]));
    for (const { snapshot } of seeded.appeals) {
      const state = fold(snapshot.events, snapshot.id);
      expect(state.conflicts).toEqual([]);
      expect(stored.get(snapshot.id)?.status).toBe(state.status);
      const recorded = snapshot.events[0] as { type: string; role: string };
      expect(recorded).toMatchObject({ type: 'recorded', role: 'grid_worker' });
      const roleOf = (type: string) => (snapshot.events.find((e) => (e as { type: string }).type === type) as { role: string } | undefined)?.role;
      if (roleOf('accepted')) expect(roleOf('accepted')).toBe('town_official');
      if (roleOf('visited')) expect(roleOf('visited')).toBe('county_dispatcher');
      if (state.dept && roleOf('replied')) expect(roleOf('replied')).toBe('dept_handler');
    }
    const statuses = new Set(seeded.appeals.map((a) => fold(a.snapshot.events, a.snapshot.id).status));
    expect(statuses.size).toBeGreaterThan(2);
    expect(seeded.devices).toBeGreaterThan(villages.length);
  });

  it('generates descriptions that are nearly all distinct', () => {
    const texts = generateAppeals(2000, [{ code: '371324101201', name: '大仲村村民委员会' }], 11).map((a) => a.description);
    expect(distinctRatio(texts)).toBeGreaterThan(0.95);
  });
});
