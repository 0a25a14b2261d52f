import 'fake-indexeddb/auto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { dropPgSchema, openPgStore } from '../../server/store/postgres';
import type { Region } from '../../src/core/regions';
import type { Role, Scope } from '../../src/core/roles';
import { loadAppeal, recordAppeal } from '../../src/store/appeals';
import { openDb, type MinshengDB } from '../../src/store/db';
import { deviceId } from '../../src/store/meta';
import { SyncEngine, type SyncStatus } from '../../src/sync/engine';
import { device, login, until, type Device } from '../helpers/clients';
import { PG_URL, spawnServer, tempDir, type ServerProcess } from '../helpers/server';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateRelayKeyPair } from '../../server/services/relay-keys';
import { newId } from '../../src/core/id';

// Several server instances on one PostgreSQL act as one: a commit on one instance reaches
// clients of the others through LISTEN/NOTIFY, and instances killed at random lose nothing
// that was acknowledged.

const pgUp = process.env.MINSHENG_TEST_PG_UP === '1';
if (!pgUp) console.warn('several instances on PostgreSQL: SKIPPED (no PostgreSQL reachable)');

const schemas: string[] = [];
async function freshSchema(): Promise<string> {
  const schema = `inst_${process.pid}_${schemas.length}_${Date.now() % 100000}`;
  schemas.push(schema);
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.end();
  return schema;
}
afterAll(async () => {
  for (const s of schemas) await dropPgSchema(PG_URL, s);
});

const appealIn = (villageCode: string, description: string) => ({
  channel: 'walk_in', category: 'infra.water', kind: 'help', urgency: 'yellow', villageCode, description, citizen: { anonymous: true },
});

describe.skipIf(!pgUp)('three instances on one PostgreSQL', () => {
  it('start together on an empty database, and a commit on one reaches devices on the others at once', async () => {
    const schema = await freshSchema();
    // All three start at the same moment: one migrates and seeds, the others wait for it.
    const servers: RunningServer[] = await Promise.all(
      [0, 1, 2].map(async () => startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }), await openPgStore(PG_URL, schema))),
    );
    try {
      expect(servers.filter((s) => s.seed.seededNow)).toHaveLength(1);
      // A token from one instance is good on the others: one secret, one session table.
      const grid = await login(servers[0]!, 'grid');
      const town = await login(servers[1]!, 'town');
      const village = grid.user.scope.regions[0]!;
      const devices: Device[] = [];
      for (const [i, session] of [grid, town, grid, town, grid, town].entries()) devices.push(await device(servers[i % 3]!, session));
      for (const d of devices) d.engine.start();
      await Promise.all(devices.map((d) => d.settled()));

      const ids: string[] = [];
      for (const [i, d] of devices.entries()) {
        const r = await recordAppeal(d.db, appealIn(village, `第${i}台手机在第${i % 3}号实例上登记`), d.who);
        if (!r.ok) throw new Error(JSON.stringify(r.errors));
        ids.push(r.value.id);
        d.engine.kick();
      }
      // Live fan-out across instances: every device holds all six without reconnecting.
      for (const d of devices) await until(async () => (await d.db.appeals.count()) === ids.length, 10_000, 'every appeal on every device');
      for (const id of ids) {
        const reference = await loadAppeal(devices[0]!.db, id);
        for (const d of devices.slice(1)) expect(await loadAppeal(d.db, id)).toEqual(reference);
      }
      // The global sequence and the idempotency keys are shared: six updates, six receipts.
      expect(await servers[2]!.store.updateCount()).toBe(6);
      expect(await servers[2]!.store.receiptCount()).toBe(6);
      for (const d of devices) d.close();
    } finally {
      for (const s of servers) await s.close();
    }
  }, 120_000);

  it('loses no acknowledged update while instances are killed at random and restarted', async () => {
    const schema = await freshSchema();
    const url = `${PG_URL}?options=-c%20search_path%3D${schema}`;
    const env = (port = '0') => ({ DATABASE_URL: url, MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', PORT: port });
    const first = await spawnServer(env());
    const instances: ServerProcess[] = [first, ...(await Promise.all([0, 1].map(() => spawnServer(env()))))];
    const ports = instances.map((s) => s.port);
    try {
      const auth = (await (
        await fetch(`${first.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'town', password: 'demo1234' }) })
      ).json()) as { token: string; user: { id: string; role: Role; scope: Scope } };
      const { regions } = (await (await fetch(`${first.url}/api/regions`, { headers: { authorization: `Bearer ${auth.token}` } })).json()) as { regions: Region[] };
      const village = regions.find((r) => r.level === 'village')!.code;
      const who = { id: auth.user.id, role: auth.user.role, scope: auth.user.scope };

      // Six phones, two per instance, each recording 8 appeals as fast as it can.
      const phones: { db: MinshengDB; engine: SyncEngine; status: () => SyncStatus }[] = [];
      for (let i = 0; i < 6; i++) {
        const db = openDb(`kill-${i}-${Date.now()}`);
        await db.regions.bulkPut(regions);
        let status!: SyncStatus;
        const engine = new SyncEngine({ db, url: `ws://127.0.0.1:${ports[i % 3]}/sync`, token: auth.token, deviceId: await deviceId(db), WebSocketImpl: WebSocket as never, retryBaseMs: 50, random: () => 0.5 });
        engine.subscribe((s) => (status = s));
        engine.start();
        phones.push({ db, engine, status: () => status });
      }
      let kills = 0;
      const recording = phones.map(async (p, i) => {
        for (let n = 0; n < 8; n++) {
          const r = await recordAppeal(p.db, appealIn(village, `手机${i}第${n}件：自来水停了`), who);
          if (!r.ok) throw new Error(JSON.stringify(r.errors));
          p.engine.kick();
          await new Promise((res) => setTimeout(res, 250));
        }
      });
      // Meanwhile, three times, one instance at random is SIGKILLed and restarted on its port.
      for (let k = 0; k < 3; k++) {
        await new Promise((res) => setTimeout(res, 150));
        const victim = Math.floor(Math.random() * 3);
        await instances[victim]!.stop('SIGKILL');
        kills++;
        instances[victim] = await spawnServer(env(String(ports[victim])));
      }
      await Promise.all(recording);
      for (const p of phones) await until(async () => p.status().link === 'online' && (await p.db.outbox.count()) === 0, 60_000, 'every outbox drained');

      // Every appeal exactly once in the store, and on every phone.
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const count = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0]!.n);
      const stored = { appeals: await count('SELECT count(*) AS n FROM appeals'), receipts: await count('SELECT count(*) AS n FROM receipts'), updates: await count('SELECT count(*) AS n FROM updates') };
      await client.end();
      console.log(`instances: 3, kills: ${kills}, pushed 48 appeals, stored ${stored.appeals} (receipts ${stored.receipts}), lost ${48 - stored.appeals}, duplicates ${stored.updates - 48}`);
      // One update row per push: a resend stored twice would show here, not in a count of documents.
      expect(stored).toEqual({ appeals: 48, receipts: 48, updates: 48 });
      for (const p of phones) await until(async () => (await p.db.appeals.count()) === 48, 30_000, 'every phone holds all 48');
      for (const p of phones) {
        p.engine.stop();
        p.db.close();
      }
    } finally {
      for (const s of instances) await s.stop('SIGKILL');
    }
  }, 180_000);

  it('take a county server’s uplink on any instance: what it relays reaches the others, and a revocation on one closes it on another', async () => {
    const schema = await freshSchema();
    const cityEnv = { PORT: '0', MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REGION: '371300' };
    const [a, b] = await Promise.all([0, 1].map(async () => startServer(loadConfig({ ...cityEnv, MINSHENG_DATA_DIR: tempDir() }), await openPgStore(PG_URL, schema), { heartbeatMs: 200 })));
    const keys = generateRelayKeyPair();
    const keyId = newId();
    await a!.store.insertRelayKey({ id: keyId, county: '371324', publicKey: keys.publicKey, label: '兰陵县服务器', createdBy: 'test', createdAt: Date.now() });
    const dir = tempDir();
    writeFileSync(path.join(dir, 'key.pem'), keys.privateKeyPem, { mode: 0o600 });
    // The county's line lands on instance b.
    const county = await startServer(loadConfig({
      PORT: '0', MINSHENG_DATA_DIR: dir, MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REGION: '371324',
      MINSHENG_UPSTREAM: b!.url.replace('http', 'ws') + '/sync', MINSHENG_UPSTREAM_KEY_ID: keyId, MINSHENG_UPSTREAM_KEY: path.join(dir, 'key.pem'),
    }));
    const devices: Device[] = [];
    try {
      const countyGrid = await device(county, await login(county, 'grid'));
      const cityTown = await device(a!, await login(a!, 'town'));
      devices.push(countyGrid, cityTown);
      for (const d of devices) d.engine.start();
      const r = await recordAppeal(countyGrid.db, appealIn(countyGrid.session.user.scope.regions[0]!, '县服务器上登记，经市平台另一实例送达。'), countyGrid.who);
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      countyGrid.engine.kick();
      // Relayed to b, stored once in the shared store, fanned out to a's phone.
      await until(async () => (await cityTown.db.appeals.get(r.value.id)) !== undefined, 15_000, 'the county’s appeal on a phone of the other instance');
      // Revoked through a's store, as a's admin page would: b ends the uplink at its next heartbeat.
      await a!.store.revokeRelayKey(keyId, Date.now());
      await until(() => county.uplink!.status().state === 'refused', 10_000, 'the uplink closed by the other instance');
    } finally {
      for (const d of devices) d.close();
      await county.close();
      for (const s of [a, b]) await s?.close();
    }
  }, 120_000);
});
