import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlowLink, type SlowLink } from '../../bench/link';

// The link emulator both systems are measured through: it may be slow, but every byte must
// arrive, in order, and half-closes must pass through behind the data.

let echo: net.Server;
let link: SlowLink;

beforeAll(async () => {
  // Echoes everything back, then ends when the client ends.
  echo = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  link = await startSlowLink((echo.address() as net.AddressInfo).port, { name: 'fast test link', downBps: 40_000_000, upBps: 20_000_000, rttMs: 4 });
});
afterAll(async () => {
  await link.close();
  await new Promise((r) => echo.close(r));
});

describe('slow link', () => {
  it('carries many small writes both ways intact and in order, and passes the FIN behind them', async () => {
    const chunks = Array.from({ length: 400 }, (_, i) => randomBytes(1 + ((i * 97) % 3000)));
    const sent = Buffer.concat(chunks);
    const socket = net.connect(link.port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (d) => received.push(d));
    const ended = new Promise((r) => socket.on('end', r));
    await new Promise((r) => socket.once('connect', r));
    for (const c of chunks) socket.write(c);
    socket.end();
    await ended;
    const hash = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(hash(Buffer.concat(received))).toBe(hash(sent));
    expect(link.bytes).toEqual({ up: sent.length, down: sent.length });
  });
});
