import 'fake-indexeddb/auto';
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { docFromUpdates, eventsOf, readAppeal } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { decodeServerFrame, encodeFrame, type ServerMessage } from '../../src/core/protocol';
import type { RunningServer } from '../../server/app';
import { ROOM_OUT_OF_SCOPE } from '../../server/sync/rooms';
import { act, loadAppeal, recordAppeal } from '../../src/store/appeals';
import { startTestServer } from '../helpers/server';
import { device, login, sniffingWebSocket, until, type Device, type Login } from '../helpers/clients';

// Issue 21 through the real protocol: a live room stops serving a member the appeal has
// left, no member speaks for another in presence, and two officials closing the same
// appeal offline both reach the server, whichever way Yjs orders them.

let server: RunningServer;
let grid: Login;
let town: Login;
let dept: Login;
let station: Login;

const serverEvents = async (docId: string) => readAppeal(docFromUpdates(await server.store.docParts(docId)), docId).events as AppealEvent[];

async function joinRoom(session: Login, docId: string) {
  const res = await fetch(`${server.url}/api/room-ticket`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` }, body: JSON.stringify({ docId }) });
  const { ticket } = (await res.json()) as { ticket: string };
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${server.url.replace('http', 'ws')}/room`, docId, doc, { params: { ticket }, WebSocketPolyfill: WebSocket as never, disableBc: true, maxBackoffTime: 100 });
  const closes: { code: number; reason: string }[] = [];
  provider.on('connection-close', (ev: { code: number; reason: string } | null) => ev && closes.push({ code: ev.code, reason: String(ev.reason) }));
  provider.awareness.setLocalStateField('user', { name: session.user.displayName });
  await until(() => provider.synced, 10_000, 'room synced');
  return { doc, provider, closes };
}

/** Reasons of every refusal the server sent this process's devices. */
const refusals: string[] = [];
const Sniffing = sniffingWebSocket((msg) => msg.t === 'ack' && refusals.push(...msg.rejected.map((r) => r.reason)));

async function online(session: Login): Promise<Device> {
  const d = await device(server, session, { WebSocketImpl: Sniffing as never });
  d.engine.start();
  await d.settled();
  return d;
}

async function record(d: Device): Promise<string> {
  const r = await recordAppeal(d.db, { channel: 'walk_in', category: 'infra.water', kind: 'help', urgency: 'red', villageCode: grid.user.scope.regions[0], description: '井水浑浊。', citizen: { anonymous: true } }, d.who);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  d.engine.kick();
  await d.settled();
  return r.value.id;
}

async function step(d: Device, docId: string, input: Parameters<typeof act>[3]): Promise<void> {
  await until(async () => (await loadAppeal(d.db, docId)) !== null, 10_000, 'appeal on the device');
  const r = await act(d.db, docId, d.session.user, input);
  expect(r).toEqual({ ok: true });
  d.engine.kick();
  await d.settled();
}

const statusOn = async (d: Device, docId: string) => fold((await loadAppeal(d.db, docId))?.events ?? [], docId).status;

/** An appeal the grid worker records, the station handles and the grid worker visits; both phones online. */
async function visitedAppeal() {
  const g = await online(grid);
  const docId = await record(g);
  const s = await online(station);
  await step(s, docId, { type: 'accepted' });
  await step(s, docId, { type: 'assigned', tier: 'village' });
  await step(s, docId, { type: 'started' });
  await step(s, docId, { type: 'replied', note: '已清理水井', via: 'walk_in' });
  await until(async () => (await statusOn(g, docId)) === 'replied', 10_000, 'grid sees the reply');
  await step(g, docId, { type: 'visited', satisfaction: 'satisfied' });
  await until(async () => (await statusOn(s, docId)) === 'visited', 10_000, 'station sees the visit');
  return { g, s, docId };
}

beforeAll(async () => {
  server = await startTestServer({});
  [grid, town, dept, station] = (await Promise.all(['grid', 'town', 'dept', 'station'].map((u) => login(server, u)))) as [Login, Login, Login, Login];
});

afterAll(() => server?.close());

describe('live rooms follow the appeal’s scope', () => {
  it('a department handler is dropped when the appeal is escalated away from it and hears nothing after', async () => {
    const g = await online(grid);
    const docId = await record(g);
    const t = await online(town);
    await step(t, docId, { type: 'accepted' });
    await step(t, docId, { type: 'assigned', tier: 'town', dept: 'water' });
    const water = await joinRoom(dept, docId);
    const watcher = await joinRoom(town, docId);

    await step(t, docId, { type: 'escalated', reason: '超出水务职责' });
    await until(() => water.closes.some((c) => c.code === ROOM_OUT_OF_SCOPE), 10_000, 'water dropped from the room');
    await step(t, docId, { type: 'commented', note: '内部意见：请县里协调' });
    // The town's own room member still follows; the water handler's copy stops at the escalation.
    await until(() => eventsOf(watcher.doc).toArray().some((e) => (e as AppealEvent).type === 'commented'), 10_000, 'comment reaches the town');
    expect(eventsOf(water.doc).toArray().some((e) => (e as AppealEvent).type === 'commented')).toBe(false);
    water.provider.destroy();
    watcher.provider.destroy();
    g.close();
    t.close();
  });

  it('presence: a member cannot rename another member, nor itself', async () => {
    const g = await online(grid);
    const docId = await record(g);
    g.close();
    const a = await joinRoom(grid, docId);
    const b = await joinRoom(town, docId);
    const nameIn = (p: WebsocketProvider, clientId: number) => (p.awareness.getStates().get(clientId) as { user?: { name: string } } | undefined)?.user?.name;
    await until(() => nameIn(b.provider, a.doc.clientID) === grid.user.displayName, 5_000, 'presence');
    // B forges an awareness entry for A's client id with a higher clock.
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 1); // awareness message
    const inner = encoding.createEncoder();
    encoding.writeVarUint(inner, 1);
    encoding.writeVarUint(inner, a.doc.clientID);
    encoding.writeVarUint(inner, 1_000);
    encoding.writeVarString(inner, JSON.stringify({ user: { name: '伪造的名字' } }));
    encoding.writeVarUint8Array(e, encoding.toUint8Array(inner));
    b.provider.ws!.send(encoding.toUint8Array(e));
    // And names itself after someone else.
    b.provider.awareness.setLocalStateField('user', { name: '县领导' });
    await until(() => nameIn(a.provider, b.doc.clientID) !== undefined, 5_000, 'b present');
    await new Promise((r) => setTimeout(r, 300));
    expect(nameIn(a.provider, a.doc.clientID)).toBe(grid.user.displayName);
    expect(nameIn(b.provider, a.doc.clientID)).toBe(grid.user.displayName);
    expect(nameIn(a.provider, b.doc.clientID)).toBe(town.user.displayName);
    a.provider.destroy();
    b.provider.destroy();
  });
});

describe('history: an honest race reaches the server whichever way Yjs orders it', () => {
  it('two officials close offline: the close stored first stays, the other is a conflict note, nothing quarantined', async () => {
    const outcomes = new Set<string>();
    // Yjs orders concurrent appends by client id, which is random: run until both orders were seen.
    for (let round = 0; round < 12 && outcomes.size < 2; round++) {
      const { g, s, docId } = await visitedAppeal();
      const t = await online(town);
      await until(async () => (await statusOn(t, docId)) === 'visited', 10_000, 'town sees the visit');
      // Both offline, both close; the town's reaches the server first.
      s.engine.stop();
      t.engine.stop();
      expect(await act(s.db, docId, s.session.user, { type: 'closed' })).toEqual({ ok: true });
      expect(await act(t.db, docId, t.session.user, { type: 'closed' })).toEqual({ ok: true });
      t.engine.start();
      await t.settled();
      const townClose = (await serverEvents(docId)).at(-1)!;
      s.engine.start();
      await s.settled();
      await until(async () => (await serverEvents(docId)).filter((e) => e.type === 'closed').length === 2, 10_000, 'both closes stored');
      const stored = await serverEvents(docId);
      const state = fold(stored, docId);
      expect(state.status).toBe('closed');
      expect(state.conflicts).toEqual([expect.objectContaining({ type: 'closed', actor: station.user.id, reason: 'invalid_transition' })]);
      expect(stored.findIndex((e) => e.id === townClose.id)).toBeLessThan(stored.findIndex((e) => e.type === 'closed' && e.actor === station.user.id));
      expect(await s.db.quarantine.count()).toBe(0);
      // The station's device converges on the server's history.
      await until(async () => JSON.stringify((await loadAppeal(s.db, docId))?.events) === JSON.stringify(stored), 10_000, 'station converges');
      // Either Yjs put the station's close after the town's, or the server refused it there and the phone sent it again.
      outcomes.add(refusals.splice(0).includes('history_rewritten') ? 'refused, then resent after' : 'landed after');
      for (const d of [g, s, t]) d.close();
    }
    expect([...outcomes].sort()).toEqual(['landed after', 'refused, then resent after']);
  });
});

describe('history: the attack run’s rewrites, over the real protocol', () => {
  it('refuses each rewrite of a closed appeal’s history and stores nothing of it', async () => {
    const { g, s, docId } = await visitedAppeal();
    await step(s, docId, { type: 'closed' });
    g.close();
    s.close();
    const stored = await serverEvents(docId);
    const [close, reply] = [stored.at(-1)!, stored.at(-3)!];
    const me = { actor: grid.user.id, role: grid.user.role, by: grid.user.displayName, at: Date.now() };

    // The attacker's own client: a copy of the document, changed by hand, pushed over the sync socket.
    const attack = async (edit: (events: Y.Array<unknown>) => void) => {
      const doc = docFromUpdates(await server.store.docParts(docId));
      const sv = Y.encodeStateVector(doc);
      doc.transact(() => edit(eventsOf(doc)));
      return Y.encodeStateAsUpdate(doc, sv);
    };
    const updates = {
      'a comment reusing the close’s id, before it': await attack((e) => e.insert(e.length - 1, [{ ...me, id: close.id, type: 'commented', note: '覆盖' }])),
      'an unsatisfied visit before the stored one': await attack((e) => e.insert(e.length - 2, [{ ...me, id: newId(), type: 'visited', satisfaction: 'unsatisfied', basis: reply.id }])),
      'a second recorded at index 0': await attack((e) => e.insert(0, [{ ...me, id: newId(), type: 'recorded' }])),
      'a flood of comments': await attack((e) => e.push(Array.from({ length: 40 }, () => ({ ...me, id: newId(), type: 'commented', note: '刷屏', basis: close.id })))),
    };
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/sync`);
    ws.binaryType = 'arraybuffer';
    const frames: ServerMessage[] = [];
    ws.on('message', (data: ArrayBuffer) => frames.push(decodeServerFrame(new Uint8Array(data))));
    await new Promise((r) => ws.once('open', r));
    ws.send(encodeFrame({ t: 'hello', token: grid.token, deviceId: newId(), cursor: 0 }));
    await until(() => frames.some((f) => f.t === 'welcome'), 10_000, 'welcome');
    const names = Object.keys(updates);
    ws.send(encodeFrame({ t: 'push', batch: 1, items: Object.values(updates).map((update, i) => ({ docId, seq: i + 1, update })) }));
    await until(() => frames.some((f) => f.t === 'ack'), 10_000, 'ack');
    ws.close();
    const ack = frames.find((f) => f.t === 'ack') as Extract<ServerMessage, { t: 'ack' }>;
    expect(ack.accepted).toEqual([]);
    expect(Object.fromEntries(ack.rejected.map((r) => [names[r.seq - 1], r.reason]))).toEqual({
      'a comment reusing the close’s id, before it': 'duplicate_event',
      'an unsatisfied visit before the stored one': 'history_rewritten',
      'a second recorded at index 0': 'history_rewritten',
      'a flood of comments': 'comment_flood',
    });
    expect(await serverEvents(docId)).toEqual(stored);
    expect(fold(stored, docId)).toMatchObject({ status: 'closed', conflicts: [] });
  });
});
