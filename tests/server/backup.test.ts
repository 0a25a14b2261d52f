import 'fake-indexeddb/auto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { casPath, DB_FILE, listBackups, loadBackupConfig, verifyBackup } from '../../server/backup/sqlite';
import type { Region } from '../../src/core/regions';
import type { SessionUser } from '../../src/core/roles';
import { act, recordAppeal } from '../../src/store/appeals';
import { openDb, type MinshengDB } from '../../src/store/db';
import { deviceId } from '../../src/store/meta';
import { createUploader } from '../../src/sync/uploads';
import { SyncEngine, type SyncStatus } from '../../src/sync/engine';
import { until } from '../helpers/clients';
import { PG_URL, spawnServer, tempDir, type ServerProcess } from '../helpers/server';

// A backup taken by `npm run backup` while a phone keeps pushing verifies; damage to it is
// caught; `npm run restore` brings it back into a new data directory, a server starts on it,
// and the phone that went on working puts back what it still holds.

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const cli = (script: string, args: string[], env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', `server/bin/${script}.ts`, ...args], { cwd: ROOT, env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
  );

async function post<T>(url: string, body: object, token?: string): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface Phone {
  db: MinshengDB;
  engine: SyncEngine;
  status: () => SyncStatus;
  who: SessionUser;
  token: string;
  village: string;
  record(n: number): Promise<string>;
  settled(): Promise<void>;
}

async function phone(url: string, username: string, password: string): Promise<Phone> {
  const auth = await post<{ token: string; user: SessionUser }>(`${url}/api/login`, { username, password });
  const { regions } = (await (await fetch(`${url}/api/regions`, { headers: { authorization: `Bearer ${auth.token}` } })).json()) as { regions: Region[] };
  const db = openDb(`backup-${Date.now()}-${Math.random()}`);
  await db.regions.bulkPut(regions);
  let status!: SyncStatus;
  const engine = new SyncEngine({ db, url: `${url.replace('http', 'ws')}/sync`, token: auth.token, deviceId: await deviceId(db), WebSocketImpl: (await import('ws')).default as never, retryBaseMs: 50 });
  engine.subscribe((s) => (status = s));
  engine.start();
  const village = auth.user.scope.regions[0]!.padEnd(12, '0').slice(0, 12);
  return {
    db,
    engine,
    status: () => status,
    who: auth.user,
    token: auth.token,
    village,
    async record(n) {
      const r = await recordAppeal(db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'yellow', villageCode: village, description: `第${n}件：村道坑洼`, citizen: { anonymous: true } }, auth.user);
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      engine.kick();
      return r.value.id;
    },
    settled: () => until(async () => status.link === 'online' && status.catchUp === null && (await db.outbox.count()) === 0, 30_000, 'phone settled'),
  };
}

function appealIds(dataDir: string): Set<string> {
  const db = new Database(path.join(dataDir, DB_FILE), { readonly: true });
  try {
    return new Set((db.prepare('SELECT id FROM appeals').all() as { id: string }[]).map((r) => r.id));
  } finally {
    db.close();
  }
}

const servers: ServerProcess[] = [];
const phones: Phone[] = [];
afterAll(async () => {
  for (const p of phones) {
    p.engine.stop();
    p.db.close();
  }
  for (const s of servers) await s.stop();
});

describe('backups and restore (SQLite)', () => {
  it('backs up under continuous pushes, catches damage, restores into a new data directory, and the phone puts back what it still holds', { timeout: 240_000 }, async () => {
    const dataDir = tempDir('minsheng-bk-data-');
    const backupDir = tempDir('minsheng-bk-root-');
    const env = (dir: string, port = '0') => ({ MINSHENG_DATA_DIR: dir, MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_ACCESS_MINUTES: '600', PORT: port });
    let server = await spawnServer(env(dataDir));
    servers.push(server);
    const port = String(server.port);

    const admin = await post<{ token: string }>(`${server.url}/api/login`, { username: 'admin', password: 'demo1234' });
    const town = await post<{ token: string }>(`${server.url}/api/login`, { username: 'town', password: 'demo1234' });
    const { regions } = (await (await fetch(`${server.url}/api/regions`, { headers: { authorization: `Bearer ${town.token}` } })).json()) as { regions: Region[] };
    const village = regions.find((r) => r.level === 'village')!;
    await post(`${server.url}/api/admin/users`, { username: 'bk0', displayName: '网格员', role: 'grid_worker', password: 'backup-pass-123', regions: [village.code], departments: [] }, admin.token);
    await post(`${server.url}/api/admin/users`, { username: 'bk1', displayName: '网格员二', role: 'grid_worker', password: 'backup-pass-123', regions: [village.code], departments: [] }, admin.token);
    const p = await phone(server.url, 'bk0', 'backup-pass-123');
    phones.push(p);
    const t = await phone(server.url, 'town', 'demo1234');
    phones.push(t);

    // An uploaded photo, so the backup carries files too.
    const photo = new Uint8Array(96).map((_, i) => (i < 3 ? [0xff, 0xd8, 0xff][i]! : i));
    const hash = createHash('sha256').update(photo).digest('hex');
    const put = await fetch(`${server.url}/api/uploads/${hash}?offset=0`, { method: 'PUT', headers: { authorization: `Bearer ${p.token}`, 'x-upload-type': 'image/jpeg', 'x-upload-size': String(photo.length), 'content-type': 'application/octet-stream' }, body: photo });
    expect(put.status).toBe(201);

    // Acked before the backup began: these must all come back.
    const before: string[] = [];
    for (let n = 0; n < 10; n++) before.push(await p.record(n));
    await p.settled();

    // The backup runs while the phone keeps pushing.
    const during: string[] = [];
    let pushing = true;
    const pusher = (async () => {
      for (let n = 100; pushing; n++) {
        during.push(await p.record(n));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const backupEnv = { MINSHENG_DATA_DIR: dataDir, MINSHENG_BACKUP_DIR: backupDir, MINSHENG_BACKUP_KEEP: '2' };
    const first = await cli('backup', [], backupEnv);
    pushing = false;
    await pusher;
    expect(first.out).toMatch(/^backup verified /m);
    expect(first.code).toBe(0);
    expect(during.length).toBeGreaterThan(0);
    await p.settled();

    const [name] = await listBackups(backupDir);
    const folder = path.join(backupDir, name!);
    const manifest = (await verifyBackup(folder)).manifest!;
    expect(manifest.files.map((f) => f.hash)).toEqual([hash]);
    const backedUp = new Set(Object.keys(manifest.documents.byDoc));
    for (const id of before) expect(backedUp.has(id)).toBe(true);

    // Damage: one byte of the database copy, then a missing file. Each is named.
    const dbCopy = path.join(folder, DB_FILE);
    const pristine = readFileSync(dbCopy);
    const bent = Buffer.from(pristine);
    bent[bent.length - 100] = bent[bent.length - 100]! ^ 0xff;
    writeFileSync(dbCopy, bent);
    const broken = await cli('restore', [folder, '--verify-only'], {});
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/database file .* differs from the manifest/);
    writeFileSync(dbCopy, pristine);
    // A copy that lost a document's changes but whose file hash was "fixed" up: the recount
    // and the state digests catch what the file hash no longer can.
    const manifestFile = path.join(folder, 'manifest.json');
    const manifestText = readFileSync(manifestFile, 'utf8');
    const edit = new Database(dbCopy);
    edit.prepare('DELETE FROM updates WHERE doc_id = ?').run(before[0]);
    edit.prepare('DELETE FROM snapshots WHERE doc_id = ?').run(before[0]);
    edit.prepare('DELETE FROM updates WHERE seq = (SELECT max(seq) FROM updates WHERE doc_id = ?)').run(before[1]);
    edit.close();
    const edited = readFileSync(dbCopy);
    const forged = JSON.parse(manifestText) as { database: { sha256: string; bytes: number } };
    forged.database = { ...forged.database, sha256: createHash('sha256').update(edited).digest('hex'), bytes: edited.length };
    writeFileSync(manifestFile, JSON.stringify(forged));
    const lost = (await verifyBackup(folder)).problems.join('\n');
    expect(lost).toMatch(/holds \d+ documents, the manifest lists \d+/);
    expect(lost).toMatch(new RegExp(`2 documents' states differ from the manifest \\(e\\.g\\. .*${before[1]}`));
    writeFileSync(dbCopy, pristine);
    writeFileSync(manifestFile, manifestText);
    expect((await verifyBackup(folder)).ok).toBe(true);
    const photoCopy = casPath(backupDir, hash);
    const photoBytes = readFileSync(photoCopy);
    rmSync(photoCopy);
    expect((await verifyBackup(folder)).problems.join('\n')).toMatch(/1 uploaded files missing and 0 damaged of 1 .*missing/);
    // A restore refuses a backup that does not verify, and writes nothing.
    const never = path.join(backupDir, '..', `never-${path.basename(backupDir)}`);
    const refused = await cli('restore', [folder, '--data-dir', never], {});
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/does not verify, nothing was restored/);
    expect(existsSync(never)).toBe(false);
    writeFileSync(photoCopy, photoBytes);
    expect((await verifyBackup(folder)).ok).toBe(true);

    // A second backup copies no file again (the shared folder has it) and retention keeps two.
    const second = await cli('backup', [], backupEnv);
    expect(second.out).toMatch(/1 files \(0 new\)/);
    expect(await cli('backup', [], backupEnv)).toMatchObject({ code: 0 });
    const kept = await listBackups(backupDir);
    expect(kept).toHaveLength(2);
    expect(kept).not.toContain(name);
    expect(existsSync(photoCopy)).toBe(true);
    const latest = path.join(backupDir, kept[1]!);
    const latestDocs = new Set(Object.keys((await verifyBackup(latest)).manifest!.documents.byDoc));

    // After the latest backup: appeals acked (and so gone from the outbox), one of them with
    // a photo and a later change, then the server goes down and the phone records two more offline.
    const ackedAfter = [await p.record(900), await p.record(903)];
    await p.settled();
    // The town takes one in: its change builds on the phone's, which the restored server will lack.
    await until(async () => (await t.db.appeals.get(ackedAfter[0]!)) !== undefined, 30_000, 'town has the appeal');
    expect(await act(t.db, ackedAfter[0]!, t.who, { type: 'accepted' })).toEqual({ ok: true });
    t.engine.kick();
    await t.settled();
    t.engine.stop();
    const shot = new Uint8Array(64).map((_, i) => (i < 3 ? [0xff, 0xd8, 0xff][i]! : 255 - i));
    const shotHash = createHash('sha256').update(shot).digest('hex');
    await p.db.files.put({ hash: shotHash, type: 'image/jpeg', size: shot.length, blob: new Blob([shot], { type: 'image/jpeg' }), pending: 1, sent: 0, createdAt: Date.now() });
    const uploads = (url: string) => createUploader(p.db, (rel, init = {}) => fetch(url + rel, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${p.token}` } }));
    await uploads(server.url).kick();
    expect((await p.db.files.get(shotHash))?.pending).toBe(0);
    p.engine.stop();
    await server.stop();
    const offline = [await p.record(901), await p.record(902)];

    // Restore into a new data directory: a non-empty one is refused without --force.
    const restoredDir = tempDir('minsheng-bk-restored-');
    writeFileSync(path.join(restoredDir, 'stray'), 'x');
    const notEmpty = await cli('restore', [latest, '--data-dir', restoredDir], {});
    expect(notEmpty.code).toBe(1);
    expect(notEmpty.out).toMatch(/is not empty .*--force/);
    rmSync(path.join(restoredDir, 'stray'));
    const restored = await cli('restore', [latest, '--data-dir', restoredDir], {});
    expect(restored.out).toMatch(/^restored and verified /m);
    expect(restored.code).toBe(0);
    expect(existsSync(casPath(restoredDir, hash))).toBe(true);

    expect(restored.out).toMatch(/new store identity [0-9a-f-]{36}/);
    expect(existsSync(casPath(restoredDir, shotHash))).toBe(false);

    server = await spawnServer(env(restoredDir, port));
    servers.push(server);
    const ids = appealIds(restoredDir);
    for (const id of [...before, ...during].filter((d) => latestDocs.has(d))) expect(ids.has(id)).toBe(true);
    for (const id of before) expect(ids.has(id)).toBe(true);
    for (const id of ackedAfter) expect(ids.has(id)).toBe(false);

    // Another worker records on the restored server first: its sequence runs again from the
    // backup's point, below the cursor the first phone holds.
    const q = await phone(server.url, 'bk1', 'backup-pass-123');
    phones.push(q);
    const meanwhile = [await q.record(950), await q.record(951)];
    await q.settled();

    // The town's phone comes back first. Its acceptance is sent again but cannot be placed
    // before the appeal it accepts is back: it waits, neither refused nor lost.
    t.engine.start();
    await until(async () => t.status().link === 'online' && (await t.db.outbox.filter((r) => r.deferred === 1).count()) === 1, 30_000, 'acceptance waits');
    expect(await t.db.quarantine.count()).toBe(0);

    // The phone comes back: it pushes its outbox, sends again what the server acknowledged
    // after the backup (its journal) with the photo, and catches up from the restore point.
    p.engine.start();
    await p.settled();
    expect((await p.db.files.get(shotHash))?.pending).toBe(1);
    await uploads(server.url).kick();
    expect((await p.db.files.get(shotHash))?.pending).toBe(0);
    const after = appealIds(restoredDir);
    for (const id of offline) expect(after.has(id)).toBe(true);
    for (const id of ackedAfter) expect(after.has(id)).toBe(true);
    expect(existsSync(casPath(restoredDir, shotHash))).toBe(true);
    for (const id of meanwhile) expect(await p.db.appeals.get(id), `${id} reaches the phone`).toBeDefined();
    expect(await p.db.quarantine.count()).toBe(0);
    // With the appeal back, the town's acceptance goes through.
    await t.settled();
    expect(await t.db.quarantine.count()).toBe(0);
    const statusOf = (id: string) => {
      const db = new Database(path.join(restoredDir, DB_FILE), { readonly: true });
      try {
        return (db.prepare('SELECT status FROM appeals WHERE id = ?').get(id) as { status: string } | undefined)?.status;
      } finally {
        db.close();
      }
    };
    expect(statusOf(ackedAfter[0]!)).toBe('accepted');
  });

  it('takes scheduled backups inside the running server, verified, and refuses a bad schedule at startup', { timeout: 120_000 }, async () => {
    const backupDir = tempDir('minsheng-bk-sched-');
    const server = await spawnServer({ MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_BACKUP_DIR: backupDir, MINSHENG_BACKUP_INTERVAL_MS: '1500', MINSHENG_BACKUP_KEEP: '1', MINSHENG_LOG_LEVEL: 'info' });
    servers.push(server);
    // The server logs each run as a JSON line whose msg is the backup's summary.
    await until(() => /"msg":"backup verified [\s\S]*"msg":"backup verified /.test(server.output()), 60_000, 'two scheduled backups');
    const kept = await listBackups(backupDir);
    expect(kept).toHaveLength(1);
    expect((await verifyBackup(path.join(backupDir, kept[0]!))).ok).toBe(true);
    await server.stop();

    await expect(spawnServer({ MINSHENG_STATIC_DIR: '', MINSHENG_BACKUP_INTERVAL_MS: '1500' })).rejects.toThrow(/Configuration error: MINSHENG_BACKUP_DIR is not set/);
    await expect(spawnServer({ MINSHENG_STATIC_DIR: '', MINSHENG_BACKUP_DIR: backupDir, MINSHENG_BACKUP_INTERVAL_MS: 'hourly' })).rejects.toThrow(/MINSHENG_BACKUP_INTERVAL_MS must be a whole number/);
  });

  // The README's PostgreSQL procedure, run as written: pg_dump -Fc while a phone pushes,
  // pg_restore into a new database, a server on it with the files directory alongside.
  it.runIf(process.env.MINSHENG_TEST_PG_UP === '1')('PostgreSQL: pg_dump under pushes, pg_restore into a new database marked as restored, the phone puts back its outbox and what was acked after the dump', { timeout: 240_000 }, async () => {
    const suffix = `${process.pid}_${Date.now() % 100000}`;
    const [src, dst] = [`bk_src_${suffix}`, `bk_dst_${suffix}`];
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${src}`);
    await admin.query(`CREATE DATABASE ${dst}`);
    const urlOf = (db: string) => Object.assign(new URL(PG_URL), { pathname: `/${db}` }).toString();
    const dataDir = tempDir('minsheng-bk-pgfiles-');
    const env = (db: string, port = '0') => ({ MINSHENG_DATA_DIR: dataDir, DATABASE_URL: urlOf(db), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_ACCESS_MINUTES: '600', PORT: port });
    try {
      let server = await spawnServer(env(src));
      servers.push(server);
      const port = String(server.port);
      const adminLogin = await post<{ token: string }>(`${server.url}/api/login`, { username: 'admin', password: 'demo1234' });
      const town = await post<{ token: string }>(`${server.url}/api/login`, { username: 'town', password: 'demo1234' });
      const { regions } = (await (await fetch(`${server.url}/api/regions`, { headers: { authorization: `Bearer ${town.token}` } })).json()) as { regions: Region[] };
      const village = regions.find((r) => r.level === 'village')!;
      await post(`${server.url}/api/admin/users`, { username: 'bkpg', displayName: '网格员', role: 'grid_worker', password: 'backup-pass-123', regions: [village.code], departments: [] }, adminLogin.token);
      const p = await phone(server.url, 'bkpg', 'backup-pass-123');
      phones.push(p);
      const before: string[] = [];
      for (let n = 0; n < 10; n++) before.push(await p.record(n));
      await p.settled();

      let pushing = true;
      const pusher = (async () => {
        for (let n = 100; pushing; n++) {
          await p.record(n);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const dump = path.join(tempDir('minsheng-bk-pgdump-'), 'minsheng.dump');
      const dumpedAt = new Date().toISOString();
      await run('pg_dump', ['-Fc', '-f', dump, urlOf(src)]);
      pushing = false;
      await pusher;
      await p.settled();
      const ackedAfter = await p.record(900);
      await p.settled();
      await server.stop();
      const offline = await p.record(901);

      await run('pg_restore', ['--no-owner', '-d', urlOf(dst), dump]);
      const marked = await cli('restore', ['--mark-restored', '--taken-at', dumpedAt], env(dst));
      expect(marked.out).toMatch(/^marked as restored: identity [0-9a-f-]{36}, from sequence \d+/m);
      expect(marked.code).toBe(0);
      server = await spawnServer(env(dst, port));
      servers.push(server);
      await p.settled();
      const restored = new pg.Client({ connectionString: urlOf(dst) });
      await restored.connect();
      const got = new Set((await restored.query<{ id: string }>('SELECT id FROM appeals')).rows.map((r) => r.id));
      await restored.end();
      for (const id of [...before, offline]) expect(got.has(id)).toBe(true);
      // Acked after the dump and gone from the outbox: the phone's journal sent it again.
      expect(got.has(ackedAfter)).toBe(true);
      await server.stop();
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${src} WITH (FORCE)`);
      await admin.query(`DROP DATABASE IF EXISTS ${dst} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('checks its configuration', () => {
    expect(() => loadBackupConfig({}, '/srv/data')).toThrow(/MINSHENG_BACKUP_DIR is not set/);
    expect(() => loadBackupConfig({ MINSHENG_BACKUP_DIR: '/srv/data/backups' }, '/srv/data')).toThrow(/outside the data directory/);
    expect(() => loadBackupConfig({ MINSHENG_BACKUP_DIR: '/srv' }, '/srv/data')).toThrow(/must not contain/);
    expect(() => loadBackupConfig({ MINSHENG_BACKUP_DIR: '/backup', MINSHENG_BACKUP_KEEP: '0' }, '/srv/data')).toThrow(/MINSHENG_BACKUP_KEEP/);
    expect(loadBackupConfig({ MINSHENG_BACKUP_DIR: '/backup' }, '/srv/data')).toEqual({ backupDir: '/backup', keep: 14 });
  });
});
