import { PHOTO_MAX_SIDE, PHOTO_QUALITY } from '../core/attachments';

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

/** The recorder's best container: Opus in WebM where supported (Chromium, Firefox), else MP4 (Safari). */
export function voiceMimeType(): string {
  for (const type of ['audio/webm;codecs=opus', 'audio/webm', 'audio/mp4', 'audio/ogg;codecs=opus']) {
    if (typeof MediaRecorder !== 'undefined' && MediaRecorder.isTypeSupported(type)) return type;
  }
  return '';
}
