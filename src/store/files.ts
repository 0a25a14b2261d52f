import { liveQuery } from 'dexie';
import { attachmentProblem, baseType, validPreviewRef, type AttachmentProblem, type AttachmentRef } from '../core/attachments';
import { DEFAULT_ORIGINAL_UPLOAD, isOriginalUploadSetting, type OriginalUploadSetting } from '../core/media-budget';
import type { FileRow, MinshengDB } from './db';
import { asStorageError, StorageFullError } from './errors';

// Attachments' bytes on the device. A file is stored once under its SHA-256, however many
// appeals list it, and stays `pending` until the server holds all of it. A photo picked with
// a preview is stored with it: the preview goes up first, the original is held for the
// budget (src/core/media-budget.ts, src/sync/uploads.ts).

export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export type StoreFileResult = { ok: true; ref: AttachmentRef } | { ok: false; problem: AttachmentProblem | 'storage_full' };

/** Keeps a (compressed) file for upload, with its preview when it has one; the returned ref is what a document lists. */
export async function storeFile(db: MinshengDB, blob: Blob, now = Date.now(), previewBlob?: Blob | null): Promise<StoreFileResult> {
  const type = baseType(blob.type);
  const problem = attachmentProblem(type, blob.size);
  if (problem) return { ok: false, problem };
  const hash = await sha256Hex(await blob.arrayBuffer());
  let preview: AttachmentRef['preview'];
  if (previewBlob) {
    const p = { hash: await sha256Hex(await previewBlob.arrayBuffer()), type: baseType(previewBlob.type), size: previewBlob.size };
    // A preview that does not fit the rules is left out: the photo still goes, whole.
    if (validPreviewRef(p) && p.hash !== hash) preview = p;
  }
  const ref: AttachmentRef = { hash, type, size: blob.size, ...(preview && { preview }) };
  try {
    await db.transaction('rw', db.files, async () => {
      if (preview && !(await db.files.get(preview.hash))) await db.files.add({ ...preview, blob: previewBlob!, pending: 1, sent: 0, createdAt: now, preview: 1 });
      if (await db.files.get(hash)) return;
      await db.files.add({ hash, type, size: blob.size, blob, pending: 1, sent: 0, createdAt: now, ...(preview && { hold: 1 as const }) });
    });
  } catch (err) {
    const e = asStorageError(err);
    if (e instanceof StorageFullError) return { ok: false, problem: 'storage_full' };
    throw e;
  }
  return { ok: true, ref };
}

/**
 * Files still to upload (refused ones wait for the user, not the network): previews first,
 * so every record's pictures reach the server before any original; then by age.
 */
export async function uploadQueue(db: MinshengDB): Promise<FileRow[]> {
  const rows = await db.files.where('pending').equals(1).filter((f) => !f.failed).sortBy('createdAt');
  return [...rows.filter((f) => f.preview === 1), ...rows.filter((f) => f.preview !== 1)];
}

/** Bytes not yet on the server, shown in the sync badge: held originals count, they are not there yet. */
export async function pendingUploadBytes(db: MinshengDB): Promise<number> {
  let n = 0;
  await db.files.where('pending').equals(1).each((f) => (n += f.failed ? 0 : f.size - f.sent));
  return n;
}

/** The user's 现在上传原图: this original goes on the next pass, whatever the link. */
export async function forceOriginal(db: MinshengDB, hash: string): Promise<void> {
  await db.files.update(hash, { forced: 1 });
}

/** The user's 重试 on a refused file: it joins the queue again, from the start (the server discarded what it had). */
export async function retryFile(db: MinshengDB, hash: string): Promise<void> {
  await db.files.where('hash').equals(hash).modify((f) => {
    delete f.failed;
    f.sent = 0;
  });
}

/** Originals someone asked for, in appeals this phone holds (the rows carry them, see store/docs.ts). */
export async function requestedOriginalSet(db: MinshengDB): Promise<Set<string>> {
  const out = new Set<string>();
  await db.appeals.each((a) => a.originalsRequested?.forEach((h) => out.add(h)));
  return out;
}

const SETTING_KEY = 'originalUpload';

/** The user's 原图上传 choice; 'auto' until they choose. */
export async function originalUploadSetting(db: MinshengDB): Promise<OriginalUploadSetting> {
  const v = (await db.meta.get(SETTING_KEY))?.value;
  return isOriginalUploadSetting(v) ? v : DEFAULT_ORIGINAL_UPLOAD;
}

export async function setOriginalUploadSetting(db: MinshengDB, value: OriginalUploadSetting): Promise<void> {
  if (!isOriginalUploadSetting(value)) throw new Error(`unknown setting ${String(value)}`);
  await db.meta.put({ key: SETTING_KEY, value });
}

/** This phone's copy of a file, live: its upload progress, refusal, or hold. */
export function liveFileRow(db: MinshengDB, hash: string) {
  return liveQuery(() => db.files.get(hash));
}

/** The 原图上传 setting, live. */
export function liveOriginalUploadSetting(db: MinshengDB) {
  return liveQuery(() => originalUploadSetting(db));
}
