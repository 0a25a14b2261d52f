// Wire format 2 of the sync protocol (protocol.ts): the same messages, fewer bytes on 2G.
//
// Frame: [u8 2][body with UUIDs packed]. Packing replaces every lowercase canonical UUID in
// the body (ids in headers, event ids and actors inside Yjs updates) by a marker and its 16
// bytes: permessage-deflate codes a small frame with fixed Huffman codes, a byte per hex
// digit, so a UUID costs 36 bytes as text and 17 packed. It is a byte transform, lossless
// for any input, so updates come back byte for byte.
//
// Body: [u8 kind][...]. Kind 0 carries a version 1 frame without its version byte (any
// message); kinds 1–3 lay out the hot messages in binary: push, a plain ack, changes. What
// a layout cannot hold (an uplink's authors, an ack with rejections) goes as kind 0.
// Decoding yields the same objects as version 1: the schemas check them the same way.

export const WIRE_COMPACT = 2;

export const KIND = { json: 0, push: 1, ack: 2, changes: 3 } as const;

/** Thrown for a body that does not parse; protocol.ts turns it into a bad_frame. */
export class WireError extends Error {}

// --- UUID packing -------------------------------------------------------------------------

/** Marks 16 packed UUID bytes; ESCAPE marks a literal MARK or ESCAPE. Neither occurs in UTF-8 text. */
const MARK = 0xf5;
const ESCAPE = 0xf6;
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[97 + i] = 10 + i;
const HEX_DIGITS = '0123456789abcdef';
const HEX = Array.from(HEX_DIGITS, (c) => c.charCodeAt(0));
const DASH = 45;
/** Offsets of the dashes in 8-4-4-4-12. */
const isDash = (k: number) => k === 8 || k === 13 || k === 18 || k === 23;

function uuidAt(b: Uint8Array, i: number): boolean {
  // The dashes first: most runs of hex digits (numbers) fail there at once.
  if (i + 36 > b.length || b[i + 8] !== DASH || b[i + 13] !== DASH || b[i + 18] !== DASH || b[i + 23] !== DASH) return false;
  for (let k = 0; k < 36; k++) {
    const c = b[i + k]!;
    if (isDash(k) ? c !== DASH : HEX_VALUE[c]! < 0) return false;
  }
  return true;
}

export function packUuids(b: Uint8Array): Uint8Array {
  // Packing only shrinks; each escape adds a byte.
  let escapes = 0;
  for (let i = 0; i < b.length; i++) if (b[i] === MARK || b[i] === ESCAPE) escapes++;
  const out = new Uint8Array(b.length + escapes);
  let o = 0;
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (HEX_VALUE[c]! >= 0 && uuidAt(b, i)) {
      out[o++] = MARK;
      for (let k = 0; k < 36; k += 2) {
        if (isDash(k)) k++;
        out[o++] = (HEX_VALUE[b[i + k]!]! << 4) | HEX_VALUE[b[i + k + 1]!]!;
      }
      i += 36;
      continue;
    }
    if (c === MARK || c === ESCAPE) out[o++] = ESCAPE;
    out[o++] = c;
    i++;
  }
  return out.subarray(0, o);
}

/** The inverse of packUuids; throws WireError on a truncated marker, RangeError past `max` bytes. */
export function unpackUuids(b: Uint8Array, max: number): Uint8Array {
  let size = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === MARK) (size += 36), (i += 16);
    else if (b[i] === ESCAPE) size++, i++;
    else size++;
  }
  if (size > max) throw new RangeError(`frame of ${size} bytes exceeds ${max}`);
  const out = new Uint8Array(size);
  let o = 0;
  for (let i = 0; i < b.length; ) {
    const c = b[i++]!;
    if (c === ESCAPE) {
      if (i >= b.length || (b[i] !== MARK && b[i] !== ESCAPE)) throw new WireError('stray escape byte');
      out[o++] = b[i++]!;
    } else if (c === MARK) {
      if (i + 16 > b.length) throw new WireError('truncated UUID');
      for (let k = 0; k < 16; k++) {
        if (k === 4 || k === 6 || k === 8 || k === 10) out[o++] = DASH;
        out[o++] = HEX[b[i]! >> 4]!;
        out[o++] = HEX[b[i]! & 15]!;
        i++;
      }
    } else out[o++] = c;
  }
  return out;
}

// --- Binary layouts -----------------------------------------------------------------------

export class Writer {
  private buf = new Uint8Array(256);
  private at = 0;
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.at + n));
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }
  u8(x: number): this {
    this.room(1);
    this.buf[this.at++] = x;
    return this;
  }
  /** Unsigned LEB128 up to 2^53, by arithmetic (bit operators stop at 32 bits). */
  uint(x: number): this {
    if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`not a wire integer: ${x}`);
    while (x >= 0x80) {
      this.u8((x % 0x80) | 0x80);
      x = Math.floor(x / 0x80);
    }
    return this.u8(x);
  }
  /** A signed difference, zigzagged: small either way. */
  int(x: number): this {
    return this.uint(x < 0 ? -2 * x - 1 : 2 * x);
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
    return this;
  }
  sized(b: Uint8Array): this {
    return this.uint(b.length).bytes(b);
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }
}

export class Reader {
  private at: number;
  constructor(
    private readonly b: Uint8Array,
    at = 0,
  ) {
    this.at = at;
  }
  get left(): number {
    return this.b.length - this.at;
  }
  u8(): number {
    if (this.at >= this.b.length) throw new WireError('frame ends early');
    return this.b[this.at++]!;
  }
  uint(): number {
    let x = 0;
    let scale = 1;
    for (let n = 0; n < 8; n++) {
      const c = this.u8();
      x += (c & 0x7f) * scale;
      if (c < 0x80) {
        if (!Number.isSafeInteger(x)) break;
        return x;
      }
      scale *= 0x80;
    }
    throw new WireError('integer out of range');
  }
  int(): number {
    const z = this.uint();
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2;
  }
  bytes(n: number): Uint8Array {
    if (n > this.left) throw new WireError('length exceeds frame');
    const out = this.b.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }
  sized(): Uint8Array {
    return this.bytes(this.uint());
  }
  /** A count of things each at least `min` bytes long: bounded by what is left, so no count allocates past the frame. */
  count(min: number): number {
    const n = this.uint();
    if (n * min > this.left) throw new WireError('count exceeds frame');
    return n;
  }
  end(): void {
    if (this.left !== 0) throw new WireError('trailing bytes after message');
  }
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isUuidText = (s: unknown): s is string => typeof s === 'string' && UUID_TEXT.test(s);

export function uuidBytes(s: string): Uint8Array {
  const hex = s.replaceAll('-', '');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = (HEX_VALUE[hex.charCodeAt(2 * i)]! << 4) | HEX_VALUE[hex.charCodeAt(2 * i + 1)]!;
  return out;
}

export function uuidText(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX_DIGITS[b[i]! >> 4]! + HEX_DIGITS[b[i]! & 15]!;
  }
  return s;
}

/** A list of sequence numbers as differences: a run of consecutive ones is a run of 1s, which deflate all but erases. */
export function writeSeqs(w: Writer, seqs: readonly number[]): void {
  w.uint(seqs.length);
  let prev = 0;
  for (const s of seqs) {
    w.int(s - prev);
    prev = s;
  }
}

export function readSeqs(r: Reader): number[] {
  const n = r.count(1);
  const out: number[] = [];
  let prev = 0;
  for (let i = 0; i < n; i++) {
    prev += r.int();
    if (!Number.isSafeInteger(prev)) throw new WireError('sequence number out of range');
    out.push(prev);
  }
  return out;
}
