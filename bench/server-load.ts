import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { appendEvent, writeNewAppeal } from '../src/core/doc';
import { newId } from '../src/core/id';
import { decodeServerFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../src/core/protocol';
import type { Region } from '../src/core/regions';
import type { SessionUser } from '../src/core/roles';
import pg from 'pg';
import { openPgStore } from '../server/store/postgres';
import { openSqliteStore } from '../server/store/sqlite';
import type { Store } from '../server/store/types';
import { ensureSeeded } from '../server/services/seed';
import { createTokenService } from '../server/services/tokens';
import { PG_URL, spawnServer, tempDir } from '../tests/helpers/server';
import { generateAppeals } from './generate';
import type { BenchRow } from './table';

// Figures 4–5: the server in its own process on this 2-core machine, driven over real
// sockets, on SQLite and then on PostgreSQL (where one answers). 4: durable ingest (acked
// after COMMIT) beside the bare database doing the same commits. 5: a thousand phones
// connected at once, each pushing every 10 s.

const INGEST = 5000;
const CLIENTS_4 = 10;
const BATCH = 20;
const CLIENTS_5 = 1000;
const PERIOD_MS = 10_000;
const RUN_MS = 30_000;

export interface Conn {
  ws: WebSocket;
  next(pred: (m: ServerMessage) => boolean): Promise<ServerMessage>;
}

export async function connect(url: string, token: string): Promise<Conn> {
  const ws = new WebSocket(url.replace('http', 'ws') + '/sync');
  ws.binaryType = 'arraybuffer';
  const waiting: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  ws.on('message', (d: ArrayBuffer) => {
    const m = decodeServerFrame(new Uint8Array(d));
    const i = waiting.findIndex((w) => w.pred(m));
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(m);
  });
  // A socket the server closed answers whatever waits on it with an error (push then throws).
  ws.on('close', () => {
    for (const w of waiting.splice(0)) w.resolve({ t: 'error', code: 'server_error', message: 'socket closed' });
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const conn: Conn = { ws, next: (pred) => new Promise((resolve) => waiting.push({ pred, resolve })) };
  const caughtUp = conn.next((m) => m.t === 'changes' && !m.more);
  ws.send(encodeFrame({ t: 'hello', token, deviceId: newId(), cursor: 0 } satisfies ClientMessage));
  await caughtUp;
  return conn;
}

export async function push(conn: Conn, batch: number, items: { docId: string; update: Uint8Array; seq: number }[]): Promise<void> {
  // A refused batch ends the run loudly rather than leaving it waiting for an ack that never comes.
  const ack = conn.next((m) => (m.t === 'ack' && m.batch === batch) || m.t === 'error');
  conn.ws.send(encodeFrame({ t: 'push', batch, items }));
  const m = await ack;
  if (m.t === 'error') throw new Error(`push refused: ${m.code} ${m.message}`);
  if (m.t === 'ack' && m.rejected.length > 0) throw new Error(`rejected: ${m.rejected[0]!.reason} ${m.rejected[0]!.detail}`);
}

/** New-appeal updates by a client, in its village. */
export function appealUpdates(count: number, { user, village }: Client, seed: number) {
  return generateAppeals(count, [village], seed).map((input) => {
    const doc = new Y.Doc();
    writeNewAppeal(doc, { ...input, citizen: { anonymous: true } }, { id: user.id, role: user.role, name: user.displayName }, Date.now(), newId());
    const out = { docId: newId(), doc, update: Y.encodeStateAsUpdate(doc) };
    return out;
  });
}

/** Each connection pushes its own updates in batches of `batch`, one batch in flight each. */
export async function pushInBatches(conns: Conn[], updates: { docId: string; update: Uint8Array }[][], batch: number): Promise<void> {
  await Promise.all(
    conns.map(async (conn, c) => {
      const mine = updates[c]!;
      for (let b = 0; b * batch < mine.length; b++) {
        const items = mine.slice(b * batch, (b + 1) * batch).map((u, j) => ({ docId: u.docId, update: u.update, seq: b * batch + j + 1 }));
        await push(conn, b + 1, items);
      }
    }),
  );
}

/** One client alone on the server: twenty pushes' round trips, the first (warming up) left out. */
export async function soloPushMs(url: string, client: Client): Promise<number[]> {
  const solo = await connect(url, client.token);
  const ms: number[] = [];
  for (const [i, d] of appealUpdates(21, client, 6).entries()) {
    const t = performance.now();
    await push(solo, i + 1, [{ docId: d.docId, update: d.update, seq: i + 1 }]);
    if (i > 0) ms.push(performance.now() - t);
  }
  solo.ws.close();
  return ms;
}

/** 0 once the process has exited (its status then has no VmRSS). */
export function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used; 0 once it is gone. */
function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by every PostgreSQL process on this machine (the database is local). */
function postgresCpu(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) total += cpuOf(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

export interface Client {
  token: string;
  user: SessionUser;
  village: Region;
}

/**
 * A data directory with the demo county and `count` grid workers, one per village in turn
 * (a county's phones are spread out, so each commit fans out to few others). Their
 * sessions are opened directly: a thousand logins would spend minutes in scrypt, which is
 * not what this measures.
 */
export interface Backend {
  name: 'SQLite' | 'PostgreSQL';
  /** A fresh, empty store, and the server environment that reaches it. */
  open(): Promise<{ store: Store; env: Record<string, string> }>;
}

export const SQLITE: Backend = {
  name: 'SQLite',
  open: async () => {
    const dir = tempDir('bench-load-');
    return { store: openSqliteStore(dir), env: { MINSHENG_DATA_DIR: dir } };
  },
};

export const POSTGRES: Backend = {
  name: 'PostgreSQL',
  open: async () => {
    const schema = `bench_${process.pid}_${Date.now() % 1_000_000}`;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.end();
    const url = `${PG_URL}?options=-c%20search_path%3D${schema}`;
    return { store: await openPgStore(url), env: { DATABASE_URL: url, MINSHENG_DATA_DIR: tempDir('bench-load-') } };
  },
};

async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function prepare(backend: Backend, count: number): Promise<{ env: Record<string, string>; clients: Client[] }> {
  const { store, env } = await backend.open();
  await ensureSeeded(store, '371324');
  const villages = (await store.regionsUnder(['371324'])).filter((r) => r.level === 'village');
  const service = createTokenService(store, { accessMinutes: 60, sessionDays: 1 });
  const clients: Client[] = [];
  for (let i = 0; i < count; i++) {
    const village = villages[i % villages.length]!;
    const user: SessionUser = { id: newId(), username: `load${i}`, displayName: `网格员${i}`, role: 'grid_worker', scope: { regions: [village.code], departments: [] } };
    await store.insertUser({ ...user, passwordHash: 'unused' }, Date.now());
    clients.push({ token: (await service.open((await store.userById(user.id))!)).token, user, village });
  }
  await store.close();
  return { env, clients };
}

/** Bare PostgreSQL, default durability: `txs` commits of `rows` rows of `bytes` each. */
async function barePostgres(txs: number, rows: number, bytes: number): Promise<number> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  const table = `bare_${process.pid}`;
  await c.query(`CREATE TEMP TABLE ${table} (seq BIGSERIAL PRIMARY KEY, doc TEXT NOT NULL, bytes BYTEA NOT NULL)`);
  const blob = Buffer.alloc(bytes, 7);
  const t = performance.now();
  for (let i = 0; i < txs; i++) {
    await c.query('BEGIN');
    for (let j = 0; j < rows; j++) await c.query(`INSERT INTO ${table} (doc, bytes) VALUES ($1, $2)`, [newId(), blob]);
    await c.query('COMMIT');
  }
  const ms = performance.now() - t;
  await c.end();
  return (txs * rows) / (ms / 1000);
}

/** Bare SQLite, same settings as the store: `txs` commits of `rows` rows of `bytes` each. */
function bareSqlite(txs: number, rows: number, bytes: number): number {
  const db = new Database(path.join(tempDir('bench-bare-'), 'bare.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL, bytes BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO t (doc, bytes) VALUES (?, ?)');
  const blob = Buffer.alloc(bytes, 7);
  const t = performance.now();
  for (let i = 0; i < txs; i++) db.transaction(() => { for (let j = 0; j < rows; j++) insert.run(newId(), blob); })();
  const ms = performance.now() - t;
  db.close();
  return (txs * rows) / (ms / 1000);
}

export async function serverLoad(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const backends = (await pgReachable()) ? [SQLITE, POSTGRES] : [SQLITE];
  if (backends.length === 1) console.warn(`PostgreSQL not reachable at ${PG_URL}: figures 4–5 on SQLite only`);
  const sqliteIngest: number[] = [];
  const sqliteAcks: number[][] = [];
  for (const backend of backends) {
    const mine = await loadOn(backend, sqliteIngest, sqliteAcks);
    // Printed as they come too: a run that fails on the second store keeps the first's figures.
    for (const r of mine) console.log(`${r.figure}: ${r.minsheng.toFixed(2)} ${r.unit} (${r.against}: ${r.comparison.toFixed(2)})`);
    rows.push(...mine);
  }
  return rows;
}

/** Figures 4 and 5 on one store; PostgreSQL's are also put beside SQLite's from the same run. */
async function loadOn(backend: Backend, sqliteIngest: number[], sqliteAcks: number[][]): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const on = backend.name;

  // 4. Ingest: 10 clients push 5,000 new appeals in batches of 20, one batch in flight each.
  {
    const { env, clients } = await prepare(backend, CLIENTS_4);
    const server = await spawnServer({ ...env, MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' });
    try {
      const updates = clients.map((c, i) => appealUpdates(INGEST / CLIENTS_4, c, 40 + i));
      const meanBytes = updates.flat().reduce((n, u) => n + u.update.byteLength, 0) / INGEST;
      const conns = await Promise.all(clients.map((c) => connect(server.url, c.token)));
      const t = performance.now();
      const cpu0 = { server: cpuOf(server.child.pid!), pg: postgresCpu() };
      await pushInBatches(conns, updates, BATCH);
      const perSecond = INGEST / ((performance.now() - t) / 1000);
      // Where the time went: CPU of the server process and of PostgreSQL (all of it, this machine's), per appeal.
      const perAppeal = (s: number) => `${((s * 1000) / INGEST).toFixed(2)} ms`;
      console.log(`4. ingest on ${on}: server CPU ${perAppeal(cpuOf(server.child.pid!) - cpu0.server)} per appeal, PostgreSQL CPU ${perAppeal(postgresCpu() - cpu0.pg)} per appeal, wall ${perAppeal(INGEST / perSecond)} per appeal`);
      for (const c of conns) c.ws.close();
      if (on === 'SQLite') {
        sqliteIngest.push(perSecond);
        rows.push({ figure: `4. durable ingest, ${CLIENTS_4} clients → SQLite`, minsheng: perSecond, comparison: bareSqlite(INGEST / BATCH, BATCH, Math.round(meanBytes)), against: 'bare SQLite inserts, same commits, synchronous=FULL', kind: 'peer', unit: 'appeals/s' });
      } else {
        rows.push(
          { figure: `4. durable ingest, ${CLIENTS_4} clients → PostgreSQL`, minsheng: perSecond, comparison: await barePostgres(INGEST / BATCH, BATCH, Math.round(meanBytes)), against: 'bare PostgreSQL inserts, same commits', kind: 'peer', unit: 'appeals/s' },
          ...(sqliteIngest[0] ? [{ figure: '   same', minsheng: perSecond, comparison: sqliteIngest[0], against: 'the same server on SQLite, this run', kind: 'peer' as const, unit: 'appeals/s' }] : []),
        );
      }
    } finally {
      await server.stop();
    }
  }

  // 5. A thousand phones: each records an appeal, then adds a comment every 10 s.
  {
    const p = await thousandPhones(backend, 1);
    const mb = (n: number) => n / 1024 / 1024;
    rows.push(
      { figure: `5. ${CLIENTS_5} clients on ${on}, push every 10 s: ack p50`, minsheng: quantile(p.latencies, 0.5), comparison: quantile(p.soloMs, 0.5), against: 'one client alone on the server, p50', kind: 'peer', unit: 'ms' },
      { figure: `   ack p99 (${p.latencies.length} pushes in ${RUN_MS / 1000} s${p.refused > 0 ? `, ${p.refused} refused` : ''})`, minsheng: quantile(p.latencies, 0.99), comparison: quantile(p.soloMs, 0.99), against: 'one client alone, p99', kind: 'peer', unit: 'ms' },
    );
    if (on === 'SQLite') sqliteAcks.push(p.latencies);
    else {
      rows.push({ figure: '   ack p99', minsheng: quantile(p.latencies, 0.99), comparison: 30, against: 'issue 32 target', kind: 'target', unit: 'ms' });
      if (sqliteAcks[0])
        rows.push(
          { figure: '   ack p50', minsheng: quantile(p.latencies, 0.5), comparison: quantile(sqliteAcks[0], 0.5), against: 'the same on SQLite, this run', kind: 'peer', unit: 'ms' },
          { figure: '   ack p99', minsheng: quantile(p.latencies, 0.99), comparison: quantile(sqliteAcks[0], 0.99), against: 'the same on SQLite, this run', kind: 'peer', unit: 'ms' },
        );
    }
    rows.push({ figure: '   server RSS, peak', minsheng: mb(p.peakRss), comparison: mb(p.idleRss), against: 'the same server idle', kind: 'peer', unit: 'MiB' });
    // 5b. The same phones spread over three instances on one database (PostgreSQL only: it is
    // what scale-out runs on), all sharing this machine's two cores with the database.
    if (on === 'PostgreSQL') {
      const three = await thousandPhones(backend, 3);
      rows.push(
        { figure: `5b. ${CLIENTS_5} clients over 3 instances on one PostgreSQL: ack p99 (${three.latencies.length} pushes${three.refused > 0 ? `, ${three.refused} refused` : ''})`, minsheng: quantile(three.latencies, 0.99), comparison: 30, against: 'issue 32 target', kind: 'target', unit: 'ms' },
        { figure: '   ack p99', minsheng: quantile(three.latencies, 0.99), comparison: quantile(p.latencies, 0.99), against: 'the same phones on one instance, this run', kind: 'peer', unit: 'ms' },
        { figure: '   ack p50', minsheng: quantile(three.latencies, 0.5), comparison: quantile(p.latencies, 0.5), against: 'the same phones on one instance, this run', kind: 'peer', unit: 'ms' },
      );
    }
  }
  return rows;
}

/**
 * Figure 5's phones on `instances` servers sharing one store (each phone on instance i mod n):
 * each records an appeal, then adds a comment every 10 s for RUN_MS.
 */
async function thousandPhones(backend: Backend, instances: number) {
  const { env, clients } = await prepare(backend, CLIENTS_5 + 1);
  const quiet = { MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' };
  const servers = [await spawnServer({ ...env, ...quiet })];
  try {
    // Each further instance with its own data directory, as separate machines would have.
    servers.push(...(await Promise.all(Array.from({ length: instances - 1 }, () => spawnServer({ ...env, ...quiet, MINSHENG_DATA_DIR: tempDir('bench-load-') })))));
    const pids = servers.map((s) => s.child.pid!);
    const rss = () => pids.reduce((sum, pid) => sum + rssOf(pid), 0);
    const idleRss = rss();
    // Alone on the server: the round trip a push costs with nothing else going on.
    const soloMs = await soloPushMs(servers[0]!.url, clients[CLIENTS_5]!);

    const docs = clients.slice(0, CLIENTS_5).map((c, i) => appealUpdates(1, c, 1000 + i)[0]!);
    const conns: Conn[] = [];
    for (let i = 0; i < CLIENTS_5; i += 50) conns.push(...(await Promise.all(clients.slice(i, Math.min(i + 50, CLIENTS_5)).map((c, j) => connect(servers[(i + j) % instances]!.url, c.token)))));
    // Each phone's first appeal, fifty at a time as they connected: the burst is not what is measured.
    for (let i = 0; i < CLIENTS_5; i += 50) await Promise.all(conns.slice(i, i + 50).map((c, j) => push(c, 1, [{ docId: docs[i + j]!.docId, update: docs[i + j]!.update, seq: 1 }])));
    const latencies: number[] = [];
    // A refusal (the store busy) is counted, and the phone tries again at its next period, as phones do.
    let refused = 0;
    let peakRss = rss();
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rss())), 500);
    const end = performance.now() + RUN_MS;
    await Promise.all(
      conns.map(async (conn, i) => {
        const { doc } = docs[i]!;
        // Spread over the period, as phones are.
        await new Promise((r) => setTimeout(r, (i / CLIENTS_5) * PERIOD_MS));
        for (let n = 2; performance.now() < end; n++) {
          const sv = Y.encodeStateVector(doc);
          const { user } = clients[i]!;
          appendEvent(doc, { id: newId(), type: 'commented', note: `巡查记录 ${n}`, actor: user.id, role: user.role, by: user.displayName, at: Date.now() });
          const t = performance.now();
          try {
            await push(conn, n, [{ docId: docs[i]!.docId, update: Y.encodeStateAsUpdate(doc, sv), seq: n }]);
            latencies.push(performance.now() - t);
          } catch {
            refused++;
            if (conn.ws.readyState !== conn.ws.OPEN) return;
          }
          await new Promise((r) => setTimeout(r, PERIOD_MS - (performance.now() - t)));
        }
      }),
    );
    clearInterval(sampler);
    for (const s of servers) if (s.child.exitCode !== null || s.child.signalCode !== null) throw new Error(`a server on ${backend.name} exited during figure 5:\n${s.output().slice(-3000)}`);
    for (const c of conns) c.ws.close();
    return { latencies, refused, soloMs, idleRss, peakRss };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
