import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import type { ServerMessage } from '../../src/core/protocol';
import { device, login, sniffingWebSocket, until, type Device } from '../helpers/clients';
import { startTestServer } from '../helpers/server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

// The badge must say offline within seconds when a link dies without a word (a 2G cell that
// lost its backhaul: no FIN, no RST, no browser event). An idle device pings; an unanswered
// ping drops the link. A healthy idle link is never dropped by it.

let server: RunningServer;
let proxy: TcpProxy;
const devices: Device[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterEach(async () => {
  for (const d of devices.splice(0)) d.close();
  await proxy?.close();
});
afterAll(() => server?.close());

async function idleDevice(heartbeatMs: number, frames: ServerMessage[] = []): Promise<Device> {
  proxy = await startTcpProxy({ port: Number(new URL(server.url).port) });
  const d = await device(server, await login(server, 'grid'), { url: proxy.url('http', ''), heartbeatMs, WebSocketImpl: sniffingWebSocket((m) => frames.push(m)) });
  devices.push(d);
  d.engine.start();
  await d.settled();
  return d;
}

/** Cuts the line silently and waits up to `ms` for the device to stop saying online. */
async function onlineAfterSilence(d: Device, ms: number): Promise<void> {
  proxy.cut({ silent: true });
  await until(() => d.status().link !== 'online', ms, 'offline').catch(() => undefined);
}

describe('the heartbeat', { timeout: 30_000 }, () => {
  it('takes a silently dead idle link down within the ping wait', async () => {
    const d = await idleDevice(500);
    // Quiet time, then the 3 s wait for the pong, plus a tick: inside the 5 s the badge promises
    // (measured ~4.2 s); the bound here leaves room for a loaded machine.
    await onlineAfterSilence(d, 8_000);
    expect(d.status().link).not.toBe('online');
  });

  it('without it, the same silence goes unnoticed', async () => {
    const d = await idleDevice(0);
    await onlineAfterSilence(d, 5_000);
    expect(d.status().link).toBe('online');
  });

  it('keeps a healthy idle link up, the server answering each ping', async () => {
    const frames: ServerMessage[] = [];
    const d = await idleDevice(300, frames);
    await until(() => frames.filter((f) => f.t === 'pong').length >= 5, 10_000, 'five pongs');
    expect(d.status().link).toBe('online');
    const pongs = frames.filter((f): f is Extract<ServerMessage, { t: 'pong' }> => f.t === 'pong').map((f) => f.n);
    expect(pongs).toEqual([...pongs].sort((a, b) => a - b));
  });
});
