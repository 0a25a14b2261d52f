import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningServer } from '../../server/app';
import { appendEvent, type AppealSnapshot } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { act, loadAppeal, recordAppeal, type ActionInput } from '../../src/store/appeals';
import { applyLocalChange, applyRemoteChanges } from '../../src/store/docs';
import { seen, stateOn, step } from '../helpers/appeal-steps';
import { addUser, device, login, type Device } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// One appeal walks the whole pipeline, each step by a different person on their own
// device, every step travelling through the real hub: recorded offline in the village,
// accepted and assigned by the town, answered by the water bureau, visited by the village
// station, redone after an "unsatisfied", and closed. Then the forgeries a tampered phone
// could send, and the honest race of two officials closing the same appeal offline.

let server: RunningServer;
const devices: Device[] = [];
let grid: Device, town: Device, town2: Device, dept: Device, station: Device;

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  const townLogin = await login(server, 'town');
  await addUser(server, 'town2', 'town_official', townLogin.user.scope.regions);
  for (const name of ['grid', 'town', 'town2', 'dept', 'station']) devices.push(await device(server, name === 'town' ? townLogin : await login(server, name)));
  [grid, town, town2, dept, station] = devices as [Device, Device, Device, Device, Device];
  for (const d of devices.slice(1)) d.engine.start();
});

afterAll(async () => {
  for (const d of devices) d.close();
  await server?.close();
});

async function snapshot(d: Device, id: string): Promise<AppealSnapshot | null> {
  return loadAppeal(d.db, id);
}
/** What a tampered phone sends: the event goes straight into the document and the outbox. */
async function forge(d: Device, id: string, input: ActionInput): Promise<AppealEvent> {
  const user = d.session.user;
  let event!: AppealEvent;
  await applyLocalChange(d.db, id, (doc) => {
    const events = doc.getArray('events').toArray();
    event = { ...input, id: newId(), actor: user.id, role: user.role, at: Date.now(), basis: fold(events, id).lastAppliedId! } as AppealEvent;
    appendEvent(doc, event);
  });
  return event;
}
async function record(description: string): Promise<string> {
  const village = grid.session.user.scope.regions[0]!;
  const r = await recordAppeal(grid.db, { channel: 'grid_patrol', category: 'infra.water', kind: 'help', urgency: 'orange', villageCode: village, description, citizen: { anonymous: false, name: '王大妈' } }, { ...grid.who, name: grid.session.user.displayName });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.id;
}

describe('an appeal through the whole pipeline, across roles and devices', () => {
  let id: string;

  it('is recorded offline by the grid worker and reaches the town', async () => {
    id = await record('三组自来水断了两天，老人挑水困难。');
    expect(await grid.db.outbox.count()).toBe(1);
    grid.engine.start();
    await grid.settled();
    await seen(town, id, (s) => s.status === 'new', 'the new appeal');
  });

  it('walks accept → assign → reply → unsatisfied visit → reopen → reply → satisfied visit → close', async () => {
    await step(town, id, { type: 'accepted' });
    await step(town, id, { type: 'assigned', tier: 'town', dept: 'water' });
    await seen(dept, id, (s) => s.status === 'assigned' && s.dept === 'water', 'the assignment');
    await step(dept, id, { type: 'started' });
    await step(dept, id, { type: 'replied', note: '已抢修管道，恢复供水。', via: 'grid_patrol' });
    await seen(station, id, (s) => s.status === 'replied', 'the reply');
    await step(station, id, { type: 'visited', satisfaction: 'unsatisfied', note: '水压仍然很低。' });
    await step(station, id, { type: 'reopened', reason: '群众反映水压不足' });
    await seen(dept, id, (s) => s.status === 'assigned' && s.reopenCount === 1, 'the redo');
    await step(dept, id, { type: 'replied', note: '更换了减压阀，水压正常。', via: 'grid_patrol' });
    await seen(station, id, (s) => s.status === 'replied' && s.reopenCount === 1, 'the second reply');
    await step(station, id, { type: 'visited', satisfaction: 'satisfied' });
    await seen(town, id, (s) => s.status === 'visited', 'the satisfied visit');
    await step(town, id, { type: 'closed', note: '销号' });
  });

  it('converges to the same closed appeal on every device and in the server projection', async () => {
    for (const d of devices) await seen(d, id, (s) => s.status === 'closed', 'the close');
    const states = await Promise.all(devices.map((d) => stateOn(d, id)));
    for (const s of states) expect(s).toEqual(states[0]);
    expect(states[0]).toMatchObject({ status: 'closed', reopenCount: 1, satisfaction: 'satisfied', tier: 'town', dept: 'water', conflicts: [] });
    const row = (await server.store.appealRows()).find((r) => r.id === id)!;
    expect(row).toMatchObject({ status: 'closed', reopenCount: 1, satisfaction: 'satisfied', dept: 'water', dueAt: null, conflicts: 0 });
    expect((await grid.db.appeals.get(id))!.status).toBe('closed');
    // Each step names who did it, so the timeline reads offline.
    const events = (await snapshot(grid, id))!.events as AppealEvent[];
    expect(events.map((e) => e.type)).toEqual(['recorded', 'accepted', 'assigned', 'started', 'replied', 'visited', 'reopened', 'replied', 'visited', 'closed']);
    expect(events.every((e) => e.by)).toBe(true);
  });

  it('refuses a reply to the closed appeal, keeping it in the sender’s quarantine with the reason', async () => {
    await forge(dept, id, { type: 'replied', note: '补充说明', via: 'grid_patrol' });
    dept.engine.kick();
    await dept.settled();
    const q = await dept.db.quarantine.toArray();
    expect(q).toEqual([expect.objectContaining({ docId: id, reason: 'invalid_transition', detail: 'replied: invalid_transition' })]);
    // The device rebuilt the appeal from the server's state: closed, without the forged reply.
    expect((await stateOn(dept, id))!.status).toBe('closed');
    await dept.db.quarantine.clear();
  });
});

describe('forged transitions and an honest race', () => {
  let id: string;

  it('sets up an appeal handled by the village and visited', async () => {
    id = await record('村口路灯不亮。');
    grid.engine.kick();
    await grid.settled();
    await seen(station, id, (s) => s.status === 'new', 'the new appeal');
    await step(station, id, { type: 'accepted' });
    await step(station, id, { type: 'assigned', tier: 'village' });
    await step(station, id, { type: 'replied', note: '已更换灯泡。', via: 'grid_patrol' });
    await step(station, id, { type: 'visited', satisfaction: 'satisfied' });
    await seen(grid, id, (s) => s.status === 'visited', 'the visit');
  });

  it('refuses a grid worker closing it, and keeps the rest of their work', async () => {
    const other = await record('二组垃圾桶不够用。');
    await forge(grid, id, { type: 'closed' });
    grid.engine.kick();
    await grid.settled();
    const q = await grid.db.quarantine.toArray();
    expect(q).toEqual([expect.objectContaining({ docId: id, reason: 'forbidden', detail: 'closed: role_not_allowed' })]);
    expect((await server.store.appealRows()).some((r) => r.id === other)).toBe(true);
    expect((await stateOn(grid, id))!.status).toBe('visited');
    expect((await server.store.appealRows()).find((r) => r.id === id)!.status).toBe('visited');
    await grid.db.quarantine.clear();
  });

  it('keeps a department away from work not assigned to it', async () => {
    const fresh = await record('三组水井水质发浑。');
    grid.engine.kick();
    await grid.settled();
    await seen(town, fresh, (s) => s.status === 'new', 'the other appeal');
    await dept.settled();
    // Not assigned to the water bureau: its device never receives the appeal.
    expect(await dept.db.appeals.get(fresh)).toBeUndefined();
    // A copy obtained some other way does not help: the server refuses work on it.
    await applyRemoteChanges(dept.db, [{ docId: fresh, update: Y.mergeUpdates(await server.store.docParts(fresh)) }]);
    await forge(dept, fresh, { type: 'commented', note: '已知悉' });
    dept.engine.kick();
    await dept.settled();
    expect(await dept.db.quarantine.toArray()).toEqual([expect.objectContaining({ docId: fresh, reason: 'out_of_scope' })]);
    await dept.db.quarantine.clear();
    // Once assigned there, it arrives whole, history included.
    await step(town, fresh, { type: 'assigned', tier: 'town', dept: 'water' });
    await seen(dept, fresh, (s) => s.status === 'assigned' && s.dept === 'water' && s.applied === 2, 'the assignment');
  });

  it('keeps both closes of two officials who closed it offline, and converges with one conflict note', async () => {
    await seen(town, id, (s) => s.status === 'visited', 'the visit');
    await seen(town2, id, (s) => s.status === 'visited', 'the visit');
    town.engine.stop();
    town2.engine.stop();
    expect(await act(town.db, id, town.session.user, { type: 'closed' })).toEqual({ ok: true });
    expect(await act(town2.db, id, town2.session.user, { type: 'closed' })).toEqual({ ok: true });
    town.engine.start();
    await town.settled();
    town2.engine.start();
    await town2.settled();
    expect(await town.db.quarantine.count()).toBe(0);
    expect(await town2.db.quarantine.count()).toBe(0);
    // Everyone who may see this village-tier appeal (not the water bureau).
    const seeing = devices.filter((d) => d !== dept);
    for (const d of seeing) await seen(d, id, (s) => s.conflicts.length === 1, 'the conflict note');
    const states = await Promise.all(seeing.map((d) => stateOn(d, id)));
    for (const s of states) expect(s).toEqual(states[0]);
    expect(states[0]!.status).toBe('closed');
    expect(states[0]!.conflicts[0]).toMatchObject({ type: 'closed', reason: 'invalid_transition' });
    expect([town.session.user.id, town2.session.user.id]).toContain(states[0]!.conflicts[0]!.actor);
    expect((await server.store.appealRows()).find((r) => r.id === id)).toMatchObject({ status: 'closed', conflicts: 1 });
  });
});
