import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { docFromUpdates, eventsOf, fieldsOf, readAppeal, textOf } from '../../src/core/doc';
import type { RunningServer } from '../../server/app';
import { ROOM_REFUSED } from '../../server/sync/rooms';
import { loadAppeal, recordAppeal } from '../../src/store/appeals';
import { startTestServer } from '../helpers/server';
import { device, login, until, type Login } from '../helpers/clients';

// Live rooms: y-websocket's WebsocketProvider against our server, authenticated by
// one-time tickets, with every edit validated and committed like a pushed update.

let server: RunningServer;
let grid: Login;
let town: Login;
let docId: string;

async function ticket(session: Login, id = docId): Promise<Response> {
  return fetch(`${server.url}/api/room-ticket`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` }, body: JSON.stringify({ docId: id }) });
}

async function join(session: Login): Promise<{ doc: Y.Doc; provider: WebsocketProvider; closes: { code: number; reason: string }[] }> {
  const doc = new Y.Doc();
  const { ticket: t } = (await (await ticket(session)).json()) as { ticket: string };
  const provider = new WebsocketProvider(`${server.url.replace('http', 'ws')}/room`, docId, doc, { params: { ticket: t }, WebSocketPolyfill: WebSocket as never, disableBc: true, maxBackoffTime: 100 });
  const closes: { code: number; reason: string }[] = [];
  provider.on('connection-close', (ev: { code: number; reason: string } | null) => ev && closes.push({ code: ev.code, reason: String(ev.reason) }));
  provider.awareness.setLocalStateField('user', { name: session.user.displayName });
  await until(() => provider.synced, 10_000, 'room synced');
  return { doc, provider, closes };
}

beforeAll(async () => {
  server = await startTestServer({});
  grid = await login(server, 'grid');
  town = await login(server, 'town');
  const d = await device(server, grid);
  const r = await recordAppeal(d.db, { channel: 'walk_in', category: 'infra.water', kind: 'help', urgency: 'red', villageCode: grid.user.scope.regions[0], description: '井水浑浊。', citizen: { anonymous: true } }, d.who);
  docId = (r as { value: { id: string } }).value.id;
  d.engine.start();
  await d.settled();
  d.close();
});

afterAll(() => server?.close());

describe('live room', () => {
  it('co-edits the description with presence, persists it, and fans it out to synced devices', async () => {
    const watcher = await device(server, town);
    watcher.engine.start();
    await watcher.settled();

    const a = await join(grid);
    const b = await join(town);
    expect(textOf(b.doc).toString()).toBe('井水浑浊。');
    await until(() => [...b.provider.awareness.getStates().values()].some((s) => (s as { user?: { name: string } }).user?.name === grid.user.displayName), 5_000, 'presence');

    textOf(a.doc).insert(textOf(a.doc).length, '已取样送检。');
    await until(() => textOf(b.doc).toString() === '井水浑浊。已取样送检。', 5_000, 'edit reaches the other screen');
    textOf(b.doc).insert(0, '【急】');
    await until(() => textOf(a.doc).toString() === '【急】井水浑浊。已取样送检。', 5_000, 'and back');

    // Committed on the server, and delivered to a device that only uses the sync socket.
    await until(async () => readAppeal(docFromUpdates(await server.store.docParts(docId)), docId).description === '【急】井水浑浊。已取样送检。', 5_000, 'persisted');
    await until(async () => (await loadAppeal(watcher.db, docId))?.description === '【急】井水浑浊。已取样送检。', 5_000, 'fanned out to sync clients');
    a.provider.destroy();
    b.provider.destroy();
    watcher.close();
  });

  it('refuses an invalid edit with a reason and stores nothing of it', async () => {
    const a = await join(grid);
    const before = await server.store.updateCount();
    eventsOf(a.doc).delete(0, 1);
    await until(() => a.closes.some((c) => c.code === ROOM_REFUSED), 5_000, 'refusal');
    expect(a.closes.find((c) => c.code === ROOM_REFUSED)!.reason).toMatch(/events_removed/);
    expect(await server.store.updateCount()).toBe(before);
    expect(readAppeal(docFromUpdates(await server.store.docParts(docId)), docId).events).toHaveLength(1);
    a.provider.destroy();
  });

  it('admits only holders of a fresh ticket for an appeal in their scope', async () => {
    const refused = (url: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => undefined);
      });
    const base = `${server.url.replace('http', 'ws')}/room/${docId}`;
    expect(await refused(base)).toBe(401);
    expect(await refused(`${base}?ticket=forged`)).toBe(401);
    const { ticket: t } = (await (await ticket(grid)).json()) as { ticket: string };
    expect(await refused(`${base}?ticket=${t}`)).toBe(101);
    expect(await refused(`${base}?ticket=${t}`)).toBe(401); // single use

    expect((await ticket(grid, '01900000-0000-7000-8000-000000000000')).status).toBe(404);
    await (await import('../helpers/clients')).addUser(server, 'otherVillage', 'grid_worker', [(await server.store.regionsUnder([grid.user.scope.regions[0]!.slice(0, 9)])).find((r) => r.level === 'village' && r.code !== grid.user.scope.regions[0])!.code]);
    expect((await ticket(await login(server, 'otherVillage'))).status).toBe(404);
  });

  it('refuses listing a stored file the editor neither uploaded nor may read, as a push would', async () => {
    // A photo uploaded by someone of another town: its hash is all the editor has.
    const town2 = (await server.store.regionsUnder([grid.user.scope.regions[0]!.slice(0, 6)])).find((r) => r.level === 'village' && r.code.slice(0, 9) !== grid.user.scope.regions[0]!.slice(0, 9))!;
    await (await import('../helpers/clients')).addUser(server, 'farUploader', 'grid_worker', [town2.code]);
    const far = await login(server, 'farUploader');
    const photo = new Uint8Array(2000).map((_, i) => (i * 7) % 256);
    photo.set([0xff, 0xd8, 0xff, 0xe0], 0);
    const hash = createHash('sha256').update(photo).digest('hex');
    const put = await fetch(`${server.url}/api/uploads/${hash}?offset=0`, { method: 'PUT', headers: { authorization: `Bearer ${far.token}`, 'x-upload-type': 'image/jpeg', 'x-upload-size': String(photo.length), 'content-type': 'application/octet-stream' }, body: photo });
    expect(put.status).toBe(201);

    const a = await join(grid);
    const before = await server.store.updateCount();
    fieldsOf(a.doc).set('attachments', [{ hash, type: 'image/jpeg', size: photo.length }]);
    await until(() => a.closes.some((c) => c.code === ROOM_REFUSED), 5_000, 'refusal');
    expect(a.closes.find((c) => c.code === ROOM_REFUSED)!.reason).toMatch(/attachment_not_yours/);
    expect(await server.store.updateCount()).toBe(before);
    a.provider.destroy();
  });
});
