// Draws the app icon (a white speech bubble on Minsheng red) into PNGs without any
// image library: raw RGBA pixels, 4x supersampled, deflated into a PNG by hand.
// Run: npx tsx scripts/make-icons.ts  (outputs are committed under public/)
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const RED = [0xb3, 0x26, 0x1e];
const WHITE = [0xff, 0xff, 0xff];

/** Inside test in unit coordinates (0..1): rounded bubble plus a tail at the lower left. */
function inBubble(x: number, y: number): boolean {
  const cx = 0.5, cy = 0.46, rx = 0.3, ry = 0.22;
  const e = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
  // Tail: triangle below the bubble.
  const tail = y > 0.6 && y < 0.76 && x > 0.33 && x < 0.47 && x - 0.33 < (0.76 - y) * 0.9;
  return e || tail;
}

/** Three dots inside the bubble: "someone is speaking". */
function inDot(x: number, y: number): boolean {
  return [0.38, 0.5, 0.62].some((dx) => (x - dx) ** 2 + (y - 0.46) ** 2 <= 0.035 ** 2);
}

function crc32(buf: Uint8Array): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function png(size: number, rounded: boolean): Buffer {
  const S = 4;
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let py = 0; py < size; py++) {
    raw[py * (size * 4 + 1)] = 0;
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const x = (px + (sx + 0.5) / S) / size;
          const y = (py + (sy + 0.5) / S) / size;
          // Rounded corners for the plain icon; maskable icons must fill the square.
          const corner = 0.18;
          const dx = Math.max(corner - x, x - (1 - corner), 0);
          const dy = Math.max(corner - y, y - (1 - corner), 0);
          if (rounded && dx * dx + dy * dy > corner * corner) continue;
          const c = inBubble(x, y) && !inDot(x, y) ? WHITE : RED;
          r += c[0]!; g += c[1]!; b += c[2]!; a += 255;
        }
      }
      const n = S * S;
      const o = py * (size * 4 + 1) + 1 + px * 4;
      const alpha = a / n;
      raw[o] = alpha ? Math.round((r / n) * (255 / alpha)) : 0;
      raw[o + 1] = alpha ? Math.round((g / n) * (255 / alpha)) : 0;
      raw[o + 2] = alpha ? Math.round((b / n) * (255 / alpha)) : 0;
      raw[o + 3] = Math.round(alpha);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array())]);
}

writeFileSync('public/icon-192.png', png(192, true));
writeFileSync('public/icon-512.png', png(512, true));
writeFileSync('public/icon-maskable-512.png', png(512, false));
console.log('icons written to public/');
