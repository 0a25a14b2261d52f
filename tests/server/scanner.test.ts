import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig, type Config as ServerConfig } from '../../server/config';
import { scanDeadlines } from '../../server/jobs/deadlines';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { fold } from '../../src/core/fold';
import { act, loadAppeal, recordAppeal, type ActionInput } from '../../src/store/appeals';
import { device, login, until, type Device } from '../helpers/clients';
import { tempDir } from '../helpers/server';

// The deadline scanner against a real server whose periodic scan is off: appeals are made
// on devices with old clocks (recorded, accepted, assigned weeks before "now") and pushed
// through the real hub; the test then runs scanDeadlines itself at chosen instants and
// checks the warning stages and supervision rungs against the Lanling policy's thresholds,
// the fan-out to connected devices, idempotency, and that closed appeals are left alone.
//
// All instants are China Standard Time in two plain weeks of November 2025 (no holiday or
// make-up day between 3 and 28 November): working hours 09:00–17:00.

const cst = (local: string) => Date.parse(`${local}+08:00`);
const NOW = cst('2025-11-21T10:00:00'); // a Friday
const LATER = cst('2025-11-25T10:00:00'); // the next Tuesday

let config: ServerConfig;
let server: RunningServer;
let grid: Device;
let town: Device;

beforeAll(async () => {
  config = loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' });
  server = await startServer(config);
  grid = await device(server, await login(server, 'grid'));
  town = await device(server, await login(server, 'town'));
  grid.engine.start();
  town.engine.start();
  await Promise.all([grid.settled(), town.settled()]);
});

afterAll(async () => {
  grid?.close();
  town?.close();
  await server?.close();
});

/** The grid worker records (device clock at `at`) and syncs. */
async function recordAt(at: number, description: string, kind = 'help'): Promise<string> {
  const input = { channel: 'grid_patrol', category: 'infra.water', kind, urgency: 'orange', villageCode: grid.session.user.scope.regions[0]!, description, citizen: { anonymous: true } };
  const r = await recordAppeal(grid.db, input, grid.who, at);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  grid.engine.kick();
  await grid.settled();
  await until(async () => (await town.db.appeals.get(r.value.id)) !== undefined, 15_000, 'town has the appeal');
  return r.value.id;
}

/** The town official acts (device clock at `at`) and syncs. */
async function townAt(id: string, at: number, input: ActionInput): Promise<void> {
  expect(await act(town.db, id, town.session.user, input, at), input.type).toEqual({ ok: true });
  town.engine.kick();
  await town.settled();
}

/** Recorded, accepted and assigned to the town at `assignedAt`: the handling clock starts there. */
async function assignedAt(assignedAt: number, description: string): Promise<string> {
  const id = await recordAt(assignedAt - 30 * 60_000, description);
  await townAt(id, assignedAt - 20 * 60_000, { type: 'accepted' });
  await townAt(id, assignedAt, { type: 'assigned', tier: 'town' });
  return id;
}

async function serverEvents(id: string): Promise<AppealEvent[]> {
  const doc = docFromUpdates(await server.store.docParts(id));
  try {
    return readAppeal(doc, id).events as AppealEvent[];
  } finally {
    doc.destroy();
  }
}
const systemEvents = (events: AppealEvent[]) => events.filter((e) => e.role === 'system');
const row = async (id: string) => (await server.store.appealRows()).find((r) => r.id === id)!;

describe('deadline scanner on a real server', () => {
  let overdue: string, severe: string, dueSoon: string, undispatched: string, fresh: string, closed: string;

  beforeAll(async () => {
    expect(config.scanIntervalMs).toBe(0);
    // Lanling (county 371324): dispatch 1 working day; help 3; warn 2 h before; severe after 3 days overdue; supervision after 1, 3, 5, 10, 15.
    expect(config.policy).toEqual(POLICY_PRESETS.lanling);

    // Assigned Mon 17 Nov 09:00 → due Wed 19 Nov 17:00 → 1 day 1 h overdue at NOW.
    overdue = await assignedAt(cst('2025-11-17T09:00:00'), '一组水管漏水。');
    // Assigned Wed 12 Nov 09:00 → due Fri 14 Nov 17:00 → 4 days 1 h overdue at NOW.
    severe = await assignedAt(cst('2025-11-12T09:00:00'), '二组停水。');
    // Assigned Tue 18 Nov 11:30 → due Fri 21 Nov 11:30 → 1.5 working hours left at NOW.
    dueSoon = await assignedAt(cst('2025-11-18T11:30:00'), '三组水压低。');
    // Recorded Thu 20 Nov 09:00, never dispatched → dispatch due Thu 17:00 → 1 h overdue at NOW.
    undispatched = await recordAt(cst('2025-11-20T09:00:00'), '四组井水浑浊。');
    // Assigned Fri 21 Nov 09:00 → due Tue 25 Nov 17:00: nothing owed at NOW or LATER.
    fresh = await assignedAt(cst('2025-11-21T09:00:00'), '五组水表损坏。');
    // Long overdue, but closed: owes nothing ever.
    closed = await assignedAt(cst('2025-11-03T09:00:00'), '六组水渠堵塞。');
    await townAt(closed, cst('2025-11-04T10:00:00'), { type: 'replied', note: '已疏通。', via: 'grid_patrol' });
    await townAt(closed, cst('2025-11-05T10:00:00'), { type: 'visited', satisfaction: 'satisfied' });
    await townAt(closed, cst('2025-11-05T11:00:00'), { type: 'closed' });
    expect((await row(closed)).status).toBe('closed');
    // The periodic scanner is off: nothing has been appended by the system yet.
    for (const id of [overdue, severe, dueSoon, undispatched, fresh, closed]) expect(systemEvents(await serverEvents(id))).toEqual([]);
  });

  it('appends the warning stage and supervision rung each appeal has earned', async () => {
    const before = await server.store.updateCount();
    const result = await scanDeadlines(server.store, server.bus, config.policy, NOW);
    expect(result).toMatchObject({ warned: 4, supervised: 2 });
    // One update per appeal that owed something.
    expect(await server.store.updateCount()).toBe(before + 4);

    const warned = (stage: string, dueAt: string, notify: string[]) => ({ type: 'warned', actor: 'system', role: 'system', at: NOW, stage, dueAt: cst(dueAt), notify });
    const supervised = (level: number) => ({ type: 'supervised', actor: 'system', role: 'system', at: NOW, level });
    expect(systemEvents(await serverEvents(overdue))).toMatchObject([warned('overdue', '2025-11-19T17:00:00', ['handler', 'leader']), supervised(1)]);
    expect(systemEvents(await serverEvents(severe))).toMatchObject([warned('severe', '2025-11-14T17:00:00', ['handler', 'leader']), supervised(2)]);
    expect(systemEvents(await serverEvents(dueSoon))).toMatchObject([warned('due_soon', '2025-11-21T11:30:00', ['handler'])]);
    expect(systemEvents(await serverEvents(undispatched))).toMatchObject([warned('overdue', '2025-11-20T17:00:00', ['handler', 'leader'])]);
    expect(systemEvents(await serverEvents(fresh))).toEqual([]);
    expect(systemEvents(await serverEvents(closed))).toEqual([]);

    // Each system event names the event before it as its basis, and folds without conflict.
    for (const id of [overdue, severe, dueSoon, undispatched]) {
      const events = await serverEvents(id);
      events.forEach((e, i) => e.role === 'system' && expect(e.basis).toBe(events[i - 1]!.id));
      expect(fold(events, id).conflicts).toEqual([]);
    }
    expect((await row(overdue)).supervisionLevel).toBe(1);
    expect((await row(severe)).supervisionLevel).toBe(2);
    expect((await row(dueSoon)).supervisionLevel).toBe(0);
    expect((await row(closed)).supervisionLevel).toBe(0);
  });

  it('reaches connected devices through the fan-out', async () => {
    for (const d of [town, grid]) {
      await until(async () => ((await d.db.appeals.get(severe))?.supervisionLevel ?? 0) === 2, 15_000, `${d.session.user.username} gets the supervision`);
      for (const id of [overdue, severe, dueSoon, undispatched]) {
        await until(async () => systemEvents(((await loadAppeal(d.db, id))?.events ?? []) as AppealEvent[]).length > 0, 15_000, 'the warnings');
        expect((await loadAppeal(d.db, id))!.events).toEqual(await serverEvents(id));
      }
      expect((await d.db.appeals.get(overdue))!.supervisionLevel).toBe(1);
    }
  });

  it('appends nothing when run again at the same moment, or a minute later', async () => {
    const before = await server.store.updateCount();
    expect(await scanDeadlines(server.store, server.bus, config.policy, NOW)).toMatchObject({ warned: 0, supervised: 0 });
    expect(await scanDeadlines(server.store, server.bus, config.policy, NOW + 60_000)).toMatchObject({ warned: 0, supervised: 0 });
    expect(await server.store.updateCount()).toBe(before);
  });

  it('climbs the ladder as time passes, owing only what is new', async () => {
    const before = await server.store.updateCount();
    const closedParts = (await server.store.docParts(closed)).length;
    const result = await scanDeadlines(server.store, server.bus, config.policy, LATER);
    // overdue: 3 days 1 h → severe now, rung 2; severe: 6 days 1 h → already warned severe
    // for that due date, rung 3; dueSoon: 1 day 6.5 h overdue → overdue, rung 1;
    // undispatched: 2 days 1 h → already warned overdue, rung 1; fresh: 7 h left → nothing.
    expect(result).toMatchObject({ warned: 2, supervised: 4 });
    expect(await server.store.updateCount()).toBe(before + 4);
    const stages = async (id: string) => systemEvents(await serverEvents(id)).map((e) => (e.type === 'warned' ? e.stage : `level ${(e as { level: number }).level}`));
    expect(await stages(overdue)).toEqual(['overdue', 'level 1', 'severe', 'level 2']);
    expect(await stages(severe)).toEqual(['severe', 'level 2', 'level 3']);
    expect(await stages(dueSoon)).toEqual(['due_soon', 'overdue', 'level 1']);
    expect(await stages(undispatched)).toEqual(['overdue', 'level 1']);
    expect(await stages(fresh)).toEqual([]);
    expect(await stages(closed)).toEqual([]);
    expect((await server.store.docParts(closed)).length).toBe(closedParts);
    expect(await row(closed)).toMatchObject({ status: 'closed', supervisionLevel: 0 });

    expect(await scanDeadlines(server.store, server.bus, config.policy, LATER)).toMatchObject({ warned: 0, supervised: 0 });
    expect(await server.store.updateCount()).toBe(before + 4);
    await until(async () => ((await town.db.appeals.get(overdue))?.supervisionLevel ?? 0) === 2, 15_000, 'town gets rung 2');
  });

  it('leaves a closed appeal alone however late it is scanned', async () => {
    const before = await server.store.updateCount();
    const events = await serverEvents(closed);
    await scanDeadlines(server.store, server.bus, config.policy, cst('2026-06-01T10:00:00'));
    expect(await serverEvents(closed)).toEqual(events);
    expect(systemEvents(events)).toEqual([]);
    expect(await row(closed)).toMatchObject({ status: 'closed', supervisionLevel: 0 });
    // The others, open and far overdue, did get something.
    expect(await server.store.updateCount()).toBeGreaterThan(before);
  });
});
