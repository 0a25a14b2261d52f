// Attachments: photos, voice notes and short videos. The bytes never enter a CRDT; an
// appeal or meeting lists them by SHA-256 in its fields, and the files travel through
// the resumable upload (server/http/uploads.ts). Every rule both ends apply is here.

import { MAX_MEDIA_TYPE_CHARS } from './limits';

export const ATTACHMENT_KINDS = ['photo', 'voice', 'video'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

/** Accepted media types and the kind each one is. Anything else is refused at pick time and on upload. */
export const MEDIA_TYPES: Record<string, AttachmentKind> = {
  'image/jpeg': 'photo',
  'image/webp': 'photo',
  'image/png': 'photo',
  'audio/webm': 'voice',
  'audio/ogg': 'voice',
  'audio/mp4': 'voice',
  'video/mp4': 'video',
  'video/webm': 'video',
};

/**
 * Largest stored size per kind. A photo is compressed on the device first (a 12 MP
 * camera JPEG becomes a few hundred KB); a raw pick may be larger, up to PHOTO_INPUT_BYTES.
 */
export const MAX_ATTACHMENT_BYTES: Record<AttachmentKind, number> = {
  photo: 2 * 1024 * 1024,
  voice: 5 * 1024 * 1024,
  video: 20 * 1024 * 1024,
};
export const PHOTO_INPUT_BYTES = 40 * 1024 * 1024;
/** Longest side of a compressed photo, and its JPEG quality: legible documents, small files. */
export const PHOTO_MAX_SIDE = 1600;
export const PHOTO_QUALITY = 0.8;
export const MAX_VOICE_SECONDS = 120;
export const MAX_ATTACHMENTS = 9;
/** Upload chunk: about 4 s of 2G uplink (64 kbit/s), so a drop costs little. */
export const UPLOAD_CHUNK_BYTES = 32 * 1024;

export interface AttachmentRef {
  /** SHA-256 of the bytes, lowercase hex: the file's name everywhere. */
  hash: string;
  type: string;
  size: number;
  /**
   * A photo's small copy (src/core/media-budget.ts): it goes up with the record at once, the
   * original when the link allows. Refs made before previews existed have none.
   */
  preview?: PreviewRef;
}

export interface PreviewRef {
  hash: string;
  type: string;
  size: number;
}

/** Longest side of a preview, and the most it may weigh (its target is about 15 KB). */
export const PREVIEW_MAX_SIDE = 320;
export const PREVIEW_MAX_BYTES = 40 * 1024;
/** Types a preview may be: what every browser encodes on a canvas. */
export const PREVIEW_TYPES: readonly string[] = ['image/jpeg', 'image/webp'];

export type AttachmentProblem = 'wrong_type' | 'too_large' | 'empty';

const HASH = /^[0-9a-f]{64}$/;

export function isHash(v: unknown): v is string {
  return typeof v === 'string' && HASH.test(v);
}

export function kindOf(type: string): AttachmentKind | null {
  // Recorders report e.g. "audio/webm;codecs=opus": the parameters do not change the container.
  return MEDIA_TYPES[baseType(type)] ?? null;
}

export function baseType(type: string): string {
  return type.split(';', 1)[0]!.trim().toLowerCase();
}

/** Why a file of this type and size may not be attached, or null. */
export function attachmentProblem(type: string, size: number, stage: 'picked' | 'stored' = 'stored'): AttachmentProblem | null {
  const kind = kindOf(type);
  if (!kind) return 'wrong_type';
  if (!Number.isInteger(size) || size <= 0) return 'empty';
  const max = stage === 'picked' && kind === 'photo' ? PHOTO_INPUT_BYTES : MAX_ATTACHMENT_BYTES[kind];
  return size > max ? 'too_large' : null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A preview as listed: a small JPEG or WebP under its own hash. */
export function validPreviewRef(v: unknown): v is PreviewRef {
  if (!isObject(v) || Object.keys(v).length !== 3) return false;
  const { hash, type, size } = v;
  return isHash(hash) && typeof type === 'string' && PREVIEW_TYPES.includes(type) && typeof size === 'number' && Number.isInteger(size) && size > 0 && size <= PREVIEW_MAX_BYTES;
}

/** Checks an attachment list read from a document. */
export function validAttachmentRefs(v: unknown): v is AttachmentRef[] {
  if (!Array.isArray(v) || v.length > MAX_ATTACHMENTS) return false;
  const seen = new Set<string>();
  for (const a of v) {
    if (!isObject(a)) return false;
    const { hash, type, size, preview } = a;
    const keys = Object.keys(a).length;
    if (keys !== (preview === undefined ? 3 : 4) || !isHash(hash) || typeof type !== 'string' || type.length > MAX_MEDIA_TYPE_CHARS || typeof size !== 'number') return false;
    if (seen.has(hash) || attachmentProblem(type, size) !== null) return false;
    seen.add(hash);
    if (preview === undefined) continue;
    // Only a photo has a preview, never itself nor a file listed elsewhere in the list.
    if (kindOf(type) !== 'photo' || !validPreviewRef(preview) || seen.has(preview.hash)) return false;
    seen.add(preview.hash);
  }
  return true;
}

/**
 * Every file a list names, previews included: the server links, vouches for and authorises a
 * preview's hash exactly as an original's. Tolerant of malformed entries (it reads stored fields).
 */
export function refHashes(refs: unknown): string[] {
  if (!Array.isArray(refs)) return [];
  const out: string[] = [];
  for (const a of refs) {
    if (!isObject(a)) continue;
    if (typeof a.hash === 'string') out.push(a.hash);
    if (isObject(a.preview) && typeof a.preview.hash === 'string') out.push(a.preview.hash);
  }
  return out;
}

/** The originals a list names (previews left out): what may be requested from the recording phone. */
export function listedOriginals(refs: unknown): string[] {
  return Array.isArray(refs) ? refs.filter(isObject).map((a) => a.hash).filter((h): h is string => typeof h === 'string') : [];
}

/**
 * What the first bytes of a file say it is, or null. The server checks content against the
 * declared type, so a renamed executable is not served back as a photo.
 */
export function sniffType(head: Uint8Array): string | null {
  const at = (i: number, bytes: number[]) => bytes.every((b, j) => head[i + j] === b);
  const ascii = (i: number, s: string) => at(i, [...s].map((c) => c.charCodeAt(0)));
  if (at(0, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (at(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'image/webp';
  if (ascii(0, 'OggS')) return 'audio/ogg';
  // Matroska/WebM: audio or video is declared by the client; both share the container.
  if (at(0, [0x1a, 0x45, 0xdf, 0xa3])) return 'webm';
  if (ascii(4, 'ftyp')) return 'mp4';
  return null;
}

/** Whether sniffed content fits a declared type (containers shared by audio and video match both). */
export function contentMatches(declared: string, sniffed: string | null): boolean {
  const base = baseType(declared);
  if (sniffed === null) return false;
  if (sniffed === 'webm') return base === 'audio/webm' || base === 'video/webm';
  if (sniffed === 'mp4') return base === 'audio/mp4' || base === 'video/mp4';
  return sniffed === base;
}
