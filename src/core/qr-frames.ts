// Arbitrary bytes as a looping sequence of QR codes, and back (issue 30, item 2).
//
// One phone shows frames one after another; the other's camera catches them in any order,
// with repeats and misses. Each frame is the text
//   "MSQ1:" + base45( id[4] | total[u16] | index[u16] | length[u32] | chunk | crc32[4] )
// Base45 (RFC 9285) keeps to the QR alphanumeric alphabet, so the frame is dense (8.25 bits a
// byte, 3 % over byte mode) and every decoder returns it unchanged as text: byte mode would be
// denser still, but the platform BarcodeDetector hands back text decoded by a guessed charset.
//
// The stream is content || SHA-256(content), zero-padded to `total` chunks of equal size and
// `length` long before padding; id is the first 4 bytes of that hash, so the same bundle shown
// again is the same transfer. Frames 0..total-1 carry the chunks as they are; every later index
// carries the XOR of a pseudo-random half of the chunks, drawn from (id, index) on both sides
// (a random linear fountain over GF(2)). The sender shows the plain chunks once, then mixed
// frames: a camera that missed some plain ones needs only about as many mixed ones as it
// missed, whichever they are, instead of waiting a whole loop for each one it missed.
// The per-frame CRC refuses a misread frame before it poisons the set; the whole hash refuses
// a transfer assembled from mixed-up or altered frames.

export const QR_FRAME_PREFIX = 'MSQ1:';
const ID_BYTES = 4;
const HEADER_BYTES = ID_BYTES + 2 + 2 + 4;
const CRC_BYTES = 4;
const HASH_BYTES = 32;
/**
 * Content bytes a frame carries by default: with the header and "MSQ1:" the text is 929
 * characters, a version-20 QR at level M (97 modules, 3.2 CSS px each across a 360 px phone):
 * big enough modules for a cheap phone camera at arm's length; jsQR reads one from a 640×480
 * camera image in ~45 ms in Node (`npm run bench -- handover-qr`).
 */
export const DEFAULT_CHUNK_BYTES = 600;
/** Error correction of the frames: M survives screen glare and moire better than L. */
export const QR_FRAME_ECC = 'M';

// ---------------------------------------------------------------------------------------------
// Base45 (RFC 9285)

const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const B45_INDEX: ReadonlyMap<string, number> = new Map([...B45].map((c, i) => [c, i]));

export function base45Encode(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    let n = bytes[i]! * 256 + bytes[i + 1]!;
    const c = n % 45;
    n = (n - c) / 45;
    const d = n % 45;
    out += B45[c]! + B45[d]! + B45[(n - d) / 45]!;
  }
  if (bytes.length % 2 === 1) {
    const n = bytes[bytes.length - 1]!;
    out += B45[n % 45]! + B45[Math.floor(n / 45)]!;
  }
  return out;
}

/** The bytes of a base45 text, or null when it is not base45. */
export function base45Decode(text: string): Uint8Array | null {
  if (text.length % 3 === 1) return null;
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < text.length; i += 3) {
    const c = B45_INDEX.get(text[i]!);
    const d = B45_INDEX.get(text[i + 1]!);
    if (c === undefined || d === undefined) return null;
    if (i + 2 < text.length) {
      const e = B45_INDEX.get(text[i + 2]!);
      if (e === undefined) return null;
      const n = c + d * 45 + e * 2025;
      if (n > 0xffff) return null;
      out[o++] = n >> 8;
      out[o++] = n & 0xff;
    } else {
      const n = c + d * 45;
      if (n > 0xff) return null;
      out[o++] = n;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// CRC-32 (IEEE) per frame and SHA-256 over the whole: written here so the core stays pure and
// synchronous (WebCrypto's digest is async and absent from some runtimes).

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const K256 = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
  0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
  0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
  0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

export function sha256(bytes: Uint8Array): Uint8Array {
  const bitLength = bytes.length * 8;
  const padded = new Uint8Array(Math.ceil((bytes.length + 9) / 64) * 64);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLength / 0x100000000));
  view.setUint32(padded.length - 4, bitLength >>> 0);
  const h = Uint32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]!;
      const b = w[i - 2]!;
      w[i] = (w[i - 16]! + (rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)) + w[i - 7]! + (rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10))) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!];
    for (let i = 0; i < 64; i++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K256[i]! + w[i]!) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a) >>> 0;
    h[1] = (h[1]! + b) >>> 0;
    h[2] = (h[2]! + c) >>> 0;
    h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0;
    h[5] = (h[5]! + f) >>> 0;
    h[6] = (h[6]! + g) >>> 0;
    h[7] = (h[7]! + hh) >>> 0;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(i * 4, h[i]!);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sending

/** Plain frames a transfer may have: the rest of the 16-bit index space is for mixed ones. */
export const MAX_FRAMES = 0x7fff;
export const MAX_FRAME_INDEX = 0xffff;

export interface QrFramePlan {
  /** Plain frames: what a camera that misses none needs, and the least any camera needs. */
  total: number;
  /** The QR text of frame `index` (0..MAX_FRAME_INDEX): a plain chunk below `total`, mixed above. */
  frame(index: number): string;
}

/** Which chunks mixed frame `index` XORs together: each with probability ½, never none. */
export function mixOf(id: number, total: number, index: number): number[] {
  // mulberry32, seeded by transfer and index: sender and receiver draw the same set.
  let seed = (id ^ Math.imul(index, 0x9e3779b9)) >>> 0;
  const next = (): number => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const out: number[] = [];
  for (let base = 0; base < total; base += 32) {
    const bits = next();
    for (let b = 0; b < 32 && base + b < total; b++) if ((bits >>> b) & 1) out.push(base + b);
  }
  if (out.length === 0) out.push(index % total);
  return out;
}

/** The index the sender shows at `step` of its loop: the plain frames once, then mixed ones for ever. */
export function sendIndex(total: number, step: number): number {
  if (step < total) return step;
  return total + ((step - total) % (MAX_FRAME_INDEX + 1 - total));
}

export function planQrFrames(content: Uint8Array, chunkBytes: number = DEFAULT_CHUNK_BYTES): QrFramePlan {
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new Error(`QR frame chunk must be a positive whole number of bytes, not ${chunkBytes}`);
  const hash = sha256(content);
  const length = content.length + HASH_BYTES;
  const total = Math.ceil(length / chunkBytes);
  if (total > MAX_FRAMES) throw new Error(`${content.length} bytes need ${total} QR frames, more than ${MAX_FRAMES}: hand them over as a file`);
  const stream = new Uint8Array(total * chunkBytes); // zero padding after the hash
  stream.set(content);
  stream.set(hash, content.length);
  const chunk = (i: number) => stream.subarray(i * chunkBytes, (i + 1) * chunkBytes);
  const id = new DataView(hash.buffer).getUint32(0);
  return {
    total,
    frame(index) {
      if (!Number.isInteger(index) || index < 0 || index > MAX_FRAME_INDEX) throw new Error(`QR frame index ${index} is outside 0..${MAX_FRAME_INDEX}`);
      let payload: Uint8Array;
      if (index < total) payload = chunk(index);
      else {
        payload = new Uint8Array(chunkBytes);
        for (const i of mixOf(id, total, index)) xorInto(payload, chunk(i));
      }
      const frame = new Uint8Array(HEADER_BYTES + chunkBytes + CRC_BYTES);
      const view = new DataView(frame.buffer);
      frame.set(hash.subarray(0, ID_BYTES));
      view.setUint16(ID_BYTES, total);
      view.setUint16(ID_BYTES + 2, index);
      view.setUint32(ID_BYTES + 4, length);
      frame.set(payload, HEADER_BYTES);
      view.setUint32(HEADER_BYTES + chunkBytes, crc32(frame.subarray(0, HEADER_BYTES + chunkBytes)));
      return QR_FRAME_PREFIX + base45Encode(frame);
    },
  };
}

/** The plain frames of `content`, in index order. */
export function toQrFrames(content: Uint8Array, chunkBytes: number = DEFAULT_CHUNK_BYTES): string[] {
  const plan = planQrFrames(content, chunkBytes);
  return Array.from({ length: plan.total }, (_, i) => plan.frame(i));
}

function xorInto(target: Uint8Array, source: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i]! ^= source[i]!;
}

// ---------------------------------------------------------------------------------------------
// Receiving

export interface QrFrame {
  /** The transfer, as 8 hex digits. */
  id: string;
  total: number;
  index: number;
  /** Stream bytes (content and hash) before padding. */
  length: number;
  chunk: Uint8Array;
  crc: number;
}

/**
 * Why a scanned code was not taken:
 * - not-a-frame: some other QR code (a link, a contact card), or not base45 after the prefix;
 * - version: a frame of a later format this app does not read (update the app);
 * - corrupt: misread (its CRC or header does not hold);
 * - foreign: a frame of another transfer than the one being received;
 * - conflict: contradicts frames already held (same index, other bytes; or a mix that cannot add up).
 */
export type QrFrameRefusal = 'not-a-frame' | 'version' | 'corrupt' | 'foreign' | 'conflict';

export type ParsedFrame = { ok: true; frame: QrFrame } | { ok: false; reason: 'not-a-frame' | 'version' | 'corrupt' };

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

export function parseQrFrame(text: string): ParsedFrame {
  if (!text.startsWith(QR_FRAME_PREFIX)) return { ok: false, reason: /^MSQ\d+:/.test(text) ? 'version' : 'not-a-frame' };
  const bytes = base45Decode(text.slice(QR_FRAME_PREFIX.length));
  if (!bytes) return { ok: false, reason: 'not-a-frame' };
  if (bytes.length < HEADER_BYTES + 1 + CRC_BYTES) return { ok: false, reason: 'corrupt' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const body = bytes.subarray(0, bytes.length - CRC_BYTES);
  const crc = view.getUint32(bytes.length - CRC_BYTES);
  if (crc !== crc32(body)) return { ok: false, reason: 'corrupt' };
  const total = view.getUint16(ID_BYTES);
  const index = view.getUint16(ID_BYTES + 2);
  const length = view.getUint32(ID_BYTES + 4);
  const size = body.length - HEADER_BYTES;
  // The length must need exactly `total` chunks of this size, and hold at least the hash.
  if (total < 1 || total > MAX_FRAMES || length < HASH_BYTES || length <= (total - 1) * size || length > total * size) return { ok: false, reason: 'corrupt' };
  return { ok: true, frame: { id: hex(bytes.subarray(0, ID_BYTES)), total, index, length, chunk: bytes.slice(HEADER_BYTES, body.length), crc } };
}

export type QrReceiveStep =
  /** A frame that added to what is known (`fresh`), or one that added nothing new. */
  | { kind: 'progress'; got: number; total: number; fresh: boolean }
  | { kind: 'refused'; reason: QrFrameRefusal; got: number; total: number }
  /** Every chunk is known and the whole hash holds: the exact bytes sent. */
  | { kind: 'done'; bytes: Uint8Array; total: number }
  /** Every chunk is known but they do not make the content they claim: the receiver starts over. */
  | { kind: 'failed'; reason: 'hash-mismatch'; total: number };

/** A linear combination of chunks: which ones (a bitset) and their XOR. */
interface Row {
  bits: Uint32Array;
  data: Uint8Array;
}

/** The lowest set bit at or above `from`, or -1. */
function lowestBit(bits: Uint32Array, from = 0): number {
  for (let w = from >>> 5; w < bits.length; w++) {
    // In the first word, the bits below `from` do not count.
    const word = w === from >>> 5 ? bits[w]! & (~0 << (from & 31)) : bits[w]!;
    if (word !== 0) return w * 32 + 31 - Math.clz32(word & -word);
  }
  return -1;
}

/**
 * Collects one transfer's frames in any order and solves for its chunks (Gaussian elimination
 * over GF(2), one frame at a time; a plain frame is a row with one bit). `got` counts the
 * independent frames: the transfer is done when it reaches `total`. The first valid frame fixes
 * the transfer; frames of another are refused until `reset`.
 */
export class QrFrameReceiver {
  private id: string | null = null;
  private idNum = 0;
  private total = 0;
  private length = 0;
  private size = 0;
  /** pivots[c]: the row whose lowest chunk is c (echelon form). */
  private pivots: (Row | undefined)[] = [];
  private rank = 0;
  /** The CRC of every index seen: a repeat is recognised without any algebra. */
  private readonly seen = new Map<number, number>();
  private result: Uint8Array | null = null;

  get got(): number {
    return this.rank;
  }

  get expected(): number {
    return this.total;
  }

  /** The transfer being received, or null before the first frame. */
  get transfer(): string | null {
    return this.id;
  }

  /** Chunks no held frame starts with: how many more independent frames are needed, and which plain ones would do. */
  missing(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.total; i++) if (!this.pivots[i]) out.push(i);
    return out;
  }

  reset(): void {
    this.id = null;
    this.total = this.length = this.size = this.rank = this.idNum = 0;
    this.pivots = [];
    this.seen.clear();
    this.result = null;
  }

  accept(text: string): QrReceiveStep {
    const parsed = parseQrFrame(text);
    if (!parsed.ok) return this.refuse(parsed.reason);
    const { frame } = parsed;
    if (this.id === null) {
      this.id = frame.id;
      this.idNum = parseInt(frame.id, 16) >>> 0;
      this.total = frame.total;
      this.length = frame.length;
      this.size = frame.chunk.length;
      this.pivots = new Array<Row | undefined>(frame.total);
    } else if (frame.id !== this.id) {
      return this.refuse('foreign');
    } else if (frame.total !== this.total || frame.length !== this.length || frame.chunk.length !== this.size) {
      // Same transfer, another shape: not a frame this sender can have made.
      return this.refuse('corrupt');
    }
    if (this.result) return { kind: 'done', bytes: this.result.slice(), total: this.total };
    const crc = this.seen.get(frame.index);
    if (crc !== undefined) return crc === frame.crc ? this.progress(false) : this.refuse('conflict');

    const bits = new Uint32Array(Math.ceil(this.total / 32));
    for (const c of frame.index < this.total ? [frame.index] : mixOf(this.idNum, this.total, frame.index)) bits[c >>> 5]! |= 1 << (c & 31);
    const row: Row = { bits, data: frame.chunk };
    for (let c = lowestBit(bits); ; c = lowestBit(bits, c)) {
      if (c === -1) {
        // Nothing new: consistent only if the bytes cancel out too.
        if (row.data.some((b) => b !== 0)) return this.refuse('conflict');
        this.seen.set(frame.index, frame.crc);
        return this.progress(false);
      }
      const pivot = this.pivots[c];
      if (!pivot) {
        this.pivots[c] = row;
        this.rank++;
        break;
      }
      for (let w = c >>> 5; w < bits.length; w++) bits[w]! ^= pivot.bits[w]!;
      xorInto(row.data, pivot.data);
    }
    this.seen.set(frame.index, frame.crc);
    return this.rank < this.total ? this.progress(true) : this.finish();
  }

  private finish(): QrReceiveStep {
    const { total, size } = this;
    // Back-substitution: from the last chunk down, each row sheds every chunk above its own.
    for (let c = total - 1; c >= 0; c--) {
      const row = this.pivots[c]!;
      for (let q = lowestBit(row.bits, c + 1); q !== -1; q = lowestBit(row.bits, q + 1)) {
        xorInto(row.data, this.pivots[q]!.data);
        row.bits[q >>> 5]! &= ~(1 << (q & 31));
      }
    }
    const stream = new Uint8Array(total * size);
    for (let c = 0; c < total; c++) stream.set(this.pivots[c]!.data, c * size);
    const content = stream.subarray(0, this.length - HASH_BYTES);
    const hash = sha256(content);
    const ok = sameBytes(hash, stream.subarray(this.length - HASH_BYTES, this.length)) && hex(hash.subarray(0, ID_BYTES)) === this.id && stream.subarray(this.length).every((b) => b === 0);
    if (!ok) {
      this.reset();
      return { kind: 'failed', reason: 'hash-mismatch', total };
    }
    this.result = content.slice();
    return { kind: 'done', bytes: this.result.slice(), total };
  }

  private progress(fresh: boolean): QrReceiveStep {
    return { kind: 'progress', got: this.rank, total: this.total, fresh };
  }

  private refuse(reason: QrFrameRefusal): QrReceiveStep {
    return { kind: 'refused', reason, got: this.got, total: this.total };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
