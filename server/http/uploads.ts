import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { attachmentProblem, baseType, contentMatches, isHash, sniffType, UPLOAD_CHUNK_BYTES } from '../../src/core/attachments';
import type { UploadLimits } from '../config';
import type { Store, UserRecord } from '../store/types';
import { readableVia } from '../sync/attachments';
import { clientIp } from '../net/address';
import { HttpError } from './plumbing';
import type { Metrics } from '../metrics';
import { log } from '../log';

// Resumable, content-addressed uploads. A file is named by its SHA-256; the client asks how
// much of it the server holds (GET), then sends the rest in chunks (PUT ?offset=), each
// appended only once it arrived whole, so a link that drops mid-chunk costs that chunk
// and no more. The last chunk is checked against the hash and the declared type before
// the file takes its name.
//
// Knowing a file's hash entitles to nothing. Each user's upload is their own (its own partial
// file, its own row in the store), and only someone entitled to a stored file (who uploaded
// those bytes, or may see a document whose listing of it is vouched for, see
// server/sync/attachments.ts) is told it exists: they need not send it again. Anyone else gets
// the answers a file the server lacks gets, and proves they hold the bytes by sending them.
// Unfinished uploads are capped per user and swept once they are older than the TTL.

/** Largest chunk accepted: clients send UPLOAD_CHUNK_BYTES; faster links may send more. */
export const MAX_CHUNK_BYTES = 8 * UPLOAD_CHUNK_BYTES;

export interface UploadDeps {
  store: Store;
  dataDir: string;
  authed: (req: IncomingMessage) => Promise<{ user: UserRecord }>;
  limits: Pick<UploadLimits, 'partialTtlMs' | 'maxPartialBytes' | 'maxPartialCount'>;
  /** Counts finished uploads when metrics are on. */
  metrics?: Pick<Metrics, 'uploadFinished'> | null;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readChunk(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (!Number.isInteger(declared) || declared < 1) throw new HttpError(411, 'length_required', 'Send each chunk with a content-length');
  if (declared > max) throw new HttpError(413, 'too_large', `A chunk may be at most ${max} bytes`);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    size += (part as Buffer).length;
    if (size > declared) throw new HttpError(400, 'bad_length', 'The chunk is longer than its content-length');
    parts.push(part as Buffer);
  }
  // An aborted request ends the loop early (or throws): either way nothing is appended.
  if (size !== declared) throw new HttpError(400, 'incomplete_chunk', 'The chunk arrived incomplete; resend it');
  return Buffer.concat(parts);
}

/** A user's directory under partial/: a digest, so no id can make a path of it. */
const userDir = (userId: string) => createHash('sha256').update(userId).digest('hex').slice(0, 32);

/** Expired uploads removed per store query. */
const SWEEP_BATCH = 500;

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function sha256(file: string): Promise<{ hash: string; head: Uint8Array }> {
  const h = createHash('sha256');
  let head: Uint8Array | null = null;
  for await (const part of createReadStream(file)) {
    head ??= new Uint8Array((part as Buffer).subarray(0, 16));
    h.update(part as Buffer);
  }
  return { hash: h.digest('hex'), head: head ?? new Uint8Array() };
}

/** What the upload handlers share, built once by createUploads. */
interface UploadContext {
  store: Store;
  limits: UploadDeps['limits'];
  /** Where unfinished uploads wait, one directory per user. */
  partial: string;
  /** Where a finished file lives, under its hash. */
  finalPath: (hash: string) => string;
  /** Where one user's unfinished upload of a file grows. */
  partPath: (hash: string, userId: string) => string;
  /**
   * Uploads with a request under way, by `busyKey`. One writer per upload at a time: two
   * devices of one user sending the same photo must not interleave.
   */
  busy: Set<string>;
  metrics: UploadDeps['metrics'];
}

const busyKey = (hash: string, userId: string) => `${hash}:${userId}`;

/** Where a finished file lives (files/<first two hex>/<hash>): Open311's photos are stored the same way. */
export const storedFilePath = (dataDir: string, hash: string) => path.join(dataDir, 'files', hash.slice(0, 2), hash);

export function createUploads({ store, dataDir, authed, limits, metrics }: UploadDeps) {
  const root = path.join(dataDir, 'files');
  const partial = path.join(root, 'partial');
  const ctx: UploadContext = {
    store,
    limits,
    partial,
    finalPath: (hash) => storedFilePath(dataDir, hash),
    partPath: (hash, userId) => path.join(partial, userDir(userId), hash),
    busy: new Set(),
    metrics,
  };
  /** Handles /api/uploads/:hash and /api/files/:hash; false for any other path. */
  const handle = (req: IncomingMessage, res: ServerResponse): Promise<boolean> => handleUploadRequest(ctx, authed, req, res);
  return Object.assign(handle, { sweep: (now = Date.now()): Promise<number> => sweepUploads(ctx, now) });
}

/** The stored file, when this user may know of it: they uploaded it, or may read a document that vouches for it. */
async function entitledFile({ store }: UploadContext, user: UserRecord, hash: string) {
  const file = await store.file(hash);
  if (!file) return null;
  if ((await store.fileUpload(hash, user.id))?.done) return file;
  return readableVia(user, await store.attachmentListings(hash)) ? file : null;
}

/** What this user is told: the whole file when they are entitled to it, else how much of their own upload arrived. */
async function uploadStatus(ctx: UploadContext, user: UserRecord, hash: string) {
  const done = await entitledFile(ctx, user, hash);
  if (done) return { received: done.size, complete: true };
  return { received: await sizeOf(ctx.partPath(hash, user.id)), complete: false };
}

/** A new upload must fit in what the user may hold unfinished. */
async function reserve({ store, limits }: UploadContext, user: UserRecord, hash: string, total: number): Promise<void> {
  if (await store.fileUpload(hash, user.id)) return;
  const held = await store.openFileUploads(user.id);
  if (held.count + 1 > limits.maxPartialCount || held.bytes + total > limits.maxPartialBytes) {
    throw new HttpError(429, 'upload_quota', `You have ${held.count} unfinished uploads (${held.bytes} bytes); at most ${limits.maxPartialCount} and ${limits.maxPartialBytes} bytes may wait at once. Let them finish, or they expire.`);
  }
  await store.openFileUpload(hash, user.id, total, Date.now());
}

/** Appends one chunk at `offset` of the user's upload; the last one turns it into the stored file. */
async function put(ctx: UploadContext, req: IncomingMessage, user: UserRecord, hash: string, offset: number): Promise<[number, unknown]> {
  const type = baseType(String(req.headers['x-upload-type'] ?? ''));
  const total = Number(req.headers['x-upload-size']);
  const problem = attachmentProblem(type, total);
  if (problem) throw new HttpError({ too_large: 413, wrong_type: 415, empty: 400 }[problem], problem, problemMessage(problem, type, total));
  const now = await uploadStatus(ctx, user, hash);
  // Already here and theirs to know of: the bytes need not travel.
  if (now.complete) return [200, now];
  if (offset !== now.received) return [409, { ...now, error: 'wrong_offset', message: `The server holds ${now.received} bytes; continue from there` }];
  if (offset === 0) await reserve(ctx, user, hash, total);
  const chunk = await readChunk(req, Math.min(MAX_CHUNK_BYTES, total - offset));
  const part = ctx.partPath(hash, user.id);
  await mkdir(path.dirname(part), { recursive: true });
  const fh = await open(part, 'a');
  try {
    await fh.write(chunk);
    await fh.sync();
  } finally {
    await fh.close();
  }
  const received = offset + chunk.length;
  if (received < total) return [200, { received, complete: false }];
  await finish(ctx, user, hash, type, total);
  return [201, { received: total, complete: true }];
}

/** Checks a whole upload against its hash and declared type, and stores it under its name (or discards it). */
async function finish({ store, finalPath, partPath, metrics }: UploadContext, user: UserRecord, hash: string, type: string, total: number): Promise<void> {
  const part = partPath(hash, user.id);
  const got = await sha256(part);
  if (got.hash !== hash || !contentMatches(type, sniffType(got.head))) {
    await rm(part, { force: true });
    await store.dropFileUpload(hash, user.id);
    metrics?.uploadFinished('discarded');
    const why = got.hash !== hash ? 'The file does not match its hash; it was discarded' : `The content is not ${type}; it was discarded`;
    throw new HttpError(422, got.hash !== hash ? 'hash_mismatch' : 'wrong_type', why);
  }
  const held = (await store.file(hash)) !== null;
  if (held) {
    // Someone stored these bytes first: this user has now shown they hold them too.
    await rm(part, { force: true });
  } else {
    await mkdir(path.dirname(finalPath(hash)), { recursive: true });
    await rename(part, finalPath(hash));
    await store.putFile({ hash, type, size: total, uploadedBy: user.id }, Date.now());
  }
  await store.finishFileUpload(hash, user.id, total, Date.now());
  metrics?.uploadFinished(held ? 'deduplicated' : 'stored');
}

async function download(ctx: UploadContext, req: IncomingMessage, res: ServerResponse, user: UserRecord, hash: string): Promise<void> {
  const file = await entitledFile(ctx, user, hash);
  if (!file) {
    if (await ctx.store.file(hash)) await ctx.store.insertAudit({ at: Date.now(), actor: user.id, action: 'permission_refused', target: hash, ip: clientIp(req), detail: { what: 'file' } });
    throw new HttpError(404, 'not_found', 'No such file in your area');
  }
  res.writeHead(200, {
    'content-type': file.type,
    'content-length': String(file.size),
    // Content-addressed: the bytes behind a name never change.
    'cache-control': 'private, max-age=31536000, immutable',
    'content-disposition': 'attachment',
  });
  if (req.method === 'HEAD') return void res.end();
  await new Promise<void>((resolve, reject) => {
    createReadStream(ctx.finalPath(hash)).on('error', reject).on('end', resolve).pipe(res);
  });
}

/**
 * Removes uploads not finished `partialTtlMs` after they began (their rows and bytes), and
 * partial files nobody touched for as long (left by a crash, or by an older version).
 * Uploads with a request under way are left for the next sweep. Returns how many went.
 */
async function sweepUploads(ctx: UploadContext, now: number): Promise<number> {
  const before = now - ctx.limits.partialTtlMs;
  return (await sweepStaleUploads(ctx, before)) + (await sweepOrphanParts(ctx, before));
}

/** The store's unfinished uploads begun before `before`, in batches. */
async function sweepStaleUploads({ store, busy, partPath }: UploadContext, before: number): Promise<number> {
  let removed = 0;
  for (;;) {
    const stale = await store.staleFileUploads(before, SWEEP_BATCH);
    let progress = false;
    for (const u of stale) {
      if (busy.has(busyKey(u.hash, u.userId))) continue;
      await rm(partPath(u.hash, u.userId), { force: true });
      await store.dropFileUpload(u.hash, u.userId);
      removed++;
      progress = true;
    }
    if (stale.length < SWEEP_BATCH || !progress) break;
  }
  return removed;
}

/** Partial files on disk untouched since `before`, whether or not the store still lists them. */
async function sweepOrphanParts({ partial, busy }: UploadContext, before: number): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(partial, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const info = await stat(file).catch(() => null);
    if (!info || info.mtimeMs >= before || [...busy].some((k) => k.startsWith(`${entry.name}:`))) continue;
    await rm(file, { force: true });
    removed++;
  }
  return removed;
}

async function handleUploadRequest(ctx: UploadContext, authed: UploadDeps['authed'], req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://local');
  const m = /^\/api\/(uploads|files)\/([^/]+)$/.exec(url.pathname);
  if (!m) return false;
  const [, what, hash] = m;
  try {
    const { user } = await authed(req);
    if (!isHash(hash)) throw new HttpError(400, 'bad_hash', 'A file is named by its SHA-256 in lowercase hex');
    if (what === 'files' && (req.method === 'GET' || req.method === 'HEAD')) await download(ctx, req, res, user, hash);
    else if (what === 'uploads' && req.method === 'GET') sendJson(res, 200, await uploadStatus(ctx, user, hash));
    else if (what === 'uploads' && req.method === 'PUT') await putAlone(ctx, req, res, user, hash, url.searchParams.get('offset'));
    else throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here`);
  } catch (err) {
    answerFailure(req, res, err);
  }
  return true;
}

/** A PUT of one chunk, refused while another request writes the same upload. */
async function putAlone(ctx: UploadContext, req: IncomingMessage, res: ServerResponse, user: UserRecord, hash: string, offsetParam: string | null): Promise<void> {
  const offset = Number(offsetParam);
  if (!Number.isInteger(offset) || offset < 0) throw new HttpError(400, 'bad_offset', 'offset must be a byte position');
  const k = busyKey(hash, user.id);
  if (ctx.busy.has(k)) throw new HttpError(409, 'busy', 'This file is being uploaded by another request; ask again shortly');
  ctx.busy.add(k);
  try {
    const [code, body] = await put(ctx, req, user, hash, offset);
    sendJson(res, code, body);
  } finally {
    ctx.busy.delete(k);
  }
}

/** A failed request: its own error when it is one, cut when an answer had begun or the client left. */
function answerFailure(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  if (res.headersSent) res.destroy();
  else if (err instanceof HttpError) sendJson(res, err.status, { error: err.code, message: err.message });
  else if (req.destroyed) res.destroy();
  else {
    log.error({ err }, 'upload failed');
    sendJson(res, 500, { error: 'server_error', message: 'Internal error' });
  }
}

function problemMessage(problem: string, type: string, size: number): string {
  if (problem === 'wrong_type') return `Files of type "${type || 'unknown'}" cannot be attached`;
  if (problem === 'empty') return 'The file is empty';
  return `The file is too large (${size} bytes)`;
}
