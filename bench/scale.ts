import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import WebSocket from 'ws';
import { loadConfig } from '../server/config';
import { fingerprint, PROJECTION_META_KEY } from '../server/jobs/reproject';
import { ensureSeeded } from '../server/services/seed';
import { migrateSqliteToPg } from '../server/services/migrate-to-pg';
import { createTokenService } from '../server/services/tokens';
import { openPgStore } from '../server/store/postgres';
import { openSqliteStore } from '../server/store/sqlite';
import type { Store } from '../server/store/types';
import { cstDate, cstDay } from '../src/core/calendar';
import { newId } from '../src/core/id';
import { monthOf, weekOf } from '../src/core/metrics';
import { decodeServerFrame, encodeFrame, type ClientMessage } from '../src/core/protocol';
import type { SessionUser } from '../src/core/roles';
import { login } from '../tests/helpers/clients';
import { PG_URL, spawnServer, tempDir, type ServerProcess } from '../tests/helpers/server';
import type { VillageRef } from './generate';
import { seedGeneratedAppeals } from './seed-store';
import { appealUpdates, connect, POSTGRES, prepare, push, pushInBatches, rssOf, soloPushMs, SQLITE, type Backend, type Client, type Conn } from './server-load';
import type { BenchRow } from './table';

// `npm run bench -- scale` (opt-in: building the stores takes long; they are cached). Issue 32:
// does a city deployment stay fast as its store grows? Stores of 10,000 to 2,000,000 appeals of
// a city (Linyi, 371300), on SQLite and on PostgreSQL, each figure printed at every size:
//   1. the city dispatcher's reports (ranking, red/black lists, trends) beside one second;
//   2. one town's catch-up from zero (bytes, time) beside the same town's in the smallest store:
//      the town holds the same appeals at every size, only the rest of the city grows;
//   3. durable ingest (appeals/s pushed by 10 clients) beside the same into an empty store;
// and, on fresh stores, 10,000 phones on one instance: ack p99 beside 250 ms, RSS per connection.
//
// Appeals are written straight into the store by seed-store.ts (storeUpdate, the hub's own
// commit; tests/bench/scale-seed.test.ts checks that the hub stores the same documents and rows).
// PostgreSQL's stores are copied from SQLite's by `npm run migrate:pg`'s migration, which
// compares every document on both sides. Any prefix of the appeals is spread over the same 200
// days (chunk k starts at the golden-ratio point k·φ of the window), so a bigger store is a
// smaller one plus more appeals: each is built from the next smaller one in the cache.

/** Bump when what a store holds changes: cached stores of another generator are rebuilt. */
const GENERATOR = 2;
const CACHE = path.join(process.env.MINSHENG_SCALE_CACHE ?? path.join(os.homedir(), '.cache', 'minsheng-bench', 'scale'), `g${GENERATOR}`);
const sizesFrom = (s: string | undefined, fallback: number[]) => (s ? s.split(',').map((x) => Number(x.trim().replace(/_/g, ''))).filter((x) => x > 0) : fallback).sort((a, b) => a - b);
const SIZES = sizesFrom(process.env.MINSHENG_SCALE_SIZES, [10_000, 100_000, 1_000_000, 2_000_000]);
/** PostgreSQL's sizes (default: the same), each copied from SQLite's store of that size. */
const PG_SIZES = sizesFrom(process.env.MINSHENG_SCALE_PG_SIZES, SIZES);
/** Reports ask for the last complete week and month, and trends for the 12 weeks before: a store built longer ago than this is built again. */
const MAX_AGE_MS = Number(process.env.MINSHENG_SCALE_MAX_AGE_DAYS ?? 7) * 86_400_000;
const PHONES = Number(process.env.MINSHENG_SCALE_PHONES ?? 10_000);

const CITY = '371300';
const DAY = 86_400_000;
const WINDOW = 200 * DAY;
/** The town whose catch-up is measured holds this many appeals at every size. */
const TOWN_APPEALS = 2000;
const CHUNK = 500;
const SPACING = 120_000;
const GOLDEN = (Math.sqrt(5) - 1) / 2;

const cityPolicies = () => loadConfig({ PORT: '0', MINSHENG_REGION: CITY, MINSHENG_DATA_DIR: tempDir('bench-scale-cfg-'), MINSHENG_STATIC_DIR: '' }).policies;
const POLICY = fingerprint(cityPolicies());

/**
 * storeUpdate projected every row with the city's policies: the store says so, or the server's
 * first start would derive every row again (reproject.ts), minutes at a million.
 */
async function markProjected(store: Store): Promise<void> {
  if ((await store.getMeta(PROJECTION_META_KEY)) !== POLICY) await store.setMeta(PROJECTION_META_KEY, POLICY);
}

const n = (x: number) => x.toLocaleString('en-US');
const log = (line: string) => console.log(`scale: ${line}`);

interface StoreMeta {
  generator: number;
  size: number;
  /** The end of the 200 days the appeals are spread over. */
  epoch: number;
  builtAt: number;
  /** Time spent writing appeals from an empty store up to this size (summed over the chain). */
  buildMs: number;
  town: string;
  /** The policies the rows were projected with (reproject.ts's fingerprint): others rebuild. */
  policy: string;
}

const readMeta = (file: string): StoreMeta | null => {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as StoreMeta;
    return m.generator === GENERATOR && Date.now() - m.builtAt < MAX_AGE_MS && m.policy === POLICY ? m : null;
  } catch {
    return null;
  }
};
const sqliteDir = (size: number) => path.join(CACHE, `sqlite-${size}`);
const sqliteMeta = (size: number) => readMeta(path.join(sqliteDir(size), 'scale.json'));

/** Who writes the appeals, and where: the demo town official's town, and the rest of the city. */
async function cast(store: Store) {
  const villages = (await store.regionsUnder([CITY.slice(0, 4)])).filter((r) => r.level === 'village');
  const official = (await store.userByUsername('town'))!;
  const center = (await store.userByUsername('city'))!;
  const town = official.scope.regions[0]!;
  const policy = cityPolicies();
  return {
    town,
    townVillages: villages.filter((v) => v.code.startsWith(town)) as VillageRef[],
    rest: villages.filter((v) => !v.code.startsWith(town)) as VillageRef[],
    official: { id: official.id, name: official.displayName },
    hotline: { id: center.id, name: center.displayName },
    policy,
  };
}

/** Chunk k of a sequence: its place in the window, so that every prefix covers the window evenly. */
const chunkFrom = (epoch: number, k: number) => Math.round(epoch - WINDOW + ((k * GOLDEN) % 1) * (WINDOW - CHUNK * SPACING));

/** Writes appeals `from`…`to` (counted over the whole store, the town's first) into the store. */
async function writeAppeals(store: Store, epoch: number, from: number, to: number): Promise<void> {
  const c = await cast(store);
  const t = performance.now();
  for (let i = from; i < to; ) {
    const townPart = i < TOWN_APPEALS;
    const k = townPart ? Math.floor(i / CHUNK) : Math.floor((i - TOWN_APPEALS) / CHUNK);
    const chunkEnd = townPart ? Math.min(TOWN_APPEALS, (k + 1) * CHUNK) : TOWN_APPEALS + (k + 1) * CHUNK;
    const count = Math.min(to, chunkEnd) - i;
    // A chunk cut short by a size boundary is the prefix of the same chunk (same seed).
    const skip = i - (townPart ? k * CHUNK : TOWN_APPEALS + k * CHUNK);
    if (skip !== 0) throw new Error(`sizes must be multiples of ${CHUNK}`);
    await seedGeneratedAppeals(store, {
      count,
      villages: townPart ? c.townVillages : c.rest,
      seed: townPart ? 1 + k : 10_000 + k,
      official: c.official,
      hotline: c.hotline,
      from: chunkFrom(epoch, townPart ? k * 7 + 3 : k),
      spacingMs: SPACING,
      policy: c.policy,
      varied: true,
    });
    i += count;
    if ((i - from) % 20_000 === 0) log(`${n(i)} appeals written (${((performance.now() - t) / 1000).toFixed(0)} s, ${((i - from) / ((performance.now() - t) / 1000)).toFixed(0)}/s)`);
  }
}

/** The SQLite store of `size` appeals from the cache, built (from the next smaller cached one) if missing or stale. */
async function sqliteStore(size: number): Promise<{ dir: string; meta: StoreMeta; builtNow: boolean }> {
  if (size % CHUNK !== 0 || size < TOWN_APPEALS) throw new Error(`sizes must be multiples of ${CHUNK} and at least ${TOWN_APPEALS}`);
  const dir = sqliteDir(size);
  const cached = sqliteMeta(size);
  if (cached) {
    const store = openSqliteStore(dir);
    await markProjected(store).finally(() => store.close());
    return { dir, meta: cached, builtNow: false };
  }
  mkdirSync(CACHE, { recursive: true });
  const partial = `${dir}.partial`;
  // Another run building the same store (its process still alive): wait for it rather than build it twice.
  const lock = `${partial}.pid`;
  const busy = () => {
    try {
      process.kill(Number(readFileSync(lock, 'utf8')), 0);
      return true;
    } catch {
      return false;
    }
  };
  if (busy()) {
    log(`SQLite ${n(size)} is being built by another run; waiting`);
    while (busy()) await new Promise((r) => setTimeout(r, 10_000));
    const done = sqliteMeta(size);
    if (done) return { dir, meta: done, builtNow: false };
  }
  rmSync(partial, { recursive: true, force: true });
  writeFileSync(lock, String(process.pid));
  // The largest smaller store in the cache, if fresh.
  const base = SIZES.concat(PG_SIZES)
    .filter((s) => s < size && s % CHUNK === 0)
    .sort((a, b) => b - a)
    .map((s) => ({ s, meta: sqliteMeta(s) }))
    .find((b) => b.meta !== null);
  let meta: StoreMeta;
  if (base) {
    log(`building SQLite ${n(size)} from the cached ${n(base.s)}`);
    cpSync(sqliteDir(base.s), partial, { recursive: true });
    meta = { ...base.meta!, size };
  } else {
    log(`building SQLite ${n(size)} from empty`);
    mkdirSync(partial, { recursive: true });
    meta = { generator: GENERATOR, size, epoch: Date.now(), builtAt: Date.now(), buildMs: 0, town: '', policy: POLICY };
  }
  const store = openSqliteStore(partial);
  try {
    if (!base) await ensureSeeded(store, CITY);
    const t = performance.now();
    await writeAppeals(store, meta.epoch, base?.s ?? 0, size);
    meta.buildMs += performance.now() - t;
    meta.town = (await cast(store)).town;
    await markProjected(store);
  } finally {
    await store.close();
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path.join(partial, 'minsheng.sqlite'), { readonly: true });
  const held = (db.prepare('SELECT count(*) AS n FROM appeals').get() as { n: number }).n;
  db.close();
  if (held !== size) throw new Error(`SQLite ${n(size)}: the store holds ${n(held)} appeals`);
  writeFileSync(path.join(partial, 'scale.json'), JSON.stringify(meta, null, 2));
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  rmSync(lock, { force: true });
  log(`SQLite ${n(size)} built: ${(meta.buildMs / 1000).toFixed(0)} s of writing from empty, in ${dir}`);
  return { dir, meta, builtNow: true };
}

const pgSchema = (size: number) => `scale_g${GENERATOR}_${size}`;
const pgUrl = (schema: string) => `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
const pgMetaFile = (size: number) => path.join(CACHE, `pg-${size}.json`);

async function pgQuery<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** The PostgreSQL store of `size` appeals, in its own schema: migrated from SQLite's if missing or stale. */
async function pgStore(size: number): Promise<{ url: string; meta: StoreMeta & { migrateMs: number }; builtNow: boolean }> {
  const schema = pgSchema(size);
  const url = pgUrl(schema);
  const source = await sqliteStore(size);
  const cached = readMeta(pgMetaFile(size)) as (StoreMeta & { migrateMs: number }) | null;
  if (cached && cached.epoch === source.meta.epoch) {
    const [row] = await pgQuery<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.appeals`).catch(() => [{ n: '-1' }]);
    if (Number(row!.n) === size) {
      const store = await openPgStore(url);
      await markProjected(store).finally(() => store.close());
      return { url, meta: cached, builtNow: false };
    }
  }
  log(`copying SQLite ${n(size)} into PostgreSQL (schema ${schema}) by the migration`);
  await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pgQuery(`CREATE SCHEMA ${schema}`);
  const t = performance.now();
  // Its progress, for a copy that takes minutes (tables copied, documents compared).
  const report = await migrateSqliteToPg(source.dir, url, (line) => log(`PostgreSQL ${n(size)}: ${line}`));
  if (report.mismatched.length > 0) throw new Error(`PostgreSQL ${n(size)}: ${report.mismatched.length} documents differ from SQLite's`);
  const meta = { ...source.meta, builtAt: source.meta.builtAt, migrateMs: performance.now() - t };
  writeFileSync(pgMetaFile(size), JSON.stringify(meta, null, 2));
  log(`PostgreSQL ${n(size)} built: migrated in ${(meta.migrateMs / 1000).toFixed(0)} s (${report.documents} documents compared)`);
  return { url, meta, builtNow: true };
}


async function pgReachable(): Promise<boolean> {
  try {
    await pgQuery('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

type Where = { backend: Backend['name']; env: Record<string, string>; open: () => Promise<Store> };

const sqliteWhere = (dir: string): Where => ({ backend: 'SQLite', env: { MINSHENG_DATA_DIR: dir }, open: async () => openSqliteStore(dir) });
const pgWhere = (url: string): Where => ({ backend: 'PostgreSQL', env: { DATABASE_URL: url, MINSHENG_DATA_DIR: tempDir('bench-scale-pg-') }, open: () => openPgStore(url) });

const INGEST_CLIENTS = 10;
const INGEST_EACH = 200;
const BATCH = 20;

/**
 * Grid workers who push the ingest, in villages outside the measured town, with sessions
 * opened straight in the store (as server-load.ts does); and the store's head before them.
 */
async function ingestClients(where: Where): Promise<{ clients: Client[]; head: number }> {
  const store = await where.open();
  try {
    const c = await cast(store);
    const service = createTokenService(store, { accessMinutes: 60, sessionDays: 1 });
    const clients: Client[] = [];
    for (let i = 0; i < INGEST_CLIENTS; i++) {
      const village = (await store.regionsUnder([c.rest[(i * 397) % c.rest.length]!.code]))[0]!;
      const username = `scale-ingest-${i}`;
      let user = await store.userByUsername(username);
      if (!user) {
        const fresh: SessionUser = { id: newId(), username, displayName: `网格员${i}`, role: 'grid_worker', scope: { regions: [village.code], departments: [] } };
        await store.insertUser({ ...fresh, passwordHash: 'unused' }, Date.now());
        user = (await store.userById(fresh.id))!;
      }
      clients.push({ token: (await service.open(user)).token, user: { id: user.id, username: user.username, displayName: user.displayName, role: user.role, scope: user.scope }, village });
    }
    return { clients, head: await store.head() };
  } finally {
    await store.close();
  }
}

/** 10 clients push 2,000 new appeals in batches of 20, one batch in flight each: appeals/s, and the documents pushed. */
async function ingest(server: ServerProcess, clients: Client[]): Promise<{ perSecond: number; docIds: string[] }> {
  const updates = clients.map((c, i) => appealUpdates(INGEST_EACH, c, 70 + i));
  const conns = await Promise.all(clients.map((c) => connect(server.url, c.token)));
  const t = performance.now();
  await pushInBatches(conns, updates, BATCH);
  const perSecond = (INGEST_CLIENTS * INGEST_EACH) / ((performance.now() - t) / 1000);
  for (const c of conns) c.ws.close();
  return { perSecond, docIds: updates.flat().map((u) => u.docId) };
}

/**
 * Takes the ingested documents out of a cached store again, so the next run finds the same
 * store: every row naming them, and every update and receipt after the head before the ingest.
 */
async function forget(where: Where, docIds: string[], head: number, size: number): Promise<void> {
  const ids = new Set(docIds);
  const byColumn = (col: string) => (col === 'doc_id' || col === 'appeal_id' ? col : null);
  if (where.backend === 'SQLite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path.join(where.env.MINSHENG_DATA_DIR!, 'minsheng.sqlite'));
    try {
      db.transaction(() => {
        for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]) {
          for (const { name: col } of db.prepare(`PRAGMA table_info(${name})`).all() as { name: string }[]) {
            const c = name === 'appeals' && col === 'id' ? 'id' : byColumn(col);
            if (!c) continue;
            const del = db.prepare(`DELETE FROM ${name} WHERE ${c} = ?`);
            for (const id of ids) del.run(id);
          }
        }
        db.prepare('DELETE FROM updates WHERE seq > ?').run(head);
        db.prepare('DELETE FROM receipts WHERE seq > ?').run(head);
      })();
      const held = (db.prepare('SELECT count(*) AS n FROM appeals').get() as { n: number }).n;
      if (held !== size) throw new Error(`the cached SQLite ${n(size)} holds ${n(held)} appeals after the ingest was taken out`);
    } finally {
      db.close();
    }
    return;
  }
  const schema = /search_path%3D(\w+)/.exec(where.env.DATABASE_URL!)![1]!;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query('BEGIN');
    const cols = (await c.query<{ table_name: string; column_name: string }>('SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1', [schema])).rows;
    for (const { table_name: t, column_name: col } of cols) {
      const k = t === 'appeals' && col === 'id' ? 'id' : byColumn(col);
      if (k) await c.query(`DELETE FROM ${schema}.${t} WHERE ${k} = ANY($1)`, [[...ids]]);
    }
    await c.query(`DELETE FROM ${schema}.updates WHERE seq > $1`, [head]);
    await c.query(`DELETE FROM ${schema}.receipts WHERE seq > $1`, [head]);
    const held = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.appeals`)).rows[0]!.n);
    if (held !== size) throw new Error(`the cached PostgreSQL ${n(size)} holds ${n(held)} appeals after the ingest was taken out`);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await c.end();
  }
}

/** A device's first sync at the protocol level: hello at cursor 0, until the last page; bytes down and time. */
async function catchUp(url: string, token: string): Promise<{ bytes: number; ms: number; docs: number }> {
  const ws = new WebSocket(url.replace('http', 'ws') + '/sync');
  ws.binaryType = 'arraybuffer';
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const t = performance.now();
  let bytes = 0;
  const docs = new Set<string>();
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (d: ArrayBuffer) => {
      bytes += d.byteLength;
      const m = decodeServerFrame(new Uint8Array(d));
      if (m.t === 'error') reject(new Error(`catch-up: ${JSON.stringify(m)}`));
      if (m.t !== 'changes') return;
      for (const it of m.items) docs.add(it.docId);
      if (!m.more) resolve();
    });
    ws.send(encodeFrame({ t: 'hello', token, deviceId: newId(), cursor: 0 } satisfies ClientMessage));
  });
  const ms = performance.now() - t;
  ws.close();
  return { bytes, ms, docs: docs.size };
}

const best = async <T>(times: number, f: () => Promise<T>, key: (x: T) => number): Promise<T> => {
  let out: T | null = null;
  for (let i = 0; i < times; i++) {
    const r = await f();
    if (out === null || key(r) < key(out)) out = r;
  }
  return out!;
};

// The last complete month and week: early in a month, "this month" holds a day or two.
const lastMonth = cstDate(cstDay(monthOf(Date.now()).from) - 1);
const lastWeek = cstDate(cstDay(weekOf(Date.now()).from) - 1);
const REPORTS = [
  { key: 'rankMonth', report: 'ranking', query: `by=county&period=month&at=${lastMonth}`, what: 'ranking by county, last complete month' },
  { key: 'rankTowns', report: 'ranking', query: `by=town&period=week&at=${lastWeek}`, what: 'ranking by town (all towns), last complete week' },
  { key: 'redBlack', report: 'redblack', query: `by=county&period=week&history=6&at=${lastWeek}`, what: 'red/black lists, last complete week and 5 before' },
  { key: 'trends', report: 'trends', query: 'weeks=12', what: 'trends, 12 weeks, with forecasts' },
] as const;

interface AtSize {
  size: number;
  reports: Record<(typeof REPORTS)[number]['key'], number>;
  town: { bytes: number; ms: number; docs: number };
  ingest: number;
}

// Without the deadline scanner and the weekly report job: they would run during the timings.
const QUIET = { MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REPORT_INTERVAL_MS: '0' };
const serverEnv = (where: Where) => ({ ...where.env, MINSHENG_REGION: CITY, ...QUIET });

/** Reports, the town's catch-up and ingest on one cached store. */
async function measureAt(where: Where, size: number): Promise<AtSize> {
  const { clients, head } = await ingestClients(where);
  const server = await spawnServer(serverEnv(where));
  let ingested: string[] = [];
  try {
    const asRunning = { url: server.url } as Parameters<typeof login>[0];
    const city = await login(asRunning, 'city');
    const ask = async (report: string, query: string) => {
      const t = performance.now();
      const res = await fetch(`${server.url}/api/reports/${report}?${query}`, { headers: { authorization: `Bearer ${city.token}` } });
      if (!res.ok) throw new Error(`${report}?${query}: ${res.status} ${await res.text()}`);
      await res.json();
      return performance.now() - t;
    };
    const reports = {} as AtSize['reports'];
    for (const r of REPORTS) reports[r.key] = await best(3, () => ask(r.report, r.query), (x) => x);
    const town = await login(asRunning, 'town');
    const caught = await best(2, () => catchUp(server.url, town.token), (x) => x.ms);
    if (caught.docs !== TOWN_APPEALS) throw new Error(`the town's device caught up ${caught.docs} appeals, not ${TOWN_APPEALS}`);
    const { perSecond, docIds } = await ingest(server, clients);
    ingested = docIds;
    log(`${where.backend} ${n(size)}: ${REPORTS.map((r) => `${r.report} ${reports[r.key].toFixed(0)} ms`).join(', ')}; town catch-up ${(caught.bytes / 1024).toFixed(0)} KiB in ${caught.ms.toFixed(0)} ms; ingest ${perSecond.toFixed(0)}/s`);
    return { size, reports, town: caught, ingest: perSecond };
  } finally {
    await server.stop();
    if (ingested.length > 0) await forget(where, ingested, head, size);
  }
}

/** Ingest into an empty city store (divisions and demo users only), fresh. */
async function ingestEmpty(backend: Backend['name']): Promise<number> {
  let where: Where;
  let drop = async () => {};
  if (backend === 'SQLite') {
    const dir = tempDir('bench-scale-empty-');
    where = sqliteWhere(dir);
    drop = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const schema = `scale_empty_${process.pid}`;
    await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pgQuery(`CREATE SCHEMA ${schema}`);
    where = pgWhere(pgUrl(schema));
    drop = async () => void (await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  }
  try {
    const store = await where.open();
    await ensureSeeded(store, CITY);
    await store.close();
    const { clients } = await ingestClients(where);
    const server = await spawnServer(serverEnv(where));
    try {
      return (await ingest(server, clients)).perSecond;
    } finally {
      await server.stop();
    }
  } finally {
    await drop();
  }
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
const PERIOD_MS = 10_000;
const RUN_MS = Number(process.env.MINSHENG_SCALE_PHONES_MS ?? 30_000);
/** A push not acked this long after the run is counted as lost (and the run still ends). */
const GRACE_MS = 30_000;

/** PHONES grid workers on one fresh instance, each pushing a comment every 10 s (server-load.ts's figure 5, ten times the phones). */
async function phones(backend: Backend) {
  const t0 = performance.now();
  const { env, clients } = await prepare(backend, PHONES + 1);
  log(`${backend.name}: ${n(PHONES)} phones' accounts in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const server = await spawnServer({ ...env, ...QUIET });
  const conns: Conn[] = [];
  try {
    const pid = server.child.pid!;
    const idleRss = rssOf(pid);
    const soloMs = await soloPushMs(server.url, clients[PHONES]!);

    const docs = clients.slice(0, PHONES).map((c, i) => appealUpdates(1, c, 1000 + i)[0]!);
    let rssAtTenth = 0;
    const t1 = performance.now();
    for (let i = 0; i < PHONES; i += 50) {
      conns.push(...(await Promise.all(clients.slice(i, Math.min(i + 50, PHONES)).map((c) => connect(server.url, c.token)))));
      if (conns.length === PHONES / 10) rssAtTenth = rssOf(pid);
    }
    const connectedRss = rssOf(pid);
    log(`${backend.name}: ${n(conns.length)} phones connected in ${((performance.now() - t1) / 1000).toFixed(0)} s; server RSS ${(idleRss / 2 ** 20).toFixed(0)} MiB idle, ${(rssAtTenth / 2 ** 20).toFixed(0)} MiB at ${n(PHONES / 10)}, ${(connectedRss / 2 ** 20).toFixed(0)} MiB at ${n(PHONES)}`);
    const latencies: number[] = [];
    let lost = 0;
    let closed = 0;
    /** Why pushes were refused or their sockets closed, with how many of each. */
    const refusals = new Map<string, number>();
    let peakRss = rssOf(pid);
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssOf(pid))), 500);
    const end = performance.now() + RUN_MS;
    const { appendEvent } = await import('../src/core/doc');
    const Y = await import('yjs');
    // Each phone's first push records its appeal, each next one comments on it; the phones are
    // spread over the period, so ten thousand first pushes do not all come at once.
    await Promise.all(
      conns.map(async (conn, i) => {
        const { doc, docId, update } = docs[i]!;
        await new Promise((r) => setTimeout(r, (i / PHONES) * PERIOD_MS));
        for (let k = 1; performance.now() < end; k++) {
          let bytes = update;
          if (k > 1) {
            const sv = Y.encodeStateVector(doc);
            const { user } = clients[i]!;
            appendEvent(doc, { id: newId(), type: 'commented', note: `巡查记录 ${k}`, actor: user.id, role: user.role, by: user.displayName, at: Date.now() });
            bytes = Y.encodeStateAsUpdate(doc, sv);
          }
          const t = performance.now();
          let timer: ReturnType<typeof setTimeout> | undefined;
          const outcome = await Promise.race([
            push(conn, k, [{ docId, update: bytes, seq: k }]).then(
              () => 'acked' as const,
              (err: unknown) => {
                const why = err instanceof Error ? err.message : String(err);
                refusals.set(why, (refusals.get(why) ?? 0) + 1);
                return 'closed' as const;
              },
            ),
            new Promise<'lost'>((r) => (timer = setTimeout(() => r('lost'), Math.max(0, end + GRACE_MS - t)))),
          ]);
          clearTimeout(timer);
          if (outcome === 'closed') closed++;
          if (outcome === 'lost') lost++;
          if (outcome !== 'acked') return;
          latencies.push(performance.now() - t);
          await new Promise((r) => setTimeout(r, PERIOD_MS - (performance.now() - t)));
        }
      }),
    );
    clearInterval(sampler);
    log(`${backend.name}: ${n(PHONES)} phones: ${n(latencies.length)} acked, ack p50 ${quantile(latencies, 0.5).toFixed(0)} ms, p99 ${quantile(latencies, 0.99).toFixed(0)} ms; ${n(lost)} unanswered, ${n(closed)} closed; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
    for (const [why, count] of refusals) log(`${backend.name}: ${n(count)} pushes refused: ${why}`);
    return { latencies, lost, closed, soloMs, idleRss, rssAtTenth, connectedRss, peakRss };
  } finally {
    for (const c of conns) c.ws.terminate();
    await server.stop();
  }
}

export async function scale(): Promise<BenchRow[]> {
  const pgUp = await pgReachable();
  if (!pgUp) console.warn(`scale: PostgreSQL not reachable at ${PG_URL}: SQLite only`);
  log(`sizes ${SIZES.map(n).join(', ')}${pgUp ? `; PostgreSQL ${PG_SIZES.map(n).join(', ')}` : ''}; cache ${CACHE}`);
  const rows: BenchRow[] = [];
  const backends: { name: Backend['name']; sizes: number[]; where: (size: number) => Promise<{ where: Where; meta: StoreMeta; buildMs: number }> }[] = [
    { name: 'SQLite', sizes: SIZES, where: async (size) => { const s = await sqliteStore(size); return { where: sqliteWhere(s.dir), meta: s.meta, buildMs: s.meta.buildMs }; } },
  ];
  if (pgUp) backends.push({ name: 'PostgreSQL', sizes: PG_SIZES, where: async (size) => { const s = await pgStore(size); return { where: pgWhere(s.url), meta: s.meta, buildMs: s.meta.migrateMs }; } });
  const phoneRows: BenchRow[] = [];
  // The phones first: on fresh stores, they need none of the cached ones.
  if (PHONES > 0) {
    for (const backend of pgUp ? [SQLITE, POSTGRES] : [SQLITE]) {
      const p = await phones(backend);
      const on = backend.name;
      const kib = (b: number) => b / 1024;
      phoneRows.push(
        { figure: `${n(PHONES)} phones on one ${on} instance, push every 10 s: ack p99 (${n(p.latencies.length)} acked in ${RUN_MS / 1000} s; ${n(p.lost)} unanswered ${GRACE_MS / 1000} s after, ${n(p.closed)} refused or their sockets closed by the server)`, minsheng: quantile(p.latencies, 0.99), comparison: 250, against: 'issue 32 target', kind: 'target', unit: 'ms' },
        { figure: '   ack p50', minsheng: quantile(p.latencies, 0.5), comparison: quantile(p.soloMs, 0.5), against: 'one client alone on the server, p50', kind: 'peer', unit: 'ms' },
        { figure: `   server RSS per connection, ${n(PHONES)} connected`, minsheng: kib((p.connectedRss - p.idleRss) / PHONES), comparison: kib((p.rssAtTenth - p.idleRss) / (PHONES / 10)), against: `the same at ${n(PHONES / 10)} connected`, kind: 'peer', unit: 'KiB' },
        { figure: '   server RSS per connection, peak while pushing', minsheng: kib((p.peakRss - p.idleRss) / PHONES), comparison: kib((p.connectedRss - p.idleRss) / PHONES), against: `connected, before pushing`, kind: 'peer', unit: 'KiB' },
        { figure: '   server RSS, peak', minsheng: p.peakRss / 2 ** 20, comparison: p.idleRss / 2 ** 20, against: 'the same server idle', kind: 'peer', unit: 'MiB' },
      );
    }
  }
  // Every store first, so a build that fails fails before anything is measured.
  const built = new Map<string, { where: Where; meta: StoreMeta; buildMs: number }>();
  for (const b of backends) for (const size of b.sizes) built.set(`${b.name} ${size}`, await b.where(size));

  for (const b of backends) {
    if (b.sizes.length === 0) continue;
    const empty = await ingestEmpty(b.name);
    log(`${b.name}: ingest into an empty store ${empty.toFixed(0)}/s`);
    const at: AtSize[] = [];
    for (const size of b.sizes) at.push(await measureAt(built.get(`${b.name} ${size}`)!.where, size));
    const base = at[0]!;
    const label = (i: number, what: string) => (i === 0 ? `${b.name}, ${what}: ${n(at[i]!.size)}` : `   ${n(at[i]!.size)}`);
    for (const r of REPORTS) at.forEach((a, i) => rows.push({ figure: label(i, `city dispatcher's ${r.what}`), minsheng: a.reports[r.key], comparison: 1000, against: 'one second, a dashboard refresh (issue 32)', kind: 'target', unit: 'ms' }));
    const sameTown = `the same town's ${n(TOWN_APPEALS)} appeals with ${n(base.size)} in the store (target ≤ 1.2×)`;
    at.forEach((a, i) => rows.push({ figure: label(i, `a town's catch-up from zero, bytes down`), minsheng: a.town.bytes / 1024, comparison: base.town.bytes / 1024, against: sameTown, kind: 'peer', unit: 'KiB' }));
    at.forEach((a, i) => rows.push({ figure: label(i, `a town's catch-up from zero, time (loopback)`), minsheng: a.town.ms, comparison: base.town.ms, against: sameTown, kind: 'peer', unit: 'ms' }));
    at.forEach((a, i) => rows.push({ figure: label(i, `ingest, ${INGEST_CLIENTS} clients, batches of ${BATCH}`), minsheng: a.ingest, comparison: empty, against: 'the same into an empty store, this run (target ≥ 0.8×)', kind: 'peer', unit: 'appeals/s' }));
    b.sizes.forEach((size, i) => {
      const { buildMs } = built.get(`${b.name} ${size}`)!;
      const first = built.get(`${b.name} ${b.sizes[0]}`)!.buildMs;
      const what = b.name === 'SQLite' ? 'store build, writing the appeals from empty' : 'store build, migrated from SQLite';
      rows.push({ figure: label(i, what), minsheng: buildMs / 1000, comparison: ((first / 1000) * size) / b.sizes[0]!, against: `the ${n(b.sizes[0]!)} store's, scaled linearly`, kind: 'reference', unit: 's' });
    });
  }

  rows.push(...phoneRows);
  return rows;
}

export const internals = { sqliteStore, pgStore, writeAppeals, cast, phones, CITY };
