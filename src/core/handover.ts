import { formatUuid, isUuidV7 } from './id';
import { MAX_ACTOR_ID_CHARS, MAX_BUNDLE_BYTES, MAX_BUNDLE_ENTRIES, MAX_NAME_CHARS, MAX_UPDATE_BYTES } from './limits';

// Hand-over bundles: a phone with no signal passes its pending records (the outbox) to one
// that will have a link, as a file or an animated QR sequence. The recording device signs the
// bundle with its own Ed25519 key; the server checks that key, then applies each record as its
// author through the ordinary push path, keyed by (device, seq), so a record relayed and later
// pushed directly is stored once.
//
// Binary layout, version 1 (integers big-endian):
//   magic "MSHO" | u8 version | u8 flags | key id (16 bytes, a UUIDv7) | Ed25519 public key (32)
//   | u8 author id length | author id (UTF-8) | u64 createdAt (ms) | u16 entry count
//   | u32 records length | records (deflate-raw when flags bit 0) | signature (64 bytes, over every byte before it)
// A record: doc id (16) | u32 seq | u8 flags (bit 0: contact) | u32 update length | update
//   | when flagged: u8 name length | name | u8 phone length | phone (UTF-8)
// The public key travels so a carrier can tell a damaged file at once, offline; the server
// trusts only the key registered for the key id.

export const BUNDLE_MAGIC = [0x4d, 0x53, 0x48, 0x4f] as const;
export const BUNDLE_VERSION = 1;
export const SIGNATURE_BYTES = 64;
export const PUBLIC_KEY_BYTES = 32;
const MAX_PHONE_BYTES = 32;
/** Magic, version, flags, key id, public key, author length byte, createdAt, count, records length. */
const FIXED_HEAD = 4 + 1 + 1 + 16 + PUBLIC_KEY_BYTES + 1 + 8 + 2 + 4;
/** Flag bit 0: the records section is deflate-raw compressed. */
export const FLAG_DEFLATED = 1;
/** Doc id, seq, flags, update length. */
const ENTRY_HEAD = 16 + 4 + 1 + 4;
/** What a contact may add to an entry: two length bytes and the longest name and phone in UTF-8. */
const CONTACT_MAX = 2 + MAX_NAME_CHARS * 4 + MAX_PHONE_BYTES;

export interface BundleContact {
  name?: string;
  phone?: string;
}

export interface BundleEntry {
  docId: string;
  /** The recording device's outbox seq: with its device it keys the server's receipt. */
  seq: number;
  update: Uint8Array;
  contact?: BundleContact;
}

export interface BundleBody {
  keyId: string;
  publicKey: Uint8Array;
  authorId: string;
  createdAt: number;
  entries: BundleEntry[];
}

export interface Bundle extends BundleBody {
  /** The exact bytes the signature covers. */
  signed: Uint8Array;
  signature: Uint8Array;
}

/** Why a bundle is refused, by a carrier at import or by the server at relay. */
export const HANDOVER_REFUSALS = ['bad_bundle', 'too_large', 'bad_signature', 'unknown_key', 'revoked_key', 'wrong_author', 'replayed_changed'] as const;
export type HandoverRefusal = (typeof HANDOVER_REFUSALS)[number];

export type Decoded = { ok: true; bundle: Bundle } | { ok: false; reason: HandoverRefusal; detail: string };

// Typed locally: src/core compiles without DOM or Node type libraries, yet both runtimes have these.
const codecs = globalThis as unknown as {
  TextEncoder: new () => { encode(s: string): Uint8Array };
  TextDecoder: new (label: string, options: { fatal: boolean }) => { decode(b: Uint8Array): string };
};
const utf8 = new codecs.TextEncoder();
const strictUtf8 = new codecs.TextDecoder('utf-8', { fatal: true });

function uuidBytes(id: string): Uint8Array {
  const hex = id.replace(/-/g, '');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Bytes one entry takes in a bundle. */
export function entrySize(e: BundleEntry): number {
  if (!e.contact) return ENTRY_HEAD + e.update.byteLength;
  return ENTRY_HEAD + e.update.byteLength + 2 + utf8.encode(e.contact.name ?? '').byteLength + utf8.encode(e.contact.phone ?? '').byteLength;
}

/**
 * The outbox rows (in seq order) that fit one bundle: a prefix, so what is left is sent in a
 * later bundle in order. Never empty when `rows` is not (one record always fits: updates are
 * bounded well below a bundle).
 */
export function fitEntries<T extends BundleEntry>(rows: readonly T[], authorId: string, maxBytes = MAX_BUNDLE_BYTES): T[] {
  let size = FIXED_HEAD + utf8.encode(authorId).byteLength + SIGNATURE_BYTES;
  const out: T[] = [];
  for (const row of rows) {
    if (out.length >= MAX_BUNDLE_ENTRIES) break;
    const add = entrySize(row);
    if (out.length > 0 && size + add > maxBytes) break;
    out.push(row);
    size += add;
  }
  return out;
}

function problem(body: BundleBody): string | null {
  if (!isUuidV7(body.keyId)) return 'key id must be a UUIDv7';
  if (body.publicKey.byteLength !== PUBLIC_KEY_BYTES) return `public key must be ${PUBLIC_KEY_BYTES} bytes`;
  const author = utf8.encode(body.authorId).byteLength;
  if (author < 1 || body.authorId.length > MAX_ACTOR_ID_CHARS || author > 255) return 'author id must be 1..64 characters';
  if (!Number.isSafeInteger(body.createdAt) || body.createdAt < 0) return 'createdAt must be a time in ms';
  if (body.entries.length < 1 || body.entries.length > MAX_BUNDLE_ENTRIES) return `a bundle holds 1..${MAX_BUNDLE_ENTRIES} records`;
  const seqs = new Set<number>();
  for (const e of body.entries) {
    if (!isUuidV7(e.docId)) return 'doc id must be a UUIDv7';
    if (!Number.isInteger(e.seq) || e.seq < 1 || e.seq > 0xffffffff) return 'seq must be 1..2^32-1';
    if (seqs.has(e.seq)) return `seq ${e.seq} appears twice`;
    seqs.add(e.seq);
    if (e.update.byteLength < 1 || e.update.byteLength > MAX_UPDATE_BYTES) return `an update must be 1..${MAX_UPDATE_BYTES} bytes`;
    if (e.contact) {
      if ((e.contact.name ?? '').length > MAX_NAME_CHARS) return `a contact name is at most ${MAX_NAME_CHARS} characters`;
      if (utf8.encode(e.contact.phone ?? '').byteLength > MAX_PHONE_BYTES) return `a contact phone is at most ${MAX_PHONE_BYTES} bytes`;
    }
  }
  return null;
}

/** Deflate-raw (RFC 1951), from the platform: CompressionStream in the browser, zlib on the server. */
export type Deflate = (bytes: Uint8Array) => Promise<Uint8Array>;
/** Inflate-raw that gives up (null) past `maxBytes` of output or on a broken stream. */
export type Inflate = (bytes: Uint8Array, maxBytes: number) => Promise<Uint8Array | null>;

/** The records section: every entry, as the layout above says. */
function encodeEntries(entries: readonly BundleEntry[]): Uint8Array {
  const contacts = entries.map((e) => (e.contact ? [utf8.encode(e.contact.name ?? ''), utf8.encode(e.contact.phone ?? '')] : null));
  const size = entries.reduce((n, e, i) => n + ENTRY_HEAD + e.update.byteLength + (contacts[i] ? 2 + contacts[i]![0]!.byteLength + contacts[i]![1]!.byteLength : 0), 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  entries.forEach((e, i) => {
    out.set(uuidBytes(e.docId), at);
    at += 16;
    view.setUint32(at, e.seq);
    at += 4;
    const contact = contacts[i];
    out[at++] = contact ? 1 : 0;
    view.setUint32(at, e.update.byteLength);
    at += 4;
    out.set(e.update, at);
    at += e.update.byteLength;
    if (contact) {
      for (const part of contact) {
        out[at++] = part.byteLength;
        out.set(part, at);
        at += part.byteLength;
      }
    }
  });
  return out;
}

function encodeWith(body: BundleBody, flags: number, payload: Uint8Array): Uint8Array {
  const author = utf8.encode(body.authorId);
  const size = FIXED_HEAD + author.byteLength + payload.byteLength;
  if (size + SIGNATURE_BYTES > MAX_BUNDLE_BYTES) throw new Error(`bundle: ${size + SIGNATURE_BYTES} bytes exceeds ${MAX_BUNDLE_BYTES}`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  out.set(BUNDLE_MAGIC, at);
  at += 4;
  out[at++] = BUNDLE_VERSION;
  out[at++] = flags;
  out.set(uuidBytes(body.keyId), at);
  at += 16;
  out.set(body.publicKey, at);
  at += PUBLIC_KEY_BYTES;
  out[at++] = author.byteLength;
  out.set(author, at);
  at += author.byteLength;
  view.setUint32(at, Math.floor(body.createdAt / 2 ** 32));
  view.setUint32(at + 4, body.createdAt % 2 ** 32);
  at += 8;
  view.setUint16(at, body.entries.length);
  at += 2;
  view.setUint32(at, payload.byteLength);
  at += 4;
  out.set(payload, at);
  return out;
}

/**
 * The canonical bytes the device signs, records uncompressed: everything of the bundle but the
 * signature. Throws on a body no decoder would take.
 */
export function encodeBundleBody(body: BundleBody): Uint8Array {
  const wrong = problem(body);
  if (wrong) throw new Error(`bundle: ${wrong}`);
  return encodeWith(body, 0, encodeEntries(body.entries));
}

/**
 * As encodeBundleBody, with the records section deflated (flag bit 0): Yjs updates of Chinese
 * text shrink several times, and on a QR sequence every byte is time. The signature covers the
 * compressed bytes, so it is checked before anything is inflated.
 */
export async function encodeDeflatedBundleBody(body: BundleBody, deflate: Deflate): Promise<Uint8Array> {
  const wrong = problem(body);
  if (wrong) throw new Error(`bundle: ${wrong}`);
  return encodeWith(body, FLAG_DEFLATED, await deflate(encodeEntries(body.entries)));
}

/** The signed bundle: its body followed by the signature of exactly those bytes. */
export function attachSignature(body: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.byteLength !== SIGNATURE_BYTES) throw new Error(`bundle: a signature is ${SIGNATURE_BYTES} bytes`);
  const out = new Uint8Array(body.byteLength + SIGNATURE_BYTES);
  out.set(body);
  out.set(signature, body.byteLength);
  return out;
}

class Short extends Error {}
type Refused = { ok: false; reason: HandoverRefusal; detail: string };

/** A cursor over `bytes` up to `end` that throws Short past it. */
function reader(bytes: Uint8Array, start: number, end: number) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = {
    at: start,
    take(n: number): Uint8Array {
      if (r.at + n > end) throw new Short();
      const part = bytes.slice(r.at, r.at + n);
      r.at += n;
      return part;
    },
    u8: (): number => r.take(1)[0]!,
    u16(): number {
      if (r.at + 2 > end) throw new Short();
      const n = view.getUint16(r.at);
      r.at += 2;
      return n;
    },
    u32(): number {
      if (r.at + 4 > end) throw new Short();
      const n = view.getUint32(r.at);
      r.at += 4;
      return n;
    },
    text: (n: number): string => strictUtf8.decode(r.take(n)),
  };
  return r;
}

function decodeEntries(payload: Uint8Array, count: number): BundleEntry[] | Refused {
  const r = reader(payload, 0, payload.byteLength);
  const entries: BundleEntry[] = [];
  for (let i = 0; i < count; i++) {
    const docId = formatUuid(r.take(16));
    const seq = r.u32();
    const flags = r.u8();
    if (flags > 1) return { ok: false, reason: 'bad_bundle', detail: `record ${i + 1}: unknown flags ${flags}` };
    const length = r.u32();
    if (length > MAX_UPDATE_BYTES) return { ok: false, reason: 'too_large', detail: `record ${i + 1}: update of ${length} bytes exceeds ${MAX_UPDATE_BYTES}` };
    const update = r.take(length);
    const entry: BundleEntry = { docId, seq, update };
    if (flags & 1) {
      const name = r.text(r.u8());
      const phone = r.text(r.u8());
      entry.contact = { ...(name && { name }), ...(phone && { phone }) };
    }
    entries.push(entry);
  }
  if (r.at !== payload.byteLength) return { ok: false, reason: 'bad_bundle', detail: 'trailing bytes after the records' };
  return entries;
}

const refusalOf = (err: unknown): Refused =>
  err instanceof Short
    ? { ok: false, reason: 'bad_bundle', detail: 'bundle is truncated' }
    : // The fatal decoder's only failure: a name or id that is not UTF-8.
      { ok: false, reason: 'bad_bundle', detail: 'text in the bundle is not valid UTF-8' };

/** A bundle's signed head, read without touching its records: enough to check the signature first. */
export interface BundleHead {
  keyId: string;
  publicKey: Uint8Array;
  authorId: string;
  createdAt: number;
  count: number;
  deflated: boolean;
  /** The records section as sent (deflated when `deflated`). */
  records: Uint8Array;
  signed: Uint8Array;
  signature: Uint8Array;
}

export type DecodedHead = { ok: true; head: BundleHead } | Refused;

/**
 * Reads a bundle's head strictly: magic, version, flags, every length checked against what is
 * left, nothing between the records and the signature. Nothing is inflated here, so the
 * signature can be checked before any work is spent on the records.
 */
export function readBundleHead(bytes: Uint8Array): DecodedHead {
  if (bytes.byteLength > MAX_BUNDLE_BYTES) return { ok: false, reason: 'too_large', detail: `bundle of ${bytes.byteLength} bytes exceeds ${MAX_BUNDLE_BYTES}` };
  if (bytes.byteLength < 4 || BUNDLE_MAGIC.some((b, i) => bytes[i] !== b)) return { ok: false, reason: 'bad_bundle', detail: 'not a Minsheng hand-over bundle' };
  if (bytes.byteLength < 5 || bytes[4] !== BUNDLE_VERSION) return { ok: false, reason: 'bad_bundle', detail: `unsupported bundle version ${bytes[4] ?? 'none'}` };
  if (bytes.byteLength < FIXED_HEAD + 1 + 1 + SIGNATURE_BYTES) return { ok: false, reason: 'bad_bundle', detail: 'bundle is truncated' };
  const end = bytes.byteLength - SIGNATURE_BYTES;
  const r = reader(bytes, 5, end);
  try {
    const flags = r.u8();
    if (flags > FLAG_DEFLATED) return { ok: false, reason: 'bad_bundle', detail: `unknown bundle flags ${flags}` };
    const keyId = formatUuid(r.take(16));
    const publicKey = r.take(PUBLIC_KEY_BYTES);
    const authorId = r.text(r.u8());
    const createdAt = r.u32() * 2 ** 32 + r.u32();
    const count = r.u16();
    const records = r.take(r.u32());
    if (r.at !== end) return { ok: false, reason: 'bad_bundle', detail: 'trailing bytes before the signature' };
    return { ok: true, head: { keyId, publicKey, authorId, createdAt, count, deflated: (flags & FLAG_DEFLATED) !== 0, records, signed: bytes.slice(0, end), signature: bytes.slice(end) } };
  } catch (err) {
    return refusalOf(err);
  }
}

/** The records of a bundle whose head was read (and, by the caller, verified): inflated within MAX_BUNDLE_BYTES and checked whole. */
export async function openBundle(head: BundleHead, inflate: Inflate): Promise<Decoded> {
  let payload = head.records;
  if (head.deflated) {
    const inflated = await inflate(payload, MAX_BUNDLE_BYTES);
    if (!inflated) return { ok: false, reason: 'bad_bundle', detail: `the records do not inflate (broken, or over ${MAX_BUNDLE_BYTES} bytes)` };
    payload = inflated;
  }
  let entries: BundleEntry[] | Refused;
  try {
    entries = decodeEntries(payload, head.count);
  } catch (err) {
    return refusalOf(err);
  }
  if (!Array.isArray(entries)) return entries;
  const body: BundleBody = { keyId: head.keyId, publicKey: head.publicKey, authorId: head.authorId, createdAt: head.createdAt, entries };
  const wrong = problem(body);
  if (wrong) return { ok: false, reason: 'bad_bundle', detail: wrong };
  return { ok: true, bundle: { ...body, signed: head.signed, signature: head.signature } };
}

/** readBundleHead then openBundle, for callers that verify the signature afterwards (or not at all: tools, tests). */
export async function decodeBundle(bytes: Uint8Array, inflate: Inflate): Promise<Decoded> {
  const read = readBundleHead(bytes);
  return read.ok ? openBundle(read.head, inflate) : read;
}

/** What a relay came to, per record: the server's answer the carrier keeps and shows. */
export interface RelayOutcome {
  accepted: number[];
  rejected: { seq: number; docId: string; reason: string; detail: string }[];
}

/** A bundle the server refused whole (bad signature, unknown or revoked key, wrong author). */
export interface RelayRefusal {
  refused: HandoverRefusal;
  detail: string;
}

