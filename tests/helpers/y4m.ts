import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

// A YUV4MPEG2 video written by hand: Chromium's fake camera (--use-file-for-fake-video-capture)
// plays it, looping, as what the page's getUserMedia sees. 4:2:0 with JPEG (full-range) levels.

export interface RgbaFrame {
  width: number;
  height: number;
  /** width × height × 4 bytes, row by row. */
  rgba: Uint8Array | Uint8ClampedArray;
}

/** RGBA to I420 planes (BT.601 full range); chroma is the mean of each 2×2 block. */
export function rgbaToI420({ width, height, rgba }: RgbaFrame): Uint8Array {
  if (width % 2 || height % 2) throw new Error(`4:2:0 needs even dimensions, not ${width}x${height}`);
  if (rgba.length !== width * height * 4) throw new Error(`expected ${width * height * 4} RGBA bytes, got ${rgba.length}`);
  const ySize = width * height;
  const cw = width / 2;
  const out = new Uint8Array(ySize * 1.5);
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));
  for (let i = 0; i < ySize; i++) out[i] = clamp(0.299 * rgba[i * 4]! + 0.587 * rgba[i * 4 + 1]! + 0.114 * rgba[i * 4 + 2]!);
  for (let y = 0; y < height / 2; y++) {
    for (let x = 0; x < cw; x++) {
      let r = 0, g = 0, b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const p = ((y * 2 + dy) * width + x * 2 + dx) * 4;
        r += rgba[p]!;
        g += rgba[p + 1]!;
        b += rgba[p + 2]!;
      }
      [r, g, b] = [r / 4, g / 4, b / 4];
      out[ySize + y * cw + x] = clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
      out[ySize + ySize / 4 + y * cw + x] = clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
    }
  }
  return out;
}

/** Writes `frames` (all one size) as a .y4m file at `fps` frames a second. */
export async function writeY4m(file: string, frames: RgbaFrame[], fps: number): Promise<void> {
  const first = frames[0];
  if (!first) throw new Error('a video needs at least one frame');
  const out = createWriteStream(file);
  const write = async (chunk: string | Uint8Array) => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  await write(`YUV4MPEG2 W${first.width} H${first.height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  for (const frame of frames) {
    if (frame.width !== first.width || frame.height !== first.height) throw new Error('every frame of a y4m video has the same size');
    await write('FRAME\n');
    await write(rgbaToI420(frame));
  }
  out.end();
  await once(out, 'finish');
}

/** `gray` (w × h, one byte a pixel) centred on a white canvas of `width` × `height`, as RGBA. */
export function grayOnWhite(gray: Uint8Array, w: number, h: number, width: number, height: number): RgbaFrame {
  if (w > width || h > height) throw new Error(`a ${w}x${h} image does not fit in ${width}x${height}`);
  const rgba = new Uint8Array(width * height * 4).fill(255);
  const left = Math.floor((width - w) / 2);
  const top = Math.floor((height - h) / 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = gray[y * w + x]!;
      const p = ((top + y) * width + left + x) * 4;
      rgba[p] = rgba[p + 1] = rgba[p + 2] = v;
    }
  }
  return { width, height, rgba };
}
