import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appealUpdates, connect, prepare, push, rssOf, SQLITE, type Conn } from '../../bench/server-load';
import { appendEvent } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { spawnServer } from '../helpers/server';
import { CHAOS, scale } from './scale';

// Many phones connected at once for minutes, each pushing every 10 s, against the server in
// its own process: every push is acknowledged, and the server's memory levels off instead
// of growing with time.

const PHONES = scale(100, 1_000);
const RUN_MS = scale(16_000, 300_000);
const PERIOD_MS = 10_000;
const ACK_TIMEOUT_MS = 30_000;
/** Growth allowed between the second quarter of the run and the last (MiB). */
const GROWTH_BOUND_MIB = 64;
/**
 * Quarters of a 16 s slice are 4 s apart, far too close for a leak to show: the memory
 * bound is asserted only at full size (npm run test:chaos, 300 s); the slice proves acks.
 */
const MEMORY_ASSERTED = CHAOS;

const withTimeout = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);

describe('many phones for minutes', () => {
  it(`acknowledges every push from ${PHONES} phones over ${RUN_MS / 1000} s${MEMORY_ASSERTED ? ', with memory bounded' : ''}`, async () => {
    const { env, clients } = await prepare(SQLITE, PHONES);
    const server = await spawnServer({ ...env, MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' });
    const conns: Conn[] = [];
    try {
      const docs = clients.map((c, i) => appealUpdates(1, c, 7000 + i)[0]!);
      for (let i = 0; i < PHONES; i += 50) conns.push(...(await Promise.all(clients.slice(i, i + 50).map((c) => connect(server.url, c.token)))));
      let pushes = 0;
      let acked = 0;
      let dropped = 0;
      const send = async (i: number, batch: number, update: Uint8Array) => {
        pushes++;
        const r = await withTimeout(push(conns[i]!, batch, [{ docId: docs[i]!.docId, update, seq: batch }]), ACK_TIMEOUT_MS);
        if (r === 'timeout') dropped++;
        else acked++;
      };
      await Promise.all(conns.map((_, i) => send(i, 1, docs[i]!.update)));

      const samples: { at: number; rss: number }[] = [];
      const start = performance.now();
      const sampler = setInterval(() => samples.push({ at: performance.now() - start, rss: rssOf(server.child.pid!) }), 1000);
      await Promise.all(
        conns.map(async (_, i) => {
          const { doc } = docs[i]!;
          const { user } = clients[i]!;
          await new Promise((r) => setTimeout(r, (i / PHONES) * PERIOD_MS));
          for (let n = 2; performance.now() - start < RUN_MS; n++) {
            const sv = Y.encodeStateVector(doc);
            appendEvent(doc, { id: newId(), type: 'commented', note: `巡查记录 ${n}`, actor: user.id, role: user.role, by: user.displayName, at: Date.now() });
            await send(i, n, Y.encodeStateAsUpdate(doc, sv));
            await new Promise((r) => setTimeout(r, PERIOD_MS));
          }
        }),
      );
      clearInterval(sampler);

      const MiB = (b: number) => b / 1024 / 1024;
      const mean = (xs: { rss: number }[]) => xs.reduce((n, s) => n + s.rss, 0) / Math.max(1, xs.length);
      const quarter = (q: number) => samples.filter((s) => s.at >= (q * RUN_MS) / 4 && s.at < ((q + 1) * RUN_MS) / 4);
      const early = MiB(mean(quarter(1)));
      const late = MiB(mean(quarter(3)));
      const peak = MiB(Math.max(...samples.map((s) => s.rss)));
      console.log(`load: ${PHONES} phones, ${RUN_MS / 1000} s, pushes ${pushes}, acked ${acked}, dropped ${dropped}; server RSS ${early.toFixed(0)} MiB in the second quarter, ${late.toFixed(0)} MiB in the last (growth ${(late - early).toFixed(0)} MiB, bound ${GROWTH_BOUND_MIB}${MEMORY_ASSERTED ? '' : ', not asserted in the fast slice'}), peak ${peak.toFixed(0)} MiB`);
      expect(dropped).toBe(0);
      expect(acked).toBe(pushes);
      if (MEMORY_ASSERTED) expect(late - early).toBeLessThan(GROWTH_BOUND_MIB);
    } finally {
      for (const c of conns) c.ws.close();
      await server.stop();
    }
  }, scale(120_000, 900_000));
});
