import { UPLOAD_CHUNK_BYTES } from '../core/attachments';
import { originalWait, type LinkInfo, type OriginalUploadSetting, type OriginalWait } from '../core/media-budget';
import type { FileRow, MinshengDB } from '../store/db';
import { requestedOriginalSet, uploadQueue } from '../store/files';

// The client side of the resumable upload (server/http/uploads.ts). It asks the server how
// much of a file it holds and sends the rest in chunks; after a drop the next attempt asks
// again, so no byte that arrived is sent twice and a stored file is not sent at all.

export interface UploadSource {
  hash: string;
  type: string;
  size: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

/** Sends a request with the user's credentials (the app's `authFetch`). */
export type UploadFetch = (path: string, init?: RequestInit) => Promise<Response>;

/**
 * The server refused the file: for good (type, size, hash; retrying cannot help), or, for
 * codes in WAITING_REFUSALS, until the user's other unfinished uploads finish or expire.
 */
export class UploadRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Refusals shown to the user but tried again on the next pass: too many unfinished uploads held on the server. */
export const WAITING_REFUSALS: readonly string[] = ['upload_quota'];

interface UploadState {
  received: number;
  complete: boolean;
}

async function stateOf(res: Response): Promise<UploadState> {
  const body = (await res.json().catch(() => null)) as Partial<UploadState> & { error?: string; message?: string } | null;
  if (res.ok && body && typeof body.received === 'number') return { received: body.received, complete: body.complete === true };
  if (res.status === 409 && body && typeof body.received === 'number') return { received: body.received, complete: false };
  // Refusals about the file itself are final; anything else (auth, busy, 5xx) is tried again later.
  if ([400, 411, 413, 415, 422].includes(res.status) || (res.status === 429 && body?.error === 'upload_quota')) throw new UploadRefused(body?.error ?? String(res.status), body?.message ?? res.statusText);
  throw new Error(`upload: ${res.status} ${body?.message ?? res.statusText}`);
}

export async function uploadFile(src: UploadSource, fetcher: UploadFetch, opts: { chunkBytes?: number; onProgress?: (received: number) => void; onSent?: (bytes: number) => void } = {}): Promise<void> {
  const chunk = opts.chunkBytes ?? UPLOAD_CHUNK_BYTES;
  let state = await stateOf(await fetcher(`/api/uploads/${src.hash}`));
  while (!state.complete) {
    opts.onProgress?.(state.received);
    const start = state.received;
    const body = await src.read(start, Math.min(src.size, start + chunk));
    // Counted when handed to the network: a chunk lost to a drop still cost the data.
    opts.onSent?.(body.byteLength);
    const res = await fetcher(`/api/uploads/${src.hash}?offset=${start}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'x-upload-type': src.type, 'x-upload-size': String(src.size) },
      body: body as BodyInit,
    });
    state = await stateOf(res);
  }
  opts.onProgress?.(src.size);
}

/** What the uploader asks of its surroundings: the link, the user's setting, where bytes are counted. */
export interface UploaderOptions {
  /** navigator.connection as the core reads it; null where the browser does not say. */
  link?: () => LinkInfo | null;
  setting?: () => Promise<OriginalUploadSetting>;
  /** Bytes sent (chunks) and received (answers), for the month's data usage. */
  onBytes?: (sent: number, received: number) => void;
}

/** Why a pending file is not sent on this pass, or null when it goes. Previews and files without one always go. */
export function heldBecause(file: Pick<FileRow, 'hash' | 'hold' | 'forced'>, ctx: { setting: OriginalUploadSetting; link: LinkInfo | null; requested: ReadonlySet<string> }): OriginalWait | null {
  if (file.hold !== 1) return null;
  return originalWait({ setting: ctx.setting, link: ctx.link, requested: ctx.requested.has(file.hash), forced: file.forced === 1 });
}

/**
 * Works through the device's pending files one at a time (a 2G uplink has no room for
 * more): previews first, then requested originals, then the others the budget lets go. A
 * refusal is stored on the file for the user to see; a network failure leaves it pending
 * for the next kick.
 */
export function createUploader(db: MinshengDB, fetcher: UploadFetch, opts: UploaderOptions = {}) {
  let running: Promise<void> | null = null;
  let again = false;

  async function queue(): Promise<FileRow[]> {
    const all = await uploadQueue(db);
    if (!all.some((f) => f.hold === 1 && f.forced !== 1)) return all;
    const ctx = { setting: (await opts.setting?.()) ?? 'auto', link: opts.link?.() ?? null, requested: await requestedOriginalSet(db) };
    const go = all.filter((f) => heldBecause(f, ctx) === null);
    // Asked-for originals jump the queue, right after the previews.
    const first = (f: FileRow) => (f.preview === 1 ? 0 : f.hold === 1 && (ctx.requested.has(f.hash) || f.forced === 1) ? 1 : 2);
    return go.map((f, i) => [f, i] as const).sort((a, b) => first(a[0]) - first(b[0]) || a[1] - b[1]).map(([f]) => f);
  }

  async function drain(): Promise<void> {
    // A refusal that only waits (the server's cap on unfinished uploads) is tried again on each pass.
    await db.files.filter((f) => f.pending === 1 && WAITING_REFUSALS.some((code) => f.failed?.startsWith(`${code}:`) === true)).modify((f) => void delete f.failed);
    for (const file of await queue()) {
      const source: UploadSource = {
        hash: file.hash,
        type: file.type,
        size: file.size,
        read: async (start, end) => new Uint8Array(await file.blob.slice(start, end).arrayBuffer()),
      };
      try {
        await uploadFile(source, fetcher, { onProgress: (sent) => void db.files.update(file.hash, { sent }), onSent: (n) => opts.onBytes?.(n, 0) });
        await db.files.update(file.hash, { pending: 0, sent: file.size, uploadedAt: Date.now() });
      } catch (err) {
        if (!(err instanceof UploadRefused)) return; // Offline or the server is busy: stop, and resume from the server's offset next time.
        await db.files.update(file.hash, { failed: `${err.code}: ${err.message}` });
        // Over the cap, the next file would be refused too.
        if (WAITING_REFUSALS.includes(err.code)) return;
      }
    }
  }

  return {
    /** Starts a pass, or queues one after the pass under way. */
    kick(): Promise<void> {
      if (running) {
        again = true;
        return running;
      }
      running = drain()
        .catch((err) => console.warn('upload pass failed', err))
        .finally(() => {
          running = null;
          if (again) {
            again = false;
            void this.kick();
          }
        });
      return running;
    },
  };
}

/**
 * An attachment's bytes: from the device when it has them, else downloaded once and kept,
 * so a photo seen online opens again offline. Null when it cannot be had now.
 */
export async function fileBlob(db: MinshengDB, ref: { hash: string; type: string; size: number }, fetcher: UploadFetch, onBytes?: (sent: number, received: number) => void): Promise<Blob | null> {
  const local = await db.files.get(ref.hash);
  if (local) return local.blob;
  try {
    const res = await fetcher(`/api/files/${ref.hash}`);
    if (!res.ok) return null;
    const bytes = await res.arrayBuffer();
    onBytes?.(0, bytes.byteLength);
    const blob = new Blob([bytes], { type: ref.type });
    await db.files.put({ ...ref, blob, pending: 0, sent: ref.size, createdAt: Date.now() }).catch(() => {});
    return blob;
  } catch {
    return null;
  }
}
