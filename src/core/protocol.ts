import * as v from 'valibot';
import { isUuidV7 } from './id';
import { MAX_FRAME_BYTES, MAX_NAME_CHARS, MAX_PUSH_ITEMS, MAX_UPDATE_BYTES } from './limits';
import { ROLES } from './roles';
import type { RejectReason } from './accept';
import { DeadlinePolicySchema } from './deadline';
import { CountyPoliciesSchema } from './policy-book';
import { AuthorRecord } from './relay';
import { StoreEpochSchema } from './store-epoch';

// The sync protocol: a discriminated union on `t`, sent as binary WebSocket frames.
//
// Frame: [u8 version][u32 BE header length][header JSON, UTF-8][blob 0][blob 1]...
// Uint8Array values in a message are moved out of the JSON into the blob section and
// replaced by {"$b": index}; the header lists blob lengths in "$blobs". Yjs updates
// therefore travel as raw bytes, not base64.

export const PROTOCOL_VERSION = 1;

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
  v.object({ t: v.literal('welcome'), user: User, serverTime: v.number(), head: cursor, policy: DeadlinePolicySchema, countyPolicies: v.optional(CountyPoliciesSchema), store: v.optional(StoreEpochSchema) }),
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

export function encodeFrame(msg: ClientMessage | ServerMessage): Uint8Array {
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

/** Splits a frame into its header object with blobs restored; throws FrameError. */
function decodeRaw(frame: Uint8Array): unknown {
  if (frame.byteLength > MAX_FRAME_BYTES) throw new FrameError('too_large', `frame of ${frame.byteLength} bytes exceeds ${MAX_FRAME_BYTES}`);
  if (frame.byteLength < 5) throw new FrameError('bad_frame', 'frame shorter than its header');
  if (frame[0] !== PROTOCOL_VERSION) throw new FrameError('bad_frame', `unsupported protocol version ${frame[0]}`);
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
