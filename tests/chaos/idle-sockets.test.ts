import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { rssOf } from '../../bench/server-load';
import { newId } from '../../src/core/id';
import { decodeServerFrame, encodeFrame, type ServerMessage } from '../../src/core/protocol';
import { CLOSE_HELLO_TIMEOUT, PRE_AUTH_LIMITS } from '../../server/sync/hub';
import { spawnServer } from '../helpers/server';
import { scale } from './scale';

// Sockets that open and never say hello (the attack of issue 21: 4,000 of them held 550 MiB),
// against the server in its own process: past the cap per address the upgrade is refused
// (429), past the cap in all too (503), every socket let in is closed at the hello deadline
// (4408), and a phone that does say hello still gets in and syncs. The server's RSS is
// reported idle, with the sockets held open, and after they are gone.

const SOCKETS = scale(600, 4_000);
/** The production deadline at full size; a short one keeps `npm test` quick. */
const HELLO_MS = scale(8_000, PRE_AUTH_LIMITS.helloMs);
const PER_ADDRESS = PRE_AUTH_LIMITS.perAddress;
/** The production cap at full size; under the fast slice's socket count, so `npm test` reaches it too. */
const TOTAL = scale(400, PRE_AUTH_LIMITS.total);
/** Sockets per source address when spreading them: under the per-address cap. */
const SPREAD = 50;
/** The deadline is a floor, never a speed test: closing may lag on a busy 2-core machine. */
const CLOSE_SLACK_MS = 60_000;
/** What one waiting socket may add to the server's RSS (KiB), noise included. */
const MAX_KIB_PER_SOCKET = 32;

type Opened = { ws: WebSocket; closed: Promise<number>; closedAt?: number };

/**
 * One socket from `from`: opened (and its eventual close code) or the HTTP status that refused
 * it. `junk`: it sends one compressed frame that is no hello, as the attack did (each such
 * frame made the server answer compressed, a deflate context per socket).
 */
function open(url: string, from: string, junk = false): Promise<Opened | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { localAddress: from });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => resolve(0));
    ws.once('open', () => {
      if (junk) ws.send(new Uint8Array(2_000).fill(7), { compress: true });
      const opened: Opened = { ws, closed: new Promise((r) => ws.once('close', (code) => r(code))) };
      ws.once('close', () => (opened.closedAt = Date.now()));
      resolve(opened);
    });
  });
}

async function openMany(url: string, addresses: string[], junk = false): Promise<(Opened | number)[]> {
  const out: (Opened | number)[] = [];
  // In batches: the point is sockets held open, not a connection storm.
  for (let i = 0; i < addresses.length; i += 100) out.push(...(await Promise.all(addresses.slice(i, i + 100).map((a) => open(url, a, junk)))));
  return out;
}

const MiB = (b: number) => (b / 1024 / 1024).toFixed(0);

describe('sockets that never say hello', () => {
  it(`refuses past ${PER_ADDRESS} per address and ${TOTAL} in all, and closes the rest at the deadline (${SOCKETS} sockets)`, async () => {
    const server = await spawnServer({ MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_SYNC_HELLO_MS: String(HELLO_MS), MINSHENG_SYNC_WAITING_TOTAL: String(TOTAL) });
    const url = server.url.replace('http', 'ws') + '/sync';
    const all: Opened[] = [];
    try {
      const idle = rssOf(server.child.pid!);
      const t0 = Date.now();
      // One address: only PER_ADDRESS are let in.
      const one = await openMany(url, Array.from({ length: PER_ADDRESS + 20 }, () => '127.0.0.1'));
      const oneIn = one.filter((r): r is Opened => typeof r !== 'number');
      // A socket the deadline closed while others were opening frees its place: counted, so a
      // slow machine does not fail the test (the deadline is a floor, not a speed claim).
      const freedBy = (list: Opened[], at: number) => list.filter((o) => o.closedAt !== undefined && o.closedAt <= at).length;
      expect(oneIn.length).toBeGreaterThanOrEqual(PER_ADDRESS);
      expect(oneIn.length).toBeLessThanOrEqual(PER_ADDRESS + freedBy(oneIn, Date.now()));
      expect(one.filter((r) => r === 429).length).toBe(one.length - oneIn.length);
      expect(one.length - oneIn.length).toBeGreaterThan(0);
      all.push(...oneIn);

      // Many addresses: only TOTAL wait at once, whatever the spread.
      const spread = Array.from({ length: SOCKETS }, (_, i) => `127.0.${1 + Math.floor(i / SPREAD / 250)}.${2 + (Math.floor(i / SPREAD) % 250)}`);
      const many = await openMany(url, spread, true);
      const manyIn = many.filter((r): r is Opened => typeof r !== 'number');
      all.push(...manyIn);
      const opened = Date.now();
      // Let the server answer every junk frame before reading its memory.
      await new Promise((r) => setTimeout(r, 2_000));
      const held = rssOf(server.child.pid!);
      const refused503 = many.filter((r) => r === 503).length;
      console.log(
        `idle sockets: tried ${PER_ADDRESS + 20 + SOCKETS}, let in ${all.length} (cap ${TOTAL}), refused ${one.length - oneIn.length} per address (429) and ${refused503} in all (503), ${freedBy(all, opened)} closed at the deadline meanwhile; ` +
          `server RSS ${MiB(idle)} MiB idle, ${MiB(held)} MiB with ${all.length} sockets waiting for a hello, each having sent one compressed non-hello frame (${((held - idle) / Math.max(1, all.length) / 1024).toFixed(1)} KiB each)`,
      );
      expect(many.filter((r) => r !== 503 && typeof r === 'number')).toEqual([]);
      // A generous bound, not a benchmark: measured at about 10 KiB a socket; the attack's cost
      // 135 KiB each, and 75 KiB here when the replies before a welcome were compressed.
      expect(held - idle).toBeLessThan(8 * 1024 * 1024 + all.length * MAX_KIB_PER_SOCKET * 1024);
      expect(all.length).toBeLessThanOrEqual(TOTAL + freedBy(all, opened));
      expect(refused503).toBeGreaterThan(0);
      if (freedBy(all, opened) === 0) expect(all.length).toBe(TOTAL);

      // Every socket let in is closed by the server at the deadline, none before it.
      const codes = await Promise.race([Promise.all(all.map((o) => o.closed)), new Promise<'late'>((r) => setTimeout(() => r('late'), HELLO_MS + CLOSE_SLACK_MS))]);
      expect(codes).not.toBe('late');
      expect(new Set(codes as number[])).toEqual(new Set([CLOSE_HELLO_TIMEOUT]));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(HELLO_MS - 100);
      await new Promise((r) => setTimeout(r, 1_000));
      console.log(`idle sockets: all ${all.length} closed with ${CLOSE_HELLO_TIMEOUT} ${((Date.now() - opened) / 1000).toFixed(1)} s after the last opened (deadline ${HELLO_MS / 1000} s); server RSS after ${MiB(rssOf(server.child.pid!))} MiB`);

      // The places are free again: a phone that says hello gets in from the busiest address.
      const res = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'grid', password: 'demo1234' }) });
      const { token } = (await res.json()) as { token: string };
      const phone = await open(url, '127.0.0.1');
      if (typeof phone === 'number') throw new Error(`phone refused: ${phone}`);
      const welcome = new Promise<ServerMessage>((r) => phone.ws.once('message', (d: Buffer) => r(decodeServerFrame(new Uint8Array(d)))));
      phone.ws.send(encodeFrame({ t: 'hello', token, deviceId: newId(), cursor: 0 }));
      expect((await welcome).t).toBe('welcome');
      phone.ws.close();
    } finally {
      for (const o of all) o.ws.terminate();
      await server.stop();
    }
  }, scale(120_000, 300_000));
});
