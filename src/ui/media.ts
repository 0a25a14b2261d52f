import { PHOTO_MAX_SIDE, PHOTO_QUALITY, PREVIEW_TYPES } from '../core/attachments';
import { choosePreview, PREVIEW_QUALITIES, PREVIEW_TARGET_BYTES, previewSize, wantsPreview } from '../core/media-budget';

// Photos shrink on the phone before they are stored: a 12 MP camera JPEG of 3–5 MB becomes
// a 1600 px JPEG of a few hundred KB, still legible for a document or a broken pipe.

async function toBlob(canvas: HTMLCanvasElement | OffscreenCanvas, type: string, quality: number): Promise<Blob> {
  if ('convertToBlob' in canvas) return canvas.convertToBlob({ type, quality });
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('encode failed'))), type, quality));
}

/** A JPEG no larger than PHOTO_MAX_SIDE on its long side; the original if that is smaller. */
export async function compressPhoto(file: Blob): Promise<Blob> {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  try {
    const scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const w = Math.max(1, Math.round(bitmap.width * scale));
    const h = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(w, h) : Object.assign(document.createElement('canvas'), { width: w, height: h });
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
    // JPEG has no alpha: transparent PNG areas become white, not black.
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, w, h);
    ctx.drawImage(bitmap, 0, 0, w, h);
    const jpeg = await toBlob(canvas, 'image/jpeg', PHOTO_QUALITY);
    return file.type === 'image/jpeg' && file.size <= jpeg.size ? file : jpeg;
  } finally {
    bitmap.close();
  }
}

/**
 * A photo's small copy (about 320 px, ~15 KB) that travels with the record at once; null when
 * the photo is small enough to be its own preview, or no encoding fits (src/core/media-budget.ts).
 */
export async function makePreview(photo: Blob): Promise<Blob | null> {
  if (!wantsPreview(photo.size)) return null;
  const bitmap = await createImageBitmap(photo, { imageOrientation: 'from-image' });
  try {
    const { width, height } = previewSize(bitmap.width, bitmap.height);
    const canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(width, height) : Object.assign(document.createElement('canvas'), { width, height });
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(bitmap, 0, 0, width, height);
    const attempts: Blob[] = [];
    for (const q of PREVIEW_QUALITIES) {
      const b = await toBlob(canvas, 'image/jpeg', q);
      attempts.push(b);
      if (b.size <= PREVIEW_TARGET_BYTES) break;
    }
    const i = choosePreview(attempts.map((a) => a.size), photo.size);
    const chosen = i === null ? null : attempts[i]!;
    return chosen && PREVIEW_TYPES.includes(chosen.type) ? chosen : null;
  } finally {
    bitmap.close();
  }
}

/** The recorder's best container: Opus in WebM where supported (Chromium, Firefox), else MP4 (Safari). */
export function voiceMimeType(): string {
  for (const type of ['audio/webm;codecs=opus', 'audio/webm', 'audio/mp4', 'audio/ogg;codecs=opus']) {
    if (typeof MediaRecorder !== 'undefined' && MediaRecorder.isTypeSupported(type)) return type;
  }
  return '';
}
