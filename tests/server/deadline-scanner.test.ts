import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { scanDeadlines } from '../../server/jobs/deadlines';
import { POLICY_PRESETS } from '../../src/core/deadline';
import type { AppealEvent } from '../../src/core/events';
import { fold } from '../../src/core/fold';
import { act, loadAppeal, recordAppeal } from '../../src/store/appeals';
import { device, login, until, type Device } from '../helpers/clients';
import { tempDir } from '../helpers/server';
import { generateRelayKeyPair } from '../../server/services/relay-keys';
import { newId } from '../../src/core/id';

// The deadline scanner against a real server: it appends the warnings and supervision an
// overdue appeal has earned, they reach a connected town official through the normal
// fan-out, and a second run at the same moment appends nothing.

const POLICY = POLICY_PRESETS.lanling;
const DAY = 86_400_000;
let server: RunningServer;
let grid: Device;
let town: Device;

beforeAll(async () => {
  server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_DEADLINE_POLICY: 'lanling' }));
  grid = await device(server, await login(server, 'grid'));
  town = await device(server, await login(server, 'town'));
  grid.engine.start();
  town.engine.start();
});

afterAll(async () => {
  grid?.close();
  town?.close();
  await server?.close();
});

async function recordAt(at: number, description: string): Promise<string> {
  const input = { channel: 'walk_in', category: 'disputes.wages', kind: 'help', urgency: 'red', villageCode: grid.session.user.scope.regions[0]!, description, citizen: { anonymous: true } };
  const r = await recordAppeal(grid.db, input, grid.who, at);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  grid.engine.kick();
  await grid.settled();
  return r.value.id;
}

describe('deadline scanner', () => {
  it('warns and supervises an overdue appeal, reaching connected devices, once', async () => {
    const now = Date.now();
    const id = await recordAt(now - 30 * DAY, '工地拖欠三个月工资，多次讨要无果。');
    const other = await recordAt(now, '刚登记的诉求，还有时间。');
    await until(async () => (await town.db.appeals.get(other)) !== undefined, 15_000, 'town synced');

    const result = await scanDeadlines(server.store, server.bus, POLICY, now);
    // Thirty calendar days undispatched: well past 15 working days, the top of the ladder.
    expect(result).toMatchObject({ warned: 1, supervised: 1 });
    const row = (await server.store.appealRows()).find((r) => r.id === id)!;
    expect(row.supervisionLevel).toBe(5);

    await until(async () => ((await town.db.appeals.get(id))?.supervisionLevel ?? 0) === 5, 15_000, 'fan-out of the supervision');
    const events = (await loadAppeal(town.db, id))!.events as AppealEvent[];
    expect(events.filter((e) => e.role === 'system').map((e) => e.type)).toEqual(['warned', 'supervised']);
    expect(events.find((e) => e.type === 'warned')).toMatchObject({ stage: 'severe', notify: ['handler', 'leader'], actor: 'system' });
    expect(fold(events, id).conflicts).toEqual([]);

    const updates = await server.store.updateCount();
    expect(await scanDeadlines(server.store, server.bus, POLICY, now)).toMatchObject({ warned: 0, supervised: 0 });
    expect(await server.store.updateCount()).toBe(updates);
  });

  it('leaves closed appeals alone, and a device can keep working on a supervised one', async () => {
    const now = Date.now();
    const id = await recordAt(now - 10 * DAY, '邻居违建挡住了出路。');
    await until(async () => (await town.db.appeals.get(id)) !== undefined, 15_000, 'town synced');
    for (const step of [{ type: 'assigned', tier: 'town' }, { type: 'replied', note: '已协调拆除。', via: 'walk_in' }, { type: 'visited', satisfaction: 'satisfied' }, { type: 'closed' }] as const) {
      expect(await act(town.db, id, town.session.user, step)).toEqual({ ok: true });
    }
    town.engine.kick();
    await town.settled();
    expect((await server.store.appealRows()).find((r) => r.id === id)!.status).toBe('closed');
    const before = await server.store.updateCount();
    await scanDeadlines(server.store, server.bus, POLICY, now + 60 * DAY);
    expect((await server.store.appealRows()).find((r) => r.id === id)!.supervisionLevel).toBe(0);
    // Sixty days on, only the first test's fresh appeal owes something (one update); the
    // top-of-ladder one owes nothing more, and the closed one nothing at all.
    expect(await server.store.updateCount() - before).toBe(1);
  });

  it('leaves a county that runs its own server (and scanner) to it, until its key is revoked', async () => {
    const now = Date.now();
    const id = await recordAt(now - 30 * DAY, '灌溉渠塌方，县里自己的服务器管着。');
    const county = grid.session.user.scope.regions[0]!.slice(0, 6);
    await server.store.insertRelayKey({ id: newId(), county, publicKey: generateRelayKeyPair().publicKey, label: '县服务器', createdBy: 'test', createdAt: now });
    await scanDeadlines(server.store, server.bus, POLICY, now);
    expect((await server.store.appealRows()).find((r) => r.id === id)!.supervisionLevel).toBe(0);
    for (const k of await server.store.relayKeys()) await server.store.revokeRelayKey(k.id, now);
    await scanDeadlines(server.store, server.bus, POLICY, now);
    expect((await server.store.appealRows()).find((r) => r.id === id)!.supervisionLevel).toBe(5);
  });
});
