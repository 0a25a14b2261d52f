import * as v from 'valibot';
import { isUuidV7 } from './id';
import { MAX_FRAME_BYTES, MAX_NAME_CHARS, MAX_PUSH_ITEMS, MAX_UPDATE_BYTES } from './limits';
import { ROLES } from './roles';
import type { RejectReason } from './accept';
import { DeadlinePolicySchema } from './deadline';
import { CountyPoliciesSchema } from './policy-book';
import { AuthorRecord } from './relay';
import { StoreEpochSchema } from './store-epoch';
import { isUuidText, KIND, packUuids, Reader, readSeqs, unpackUuids, uuidBytes, uuidText, WireError, WIRE_COMPACT, Writer, writeSeqs } from './wire';

// The sync protocol: a discriminated union on `t`, sent as binary WebSocket frames.
//
// Frame: [u8 version][u32 BE header length][header JSON, UTF-8][blob 0][blob 1]...
// Uint8Array values in a message are moved out of the JSON into the blob section and
// replaced by {"$b": index}; the header lists blob lengths in "$blobs". Yjs updates
// therefore travel as raw bytes, not base64.
//
// Version 2 (wire.ts) carries the same messages in fewer bytes. A device offers it in its
// hello (`wire`), always sent as version 1; a server that reads it says so in the welcome,
// and from then on both sides send version 2. Old devices and old servers never offer or
// confirm it, so they keep version 1; both versions are read everywhere.

export const PROTOCOL_VERSION = 1;
export { WIRE_COMPACT };
/** A frame format: 1, JSON header and blobs; 2, compact (wire.ts). */
export type WireVersion = typeof PROTOCOL_VERSION | typeof WIRE_COMPACT;
const wireVersion = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(255));

const docId = v.pipe(v.string(), v.check((s: string) => isUuidV7(s), 'docId must be a UUIDv7'));
const bytes = (max: number) =>
  v.pipe(
    v.custom<Uint8Array>((x) => x instanceof Uint8Array, 'must be binary'),
    v.check((b) => b.byteLength > 0 && b.byteLength <= max, `must be 1..${max} bytes`),
  );
const seq = v.pipe(v.number(), v.integer(), v.minValue(1));
const cursor = v.pipe(v.number(), v.integer(), v.minValue(0));
/** A server time (Unix ms, before 2200): anything else is a broken or forged frame. */
const instant = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(7_258_118_400_000));
/** A citizen's contact, beside (never inside) the appeal's document; checked again by validateContact. */
const contact = v.strictObject({ name: v.optional(v.pipe(v.string(), v.maxLength(MAX_NAME_CHARS))), phone: v.optional(v.pipe(v.string(), v.maxLength(32))) });

const Scope = v.object({ regions: v.array(v.string()), departments: v.array(v.string()) });
const User = v.object({
  id: v.string(),
  username: v.string(),
  displayName: v.string(),
  role: v.picklist(ROLES),
  scope: Scope,
});

export const ClientMessage = v.variant('t', [
  v.object({
    t: v.literal('hello'),
    token: v.pipe(v.string(), v.minLength(1), v.maxLength(2048)),
    deviceId: v.pipe(v.string(), v.check((s: string) => isUuidV7(s), 'deviceId must be a UUIDv7')),
    cursor,
    /**
     * Where an interrupted catch-up from `cursor` got to: documents whose last change is at
     * or below it were sent whole. `cursor` stays the start until the last page, because a
     * document not sent yet may hold changes older than any page's position.
     */
    resume: v.optional(cursor),
    /** The store identity this device last synced with (store-epoch.ts): another means the server was restored since. */
    store: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(64))),
    /** The newest frame format this device reads; absent, 1. */
    wire: v.optional(wireVersion),
  }),
  v.object({
    t: v.literal('push'),
    batch: seq,
    items: v.pipe(
      v.array(v.object({ docId, seq, update: bytes(MAX_UPDATE_BYTES), contact: v.optional(contact) })),
      v.minLength(1),
      v.maxLength(MAX_PUSH_ITEMS),
    ),
    /** Only from a county server's uplink (relay.ts): the records of the people whose events the batch carries. */
    authors: v.optional(v.pipe(v.array(AuthorRecord), v.maxLength(4 * MAX_PUSH_ITEMS))),
  }),
  /** A heartbeat from an idle client: browsers cannot send WebSocket pings, and a dead 2G link never closes by itself. */
  v.object({ t: v.literal('ping'), n: cursor }),
]);

export const ERROR_CODES = ['bad_frame', 'bad_message', 'unauthorized', 'not_ready', 'too_large', 'rate_limited', 'server_error'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ServerMessage = v.variant('t', [
  /**
   * `head` is the server's newest sequence number: with the cursor it measures catch-up.
   * `policy` is the deployment's default deadline policy; `countyPolicies` (absent when no county
   * has its own) those of the counties that follow another. Optional, so older clients read the
   * frame as before (and drop the field).
   */
  v.object({
    t: v.literal('welcome'),
    user: User,
    serverTime: v.number(),
    head: cursor,
    policy: DeadlinePolicySchema,
    countyPolicies: v.optional(CountyPoliciesSchema),
    store: v.optional(StoreEpochSchema),
    /** The frame format both sides send from now on, when the hello offered a newer one than 1 and the server reads it. */
    wire: v.optional(wireVersion),
  }),
  v.object({
    t: v.literal('ack'),
    batch: seq,
    accepted: v.array(seq),
    /** Present when the client is caught up: it may move its cursor past its own updates. */
    cursor: v.optional(cursor),
    /** `base`: the server's state of the document, so the client can rebuild without the rejected update. */
    rejected: v.array(v.object({ seq, docId, reason: v.string(), detail: v.string(), base: v.optional(bytes(MAX_FRAME_BYTES)) })),
    /**
     * The server's clock when it stored the batch and the items whose update began their
     * document: the documents' first receipt (src/core/sync-delay.ts). Absent when the batch
     * began none, so an ack of a status change does not grow.
     */
    received: v.optional(v.object({ at: instant, seqs: v.pipe(v.array(seq), v.minLength(1), v.maxLength(MAX_PUSH_ITEMS)) })),
  }),
  /**
   * Catch-up pages (`more` until the last) and live fan-out. Only a frame with a cursor
   * moves the client's cursor: live frames sent during catch-up carry none.
   */
  v.object({
    t: v.literal('changes'),
    /** `receivedAt`: the document's first receipt by the server, only with the frame that brings the document's beginning. */
    items: v.array(v.object({ docId, update: bytes(MAX_FRAME_BYTES), contact: v.optional(contact), receivedAt: v.optional(instant) })),
    cursor: v.optional(cursor),
    more: v.boolean(),
  }),
  v.object({ t: v.literal('error'), code: v.picklist(ERROR_CODES), message: v.string() }),
  /** The answer to a client's ping, with its number. */
  v.object({ t: v.literal('pong'), n: cursor }),
]);

export type ClientMessage = v.InferOutput<typeof ClientMessage>;
export type ServerMessage = v.InferOutput<typeof ServerMessage>;
export type Rejection = { seq: number; docId: string; reason: RejectReason; detail: string; base?: Uint8Array };

export class FrameError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// Typed locally: src/core compiles without DOM or Node type libraries, yet both runtimes have these.
const codecs = globalThis as unknown as {
  TextEncoder: new () => { encode(s: string): Uint8Array };
  TextDecoder: new (label: string, options: { fatal: boolean }) => { decode(b: Uint8Array): string };
};
const encoder = new codecs.TextEncoder();
const decoder = new codecs.TextDecoder('utf-8', { fatal: true });

/** One message as a frame of format `version` (1 unless both sides agreed on 2, see above). */
export function encodeFrame(msg: ClientMessage | ServerMessage, version: WireVersion = PROTOCOL_VERSION): Uint8Array {
  if (version === PROTOCOL_VERSION) return encodeJson(msg);
  let body = encodeCompact(msg);
  if (!body) {
    // Kind 0: the version 1 frame, its first byte the kind.
    body = encodeJson(msg);
    body[0] = KIND.json;
  }
  const packed = packUuids(body);
  // Escapes can grow binary updates a little: a frame past the limit goes as version 1, which every peer of version 2 reads.
  if (1 + packed.byteLength > MAX_FRAME_BYTES) return encodeJson(msg);
  const out = new Uint8Array(1 + packed.byteLength);
  out[0] = WIRE_COMPACT;
  out.set(packed, 1);
  return out;
}

function encodeJson(msg: ClientMessage | ServerMessage): Uint8Array {
  const blobs: Uint8Array[] = [];
  // Check the holder's raw value: JSON.stringify calls toJSON (Node's Buffer has one) before the replacer.
  const json = JSON.stringify(msg, function (this: Record<string, unknown>, k: string, value: unknown) {
    const raw = this[k];
    if (raw instanceof Uint8Array) {
      blobs.push(raw);
      return { $b: blobs.length - 1 };
    }
    return value;
  });
  const header = encoder.encode(json.slice(0, -1) + (json === '{}' ? '' : ',') + `"$blobs":[${blobs.map((b) => b.byteLength).join(',')}]}`);
  const total = 5 + header.byteLength + blobs.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  out[0] = PROTOCOL_VERSION;
  new DataView(out.buffer).setUint32(1, header.byteLength);
  out.set(header, 5);
  let at = 5 + header.byteLength;
  for (const b of blobs) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}

const MAX_HEADER_DEPTH = 32;

/** A frame of either version as its message object, not yet checked against a schema; throws FrameError. */
function decodeRaw(frame: Uint8Array): unknown {
  if (frame.byteLength > MAX_FRAME_BYTES) throw new FrameError('too_large', `frame of ${frame.byteLength} bytes exceeds ${MAX_FRAME_BYTES}`);
  if (frame.byteLength < 1) throw new FrameError('bad_frame', 'empty frame');
  if (frame[0] === PROTOCOL_VERSION) return decodeJson(frame);
  if (frame[0] !== WIRE_COMPACT) throw new FrameError('bad_frame', `unsupported protocol version ${frame[0]}`);
  let body: Uint8Array;
  try {
    body = unpackUuids(frame.subarray(1), MAX_FRAME_BYTES);
  } catch (err) {
    if (err instanceof RangeError) throw new FrameError('too_large', `unpacked ${err.message}`);
    throw new FrameError('bad_frame', `version 2: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (body[0] === KIND.json) return decodeJson(body);
  try {
    return decodeCompact(body);
  } catch (err) {
    if (err instanceof WireError) throw new FrameError('bad_frame', `version 2: ${err.message}`);
    throw err;
  }
}

/** Splits [version or kind][u32 header length][header][blobs] into its header object with blobs restored; throws FrameError. */
function decodeJson(frame: Uint8Array): unknown {
  if (frame.byteLength < 5) throw new FrameError('bad_frame', 'frame shorter than its header');
  const headerLength = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(1);
  if (5 + headerLength > frame.byteLength) throw new FrameError('bad_frame', 'header length exceeds frame');
  let header: unknown;
  try {
    header = JSON.parse(decoder.decode(frame.subarray(5, 5 + headerLength)));
  } catch {
    throw new FrameError('bad_frame', 'header is not valid UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || !Array.isArray((header as { $blobs?: unknown }).$blobs)) {
    throw new FrameError('bad_frame', 'header has no blob table');
  }
  const lengths = (header as { $blobs: unknown[] }).$blobs;
  const blobs: Uint8Array[] = [];
  let at = 5 + headerLength;
  for (const len of lengths) {
    if (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || at + len > frame.byteLength) {
      throw new FrameError('bad_frame', 'blob table does not match frame length');
    }
    blobs.push(frame.slice(at, at + len));
    at += len;
  }
  if (at !== frame.byteLength) throw new FrameError('bad_frame', 'trailing bytes after blobs');
  delete (header as { $blobs?: unknown }).$blobs;
  // Messages nest a few levels; a deeper header would only overflow the stack.
  const restore = (value: unknown, depth: number): unknown => {
    if (depth > MAX_HEADER_DEPTH) throw new FrameError('bad_frame', 'header nested too deeply');
    if (Array.isArray(value)) return value.map((x) => restore(x, depth + 1));
    if (typeof value === 'object' && value !== null) {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === '$b') {
        const index = (value as { $b: unknown }).$b;
        const blob = typeof index === 'number' && Number.isInteger(index) ? blobs[index] : undefined;
        if (!blob) throw new FrameError('bad_frame', 'reference to a missing blob');
        return blob;
      }
      return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, restore(x, depth + 1)]));
    }
    return value;
  };
  return restore(header, 0);
}

type Contact = v.InferOutput<typeof contact>;

const writeContact = (w: Writer, c: Contact) => w.sized(encoder.encode(JSON.stringify(c)));
function readContact(r: Reader): unknown {
  try {
    return JSON.parse(decoder.decode(r.sized()));
  } catch (err) {
    if (err instanceof WireError) throw err;
    throw new WireError('contact is not valid UTF-8 JSON');
  }
}
/** Item flags: what follows the docId besides the update. */
const HAS_CONTACT = 1;
const HAS_RECEIVED = 2;
/** Message flags. */
const HAS_CURSOR = 1;
const HAS_MORE = 2;
const ACK_RECEIVED = 2;

/**
 * The binary layout of a push, a plain ack or changes (wire.ts), or null when the message
 * has none or holds what it cannot carry: the caller sends it as JSON.
 */
function encodeCompact(msg: ClientMessage | ServerMessage): Uint8Array | null {
  const w = new Writer();
  try {
    switch (msg.t) {
      case 'push':
        if (msg.authors !== undefined || !msg.items.every((i) => isUuidText(i.docId))) return null;
        w.u8(KIND.push).uint(msg.batch).uint(msg.items.length);
        for (const item of msg.items) {
          w.bytes(uuidBytes(item.docId)).uint(item.seq).u8(item.contact ? HAS_CONTACT : 0);
          if (item.contact) writeContact(w, item.contact);
          w.sized(item.update);
        }
        return w.done();
      case 'ack':
        if (msg.rejected.length > 0) return null;
        w.u8(KIND.ack).uint(msg.batch).u8((msg.cursor !== undefined ? HAS_CURSOR : 0) | (msg.received ? ACK_RECEIVED : 0));
        writeSeqs(w, msg.accepted);
        if (msg.cursor !== undefined) w.uint(msg.cursor);
        if (msg.received) writeSeqs(w.uint(msg.received.at), msg.received.seqs);
        return w.done();
      case 'changes':
        if (!msg.items.every((i) => isUuidText(i.docId))) return null;
        w.u8(KIND.changes).u8((msg.cursor !== undefined ? HAS_CURSOR : 0) | (msg.more ? HAS_MORE : 0));
        if (msg.cursor !== undefined) w.uint(msg.cursor);
        w.uint(msg.items.length);
        for (const item of msg.items) {
          w.bytes(uuidBytes(item.docId)).u8((item.contact ? HAS_CONTACT : 0) | (item.receivedAt !== undefined ? HAS_RECEIVED : 0));
          if (item.contact) writeContact(w, item.contact);
          if (item.receivedAt !== undefined) w.uint(item.receivedAt);
          w.sized(item.update);
        }
        return w.done();
      default:
        return null;
    }
  } catch (err) {
    // A number the layout cannot hold (not a safe non-negative integer): JSON carries it, and the schema judges it.
    if (err instanceof RangeError) return null;
    throw err;
  }
}

function itemFlags(r: Reader, known: number): number {
  const flags = r.u8();
  if ((flags & ~known) !== 0) throw new WireError(`unknown flags ${flags}`);
  return flags;
}

/** The message in a binary body of kind 1–3; throws WireError. Values are checked by the schema after. */
function decodeCompact(body: Uint8Array): unknown {
  const r = new Reader(body, 1);
  let msg: Record<string, unknown>;
  switch (body[0]) {
    case KIND.push: {
      const batch = r.uint();
      // Each item is at least a docId, a seq, its flags and an update length.
      const items: Record<string, unknown>[] = [];
      for (let n = r.count(19); n > 0; n--) {
        const item: Record<string, unknown> = { docId: uuidText(r.bytes(16)), seq: r.uint() };
        if (itemFlags(r, HAS_CONTACT) & HAS_CONTACT) item.contact = readContact(r);
        item.update = r.sized();
        items.push(item);
      }
      msg = { t: 'push', batch, items };
      break;
    }
    case KIND.ack: {
      const batch = r.uint();
      const flags = itemFlags(r, HAS_CURSOR | ACK_RECEIVED);
      msg = { t: 'ack', batch, accepted: readSeqs(r), rejected: [] };
      if (flags & HAS_CURSOR) msg.cursor = r.uint();
      if (flags & ACK_RECEIVED) msg.received = { at: r.uint(), seqs: readSeqs(r) };
      break;
    }
    case KIND.changes: {
      const flags = itemFlags(r, HAS_CURSOR | HAS_MORE);
      msg = { t: 'changes', items: [], more: (flags & HAS_MORE) !== 0 };
      if (flags & HAS_CURSOR) msg.cursor = r.uint();
      const items: Record<string, unknown>[] = [];
      for (let n = r.count(18); n > 0; n--) {
        const item: Record<string, unknown> = { docId: uuidText(r.bytes(16)) };
        const f = itemFlags(r, HAS_CONTACT | HAS_RECEIVED);
        if (f & HAS_CONTACT) item.contact = readContact(r);
        if (f & HAS_RECEIVED) item.receivedAt = r.uint();
        item.update = r.sized();
        items.push(item);
      }
      msg.items = items;
      break;
    }
    default:
      throw new WireError(`unknown message kind ${body[0]}`);
  }
  r.end();
  return msg;
}

function parseWith<S extends typeof ClientMessage | typeof ServerMessage>(schema: S, frame: Uint8Array): v.InferOutput<S> {
  const raw = decodeRaw(frame);
  const result = v.safeParse(schema, raw);
  if (!result.success) {
    const issue = result.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
    throw new FrameError('bad_message', `${path ? path + ': ' : ''}${issue.message}`);
  }
  return result.output;
}

export function decodeClientFrame(frame: Uint8Array): ClientMessage {
  return parseWith(ClientMessage, frame);
}

export function decodeServerFrame(frame: Uint8Array): ServerMessage {
  return parseWith(ServerMessage, frame);
}
