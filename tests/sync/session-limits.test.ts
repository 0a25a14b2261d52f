import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { decodeServerFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../src/core/protocol';
import type { SessionUser } from '../../src/core/roles';
import type { RunningServer } from '../../server/app';
import { CLOSE_HELLO_TIMEOUT, CLOSE_UNAUTHORIZED, PRE_AUTH_MAX_PAYLOAD } from '../../server/sync/hub';
import { login, until, type Login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// What a sync socket may do before and after its session: a hello within the deadline, only so
// many waiting for one, frames no bigger than a hello until the welcome; logging out closes the
// session's sockets (sync and live rooms) so nothing pushed after is acknowledged or stored; and
// an idempotency receipt belongs to one user, so another's (device, seq) is stored, not swallowed.

const HELLO_MS = 1_500;
const PER_ADDRESS = 4;
const TOTAL = 6;

let server: RunningServer;
let wsUrl: string;

beforeAll(async () => {
  server = await startTestServer({
    MINSHENG_SCAN_INTERVAL_MS: '0',
    MINSHENG_SYNC_HELLO_MS: String(HELLO_MS),
    MINSHENG_SYNC_WAITING_PER_ADDRESS: String(PER_ADDRESS),
    MINSHENG_SYNC_WAITING_TOTAL: String(TOTAL),
  });
  wsUrl = server.url.replace('http', 'ws') + '/sync';
});
afterAll(() => server?.close());

interface Raw {
  ws: WebSocket;
  inbox: ServerMessage[];
  send(m: ClientMessage): void;
  next(pred?: (m: ServerMessage) => boolean, ms?: number): Promise<ServerMessage>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a sync socket (from a given loopback address); rejects with the HTTP status when the upgrade is refused. */
function open(from = '127.0.0.1', options: WebSocket.ClientOptions = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { localAddress: from, ...options });
    ws.binaryType = 'arraybuffer';
    const inbox: ServerMessage[] = [];
    const waiters: (() => void)[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (d) => {
      inbox.push(decodeServerFrame(new Uint8Array(d as ArrayBuffer)));
      waiters.splice(0).forEach((w) => w());
    });
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`refused: ${res.statusCode}`), { status: res.statusCode }));
      ws.terminate();
    });
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        inbox,
        closed,
        send: (m) => ws.send(encodeFrame(m)),
        async next(pred = () => true, ms = 10_000) {
          const end = Date.now() + ms;
          for (;;) {
            const i = inbox.findIndex(pred);
            if (i >= 0) return inbox.splice(i, 1)[0]!;
            if (Date.now() > end) throw new Error('no such message');
            await new Promise<void>((r) => {
              waiters.push(r);
              setTimeout(r, 50);
            });
          }
        },
      }),
    );
  });
}

const refusal = (p: Promise<unknown>) => p.then(() => 'opened', (err: { status?: number }) => err.status ?? 'error');

async function hello(raw: Raw, token: string, deviceId = newId()): Promise<void> {
  raw.send({ t: 'hello', token, deviceId, cursor: 0 });
  expect((await raw.next()).t).toBe('welcome');
  await raw.next((m) => m.t === 'changes' && !m.more);
}

function newAppeal(user: SessionUser, villageCode: string, description = '自来水管破裂，全组停水两天。'): { docId: string; update: Uint8Array } {
  const doc = new Y.Doc();
  writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.water', kind: 'help', urgency: 'yellow', villageCode, description, citizen: { anonymous: true } }, { id: user.id, role: user.role }, Date.now(), newId());
  return { docId: newId(), update: Y.encodeStateAsUpdate(doc) };
}

const logout = (session: Login) => fetch(`${server.url}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${session.token}` } });

describe('sockets before their hello', () => {
  it('closes a socket that sends no hello once the deadline passes, with its own close code', async () => {
    const t = Date.now();
    const idle = await open();
    const { code, reason } = await idle.closed;
    expect(code).toBe(CLOSE_HELLO_TIMEOUT);
    expect(reason).toMatch(/hello/);
    // Not before the deadline (the upper side is left to the chaos suite: this machine may be busy).
    expect(Date.now() - t).toBeGreaterThanOrEqual(HELLO_MS - 100);
    await until(() => server.hub.waiting().total === 0, 10_000, 'nothing left waiting');
  });

  it('refuses the upgrade past the cap per address (429) and in all (503); a welcome frees the place', async () => {
    const grid = await login(server, 'grid');
    const waiting: Raw[] = [];
    // Whatever the outcome, what this test opened is gone before the next one.
    const track = async (p: Promise<Raw>) => {
      const raw = await p;
      waiting.push(raw);
      return raw;
    };
    try {
      for (let i = 0; i < PER_ADDRESS; i++) await track(open('127.0.0.1'));
      expect(await refusal(track(open('127.0.0.1')))).toBe(429);
      // Another address still gets in, up to the total.
      for (let i = 0; i < TOTAL - PER_ADDRESS; i++) await track(open(`127.0.0.${2 + i}`));
      expect(await refusal(track(open('127.0.0.9')))).toBe(503);
      // A welcomed socket no longer waits: its place is free again.
      await hello(waiting[0]!, grid.token);
      await hello(await track(open('127.0.0.9')), grid.token);
    } finally {
      for (const w of waiting) w.ws.terminate();
    }
    await until(() => server.hub.waiting().total === 0, 10_000, 'nothing left waiting');
  });

  it('closes a socket whose first frame is bigger than a hello (1009), compressed or not, but takes big frames once welcomed', async () => {
    const plain = await open();
    plain.ws.send(new Uint8Array(PRE_AUTH_MAX_PAYLOAD + 1));
    expect((await plain.closed).code).toBe(1009);
    // Zeros compress about a thousandfold: a few hundred bytes on the wire, 1 MiB once inflated.
    const bomb = await open('127.0.0.1', { perMessageDeflate: { threshold: 0 } });
    expect(bomb.ws.extensions).toContain('permessage-deflate');
    bomb.ws.send(new Uint8Array(1 << 20), { compress: true });
    expect((await bomb.closed).code).toBe(1009);

    const grid = await login(server, 'grid');
    const welcomed = await open();
    await hello(welcomed, grid.token);
    const big = newAppeal(grid.user, grid.user.scope.regions[0]!, '大'.repeat(6_000));
    expect(big.update.byteLength).toBeGreaterThan(PRE_AUTH_MAX_PAYLOAD);
    welcomed.send({ t: 'push', batch: 1, items: [{ docId: big.docId, seq: 1, update: big.update }] });
    const ack = (await welcomed.next((m) => m.t === 'ack')) as Extract<ServerMessage, { t: 'ack' }>;
    expect(ack.accepted).toEqual([1]);
    welcomed.ws.close();
  });
});

describe('logging out', () => {
  it("closes that session's sync sockets at once, and a push sent after is neither acknowledged nor stored; the user's other session stays", async () => {
    const mine = await login(server, 'grid');
    const other = await login(server, 'grid');
    const a = await open();
    await hello(a, mine.token);
    const b = await open();
    await hello(b, other.token);
    // A socket of the same session that sends nothing: it is closed by the logout itself.
    const quiet = await open();
    await hello(quiet, mine.token);
    const village = mine.user.scope.regions[0]!;

    // This device reads nothing for now, so it has not seen the close when it pushes below.
    a.ws.pause();
    expect((await logout(mine)).status).toBe(200);
    const late = newAppeal(mine.user, village, '退出之后才发送的记录。');
    expect(a.ws.readyState).toBe(WebSocket.OPEN);
    a.send({ t: 'push', batch: 1, items: [{ docId: late.docId, seq: 1, update: late.update }] });
    a.ws.resume();
    const { code } = await a.closed;
    expect(code).toBe(CLOSE_UNAUTHORIZED);
    expect(await quiet.closed).toMatchObject({ code: CLOSE_UNAUTHORIZED, reason: 'logged out' });
    expect(a.inbox.some((m) => m.t === 'ack')).toBe(false);
    expect(a.inbox.find((m) => m.t === 'error')).toMatchObject({ code: 'unauthorized' });
    expect(await server.store.docParts(late.docId)).toEqual([]);

    // The same user's other session is untouched.
    const kept = newAppeal(other.user, village, '另一个会话照常同步。');
    b.send({ t: 'push', batch: 1, items: [{ docId: kept.docId, seq: 1, update: kept.update }] });
    expect(((await b.next((m) => m.t === 'ack')) as Extract<ServerMessage, { t: 'ack' }>).accepted).toEqual([1]);
    expect(b.ws.readyState).toBe(WebSocket.OPEN);
    b.ws.close();
  });

  it("closes that session's live-room sockets too", async () => {
    const session = await login(server, 'grid');
    const pusher = await open();
    await hello(pusher, session.token);
    const appeal = newAppeal(session.user, session.user.scope.regions[0]!, '进入协同编辑的诉求。');
    pusher.send({ t: 'push', batch: 1, items: [{ docId: appeal.docId, seq: 1, update: appeal.update }] });
    await pusher.next((m) => m.t === 'ack');
    const res = await fetch(`${server.url}/api/room-ticket`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` }, body: JSON.stringify({ docId: appeal.docId }) });
    const { ticket } = (await res.json()) as { ticket: string };
    const room = new WebSocket(`${server.url.replace('http', 'ws')}/room/${appeal.docId}?ticket=${ticket}`);
    const roomClosed = new Promise<number>((r) => room.once('close', (code) => r(code)));
    await new Promise((resolve, reject) => room.once('open', resolve).once('error', reject));

    expect((await logout(session)).status).toBe(200);
    expect(await roomClosed).toBe(CLOSE_UNAUTHORIZED);
    expect((await pusher.closed).code).toBe(CLOSE_UNAUTHORIZED);
  });
});

describe('idempotency receipts', () => {
  it("stores another user's push under the same (device, seq), and still recognises each user's own resend", async () => {
    const grid = await login(server, 'grid');
    const town = await login(server, 'town');
    const village = grid.user.scope.regions[0]!;
    const device = newId();
    const first = newAppeal(grid.user, village, '网格员的记录。');
    const second = newAppeal(town.user, village, '镇干部用同一设备编号的记录。');

    const a = await open();
    await hello(a, grid.token, device);
    a.send({ t: 'push', batch: 1, items: [{ docId: first.docId, seq: 1, update: first.update }] });
    expect(((await a.next((m) => m.t === 'ack')) as Extract<ServerMessage, { t: 'ack' }>).accepted).toEqual([1]);

    const b = await open();
    await hello(b, town.token, device);
    b.send({ t: 'push', batch: 1, items: [{ docId: second.docId, seq: 1, update: second.update }] });
    const ack = (await b.next((m) => m.t === 'ack')) as Extract<ServerMessage, { t: 'ack' }>;
    expect(ack).toMatchObject({ accepted: [1], rejected: [] });
    // Acknowledged means stored.
    expect((await server.store.docParts(second.docId)).length).toBeGreaterThan(0);
    expect((await server.store.appealRows()).find((r) => r.id === second.docId)?.createdBy).toBe(town.user.id);

    // A resend by the same user is recognised and stored once.
    const updates = await server.store.updateCount();
    a.send({ t: 'push', batch: 2, items: [{ docId: first.docId, seq: 1, update: first.update }] });
    expect(((await a.next((m) => m.t === 'ack')) as Extract<ServerMessage, { t: 'ack' }>).accepted).toEqual([1]);
    expect(await server.store.updateCount()).toBe(updates);
    a.ws.close();
    b.ws.close();
  });
});
