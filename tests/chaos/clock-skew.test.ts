import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { Region } from '../../src/core/regions';
import type { SessionUser } from '../../src/core/roles';
import { CLOCK_TOLERANCE_MS, clockOffset } from '../../src/core/clock';
import { act, recordAppeal } from '../../src/store/appeals';
import { deviceNow, loadClockOffset } from '../../src/store/clock';
import { openDb } from '../../src/store/db';
import { deviceId } from '../../src/store/meta';
import { SyncEngine, type SyncStatus } from '../../src/sync/engine';
import { until } from '../helpers/clients';
import { spawnServer, tempDir, type ServerProcess } from '../helpers/server';

// Phones whose clocks are days wrong. The server runs in its own process on the true clock;
// this process's clock (the phones') is set days off. After one welcome a phone stamps what
// it records with the server's time, offline too and across a restart, so deadlines run from
// when things really happened.

const DAY = 86_400_000;
/** The bound README states: the clock tolerance (smaller differences are noise) plus a round trip on loopback. */
const STAMP_BOUND_MS = CLOCK_TOLERANCE_MS + 1_000;
let server: ServerProcess;
let auth: { token: string; user: SessionUser };
let regions: Region[];

beforeAll(async () => {
  server = await spawnServer({ MINSHENG_DATA_DIR: tempDir() });
  auth = (await (await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'town', password: 'demo1234' }) })).json()) as typeof auth;
  regions = ((await (await fetch(`${server.url}/api/regions`, { headers: { authorization: `Bearer ${auth.token}` } })).json()) as { regions: Region[] }).regions;
}, 60_000);
afterAll(async () => {
  vi.useRealTimers();
  await server?.stop('SIGKILL');
});

describe('a phone whose clock is wrong', () => {
  it('reads the offset from the server’s time, ignoring a round trip’s noise', () => {
    expect(clockOffset(10_000, 9_000, 9_400)).toBe(0); // 800 ms off: noise
    expect(clockOffset(3 * DAY + 1_000, 500, 1_500)).toBe(3 * DAY);
    expect(clockOffset(0, 2 * DAY, 2 * DAY + 200)).toBe(-2 * DAY - 100);
  });

  it.each([
    ['3 days slow', -3 * DAY],
    ['2 days fast', 2 * DAY],
  ])('%s: stamps with the server’s time after one welcome, offline and after a restart', async (_name, skew) => {
    const truth = () => Date.now() - skew;
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true, now: Date.now() + skew });
    try {
      const name = `skew-${skew}-${Math.random()}`;
      let db = openDb(name);
      await db.regions.bulkPut(regions);
      const who = { id: auth.user.id, role: auth.user.role, scope: auth.user.scope };
      const village = regions.find((r) => r.level === 'village')!.code;
      const input = (text: string) => ({ channel: 'walk_in', category: 'infra.water', kind: 'help', urgency: 'orange', villageCode: village, description: text, citizen: { anonymous: true } });

      let status!: SyncStatus;
      const engine = new SyncEngine({ db, url: `${server.url.replace('http', 'ws')}/sync`, token: auth.token, deviceId: await deviceId(db), WebSocketImpl: WebSocket as never, retryBaseMs: 50, random: () => 0 });
      engine.subscribe((s) => (status = s));
      engine.start();
      await until(async () => status.link === 'online', 10_000, 'online');
      // One welcome later, the phone's "now" is the server's.
      expect(Math.abs(deviceNow(db) - truth())).toBeLessThan(STAMP_BOUND_MS);
      const recorded = await recordAppeal(db, input('水管冻裂'), who);
      if (!recorded.ok) throw new Error(JSON.stringify(recorded.errors));
      expect((await act(db, recorded.value.id, auth.user, { type: 'accepted' })).ok).toBe(true);
      engine.kick();
      await until(async () => (await db.outbox.count()) === 0, 10_000, 'pushed');
      engine.stop();

      // Offline, after a restart: the kept offset still applies.
      db.close();
      db = openDb(name);
      await loadClockOffset(db);
      const offline = await recordAppeal(db, input('路灯不亮'), who);
      if (!offline.ok) throw new Error('not recorded');
      const row = (await db.appeals.get(offline.value.id))!;
      const offBy = Math.abs(row.createdAt - truth());
      expect(offBy).toBeLessThan(STAMP_BOUND_MS);
      const first = (await db.appeals.get(recorded.value.id))!;
      expect(Math.abs(first.createdAt - truth())).toBeLessThan(60_000);
      expect(Math.abs(first.updatedAt - truth())).toBeLessThan(60_000);
      // The deadline runs from the true time: Lanling dispatches within a working day, not 3 days early or 2 late.
      expect(first.dueAt).not.toBeNull();
      expect(first.dueAt!).toBeGreaterThan(truth() - DAY);
      expect(first.dueAt!).toBeLessThan(truth() + 5 * DAY);
      console.log(`clock ${skew > 0 ? '+' : ''}${skew / DAY} days: stamped ${offBy} ms from the server's clock (bound ${STAMP_BOUND_MS} ms), due ${new Date(first.dueAt!).toISOString()}`);
      db.close();
    } finally {
      vi.useRealTimers();
    }
  }, 60_000);
});
