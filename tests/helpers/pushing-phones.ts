import 'fake-indexeddb/auto';
import Database from 'better-sqlite3';
import path from 'node:path';
import pg from 'pg';
import type { Region } from '../../src/core/regions';
import type { SessionUser } from '../../src/core/roles';
import { recordAppeal } from '../../src/store/appeals';
import { openDb, type MinshengDB } from '../../src/store/db';
import { deviceId } from '../../src/store/meta';
import { SyncEngine, type SyncStatus } from '../../src/sync/engine';
import { sniffingWebSocket } from './clients';
import { PG_URL, tempDir } from './server';

// Phones that record appeals against a server in its own process, for the suites that stop
// that process under them (SIGKILL, SIGTERM) and count what it kept.

export interface PushingPhone {
  db: MinshengDB;
  engine: SyncEngine;
  status: () => SyncStatus;
  who: SessionUser;
  village: string;
}

export async function post<T>(url: string, body: object, token?: string): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A logged-in phone whose engine runs; every ack it receives is added to `acks` as `${device}:${seq}`. */
export async function pushingPhone(url: string, username: string, password: string, name: string, acks: Set<string>): Promise<PushingPhone> {
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

/** One grid worker per village of the demo town (accounts made by the admin), each with a phone. */
export async function gridWorkerPhones(url: string, count: number, acks: Set<string>): Promise<PushingPhone[]> {
  const admin = await post<{ token: string }>(`${url}/api/login`, { username: 'admin', password: 'demo1234' });
  const town = await post<{ token: string; user: SessionUser }>(`${url}/api/login`, { username: 'town', password: 'demo1234' });
  const { regions } = (await (await fetch(`${url}/api/regions`, { headers: { authorization: `Bearer ${town.token}` } })).json()) as { regions: Region[] };
  const villages = regions.filter((r) => r.level === 'village').slice(0, count);
  const phones: PushingPhone[] = [];
  for (const [i, v] of villages.entries()) {
    await post(`${url}/api/admin/users`, { username: `chaos${i}`, displayName: `网格员${i}`, role: 'grid_worker', password: 'chaos-pass-123', regions: [v.code], departments: [] }, admin.token);
    phones.push(await pushingPhone(url, `chaos${i}`, 'chaos-pass-123', `chaos${i}`, acks));
  }
  return phones;
}

/** Records `count` appeals on the phone, one every `paceMs` on average; returns their ids. */
export async function recordSteadily(p: PushingPhone, label: string, count: number, paceMs: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const r = await recordAppeal(p.db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'yellow', villageCode: p.village, description: `${label}第${n}件：村道坑洼`, citizen: { anonymous: true } }, p.who);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    ids.push(r.value.id);
    p.engine.kick();
    await new Promise((res) => setTimeout(res, paceMs * (0.5 + Math.random())));
  }
  return ids;
}

/** What the store holds, counted in its own database. */
export async function storedCounts(kind: string, dataDir: string, url: string): Promise<{ appeals: number; updates: number; receipts: number; ids: string[] }> {
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

/** A fresh schema in the test PostgreSQL and the URL that puts a server in it; drop it with dropPgSchema. */
export async function freshPgSchema(pgUrl: string, prefix: string): Promise<{ schema: string; url: string }> {
  const schema = `${prefix}_${process.pid}_${Date.now() % 100000}`;
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.end();
  return { schema, url: `${pgUrl}?options=-c%20search_path%3D${schema}` };
}

/** `total` appeals spread over the phones, each recording steadily; resolves with every id once all are recorded. */
export async function recordAcross(phones: PushingPhone[], total: number, paceMs: number): Promise<string[]> {
  const per = Math.ceil(total / phones.length);
  const ids = await Promise.all(phones.map((p, i) => recordSteadily(p, `网格员${i}`, Math.max(0, Math.min(per, total - i * per)), paceMs)));
  return ids.flat();
}

/**
 * Where a server process the test stops and starts again keeps its data: a data directory and,
 * on PostgreSQL, a fresh schema (added to `schemas`, for the test to drop). `env(port)` starts it
 * there, on `port` once the first start has picked one.
 */
export async function processStore(kind: string, prefix: string, schemas: string[]): Promise<{ dataDir: string; dbUrl: string; env: (port?: string) => Record<string, string> }> {
  const dataDir = tempDir();
  let dbUrl = '';
  if (kind === 'postgres') {
    const fresh = await freshPgSchema(PG_URL, prefix);
    schemas.push(fresh.schema);
    dbUrl = fresh.url;
  }
  const env = (port = '0') => ({ MINSHENG_DATA_DIR: dataDir, MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_ACCESS_MINUTES: '600', PORT: port, ...(dbUrl && { DATABASE_URL: dbUrl }) });
  return { dataDir, dbUrl, env };
}
