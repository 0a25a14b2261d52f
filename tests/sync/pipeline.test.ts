import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { appendEvent, docFromUpdates, eventsOf, readAppeal, type AppealSnapshot } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { fold, type AppealState } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { act, loadAppeal, recordAppeal, type ActionInput } from '../../src/store/appeals';
import { applyLocalChange } from '../../src/store/docs';
import { addUser, device, login, until, type Device } from '../helpers/clients';
import { tempDir } from '../helpers/server';

// The appeal pipeline through real sync: every role on its own device (fake-indexeddb +
// SyncEngine over a real WebSocket), every step through the real hub and its validation.
// Then what a tampered phone could push, and the honest offline race of two officials.

let server: RunningServer;
let grid: Device, town: Device, town2: Device, dept: Device, dept2: Device, station: Device;
let all: Device[];
let village: string;

beforeAll(async () => {
  server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }));
  const townLogin = await login(server, 'town');
  const deptLogin = await login(server, 'dept');
  await addUser(server, 'town-b', 'town_official', townLogin.user.scope.regions);
  // A county department handler of another bureau: same regions, not the water department.
  await addUser(server, 'dept-roads', 'dept_handler', deptLogin.user.scope.regions, ['transport']);
  grid = await device(server, await login(server, 'grid'));
  town = await device(server, townLogin);
  town2 = await device(server, await login(server, 'town-b'));
  dept = await device(server, deptLogin);
  dept2 = await device(server, await login(server, 'dept-roads'));
  station = await device(server, await login(server, 'station'));
  all = [grid, town, town2, dept, dept2, station];
  village = grid.session.user.scope.regions[0]!;
  // Everyone but the grid worker is online from the start; the grid worker is in the field.
  for (const d of all) if (d !== grid) d.engine.start();
  await Promise.all(all.filter((d) => d !== grid).map((d) => d.settled()));
});

afterAll(async () => {
  for (const d of all ?? []) d.close();
  await server?.close();
});

const name = (d: Device) => d.session.user.username;

async function stateOn(d: Device, id: string): Promise<AppealState | null> {
  const s = await loadAppeal(d.db, id);
  return s && fold(s.events, id);
}

async function seen(d: Device, id: string, ok: (s: AppealState) => boolean, what: string): Promise<AppealState> {
  let last: AppealState | null = null;
  await until(async () => {
    last = await stateOn(d, id);
    return last !== null && ok(last);
  }, 15_000, `${name(d)} sees ${what}`);
  return last!;
}

/** The server's own replica of a document. */
function serverSnapshot(id: string): AppealSnapshot {
  const doc = docFromUpdates(server.store.docParts(id));
  try {
    return readAppeal(doc, id);
  } finally {
    doc.destroy();
  }
}

const row = (id: string) => server.store.appealRows().find((r) => r.id === id);

/** A step the app's way: `act` checks it locally, queues it, and the engine pushes it. */
async function step(d: Device, id: string, input: ActionInput): Promise<void> {
  expect(await act(d.db, id, d.session.user, input), `${name(d)} ${input.type}`).toEqual({ ok: true });
  d.engine.kick();
  await d.settled();
}

/**
 * What a tampered phone pushes: the event written straight into the document with
 * appendEvent (no local check), naming the last applied event as its basis like the app does.
 */
async function forge(d: Device, id: string, input: ActionInput): Promise<AppealEvent> {
  const user = d.session.user;
  let event!: AppealEvent;
  const changed = await applyLocalChange(d.db, id, (doc) => {
    const basis = fold(eventsOf(doc).toArray(), id).lastAppliedId;
    event = { ...input, id: newId(), actor: user.id, role: user.role, at: Date.now(), ...(basis ? { basis } : {}) } as AppealEvent;
    appendEvent(doc, event);
  });
  expect(changed).toBe(true);
  return event;
}

async function pushAndSettle(d: Device): Promise<void> {
  d.engine.start(); // a no-op when already running
  d.engine.kick();
  await d.settled();
}

async function record(description: string): Promise<string> {
  const input = { channel: 'grid_patrol', category: 'infra.water', kind: 'help', urgency: 'orange', villageCode: village, description, citizen: { anonymous: false, name: '王大妈' } };
  const r = await recordAppeal(grid.db, input, { ...grid.who, name: grid.session.user.displayName });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.id;
}

describe('one appeal through the whole pipeline, each role on its own device', () => {
  let id: string;

  it('is recorded by the grid worker offline and reaches the town once the device syncs', async () => {
    id = await record('三组自来水管爆裂，全组停水两天。');
    expect(grid.status()?.link).not.toBe('online');
    expect(await grid.db.outbox.count()).toBe(1);
    expect(row(id)).toBeUndefined();
    // Nothing reached the town while the grid worker was offline.
    expect(await town.db.appeals.get(id)).toBeUndefined();

    grid.engine.start();
    await grid.settled();
    expect(row(id)).toMatchObject({ status: 'new', village });
    await seen(town, id, (s) => s.status === 'new', 'the new appeal');
  });

  it('is accepted and assigned by the town to the water department at town tier', async () => {
    await step(town, id, { type: 'accepted' });
    await step(town, id, { type: 'assigned', tier: 'town', dept: 'water' });
    const s = await seen(dept, id, (s) => s.status === 'assigned', 'the assignment');
    expect(s).toMatchObject({ tier: 'town', dept: 'water', handler: null });
    expect(row(id)).toMatchObject({ status: 'assigned', dept: 'water' });
  });

  it('is started by the water department; another bureau’s reply is refused as forbidden', async () => {
    await step(dept, id, { type: 'started' });
    await seen(dept2, id, (s) => s.status === 'in_progress', 'the start');

    // dept-roads is a department handler in scope for the village, but not of 'water'.
    const forged = await forge(dept2, id, { type: 'replied', note: '已处理完毕。', via: 'grid_patrol' });
    await pushAndSettle(dept2);
    const q = await dept2.db.quarantine.toArray();
    expect(q).toEqual([expect.objectContaining({ docId: id, reason: 'forbidden', detail: 'replied: not_assignee' })]);
    // Stored nowhere: not on the server, and the device rebuilt the doc without it.
    expect(serverSnapshot(id).events.some((e) => (e as AppealEvent).id === forged.id)).toBe(false);
    expect((await stateOn(dept2, id))!.status).toBe('in_progress');
    expect(row(id)!.status).toBe('in_progress');
  });

  it('is answered through the original channel, visited unsatisfied, reopened, answered again, visited satisfied, closed', async () => {
    await step(dept, id, { type: 'replied', note: '已抢修管道，恢复供水。', via: 'grid_patrol' });
    await seen(station, id, (s) => s.status === 'replied', 'the reply');
    await step(station, id, { type: 'visited', satisfaction: 'unsatisfied', note: '水压仍然很低。' });
    await step(station, id, { type: 'reopened', reason: '群众反映水压不足，要求重办。' });
    await seen(dept, id, (s) => s.status === 'assigned' && s.reopenCount === 1, 'the redo');
    await step(dept, id, { type: 'replied', note: '更换减压阀，水压恢复正常。', via: 'grid_patrol' });
    await seen(station, id, (s) => s.status === 'replied' && s.reopenCount === 1, 'the second reply');
    await step(station, id, { type: 'visited', satisfaction: 'satisfied' });
    await seen(town, id, (s) => s.status === 'visited' && s.satisfaction === 'satisfied', 'the satisfied visit');
    await step(town, id, { type: 'closed', note: '群众满意，销号。' });
  });

  it('converges to the same closed appeal on every device and on the server', async () => {
    for (const d of all) await seen(d, id, (s) => s.status === 'closed', 'the close');
    const states = await Promise.all(all.map((d) => stateOn(d, id)));
    for (const s of states) expect(s).toEqual(states[0]);
    expect(states[0]).toMatchObject({ status: 'closed', reopenCount: 1, satisfaction: 'satisfied', tier: 'town', dept: 'water', conflicts: [] });
    // The server's replica folds the same, and its projection agrees.
    expect(fold(serverSnapshot(id).events, id)).toEqual(states[0]);
    expect(row(id)).toMatchObject({ status: 'closed', reopenCount: 1, satisfaction: 'satisfied', dept: 'water', conflicts: 0 });
    // The local projection rows agree too.
    for (const d of all) expect((await d.db.appeals.get(id))!.status, name(d)).toBe('closed');
    const types = ((await loadAppeal(grid.db, id))!.events as AppealEvent[]).map((e) => e.type);
    expect(types).toEqual(['recorded', 'accepted', 'assigned', 'started', 'replied', 'visited', 'reopened', 'replied', 'visited', 'closed']);
  });

  it('refuses a reply to the closed appeal as invalid_transition', async () => {
    const before = server.store.updateCount();
    const forged = await forge(dept, id, { type: 'replied', note: '补充说明。', via: 'grid_patrol' });
    await pushAndSettle(dept);
    expect(await dept.db.quarantine.toArray()).toEqual([expect.objectContaining({ docId: id, reason: 'invalid_transition', detail: 'replied: invalid_transition' })]);
    expect(server.store.updateCount()).toBe(before);
    expect(serverSnapshot(id).events.some((e) => (e as AppealEvent).id === forged.id)).toBe(false);
    expect((await stateOn(dept, id))).toMatchObject({ status: 'closed', conflicts: [] });
  });
});

describe('a forged close among honest work, and an honest offline race', () => {
  let id: string;

  it('sets up an appeal handled at village tier and visited satisfied', async () => {
    id = await record('村口路灯坏了一个月。');
    await pushAndSettle(grid);
    await seen(station, id, (s) => s.status === 'new', 'the new appeal');
    await step(station, id, { type: 'accepted' });
    await step(station, id, { type: 'assigned', tier: 'village' });
    await step(station, id, { type: 'replied', note: '已更换灯泡。', via: 'grid_patrol' });
    await step(station, id, { type: 'visited', satisfaction: 'satisfied' });
    for (const d of [grid, town, town2]) await seen(d, id, (s) => s.status === 'visited', 'the visit');
  });

  it('refuses the grid worker’s forged close as forbidden, quarantines it, and accepts the record pushed with it', async () => {
    grid.engine.stop();
    const forged = await forge(grid, id, { type: 'closed' });
    const other = await record('二组垃圾桶不够用，垃圾堆在路边。');
    expect(await grid.db.outbox.count()).toBe(2);
    // The device shows its own forged close until the server answers.
    expect((await stateOn(grid, id))!.status).toBe('closed');

    grid.engine.start();
    await grid.settled();
    const q = await grid.db.quarantine.toArray();
    expect(q).toEqual([expect.objectContaining({ docId: id, reason: 'forbidden', detail: 'closed: role_not_allowed' })]);
    expect(q[0]!.update.byteLength).toBeGreaterThan(0);
    // Nothing else lost: the other record of the same session is on the server and on the town's device.
    expect(row(other)).toMatchObject({ status: 'new', createdBy: grid.session.user.id });
    await seen(town, other, (s) => s.status === 'new', 'the other record');
    // The forged close is nowhere; the device went back to the server's state.
    expect(serverSnapshot(id).events.some((e) => (e as AppealEvent).id === forged.id)).toBe(false);
    expect(row(id)!.status).toBe('visited');
    expect((await stateOn(grid, id))!.status).toBe('visited');
  });

  it('keeps both offline closes of two town officials and converges to one closed appeal with one conflict note', async () => {
    town.engine.stop();
    town2.engine.stop();
    expect(await act(town.db, id, town.session.user, { type: 'closed', note: '甲' })).toEqual({ ok: true });
    expect(await act(town2.db, id, town2.session.user, { type: 'closed', note: '乙' })).toEqual({ ok: true });
    const before = server.store.updateCount();
    town.engine.start();
    town2.engine.start();
    await Promise.all([town.settled(), town2.settled()]);
    expect(server.store.updateCount()).toBe(before + 2);
    expect(await town.db.quarantine.count()).toBe(0);
    expect(await town2.db.quarantine.count()).toBe(0);

    for (const d of all) await seen(d, id, (s) => s.status === 'closed' && s.conflicts.length === 1, 'one close and one conflict note');
    const states = await Promise.all(all.map((d) => stateOn(d, id)));
    for (const s of states) expect(s).toEqual(states[0]);
    const s = states[0]!;
    expect(s.conflicts).toHaveLength(1);
    expect(s.conflicts[0]).toMatchObject({ type: 'closed', reason: 'invalid_transition', status: 'closed' });
    expect([town.session.user.id, town2.session.user.id]).toContain(s.conflicts[0]!.actor);
    // Both closes are in the document: nothing lost, one of them is the conflict note.
    const closes = ((await loadAppeal(grid.db, id))!.events as AppealEvent[]).filter((e) => e.type === 'closed');
    expect(closes.map((e) => e.actor).sort()).toEqual([town.session.user.id, town2.session.user.id].sort());
    expect(fold(serverSnapshot(id).events, id)).toEqual(s);
    expect(row(id)).toMatchObject({ status: 'closed', conflicts: 1 });
  });
});

