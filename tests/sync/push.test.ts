import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { decodeServerFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../src/core/protocol';
import type { SessionUser } from '../../src/core/roles';
import type { RunningServer } from '../../server/app';
import { recordAppeal } from '../../src/store/appeals';
import { openDb, type MinshengDB } from '../../src/store/db';
import { deviceId } from '../../src/store/meta';
import { SyncEngine } from '../../src/sync/engine';
import { startTestServer } from '../helpers/server';
import { login as loginAs, until, type Login } from '../helpers/clients';

const login = (username: string): Promise<Login> => loginAs(server, username);

// Real server, real sockets, real SQLite: the push path from outbox to durable ack.

let server: RunningServer;
let wsUrl: string;

/** A bare protocol client: sends frames, collects decoded replies. */
async function rawClient() {
  const ws = new WebSocket(wsUrl);
  ws.binaryType = 'arraybuffer';
  const inbox: ServerMessage[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    inbox.push(decodeServerFrame(new Uint8Array(data as ArrayBuffer)));
    waiters.splice(0).forEach((w) => w());
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const next = async (): Promise<ServerMessage> => {
    while (inbox.length === 0) await new Promise<void>((r) => waiters.push(r));
    return inbox.shift()!;
  };
  const send = (m: ClientMessage) => ws.send(encodeFrame(m));
  return {
    ws,
    send,
    /** hello, then welcome and every catch-up page up to the last. */
    async hello(token: string, deviceId = newId(), cursor = 0) {
      send({ t: 'hello', token, deviceId, cursor });
      const welcome = await next();
      expect(welcome.t).toBe('welcome');
      const pages: Extract<ServerMessage, { t: 'changes' }>[] = [];
      for (;;) {
        const m = await next();
        expect(m.t).toBe('changes');
        pages.push(m as never);
        if (!(m as { more: boolean }).more) return { welcome, pages };
      }
    },
    sendRaw: (data: Uint8Array | string) => ws.send(data),
    next,
    closed: () => new Promise<number>((r) => ws.once('close', (code) => r(code))),
  };
}

function newAppealUpdate(user: SessionUser, villageCode: string): { docId: string; update: Uint8Array } {
  const doc = new Y.Doc();
  writeNewAppeal(
    doc,
    { channel: 'grid_patrol', category: 'infra.water', kind: 'help', urgency: 'yellow', villageCode, description: '自来水管破裂，全组停水两天。', citizen: { anonymous: true } },
    { id: user.id, role: user.role },
    Date.now(),
    newId(),
  );
  return { docId: newId(), update: Y.encodeStateAsUpdate(doc) };
}

beforeAll(async () => {
  server = await startTestServer();
  wsUrl = server.url.replace('http', 'ws') + '/sync';
});

afterAll(async () => {
  await server?.close();
});

describe('sync engine against the real server', () => {
  let db: MinshengDB;
  let grid: Login;
  let village: string;

  beforeAll(async () => {
    grid = await login('grid');
    village = grid.user.scope.regions[0]!;
    db = openDb(`push-${Math.random()}`);
    const res = await fetch(`${server.url}/api/regions`, { headers: { authorization: `Bearer ${grid.token}` } });
    await db.regions.bulkPut(((await res.json()) as { regions: never[] }).regions);
  });

  it('pushes every recorded appeal, empties the outbox on ack, and the server projects them', async () => {
    const who = { id: grid.user.id, role: grid.user.role, scope: grid.user.scope };
    const base = { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'red', villageCode: village, citizen: { anonymous: false, name: '赵四' } };
    for (let i = 0; i < 5; i++) expect((await recordAppeal(db, { ...base, description: `道路坑洼第${i}处` }, who)).ok).toBe(true);

    const engine = new SyncEngine({ db, url: wsUrl, token: grid.token, deviceId: await deviceId(db), WebSocketImpl: WebSocket as never });
    const links: string[] = [];
    engine.subscribe((s) => links.push(s.link));
    engine.start();
    await until(async () => (await db.outbox.count()) === 0);
    engine.stop();

    expect(links).toContain('online');
    const rows = (await server.store.appealRows()).filter((r) => r.createdBy === grid.user.id && r.title.startsWith('道路坑洼'));
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.status === 'new' && r.village === village && r.urgency === 'red')).toBe(true);
  });

  it('moves a rejected update to quarantine with its reason and still sends the rest', async () => {
    const before = await server.store.updateCount();
    // A forged entry: an appeal "recorded" by someone else, placed straight into the outbox.
    const forged = newAppealUpdate({ ...grid.user, id: 'someone-else' }, village);
    await db.outbox.add({ docId: forged.docId, update: forged.update, createdAt: Date.now() } as never);
    const good = newAppealUpdate(grid.user, village);
    await db.outbox.add({ docId: good.docId, update: good.update, createdAt: Date.now() } as never);

    const engine = new SyncEngine({ db, url: wsUrl, token: grid.token, deviceId: await deviceId(db), WebSocketImpl: WebSocket as never });
    engine.start();
    await until(async () => (await db.outbox.count()) === 0);
    engine.stop();

    const q = await db.quarantine.toArray();
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ docId: forged.docId, reason: 'not_creator' });
    expect(await server.store.updateCount()).toBe(before + 1);
  });

  it('asks for a new login when the token is not valid, keeping the outbox', async () => {
    const extra = newAppealUpdate(grid.user, village);
    await db.outbox.add({ docId: extra.docId, update: extra.update, createdAt: Date.now() } as never);
    const engine = new SyncEngine({ db, url: wsUrl, token: 'not-a-token', deviceId: await deviceId(db), WebSocketImpl: WebSocket as never });
    let needsLogin = false;
    engine.subscribe((s) => (needsLogin = s.needsLogin));
    engine.start();
    await until(() => needsLogin);
    engine.stop();
    expect(await db.outbox.count()).toBe(1);
    await db.outbox.clear();
  });
});

describe('the hub at the protocol level', () => {
  it('acks a resend of the same (device, seq) again and stores it once', async () => {
    const { token, user } = await login('grid');
    const c = await rawClient();
    const device = newId();
    await c.hello(token, device);
    const { docId, update } = newAppealUpdate(user, user.scope.regions[0]!);
    const before = await server.store.updateCount();
    c.send({ t: 'push', batch: 1, items: [{ docId, seq: 7, update }] });
    expect(await c.next()).toMatchObject({ t: 'ack', batch: 1, accepted: [7], rejected: [] });
    // The pusher's new cursor follows through the ordered fan-out, never ahead of earlier commits.
    const cursor = await c.next();
    expect(cursor).toMatchObject({ t: 'changes', items: [], more: false });
    expect((cursor as { cursor: number }).cursor).toBe(await server.store.head());
    c.send({ t: 'push', batch: 2, items: [{ docId, seq: 7, update }] });
    expect(await c.next()).toMatchObject({ t: 'ack', batch: 2, accepted: [7], rejected: [] });
    expect(await server.store.updateCount()).toBe(before + 1);
    c.ws.close();
  });

  it('rejects appeals outside the user’s scope and stores nothing', async () => {
    const { token, user } = await login('grid');
    const c = await rawClient();
    await c.hello(token);
    const otherVillage = (await server.store.regionsUnder([user.scope.regions[0]!.slice(0, 9)])).find((r) => r.level === 'village' && r.code !== user.scope.regions[0]);
    const { docId, update } = newAppealUpdate(user, otherVillage!.code);
    const before = await server.store.updateCount();
    c.send({ t: 'push', batch: 1, items: [{ docId, seq: 1, update }] });
    const ack = await c.next();
    expect(ack).toMatchObject({ t: 'ack', accepted: [], rejected: [{ seq: 1, reason: 'out_of_scope' }] });
    expect(await server.store.updateCount()).toBe(before);
    c.ws.close();
  });

  it('answers malformed frames with an error frame and keeps serving', async () => {
    const { token, user } = await login('grid');
    const bystander = await rawClient();
    await bystander.hello(token);

    const c = await rawClient();
    c.sendRaw(new Uint8Array([1, 2, 3]));
    expect(await c.next()).toMatchObject({ t: 'error', code: 'bad_frame' });
    c.sendRaw('{"t":"hello"}');
    expect(await c.next()).toMatchObject({ t: 'error', code: 'bad_frame' });
    c.sendRaw(encodeFrame({ t: 'nope' } as never));
    expect(await c.next()).toMatchObject({ t: 'error', code: 'bad_message' });
    const { docId, update } = newAppealUpdate(user, user.scope.regions[0]!);
    c.send({ t: 'push', batch: 1, items: [{ docId, seq: 1, update }] });
    expect(await c.next()).toMatchObject({ t: 'error', code: 'not_ready' });
    // Truncated Yjs update after a proper hello: rejected, nothing stored.
    await c.hello(token);
    const before = await server.store.updateCount();
    c.send({ t: 'push', batch: 2, items: [{ docId, seq: 1, update: update.slice(0, update.length >> 1) }] });
    expect(await c.next()).toMatchObject({ t: 'ack', rejected: [{ seq: 1, reason: 'malformed_update' }] });
    expect(await server.store.updateCount()).toBe(before);

    // The other client was not disturbed.
    const other = newAppealUpdate(user, user.scope.regions[0]!);
    bystander.send({ t: 'push', batch: 1, items: [{ docId: other.docId, seq: 1, update: other.update }] });
    expect(await bystander.next()).toMatchObject({ t: 'ack', accepted: [1] });
    c.ws.close();
    bystander.ws.close();
  });

  it('refuses a bad token with an error frame and closes', async () => {
    const c = await rawClient();
    const closed = c.closed();
    c.send({ t: 'hello', token: 'forged', deviceId: newId(), cursor: 0 });
    expect(await c.next()).toMatchObject({ t: 'error', code: 'unauthorized' });
    expect(await closed).toBe(4401);
  });
});
