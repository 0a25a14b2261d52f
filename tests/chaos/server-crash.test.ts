import 'fake-indexeddb/auto';
import Database from 'better-sqlite3';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPgSchema } from '../../server/store/postgres';
import type { Region } from '../../src/core/regions';
import type { SessionUser } from '../../src/core/roles';
import { loadAppeal, recordAppeal } from '../../src/store/appeals';
import { openDb, type MinshengDB } from '../../src/store/db';
import { deviceId } from '../../src/store/meta';
import { SyncEngine, type SyncStatus } from '../../src/sync/engine';
import { sniffingWebSocket, until } from '../helpers/clients';
import { PG_URL, spawnServer, tempDir, type ServerProcess } from '../helpers/server';
import { scale } from './scale';

// Many phones push appeals while the server is SIGKILLed at random moments and restarted on
// the same port and data. At the end the store holds every appeal exactly once, no outbox
// holds anything, and a phone catching up from scratch holds what every pusher holds.

const APPEALS = scale(240, 10_000);
const PHONES = scale(4, 20);
/** Each phone records one appeal this often, so the run spans several kills (ms). */
const PACE_MS = scale(100, 400);
/** Between kills: a random wait in this range (ms). */
const KILL_EVERY: [number, number] = scale([400, 1_500], [1_500, 6_000]);
const pgUp = process.env.MINSHENG_TEST_PG_UP === '1';
const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropPgSchema(PG_URL, s);
});

interface Phone {
  db: MinshengDB;
  engine: SyncEngine;
  status: () => SyncStatus;
  who: SessionUser;
  village: string;
}

async function post<T>(url: string, body: object, token?: string): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Pushes the server acknowledged, counted on the wire as each ack arrives: `${device}:${seq}`. */
const acks = new Set<string>();

async function phone(url: string, username: string, password: string, name: string): Promise<Phone> {
  const auth = await post<{ token: string; user: SessionUser }>(`${url}/api/login`, { username, password });
  const { regions } = (await (await fetch(`${url}/api/regions`, { headers: { authorization: `Bearer ${auth.token}` } })).json()) as { regions: Region[] };
  const db = openDb(`${name}-${Date.now()}-${Math.random()}`);
  await db.regions.bulkPut(regions);
  let status!: SyncStatus;
  const device = await deviceId(db);
  const Sniffing = sniffingWebSocket((msg) => msg.t === 'ack' && msg.accepted.forEach((seq) => acks.add(`${device}:${seq}`)));
  const engine = new SyncEngine({ db, url: `${url.replace('http', 'ws')}/sync`, token: auth.token, deviceId: device, WebSocketImpl: Sniffing as never, retryBaseMs: 50, ackTimeoutMs: 5_000 });
  engine.subscribe((s) => (status = s));
  engine.start();
  return { db, engine, status: () => status, who: auth.user, village: auth.user.scope.regions[0]!.padEnd(12, '0').slice(0, 12) };
}

/** What the store holds, counted in its own database. */
async function counts(kind: string, dataDir: string, url: string): Promise<{ appeals: number; updates: number; receipts: number; ids: string[] }> {
  const sql = { appeals: 'SELECT count(*) AS n FROM appeals', updates: 'SELECT count(*) AS n FROM updates', receipts: 'SELECT count(*) AS n FROM receipts' };
  if (kind === 'sqlite') {
    const db = new Database(path.join(dataDir, 'minsheng.sqlite'), { readonly: true });
    try {
      const out = Object.fromEntries(Object.entries(sql).map(([k, q]) => [k, (db.prepare(q).get() as { n: number }).n]));
      return { ...out, ids: (db.prepare('SELECT id FROM appeals').all() as { id: string }[]).map((r) => r.id) } as never;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const out: Record<string, unknown> = {};
    for (const [k, q] of Object.entries(sql)) out[k] = Number((await client.query<{ n: string }>(q)).rows[0]!.n);
    out.ids = (await client.query<{ id: string }>('SELECT id FROM appeals')).rows.map((r) => r.id);
    return out as never;
  } finally {
    await client.end();
  }
}

describe.each(['sqlite', ...(pgUp ? ['postgres'] : [])])('the server killed at random on %s', (kind) => {
  it(`loses nothing acknowledged and stores nothing twice (${APPEALS} appeals from ${PHONES} phones)`, async () => {
    acks.clear();
    const dataDir = tempDir();
    let dbUrl = '';
    if (kind === 'postgres') {
      const schema = `chaos_${process.pid}_${Date.now() % 100000}`;
      schemas.push(schema);
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`CREATE SCHEMA ${schema}`);
      await c.end();
      dbUrl = `${PG_URL}?options=-c%20search_path%3D${schema}`;
    }
    const env = (port = '0') => ({ MINSHENG_DATA_DIR: dataDir, MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_ACCESS_MINUTES: '600', PORT: port, ...(dbUrl && { DATABASE_URL: dbUrl }) });
    let server: ServerProcess = await spawnServer(env());
    const port = String(server.port);
    const phones: Phone[] = [];
    try {
      // One grid worker per village of one town, so each phone holds only its own appeals.
      const admin = await post<{ token: string }>(`${server.url}/api/login`, { username: 'admin', password: 'demo1234' });
      const town = await post<{ token: string; user: SessionUser }>(`${server.url}/api/login`, { username: 'town', password: 'demo1234' });
      const { regions } = (await (await fetch(`${server.url}/api/regions`, { headers: { authorization: `Bearer ${town.token}` } })).json()) as { regions: Region[] };
      const villages = regions.filter((r) => r.level === 'village').slice(0, PHONES);
      for (const [i, v] of villages.entries()) {
        await post(`${server.url}/api/admin/users`, { username: `chaos${i}`, displayName: `网格员${i}`, role: 'grid_worker', password: 'chaos-pass-123', regions: [v.code], departments: [] }, admin.token);
        phones.push(await phone(server.url, `chaos${i}`, 'chaos-pass-123', `chaos${i}`));
      }

      let recording = true;
      const per = Math.ceil(APPEALS / PHONES);
      const recordedIds: string[] = [];
      const recorded = phones.map(async (p, i) => {
        for (let n = 0; n < per && i * per + n < APPEALS; n++) {
          const r = await recordAppeal(p.db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'yellow', villageCode: p.village, description: `网格员${i}第${n}件：村道坑洼`, citizen: { anonymous: true } }, p.who);
          if (!r.ok) throw new Error(JSON.stringify(r.errors));
          recordedIds.push(r.value.id);
          p.engine.kick();
          await new Promise((res) => setTimeout(res, PACE_MS * (0.5 + Math.random())));
        }
      });
      let kills = 0;
      const killer = (async () => {
        while (recording) {
          await new Promise((res) => setTimeout(res, KILL_EVERY[0] + Math.random() * (KILL_EVERY[1] - KILL_EVERY[0])));
          if (!recording) break;
          await server.stop('SIGKILL');
          kills++;
          server = await spawnServer(env(port));
        }
      })();
      await Promise.all(recorded);
      recording = false;
      await killer;
      // A last kill once everything is recorded, so the last pushes in flight meet one too.
      await server.stop('SIGKILL');
      kills++;
      server = await spawnServer(env(port));
      // Phones back off while the server is down (up to tens of seconds after many refusals);
      // a nudge, as the app gives on the browser's "online" event, keeps the test short.
      for (const p of phones) p.engine.kick();
      const started = Date.now();
      for (const p of phones) await until(async () => p.status().link === 'online' && (await p.db.outbox.count()) === 0, scale(60_000, 600_000), 'every outbox drained');
      const drainMs = Date.now() - started;

      const { ids, ...stored } = await counts(kind, dataDir, dbUrl);
      const acked = acks.size;
      const lost = recordedIds.filter((id) => !ids.includes(id)).length;
      console.log(`server crash (${kind}): pushes ${APPEALS} from ${PHONES} phones, kills ${kills}, acked ${acked} (counted on the wire), stored ${stored.appeals} (updates ${stored.updates}, receipts ${stored.receipts}), lost ${lost}, duplicates ${stored.updates - APPEALS}; outboxes drained ${drainMs} ms after the last record`);
      expect(kills).toBeGreaterThan(0);
      expect(acked).toBe(APPEALS);
      // The server holds exactly the appeals the phones recorded: no more, no fewer, none twice.
      expect([...ids].sort()).toEqual([...recordedIds].sort());
      expect(stored).toEqual({ appeals: APPEALS, updates: APPEALS, receipts: APPEALS });

      // A town official's phone catching up from nothing holds exactly what each pusher holds.
      const observer = await phone(server.url, 'town', 'demo1234', 'observer');
      phones.push(observer);
      await until(async () => (await observer.db.appeals.count()) === APPEALS && observer.status().catchUp === null, scale(60_000, 900_000), 'observer caught up');
      let compared = 0;
      for (const p of phones.slice(0, -1)) {
        for (const id of await p.db.appeals.toCollection().primaryKeys()) {
          expect(await loadAppeal(observer.db, id as string)).toEqual(await loadAppeal(p.db, id as string));
          compared++;
        }
      }
      expect(compared).toBe(APPEALS);
    } finally {
      for (const p of phones) {
        p.engine.stop();
        p.db.close();
      }
      await server.stop('SIGKILL');
    }
  }, scale(180_000, 1_500_000));
});
