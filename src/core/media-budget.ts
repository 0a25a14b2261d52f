// Photos on a data budget. A photo is stored twice on the phone: a small preview, which goes
// up with the record at once, and the original, which waits for a link that can afford it,
// for the user's say-so, or for someone working the appeal to ask for it (original_requested).
// Every rule about when the original may go, and how small a preview is, is here.

import { isAppealEvent } from './events';
import { MAX_ATTACHMENT_BYTES, PREVIEW_MAX_BYTES, PREVIEW_MAX_SIDE } from './attachments';

/** The user's choice in Settings (原图上传): automatic, only on WLAN, or always at once. */
export const ORIGINAL_UPLOAD_SETTINGS = ['auto', 'wifi_only', 'now'] as const;
export type OriginalUploadSetting = (typeof ORIGINAL_UPLOAD_SETTINGS)[number];
export const DEFAULT_ORIGINAL_UPLOAD: OriginalUploadSetting = 'auto';

export function isOriginalUploadSetting(v: unknown): v is OriginalUploadSetting {
  return typeof v === 'string' && (ORIGINAL_UPLOAD_SETTINGS as readonly string[]).includes(v);
}

/** What the browser says of the link (navigator.connection); null where it says nothing (Safari, Firefox). */
export interface LinkInfo {
  type?: string;
  effectiveType?: string;
  saveData?: boolean;
}

const UNMETERED_TYPES: readonly string[] = ['wifi', 'ethernet'];

/** The link is WLAN or wired: known unmetered. */
export function isUnmetered(link: LinkInfo | null): boolean {
  return link !== null && link.type !== undefined && UNMETERED_TYPES.includes(link.type);
}

/** The link is strong enough to send an original without hurting: unmetered, or 4G with no data saver. */
export function isStrong(link: LinkInfo | null): boolean {
  if (link === null) return false;
  if (isUnmetered(link)) return true;
  return link.effectiveType === '4g' && link.saveData !== true;
}

/** Why an original is still on the phone: it waits for WLAN, or for WLAN or a strong link. */
export type OriginalWait = 'wifi' | 'strong_link';

export interface OriginalContext {
  setting: OriginalUploadSetting;
  link: LinkInfo | null;
  /** Someone working the appeal asked for it. */
  requested: boolean;
  /** The user pressed 现在上传原图 for this file. */
  forced: boolean;
}

/**
 * Whether the original may be sent now (null), or what it waits for. A request or the user's
 * own say-so sends it on any link. Where the browser cannot tell the link (no
 * navigator.connection), 'auto' sends it, as the app always did, so no phone strands its
 * originals; 'wifi_only' then keeps it, since WLAN cannot be confirmed.
 */
export function originalWait(ctx: OriginalContext): OriginalWait | null {
  if (ctx.requested || ctx.forced || ctx.setting === 'now') return null;
  if (ctx.setting === 'wifi_only') return isUnmetered(ctx.link) ? null : 'wifi';
  if (ctx.link === null) return null;
  return isStrong(ctx.link) ? null : 'strong_link';
}

/** The originals `events` ask for (well-formed original_requested events; the fold has checked who). */
export function requestedOriginals(events: readonly unknown[]): string[] {
  const out = new Set<string>();
  for (const e of events) if (isAppealEvent(e) && e.type === 'original_requested') out.add(e.hash);
  return [...out];
}

/** JPEG qualities tried in turn until the preview fits its target, then its cap. */
export const PREVIEW_QUALITIES: readonly number[] = [0.6, 0.45, 0.3];
/** What a preview aims at; PREVIEW_MAX_BYTES is the most it may be. */
export const PREVIEW_TARGET_BYTES = 15 * 1024;
/** A photo this small already is a preview: it goes up as it is, with none. */
export const PREVIEW_SKIP_BYTES = 24 * 1024;

/** The preview's size in pixels: the photo scaled to PREVIEW_MAX_SIDE on its long side, never up. */
export function previewSize(width: number, height: number): { width: number; height: number } {
  const w = Math.max(1, Math.floor(width));
  const h = Math.max(1, Math.floor(height));
  const scale = Math.min(1, PREVIEW_MAX_SIDE / Math.max(w, h));
  return { width: Math.max(1, Math.min(PREVIEW_MAX_SIDE, Math.round(w * scale))), height: Math.max(1, Math.min(PREVIEW_MAX_SIDE, Math.round(h * scale))) };
}

/** Whether a photo of `size` bytes gets a preview at all. */
export function wantsPreview(size: number): boolean {
  return size > PREVIEW_SKIP_BYTES;
}

/**
 * Which encoding to keep among attempts (in PREVIEW_QUALITIES order): the first within the
 * target, else the smallest within the cap, else none (the photo then travels without one).
 * A preview is always smaller than the photo it stands for.
 */
export function choosePreview(attempts: readonly number[], originalSize: number): number | null {
  const fits = (n: number) => n > 0 && n <= PREVIEW_MAX_BYTES && n < originalSize && n <= MAX_ATTACHMENT_BYTES.photo;
  const target = attempts.findIndex((n) => fits(n) && n <= PREVIEW_TARGET_BYTES);
  if (target >= 0) return target;
  let best: number | null = null;
  attempts.forEach((n, i) => {
    if (fits(n) && (best === null || n < attempts[best]!)) best = i;
  });
  return best;
}
