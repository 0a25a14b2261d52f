import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { attachmentProblem, baseType, contentMatches, isHash, sniffType, UPLOAD_CHUNK_BYTES } from '../../src/core/attachments';
import { appealInScope } from '../../src/core/roles';
import type { Store, UserRecord } from '../store/types';
import { clientIp, HttpError } from './api';

// Resumable, content-addressed uploads. A file is named by its SHA-256; the client asks how
// much of it the server holds (GET), then sends the rest in chunks (PUT ?offset=), each
// appended only once it arrived whole, so a link that drops mid-chunk costs that chunk
// and no more. The last chunk is checked against the hash and the declared type before
// the file takes its name; a file already stored is never sent twice.

/** Largest chunk accepted: clients send UPLOAD_CHUNK_BYTES; faster links may send more. */
export const MAX_CHUNK_BYTES = 8 * UPLOAD_CHUNK_BYTES;

export interface UploadDeps {
  store: Store;
  dataDir: string;
  authed: (req: IncomingMessage) => Promise<{ user: UserRecord }>;
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

export function createUploads({ store, dataDir, authed }: UploadDeps) {
  const root = path.join(dataDir, 'files');
  const partial = path.join(root, 'partial');
  const finalPath = (hash: string) => path.join(root, hash.slice(0, 2), hash);
  const partPath = (hash: string) => path.join(partial, hash);
  // One writer per file at a time: two devices sending the same photo must not interleave.
  const busy = new Set<string>();

  const status = async (hash: string) => {
    const done = await store.file(hash);
    if (done) return { received: done.size, complete: true };
    return { received: await sizeOf(partPath(hash)), complete: false };
  };

  async function put(req: IncomingMessage, user: UserRecord, hash: string, offset: number): Promise<[number, unknown]> {
    const type = baseType(String(req.headers['x-upload-type'] ?? ''));
    const total = Number(req.headers['x-upload-size']);
    const problem = attachmentProblem(type, total);
    if (problem) throw new HttpError({ too_large: 413, wrong_type: 415, empty: 400 }[problem], problem, problemMessage(problem, type, total));
    const now = await status(hash);
    // Already here, from this device or another: the bytes need not travel.
    if (now.complete) return [200, now];
    if (offset !== now.received) return [409, { ...now, error: 'wrong_offset', message: `The server holds ${now.received} bytes; continue from there` }];
    const chunk = await readChunk(req, Math.min(MAX_CHUNK_BYTES, total - offset));
    await mkdir(partial, { recursive: true });
    const fh = await open(partPath(hash), 'a');
    try {
      await fh.write(chunk);
      await fh.sync();
    } finally {
      await fh.close();
    }
    const received = offset + chunk.length;
    if (received < total) return [200, { received, complete: false }];

    const got = await sha256(partPath(hash));
    if (got.hash !== hash || !contentMatches(type, sniffType(got.head))) {
      await rm(partPath(hash), { force: true });
      const why = got.hash !== hash ? 'The file does not match its hash; it was discarded' : `The content is not ${type}; it was discarded`;
      throw new HttpError(422, got.hash !== hash ? 'hash_mismatch' : 'wrong_type', why);
    }
    await mkdir(path.dirname(finalPath(hash)), { recursive: true });
    await rename(partPath(hash), finalPath(hash));
    await store.putFile({ hash, type, size: total, uploadedBy: user.id }, Date.now());
    return [201, { received: total, complete: true }];
  }

  /** Who may download a file: its uploader, and whoever may see a document that lists it. */
  async function mayRead(user: UserRecord, hash: string, uploadedBy: string): Promise<boolean> {
    if (uploadedBy === user.id) return true;
    return (await store.attachmentScopes(hash)).some((scope) => appealInScope(user, scope));
  }

  async function download(req: IncomingMessage, res: ServerResponse, user: UserRecord, hash: string): Promise<void> {
    const file = await store.file(hash);
    if (!file || !(await mayRead(user, hash, file.uploadedBy))) {
      if (file) await store.insertAudit({ at: Date.now(), actor: user.id, action: 'permission_refused', target: hash, ip: clientIp(req), detail: { what: 'file' } });
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
      createReadStream(finalPath(hash)).on('error', reject).on('end', resolve).pipe(res);
    });
  }

  /** Handles /api/uploads/:hash and /api/files/:hash; false for any other path. */
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://local');
    const m = /^\/api\/(uploads|files)\/([^/]+)$/.exec(url.pathname);
    if (!m) return false;
    const [, what, hash] = m;
    try {
      const { user } = await authed(req);
      if (!isHash(hash)) throw new HttpError(400, 'bad_hash', 'A file is named by its SHA-256 in lowercase hex');
      if (what === 'files' && (req.method === 'GET' || req.method === 'HEAD')) {
        await download(req, res, user, hash);
        return true;
      }
      if (what === 'uploads' && req.method === 'GET') {
        sendJson(res, 200, await status(hash));
        return true;
      }
      if (what === 'uploads' && req.method === 'PUT') {
        const offset = Number(url.searchParams.get('offset'));
        if (!Number.isInteger(offset) || offset < 0) throw new HttpError(400, 'bad_offset', 'offset must be a byte position');
        if (busy.has(hash)) throw new HttpError(409, 'busy', 'This file is being uploaded by another request; ask again shortly');
        busy.add(hash);
        try {
          const [code, body] = await put(req, user, hash, offset);
          sendJson(res, code, body);
        } finally {
          busy.delete(hash);
        }
        return true;
      }
      throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here`);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return true;
      }
      if (err instanceof HttpError) sendJson(res, err.status, { error: err.code, message: err.message });
      else if (req.destroyed) res.destroy();
      else {
        console.error('upload failed', err);
        sendJson(res, 500, { error: 'server_error', message: 'Internal error' });
      }
      return true;
    }
  };
}

function problemMessage(problem: string, type: string, size: number): string {
  if (problem === 'wrong_type') return `Files of type "${type || 'unknown'}" cannot be attached`;
  if (problem === 'empty') return 'The file is empty';
  return `The file is too large (${size} bytes)`;
}
