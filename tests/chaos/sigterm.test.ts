import 'fake-indexeddb/auto';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPgSchema } from '../../server/store/postgres';
import { encodeFrame } from '../../src/core/protocol';
import { newId } from '../../src/core/id';
import { CLOSE_RESTARTING } from '../../server/sync/hub';
import { until } from '../helpers/clients';
import { gridWorkerPhones, post, processStore, recordAcross, storedCounts, type PushingPhone } from '../helpers/pushing-phones';
import { PG_URL, spawnServer, type ServerProcess } from '../helpers/server';
import { scale } from './scale';

// A clean shutdown (issue 31): SIGTERM while phones push. The server stops taking frames,
// finishes and acks the pushes under way, tells every socket it is restarting (1012), and
// exits 0 within its bound. Restarted on the same data, every phone resumes: nothing acked is
// lost, nothing is stored twice.

const APPEALS = scale(160, 3_000);
const PHONES = scale(4, 10);
const PACE_MS = scale(60, 200);
const STOP_EVERY: [number, number] = scale([500, 1_500], [2_000, 6_000]);
/** server/bin/main.ts exits 1 past 15 s; a clean stop under this load takes far less. */
const EXIT_BOUND_MS = 15_000;
const pgUp = process.env.MINSHENG_TEST_PG_UP === '1';
const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropPgSchema(PG_URL, s);
});

/** A raw socket signed in as `username`; `closed` resolves with the close code the server gives it. */
async function closeCodeSeenBy(url: string, username: string): Promise<{ closed: Promise<number> }> {
  const { token } = await post<{ token: string }>(`${url}/api/login`, { username, password: 'demo1234' });
  const ws = new WebSocket(`${url.replace('http', 'ws')}/sync`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const welcomed = new Promise((resolve) => ws.once('message', resolve));
  ws.send(encodeFrame({ t: 'hello', token, deviceId: newId(), cursor: 0 }));
  await welcomed;
  // Wrapped: an async function would wait for a promise it returns bare.
  return { closed: new Promise((resolve) => ws.once('close', (code) => resolve(code))) };
}

describe.each(['sqlite', ...(pgUp ? ['postgres'] : [])])('SIGTERM under load on %s', (kind) => {
  it(`finishes what it took, tells phones to retry, exits in time, and loses nothing (${APPEALS} appeals from ${PHONES} phones)`, async () => {
    const acks = new Set<string>();
    const { dataDir, dbUrl, env } = await processStore(kind, 'sigterm', schemas);
    let server: ServerProcess = await spawnServer(env());
    const port = String(server.port);
    const phones: PushingPhone[] = [];
    const stops: { ms: number; code: number | null; signal: string | null; closeCode: number }[] = [];
    try {
      phones.push(...(await gridWorkerPhones(server.url, PHONES, acks)));
      let recording = true;
      const recorded = recordAcross(phones, APPEALS, PACE_MS);
      const stopOnce = async () => {
        const closeCode = await closeCodeSeenBy(server.url, 'town');
        const started = Date.now();
        await server.stop('SIGTERM');
        stops.push({ ms: Date.now() - started, code: server.child.exitCode, signal: server.child.signalCode, closeCode: await closeCode.closed });
        server = await spawnServer(env(port));
      };
      const stopper = (async () => {
        while (recording) {
          await new Promise((res) => setTimeout(res, STOP_EVERY[0] + Math.random() * (STOP_EVERY[1] - STOP_EVERY[0])));
          if (recording) await stopOnce();
        }
      })();
      const recordedIds = await recorded;
      recording = false;
      await stopper;
      await stopOnce();
      for (const p of phones) p.engine.kick();
      for (const p of phones) await until(async () => p.status().link === 'online' && (await p.db.outbox.count()) === 0, scale(60_000, 300_000), 'every phone resumed and drained its outbox');

      const { ids, ...stored } = await storedCounts(kind, dataDir, dbUrl);
      const lost = recordedIds.filter((id) => !ids.includes(id)).length;
      console.log(`sigterm (${kind}): ${APPEALS} appeals from ${PHONES} phones, ${stops.length} SIGTERMs (longest stop ${Math.max(...stops.map((s) => s.ms))} ms), acked ${acks.size}, stored ${stored.appeals} (updates ${stored.updates}, receipts ${stored.receipts}), lost ${lost}`);
      expect(stops.length).toBeGreaterThan(1);
      for (const s of stops) {
        expect(s.code, 'a SIGTERM ends the process cleanly').toBe(0);
        expect(s.signal).toBeNull();
        expect(s.ms).toBeLessThan(EXIT_BOUND_MS);
        expect(s.closeCode, 'sockets are told the server is restarting').toBe(CLOSE_RESTARTING);
      }
      expect(acks.size).toBe(APPEALS);
      expect([...ids].sort()).toEqual([...recordedIds].sort());
      expect(stored).toEqual({ appeals: APPEALS, updates: APPEALS, receipts: APPEALS });
    } finally {
      for (const p of phones) {
        p.engine.stop();
        p.db.close();
      }
      await server.stop('SIGKILL');
    }
  }, scale(150_000, 900_000));
});
