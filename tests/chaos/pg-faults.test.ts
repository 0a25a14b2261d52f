import 'fake-indexeddb/auto';
import pg from 'pg';
import WebSocket from 'ws';
import { newId } from '../../src/core/id';
import { decodeServerFrame, encodeFrame } from '../../src/core/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { dropPgSchema } from '../../server/store/postgres';
import { TROUBLE_HTTP, TROUBLE_MESSAGE } from '../../server/store/trouble';
import { until } from '../helpers/clients';
import { freshPgSchema, gridWorkerPhones, pushingPhone, recordAcross, recordSteadily, storedCounts, type PushingPhone } from '../helpers/pushing-phones';
import { PG_URL, tempDir } from '../helpers/server';
import { startTcpProxy } from '../helpers/tcp-proxy';
import { scale } from './scale';

// PostgreSQL faults under pushes (issue 31). The server reaches PostgreSQL through a TCP proxy
// the test controls, so "PostgreSQL restarts" is what the server sees of one: every connection
// dies at once and new ones are refused for a while. And the pool runs dry: every connection is
// held by queries waiting on a lock, and the next request must fail clearly instead of hanging.

const pgUp = process.env.MINSHENG_TEST_PG_UP === '1';
const APPEALS = scale(120, 2_000);
const PHONES = scale(3, 10);
const PACE_MS = scale(40, 150);
const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropPgSchema(PG_URL, s);
});

const pgPort = Number(new URL(PG_URL).port || 5432);

/** The first frame a fresh socket gets back for its hello with `token`. */
async function helloAnswer(url: string, token: string): Promise<unknown> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/sync`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const first = new Promise<Buffer>((resolve) => ws.once('message', (d) => resolve(d as Buffer)));
  ws.send(encodeFrame({ t: 'hello', token, deviceId: newId(), cursor: 0 }));
  const frame = decodeServerFrame(new Uint8Array(await first));
  ws.terminate();
  return frame;
}

describe.skipIf(!pgUp)('PostgreSQL faults', () => {
  it(`restarts in the middle of pushes: un-acked pushes are sent again, nothing lost or doubled (${APPEALS} appeals from ${PHONES} phones)`, async () => {
    const { schema, url: direct } = await freshPgSchema(PG_URL, 'pgrestart');
    schemas.push(schema);
    const proxy = await startTcpProxy({ port: pgPort });
    const viaProxy = direct.replace(`:${pgPort}/`, `:${proxy.port}/`);
    const server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_DEMO: '0', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REPORT_INTERVAL_MS: '0', DATABASE_URL: viaProxy, MINSHENG_PG_POOL_WAIT_MS: '2000' }));
    const acks = new Set<string>();
    const phones: PushingPhone[] = [];
    try {
      phones.push(...(await gridWorkerPhones(server.url, PHONES, acks)));
      let recording = true;
      const recorded = recordAcross(phones, APPEALS, PACE_MS);
      let restarts = 0;
      const restarter = (async () => {
        while (recording) {
          await new Promise((res) => setTimeout(res, 600 + Math.random() * 900));
          if (!recording) break;
          proxy.cut({ refuse: true });
          await new Promise((res) => setTimeout(res, 800 + Math.random() * 1_200));
          proxy.restore();
          restarts++;
        }
      })();
      const recordedIds = await recorded;
      recording = false;
      await restarter;
      for (const p of phones) p.engine.kick();
      for (const p of phones) await until(async () => (await p.db.outbox.count()) === 0, scale(90_000, 600_000), 'every outbox drained after the restarts');

      const { ids, ...stored } = await storedCounts('postgres', '', direct);
      console.log(`postgres restarts: ${restarts} during ${APPEALS} pushes from ${PHONES} phones; acked ${acks.size}, stored ${stored.appeals} (updates ${stored.updates}, receipts ${stored.receipts}), lost ${recordedIds.filter((id) => !ids.includes(id)).length}`);
      expect(restarts).toBeGreaterThan(0);
      expect(acks.size).toBe(APPEALS);
      expect([...ids].sort()).toEqual([...recordedIds].sort());
      expect(stored).toEqual({ appeals: APPEALS, updates: APPEALS, receipts: APPEALS });
      for (const p of phones) expect(await p.db.quarantine.count()).toBe(0);
      for (const p of phones) expect(p.status().needsLogin).toBe(false);
    } finally {
      for (const p of phones) {
        p.engine.stop();
        p.db.close();
      }
      await server.close();
      await proxy.close();
    }
  }, scale(180_000, 900_000));

  it('runs out of pool connections: requests and pushes fail clearly within the wait, and recover', async () => {
    const { schema, url } = await freshPgSchema(PG_URL, 'pgpool');
    schemas.push(schema);
    const server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_DEMO: '0', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REPORT_INTERVAL_MS: '0', DATABASE_URL: url, MINSHENG_PG_POOL_MAX: '2', MINSHENG_PG_POOL_WAIT_MS: '400' }));
    const acks = new Set<string>();
    const phone = await pushingPhone(server.url, 'grid', 'demo1234', 'pool', acks);
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    const { token } = await (await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'town', password: 'demo1234' }) })).json() as { token: string };
    const login = () => fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'town', password: 'demo1234' }) });
    try {
      await until(() => phone.status().link === 'online', 15_000, 'the phone online before the pool runs dry');
      // Every login reads the users table: with it locked, two logins hold both connections.
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${schema}.users IN ACCESS EXCLUSIVE MODE`);
      const stuck = [login(), login()];
      await until(async () => Number((await locker.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`)).rows[0].n) >= 2, 10_000, 'both pool connections waiting on the lock');

      const refused = await login();
      expect(refused.status).toBe(TROUBLE_HTTP.busy.status);
      expect(refused.headers.get('retry-after')).toBe(String(TROUBLE_HTTP.busy.retryAfter));
      expect(await refused.json()).toEqual({ error: 'store_busy', message: TROUBLE_HTTP.busy.message });

      // A phone saying hello now is told the database is busy, not that its session ended.
      const hello = await helloAnswer(server.url, token);
      expect(hello).toEqual({ t: 'error', code: 'server_error', message: TROUBLE_MESSAGE.busy });

      const [id] = await recordSteadily(phone, '池', 1, 0);
      await until(() => phone.status().error?.includes(TROUBLE_MESSAGE.busy) ?? false, 15_000, 'the phone told the database is busy');
      expect(await phone.db.outbox.count()).toBe(1);
      expect(await phone.db.quarantine.count()).toBe(0);
      expect(phone.status().needsLogin).toBe(false);

      await locker.query('COMMIT');
      for (const r of await Promise.all(stuck)) expect(r.status).toBe(200);
      phone.engine.kick();
      await until(async () => (await phone.db.outbox.count()) === 0, 30_000, 'the push went through once connections were free');
      expect((await storedCounts('postgres', '', url)).ids).toEqual([id]);
      expect((await login()).status).toBe(200);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      phone.engine.stop();
      phone.db.close();
      await server.close();
    }
  }, 60_000);
});
