import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { newId } from '../../src/core/id';
import { decodeServerFrame, encodeFrame, PROTOCOL_VERSION, WIRE_COMPACT, type ServerMessage } from '../../src/core/protocol';
import type { RunningServer } from '../../server/app';
import { act, recordAppeal } from '../../src/store/appeals';
import { startTestServer } from '../helpers/server';
import { device, login, until, type Login } from '../helpers/clients';

// Negotiating wire format 2 (src/core/wire.ts): a device offers it in its hello, the server
// confirms it in the welcome, and only then do both send it. A device that does not offer it
// (an old app) and a server that does not confirm it (an old server) keep version 1.

let server: RunningServer;
/** A town official: records appeals and accepts them, as in the sync bench. */
let grid: Login;

beforeAll(async () => {
  server = await startTestServer();
  grid = await login(server, 'town');
});

afterAll(async () => {
  await server?.close();
});

/** A WebSocket for SyncEngine that records the version byte of every frame each way, and may rewrite what arrives. */
function tappedWebSocket(seen: { sent: number[]; received: number[] }, rewrite: (frame: Uint8Array) => Uint8Array = (f) => f) {
  const handler = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage')!;
  return class extends WebSocket {
    constructor(url: string) {
      super(url);
      // The engine sets onmessage: what it is handed passes through here first.
      Object.defineProperty(this, 'onmessage', {
        get: () => handler.get!.call(this),
        set: (fn: (ev: { data: ArrayBuffer }) => void) =>
          handler.set!.call(this, (ev: { data: ArrayBuffer }) => {
            const frame = new Uint8Array(ev.data);
            seen.received.push(frame[0]!);
            const out = rewrite(frame);
            fn({ data: out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer });
          }),
      });
    }
    override send(data: Uint8Array): void {
      seen.sent.push(data[0]!);
      super.send(data);
    }
  } as unknown as typeof WebSocket;
}

async function recordAndChange(d: Awaited<ReturnType<typeof device>>) {
  const village = (await d.db.regions.toArray()).find((r) => r.level === 'village')!.code;
  const r = await recordAppeal(d.db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'red', villageCode: village, description: '村口路灯不亮已经一周', citizen: { anonymous: false, name: '赵四', phone: '13800000000' } }, { ...d.who, name: grid.user.displayName });
  if (!r.ok) throw new Error(`not recorded: ${JSON.stringify(r.errors)}`);
  return r.value.id;
}

describe('wire format 2 between a device and the server', () => {
  it('is offered in the hello, confirmed by the welcome, then used both ways', async () => {
    const seen = { sent: [] as number[], received: [] as number[] };
    const d = await device(server, grid, { WebSocketImpl: tappedWebSocket(seen) });
    const id = await recordAndChange(d);
    d.engine.start();
    await d.settled();
    const accepted = await act(d.db, id, grid.user, { type: 'accepted' });
    if (!accepted.ok) throw new Error(accepted.reason);
    d.engine.kick();
    await d.settled();
    d.close();
    // The hello goes as version 1 (an old server must read it); everything after, version 2.
    expect(seen.sent[0]).toBe(PROTOCOL_VERSION);
    expect(seen.sent.slice(1).length).toBeGreaterThan(0);
    expect(new Set(seen.sent.slice(1))).toEqual(new Set([WIRE_COMPACT]));
    expect(new Set(seen.received)).toEqual(new Set([WIRE_COMPACT]));
    const row = (await server.store.appealRows()).find((r) => r.id === id);
    expect(row).toBeDefined();
    expect(await server.store.contact(id)).toMatchObject({ name: '赵四' });
  });

  it('a server that does not confirm it (before format 2) gets version 1 pushes', async () => {
    const seen = { sent: [] as number[], received: [] as number[] };
    // The welcome as an old server sends it: without `wire`.
    const withoutWire = (frame: Uint8Array) => {
      const msg = decodeServerFrame(frame);
      if (msg.t !== 'welcome') return frame;
      const { wire: _w, ...old } = msg;
      return encodeFrame(old);
    };
    const d = await device(server, grid, { WebSocketImpl: tappedWebSocket(seen, withoutWire) });
    const id = await recordAndChange(d);
    d.engine.start();
    await d.settled();
    d.close();
    expect(seen.sent.length).toBeGreaterThan(1);
    expect(new Set(seen.sent)).toEqual(new Set([PROTOCOL_VERSION]));
    expect((await server.store.appealRows()).some((r) => r.id === id)).toBe(true);
  });

  it('a device that does not offer it (an old app) is sent version 1 only', async () => {
    const ws = new WebSocket(server.url.replace('http', 'ws') + '/sync');
    ws.binaryType = 'arraybuffer';
    const versions: number[] = [];
    const inbox: ServerMessage[] = [];
    ws.on('message', (data: ArrayBuffer) => {
      versions.push(new Uint8Array(data)[0]!);
      inbox.push(decodeServerFrame(new Uint8Array(data)));
    });
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(encodeFrame({ t: 'hello', token: grid.token, deviceId: newId(), cursor: 0 }));
    await until(() => inbox.some((m) => m.t === 'changes' && !m.more));
    ws.send(encodeFrame({ t: 'push', batch: 1, items: [{ docId: newId(), seq: 1, update: Uint8Array.of(0, 0) }] }));
    await until(() => inbox.some((m) => m.t === 'ack'));
    ws.close();
    const welcome = inbox.find((m) => m.t === 'welcome')!;
    expect('wire' in welcome).toBe(false);
    expect(new Set(versions)).toEqual(new Set([PROTOCOL_VERSION]));
  });

  it('a malformed format 2 frame is refused with a clear error, and the connection goes on', async () => {
    const ws = new WebSocket(server.url.replace('http', 'ws') + '/sync');
    ws.binaryType = 'arraybuffer';
    const inbox: ServerMessage[] = [];
    ws.on('message', (data: ArrayBuffer) => inbox.push(decodeServerFrame(new Uint8Array(data))));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(encodeFrame({ t: 'hello', token: grid.token, deviceId: newId(), cursor: 0, wire: WIRE_COMPACT }));
    await until(() => inbox.some((m) => m.t === 'changes' && !m.more));
    ws.send(Uint8Array.of(WIRE_COMPACT, 1, 0xf5, 1, 2));
    await until(() => inbox.some((m) => m.t === 'error'));
    expect(inbox.find((m) => m.t === 'error')).toEqual({ t: 'error', code: 'bad_frame', message: 'version 2: truncated UUID' });
    ws.send(encodeFrame({ t: 'ping', n: 5 }, WIRE_COMPACT));
    await until(() => inbox.some((m) => m.t === 'pong'));
    ws.close();
  });
});
