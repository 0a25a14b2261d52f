import { attachmentProblem, baseType, type AttachmentProblem, type AttachmentRef } from '../core/attachments';
import type { FileRow, MinshengDB } from './db';
import { asStorageError, StorageFullError } from './errors';

// Attachments' bytes on the device. A file is stored once under its SHA-256, however many
// appeals list it, and stays `pending` until the server holds all of it.

export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export type StoreFileResult = { ok: true; ref: AttachmentRef } | { ok: false; problem: AttachmentProblem | 'storage_full' };

/** Keeps a (compressed) file for upload; the returned ref is what a document lists. */
export async function storeFile(db: MinshengDB, blob: Blob, now = Date.now()): Promise<StoreFileResult> {
  const type = baseType(blob.type);
  const problem = attachmentProblem(type, blob.size);
  if (problem) return { ok: false, problem };
  const hash = await sha256Hex(await blob.arrayBuffer());
  const ref = { hash, type, size: blob.size };
  try {
    await db.transaction('rw', db.files, async () => {
      if (await db.files.get(hash)) return;
      await db.files.add({ ...ref, blob, pending: 1, sent: 0, createdAt: now });
    });
  } catch (err) {
    const e = asStorageError(err);
    if (e instanceof StorageFullError) return { ok: false, problem: 'storage_full' };
    throw e;
  }
  return { ok: true, ref };
}

/** Files still to upload (refused ones wait for the user, not the network). */
export function uploadQueue(db: MinshengDB): Promise<FileRow[]> {
  return db.files.where('pending').equals(1).filter((f) => !f.failed).sortBy('createdAt');
}

/** Bytes not yet on the server, shown in the sync badge. */
export async function pendingUploadBytes(db: MinshengDB): Promise<number> {
  let n = 0;
  await db.files.where('pending').equals(1).each((f) => (n += f.failed ? 0 : f.size - f.sent));
  return n;
}
