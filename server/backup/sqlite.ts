/**
 * Backups of a SQLite data directory, and their restore. A backup root holds one folder per
 * backup (its database copy and manifest.json) and one shared content-addressed `files/`
 * folder, so each backup copies only the uploaded files the earlier ones lack. Every backup
 * and every restore is verified against its manifest: the database file's hash, SQLite's own
 * integrity check, the documents counted and each one's state vector digested again, and
 * every listed file's size and hash.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as v from 'valibot';
import * as Y from 'yjs';
import { markRestoredSqlite } from '../ops/store-epoch';
import type { StoreEpoch } from '../../src/core/store-epoch';

export const DB_FILE = 'minsheng.sqlite';
export const MANIFEST = 'manifest.json';
/** Written beside the manifest after the self-check: { at, ok, problems }. */
export const VERIFIED = 'verified.json';
/** Backup folders are named by their UTC time, so they sort oldest first. */
const FOLDER = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;
const HASH = /^[0-9a-f]{64}$/;

const ManifestSchema = v.object({
  format: v.literal(1),
  createdAt: v.string(),
  version: v.string(),
  schemaVersion: v.number(),
  database: v.object({ file: v.literal(DB_FILE), bytes: v.number(), sha256: v.pipe(v.string(), v.regex(HASH)) }),
  documents: v.object({ count: v.number(), digest: v.string(), byDoc: v.record(v.string(), v.string()) }),
  files: v.array(v.object({ hash: v.pipe(v.string(), v.regex(HASH)), size: v.number() })),
});
export type Manifest = v.InferOutput<typeof ManifestSchema>;

export interface VerifyResult {
  ok: boolean;
  problems: string[];
  manifest: Manifest | null;
}

const appVersion = (): string => {
  const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
};

async function sha256File(file: string): Promise<{ hash: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    h.update(chunk);
    bytes += chunk.length;
  }
  return { hash: h.digest('hex'), bytes };
}

/** Where a file lives under a `files/` root: the same layout as the data directory's (server/http/uploads.ts). */
export const casPath = (root: string, hash: string) => path.join(root, 'files', hash.slice(0, 2), hash);

/**
 * Every document's state, digested from its snapshot and updates: the state vector (which
 * client's changes up to which clock) sorted and hashed. Two copies that hold the same
 * changes of a document digest the same, however those changes were compacted.
 */
export function digestDocuments(db: Database.Database): Manifest['documents'] {
  const rows = db
    .prepare('SELECT doc_id AS id, upto_seq AS seq, 0 AS k, state AS b FROM snapshots UNION ALL SELECT doc_id, seq, 1, bytes FROM updates ORDER BY id, k, seq')
    .iterate() as IterableIterator<{ id: string; b: Buffer }>;
  const byDoc: Record<string, string> = {};
  let current: string | null = null;
  let parts: Uint8Array[] = [];
  const flush = () => {
    if (current === null) return;
    let sv: Map<number, number>;
    try {
      sv = Y.decodeStateVector(Y.encodeStateVectorFromUpdate(Y.mergeUpdates(parts)));
    } catch (err) {
      throw new Error(`document ${current}: its stored updates do not decode (${err instanceof Error ? err.message : String(err)})`);
    }
    const text = [...sv.entries()].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}:${n}`).join(',');
    byDoc[current] = createHash('sha256').update(text).digest('hex').slice(0, 32);
  };
  for (const r of rows) {
    if (r.id !== current) {
      flush();
      current = r.id;
      parts = [];
    }
    parts.push(new Uint8Array(r.b));
  }
  flush();
  const ids = Object.keys(byDoc).sort();
  const digest = createHash('sha256').update(ids.map((id) => `${id}=${byDoc[id]}`).join('\n')).digest('hex');
  return { count: ids.length, digest, byDoc };
}

/** The uploaded files the database lists (the files table), which every backup must carry. */
function listedFiles(db: Database.Database): { hash: string; size: number }[] {
  return (db.prepare('SELECT hash, size FROM files ORDER BY hash').all() as { hash: string; size: number }[]).map((r) => ({ hash: r.hash, size: Number(r.size) }));
}

const schemaVersion = (db: Database.Database) => (db.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;

/** Copies through a temporary name, so a crash never leaves a half file under the final one. */
async function copyAtomic(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true });
  const tmp = `${to}.part-${process.pid}`;
  await copyFile(from, tmp);
  await rename(tmp, to);
}

export interface BackupOptions {
  dataDir: string;
  /** The backup root: one folder per backup, and the shared `files/`. */
  backupDir: string;
  /** How many backups to keep (the newest); older ones and the files only they held are removed. */
  keep: number;
  now?: Date;
}

export interface BackupResult {
  folder: string;
  manifest: Manifest;
  /** Uploaded files copied now (the others were in the shared folder already). */
  copiedFiles: number;
  removed: string[];
  verify: VerifyResult;
}

/** Takes a backup while the server may be writing, verifies it, then applies retention. */
export async function backupSqlite({ dataDir, backupDir, keep, now = new Date() }: BackupOptions): Promise<BackupResult> {
  const source = path.join(dataDir, DB_FILE);
  if (!existsSync(source)) throw new Error(`no database at ${source}: is MINSHENG_DATA_DIR right?`);
  const name = now.toISOString().replace(/[:.]/g, '-');
  const folder = path.join(backupDir, name);
  if (existsSync(folder)) throw new Error(`${folder} already exists`);
  // Written under a hidden name and renamed when whole: a crashed backup is never listed.
  const staging = path.join(backupDir, `.${name}.partial`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  let written: { manifest: Manifest; copiedFiles: number };
  try {
    written = await writeBackup(source, dataDir, backupDir, staging, now);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  await rename(staging, folder);
  const verify = await verifyBackup(folder);
  // The status page reads what the verification found from here, however the backup was started.
  await writeFile(path.join(folder, VERIFIED), JSON.stringify({ at: new Date().toISOString(), ok: verify.ok, problems: verify.problems.slice(0, 20) }));
  // Retention only after a good backup: a failing one never pushes a good one out.
  const removed = verify.ok ? await prune(backupDir, keep) : [];
  return { folder, ...written, removed, verify };
}

export interface LatestBackup {
  name: string;
  createdAt: string;
  databaseBytes: number;
  documents: number;
  files: number;
  /** What the verification right after writing found; null when the backup predates the record. */
  verified: { at: string; ok: boolean; problems: string[] } | null;
}

/** The newest backup under `backupDir` and how its verification went, or null when there is none. */
export async function latestBackup(backupDir: string): Promise<LatestBackup | null> {
  const name = (await listBackups(backupDir)).at(-1);
  if (!name) return null;
  const folder = path.join(backupDir, name);
  const m = await readManifest(folder);
  if (!m.ok) return { name, createdAt: '', databaseBytes: 0, documents: 0, files: 0, verified: { at: '', ok: false, problems: [m.problem] } };
  let verified: LatestBackup['verified'] = null;
  try {
    const raw = JSON.parse(await readFile(path.join(folder, VERIFIED), 'utf8')) as { at?: unknown; ok?: unknown; problems?: unknown };
    verified = { at: String(raw.at ?? ''), ok: raw.ok === true, problems: Array.isArray(raw.problems) ? raw.problems.map(String) : [] };
  } catch {
    verified = null;
  }
  const { manifest } = m;
  return { name, createdAt: manifest.createdAt, databaseBytes: manifest.database.bytes, documents: manifest.documents.count, files: manifest.files.length, verified };
}

/** The database copy, the new files and the manifest, into the staging folder. */
async function writeBackup(source: string, dataDir: string, backupDir: string, staging: string, now: Date): Promise<{ manifest: Manifest; copiedFiles: number }> {
  // Read-write only so a WAL database opens without its server running; nothing is written.
  const src = new Database(source, { fileMustExist: true });
  src.pragma('busy_timeout = 5000');
  try {
    // The first step copies nothing; the second copies every page at once. A single step reads
    // one snapshot (WAL lets writers go on meanwhile) and cannot be restarted by their commits,
    // which a page-by-page backup would be, endlessly, under continuous pushes.
    await src.backup(path.join(staging, DB_FILE), { progress: () => 0x7fffffff });
  } finally {
    src.close();
  }

  const copy = new Database(path.join(staging, DB_FILE), { fileMustExist: true });
  // One self-contained file (no -wal beside it), so its hash is the whole backup's database.
  copy.pragma('journal_mode = DELETE');
  let documents: Manifest['documents'];
  let files: Manifest['files'];
  let schema: number;
  try {
    documents = digestDocuments(copy);
    files = listedFiles(copy);
    schema = schemaVersion(copy);
  } finally {
    copy.close();
  }

  let copiedFiles = 0;
  for (const f of files) {
    const target = casPath(backupDir, f.hash);
    if (existsSync(target)) continue;
    const from = casPath(dataDir, f.hash);
    if (!existsSync(from)) throw new Error(`uploaded file ${f.hash} is listed in the database but missing from ${path.dirname(from)}`);
    await copyAtomic(from, target);
    copiedFiles++;
  }

  const db = await sha256File(path.join(staging, DB_FILE));
  const manifest: Manifest = {
    format: 1,
    createdAt: now.toISOString(),
    version: appVersion(),
    schemaVersion: schema,
    database: { file: DB_FILE, bytes: db.bytes, sha256: db.hash },
    documents,
    files,
  };
  await writeFile(path.join(staging, MANIFEST), JSON.stringify(manifest));
  return { manifest, copiedFiles };
}

/** The backup folders under a root, oldest first. */
export async function listBackups(backupDir: string): Promise<string[]> {
  if (!existsSync(backupDir)) return [];
  return (await readdir(backupDir)).filter((n) => FOLDER.test(n)).sort();
}

/** Keeps the newest `keep` backups, then removes shared files no kept manifest lists. */
async function prune(backupDir: string, keep: number): Promise<string[]> {
  const all = await listBackups(backupDir);
  const drop = all.slice(0, Math.max(0, all.length - keep));
  for (const name of drop) await rm(path.join(backupDir, name), { recursive: true, force: true });
  if (drop.length === 0) return [];
  const wanted = new Set<string>();
  for (const name of all.slice(drop.length)) {
    const m = await readManifest(path.join(backupDir, name));
    if (!m.ok) return drop; // Never collect files on a manifest we cannot read.
    for (const f of m.manifest.files) wanted.add(f.hash);
  }
  const root = path.join(backupDir, 'files');
  for (const prefix of existsSync(root) ? await readdir(root) : []) {
    for (const hash of await readdir(path.join(root, prefix))) if (!wanted.has(hash)) await rm(path.join(root, prefix, hash), { force: true });
  }
  return drop;
}

async function readManifest(folder: string): Promise<{ ok: true; manifest: Manifest } | { ok: false; problem: string }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path.join(folder, MANIFEST), 'utf8'));
  } catch (err) {
    return { ok: false, problem: `cannot read ${path.join(folder, MANIFEST)}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const parsed = v.safeParse(ManifestSchema, raw);
  if (!parsed.success) return { ok: false, problem: `${MANIFEST} is malformed: ${parsed.issues.map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`).join('; ')}` };
  return { ok: true, manifest: parsed.output };
}

/**
 * Checks a database file and a `files/` root against a manifest. Problems are listed, a few
 * of each kind, so an operator reads what is wrong rather than a bare "failed".
 */
export async function verifyAgainst(manifest: Manifest, dbFile: string, filesRoot: string): Promise<string[]> {
  const problems: string[] = [];
  if (!existsSync(dbFile)) return [`database copy ${dbFile} is missing`];
  const got = await sha256File(dbFile);
  if (got.hash !== manifest.database.sha256 || got.bytes !== manifest.database.bytes) {
    problems.push(`database file ${dbFile} differs from the manifest (sha256 ${got.hash.slice(0, 12)}…, ${got.bytes} bytes; expected ${manifest.database.sha256.slice(0, 12)}…, ${manifest.database.bytes} bytes)`);
  }
  let db: Database.Database | null = null;
  try {
    db = new Database(dbFile, { readonly: true, fileMustExist: true });
    const check = (db.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check);
    if (check.join() !== 'ok') problems.push(`database integrity check failed: ${check.slice(0, 3).join('; ')}`);
    const docs = digestDocuments(db);
    if (docs.count !== manifest.documents.count) problems.push(`the database holds ${docs.count} documents, the manifest lists ${manifest.documents.count}`);
    if (docs.digest !== manifest.documents.digest) {
      const ids = new Set([...Object.keys(docs.byDoc), ...Object.keys(manifest.documents.byDoc)]);
      const differ = [...ids].filter((id) => docs.byDoc[id] !== manifest.documents.byDoc[id]);
      problems.push(`${differ.length} documents' states differ from the manifest (e.g. ${differ.slice(0, 3).join(', ')})`);
    }
  } catch (err) {
    problems.push(`database cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    db?.close();
  }
  let missing = 0;
  let wrong = 0;
  const examples: string[] = [];
  for (const f of manifest.files) {
    const file = casPath(filesRoot, f.hash);
    if (!existsSync(file)) {
      missing++;
      if (examples.length < 3) examples.push(`${f.hash} missing`);
      continue;
    }
    const h = await sha256File(file);
    if (h.hash !== f.hash || h.bytes !== f.size) {
      wrong++;
      if (examples.length < 3) examples.push(`${f.hash} has other content`);
    }
  }
  if (missing + wrong > 0) problems.push(`${missing} uploaded files missing and ${wrong} damaged of ${manifest.files.length} (${examples.join('; ')})`);
  return problems;
}

/** Verifies one backup folder (its database copy, and its files in the root's shared folder). */
export async function verifyBackup(folder: string): Promise<VerifyResult> {
  const m = await readManifest(folder);
  if (!m.ok) return { ok: false, problems: [m.problem], manifest: null };
  const problems = await verifyAgainst(m.manifest, path.join(folder, DB_FILE), path.dirname(path.resolve(folder)));
  return { ok: problems.length === 0, problems, manifest: m.manifest };
}

export interface RestoreResult {
  manifest: Manifest;
  files: number;
  after: string[];
  /** The restored store's new identity (absent when it did not verify). */
  epoch?: StoreEpoch;
}

/**
 * Restores a verified backup into a data directory. Refuses a directory with anything in it
 * unless `force`; the server must be stopped (a running one keeps the old database open).
 */
export async function restoreSqlite(folder: string, dataDir: string, force: boolean): Promise<RestoreResult> {
  const before = await verifyBackup(folder);
  if (!before.ok || !before.manifest) throw new RestoreError(`the backup does not verify, nothing was restored:\n  ${before.problems.join('\n  ')}`);
  const manifest = before.manifest;
  const present = existsSync(dataDir) ? (await readdir(dataDir)).filter((n) => n !== 'lost+found') : [];
  if (present.length > 0 && !force) throw new RestoreError(`${dataDir} is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}); stop the server and pass --force to replace its database`);
  if (existsSync(dataDir) && !(await stat(dataDir)).isDirectory()) throw new RestoreError(`${dataDir} is not a directory`);
  await mkdir(dataDir, { recursive: true });
  const root = path.dirname(path.resolve(folder));
  for (const f of manifest.files) {
    const target = casPath(dataDir, f.hash);
    if (existsSync(target) && (await sha256File(target)).hash === f.hash) continue;
    await copyAtomic(casPath(root, f.hash), target);
  }
  // A WAL left by the old database would be replayed into the restored one: remove it first.
  const target = path.join(dataDir, DB_FILE);
  await rm(`${target}-wal`, { force: true });
  await rm(`${target}-shm`, { force: true });
  await copyAtomic(path.join(folder, DB_FILE), target);
  const after = await verifyAgainst(manifest, target, dataDir);
  if (after.length > 0) return { manifest, files: manifest.files.length, after };
  // A new identity, so phones that synced after the backup put back what it lacks.
  const db = new Database(target);
  try {
    const epoch = markRestoredSqlite(db, Date.parse(manifest.createdAt) || 0);
    return { manifest, files: manifest.files.length, after, epoch };
  } finally {
    db.close();
  }
}

export class RestoreError extends Error {}

/** MINSHENG_BACKUP_DIR and MINSHENG_BACKUP_KEEP, checked. */
export function loadBackupConfig(env: NodeJS.ProcessEnv, dataDir: string): { backupDir: string; keep: number } {
  const dir = env.MINSHENG_BACKUP_DIR?.trim();
  if (!dir) throw new RestoreError('MINSHENG_BACKUP_DIR is not set: name a directory for backups, ideally on another disk than the data directory');
  const backupDir = path.resolve(dir);
  const data = path.resolve(dataDir);
  if (backupDir === data || backupDir.startsWith(data + path.sep)) throw new RestoreError(`MINSHENG_BACKUP_DIR (${backupDir}) must lie outside the data directory (${data})`);
  if (data.startsWith(backupDir + path.sep)) throw new RestoreError(`MINSHENG_BACKUP_DIR (${backupDir}) must not contain the data directory (${data})`);
  const keepRaw = env.MINSHENG_BACKUP_KEEP?.trim() || '14';
  const keep = Number(keepRaw);
  if (!Number.isInteger(keep) || keep < 1) throw new RestoreError(`MINSHENG_BACKUP_KEEP must be a whole number of at least 1, got "${keepRaw}"`);
  return { backupDir, keep };
}
