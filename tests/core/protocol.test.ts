import fc from 'fast-check';
import { frameError } from '../helpers/frame-error';
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { DeadlinePolicySchema, POLICY_PRESETS } from '../../src/core/deadline';
import { newId } from '../../src/core/id';
import { MAX_FRAME_BYTES, MAX_PUSH_ITEMS, MAX_UPDATE_BYTES } from '../../src/core/limits';
import {
  FrameError,
  PROTOCOL_VERSION,
  decodeClientFrame,
  decodeServerFrame,
  encodeFrame,
  type ClientMessage,
  type ServerMessage,
} from '../../src/core/protocol';
import { gridWorker } from './fixtures';

const bytes = (...xs: number[]) => Uint8Array.from(xs);
const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);

/** Builds a frame by hand: header text (given as-is), then blobs. */
function rawFrame(header: string | object, blobs: Uint8Array[] = [], opts: { version?: number; headerLength?: number } = {}): Uint8Array {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  return rawBytes(h, blobs, opts);
}
function rawBytes(h: Uint8Array, blobs: Uint8Array[] = [], opts: { version?: number; headerLength?: number } = {}): Uint8Array {
  const total = 5 + h.length + blobs.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  out[0] = opts.version ?? PROTOCOL_VERSION;
  new DataView(out.buffer).setUint32(1, opts.headerLength ?? h.length);
  out.set(h, 5);
  let at = 5 + h.length;
  for (const b of blobs) out.set(b, at), (at += b.length);
  return out;
}

const codeOf = (frame: Uint8Array, decode: (f: Uint8Array) => unknown = decodeClientFrame) => frameError(() => decode(frame)).code;

const hello = (): ClientMessage => ({ t: 'hello', token: 'tok-123', deviceId: newId(), cursor: 0 });
const push = (n: number, size = 3): ClientMessage => ({
  t: 'push',
  batch: 1,
  items: Array.from({ length: n }, (_, i) => ({ docId: newId(), seq: i + 1, update: new Uint8Array(size).fill(i & 0xff) })),
});

describe('protocol: round trips', () => {
  it('hello', () => {
    const m = hello();
    expect(decodeClientFrame(encodeFrame(m))).toEqual(m);
  });

  it('push, with each update preserved byte for byte', () => {
    const m: ClientMessage = {
      t: 'push',
      batch: 7,
      items: [
        { docId: newId(), seq: 1, update: allBytes },
        { docId: newId(), seq: 2, update: bytes(0) },
        { docId: newId(), seq: 3, update: bytes(0x7b, 0x22, 0x24, 0x62, 0x22, 0x3a, 0x30, 0x7d) }, // the text {"$b":0}
      ],
    };
    const out = decodeClientFrame(encodeFrame(m));
    expect(out).toEqual(m);
    if (out.t !== 'push') throw new Error('wrong type');
    out.items.forEach((it, i) => {
      expect(it.update).toBeInstanceOf(Uint8Array);
      expect(Array.from(it.update)).toEqual(Array.from(m.items[i]!.update));
    });
  });

  it('a push of exactly MAX_PUSH_ITEMS items, and an update of exactly MAX_UPDATE_BYTES', () => {
    expect(decodeClientFrame(encodeFrame(push(MAX_PUSH_ITEMS)))).toMatchObject({ items: { length: MAX_PUSH_ITEMS } });
    const big = push(1, MAX_UPDATE_BYTES);
    const out = decodeClientFrame(encodeFrame(big));
    expect(out.t === 'push' && out.items[0]!.update.byteLength).toBe(MAX_UPDATE_BYTES);
  });

  it('copies only the viewed bytes of a subarray', () => {
    const backing = Uint8Array.from({ length: 32 }, (_, i) => i);
    const view = backing.subarray(10, 14);
    const out = decodeClientFrame(encodeFrame({ t: 'push', batch: 1, items: [{ docId: newId(), seq: 1, update: view }] }));
    expect(out.t === 'push' && Array.from(out.items[0]!.update)).toEqual([10, 11, 12, 13]);
  });

  it("encodes Node Buffers as blobs too (Buffer.prototype.toJSON must not leak into the header)", () => {
    const buf = Buffer.from([1, 2, 3, 250]);
    const frame = encodeFrame({ t: 'changes', items: [{ docId: newId(), update: buf }], more: false });
    const out = decodeServerFrame(frame);
    expect(out.t === 'changes' && Array.from(out.items[0]!.update)).toEqual([1, 2, 3, 250]);
    expect(new TextDecoder().decode(frame)).not.toContain('"Buffer"');
  });

  it('welcome', () => {
    const m: ServerMessage = { t: 'welcome', user: gridWorker, serverTime: 1_700_000_000_000, head: 42, policy: POLICY_PRESETS.linyi };
    expect(decodeServerFrame(encodeFrame(m))).toEqual(m);
  });

  it('welcome with the counties’ own policies, which a client of before them reads as a plain welcome', () => {
    const city = { ...POLICY_PRESETS.linyi, topTier: 'city' as const };
    const m: ServerMessage = { t: 'welcome', user: gridWorker, serverTime: 1, head: 42, policy: city, countyPolicies: { '371324': { ...POLICY_PRESETS.lanling, topTier: 'city' } } };
    expect(decodeServerFrame(encodeFrame(m))).toEqual(m);
    // The welcome as clients before per-county policies parse it: an object schema, so the new field is dropped.
    const before = v.object({ t: v.literal('welcome'), user: v.unknown(), serverTime: v.number(), head: v.number(), policy: DeadlinePolicySchema });
    expect(v.parse(before, decodeServerFrame(encodeFrame(m)))).toEqual({ t: 'welcome', user: gridWorker, serverTime: 1, head: 42, policy: city });
    const bad = { ...m, countyPolicies: { '371300': city } };
    expect(() => decodeServerFrame(encodeFrame(bad as ServerMessage))).toThrow();
  });

  it('ack with accepted, cursor and rejections with a base snapshot', () => {
    const m: ServerMessage = {
      t: 'ack',
      batch: 3,
      accepted: [1, 2],
      cursor: 99,
      rejected: [
        { seq: 3, docId: newId(), reason: 'foreign_author', detail: 'event x is not by grid1', base: allBytes },
        { seq: 4, docId: newId(), reason: 'too_large', detail: '…' },
      ],
    };
    const out = decodeServerFrame(encodeFrame(m));
    expect(out).toEqual(m);
    expect(out.t === 'ack' && out.rejected[0]!.base).toBeInstanceOf(Uint8Array);
  });

  it('ack without a cursor keeps it absent', () => {
    const m: ServerMessage = { t: 'ack', batch: 1, accepted: [], rejected: [] };
    const out = decodeServerFrame(encodeFrame(m));
    expect(out).toEqual(m);
    expect('cursor' in out).toBe(false);
  });

  it('changes, with several blobs in order', () => {
    const m: ServerMessage = {
      t: 'changes',
      items: [
        { docId: newId(), update: bytes(1) },
        { docId: newId(), update: allBytes },
        { docId: newId(), update: bytes(255, 0, 255) },
      ],
      cursor: 12,
      more: true,
    };
    expect(decodeServerFrame(encodeFrame(m))).toEqual(m);
  });

  it('error', () => {
    for (const code of ['bad_frame', 'bad_message', 'unauthorized', 'not_ready', 'too_large', 'server_error'] as const) {
      const m: ServerMessage = { t: 'error', code, message: '出错了 "quoted" \\ \n' };
      expect(decodeServerFrame(encodeFrame(m))).toEqual(m);
    }
  });

  it('property: any push message round-trips', () => {
    const item = fc.record({
      docId: fc.constant(null).map(() => newId()),
      seq: fc.integer({ min: 1, max: 2 ** 40 }),
      update: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.array(item, { minLength: 1, maxLength: 20 }), (batch, items) => {
        const m: ClientMessage = { t: 'push', batch, items };
        expect(decodeClientFrame(encodeFrame(m))).toEqual(m);
      }),
    );
  });
});

describe('protocol: malformed frames', () => {
  const good = () => encodeFrame(hello());

  it('a frame shorter than its 5-byte prefix', () => {
    for (const n of [0, 1, 4]) expect(codeOf(good().slice(0, n))).toBe('bad_frame');
  });

  it('an unknown protocol version', () => {
    for (const version of [0, 3, 255]) {
      const f = good();
      f[0] = version;
      expect(codeOf(f)).toBe('bad_frame');
    }
  });

  it('a header length beyond the frame', () => {
    expect(codeOf(rawFrame({ t: 'hello', $blobs: [] }, [], { headerLength: 1000 }))).toBe('bad_frame');
    expect(codeOf(rawFrame({ t: 'hello', $blobs: [] }, [], { headerLength: 0xffffffff }))).toBe('bad_frame');
    expect(codeOf(good().slice(0, -1))).toBe('bad_frame');
  });

  it('a header that is not JSON, or not UTF-8', () => {
    expect(codeOf(rawFrame('{"t":"hello",'))).toBe('bad_frame');
    expect(codeOf(rawFrame(''))).toBe('bad_frame');
    expect(codeOf(rawBytes(bytes(0x7b, 0xff, 0xfe, 0x7d)))).toBe('bad_frame');
  });

  it('a header without a blob table', () => {
    for (const h of ['{"t":"hello"}', '[]', 'null', '42', '"x"', '{"$blobs":{}}', '{"$blobs":"0"}']) {
      expect(codeOf(rawFrame(h)), h).toBe('bad_frame');
    }
  });

  it('a blob table that does not match the frame', () => {
    const h = (blobs: unknown[]) => ({ t: 'changes', items: [], more: false, $blobs: blobs });
    expect(codeOf(rawFrame(h([10]), [bytes(1, 2, 3)]))).toBe('bad_frame'); // longer than what is left
    expect(codeOf(rawFrame(h([-1]), [bytes(1)]))).toBe('bad_frame');
    expect(codeOf(rawFrame(h([0.5]), [bytes(1)]))).toBe('bad_frame');
    expect(codeOf(rawFrame(h(['1']), [bytes(1)]))).toBe('bad_frame');
    expect(codeOf(rawFrame(h([null]), [bytes(1)]))).toBe('bad_frame');
  });

  it('trailing bytes after the blobs', () => {
    const f = good();
    const longer = new Uint8Array(f.length + 1);
    longer.set(f);
    expect(codeOf(longer)).toBe('bad_frame');
    expect(codeOf(rawFrame({ t: 'hello', $blobs: [1] }, [bytes(1, 2)]))).toBe('bad_frame');
  });

  it('a reference to a blob that is not there, or is not an index', () => {
    const docId = newId();
    const msg = (ref: unknown) => ({ t: 'push', batch: 1, items: [{ docId, seq: 1, update: { $b: ref } }], $blobs: [2] });
    expect(decodeClientFrame(rawFrame(msg(0), [bytes(1, 2)]))).toMatchObject({ items: [{ update: bytes(1, 2) }] });
    for (const ref of [1, -1, 0.5, '0', 'length', 'constructor', null, [0]]) {
      expect(codeOf(rawFrame(msg(ref), [bytes(1, 2)])), JSON.stringify(ref)).toBe('bad_frame');
    }
    // A blob reference cannot stand in for a number either.
    const hello = { t: 'hello', token: 't', deviceId: newId(), cursor: { $b: 'length' }, $blobs: [] };
    expect(codeOf(rawFrame(hello))).toBe('bad_frame');
  });

  it('a header nested deeper than any message, without overflowing the stack', () => {
    const depth = 200_000;
    const h = `{"t":"hello","x":${'['.repeat(depth)}${']'.repeat(depth)},"$blobs":[]}`;
    const err = frameError(() => decodeClientFrame(rawFrame(h)));
    expect(err.code).toBe('bad_frame');
  });

  it('a frame over MAX_FRAME_BYTES is too_large, whatever it holds', () => {
    const f = new Uint8Array(MAX_FRAME_BYTES + 1);
    expect(codeOf(f)).toBe('too_large');
    expect(codeOf(f, decodeServerFrame)).toBe('too_large');
  });
});

describe('protocol: malformed messages', () => {
  const msgCode = (m: object, decode: (f: Uint8Array) => unknown = decodeClientFrame) => codeOf(encodeFrame(m as ClientMessage), decode);

  it('an unknown or missing message type', () => {
    expect(msgCode({ t: 'bye' })).toBe('bad_message');
    expect(msgCode({ token: 'x', deviceId: newId(), cursor: 0 })).toBe('bad_message');
    expect(msgCode({})).toBe('bad_message');
  });

  it('server messages are not client messages, and the reverse', () => {
    expect(msgCode({ t: 'error', code: 'bad_frame', message: 'x' })).toBe('bad_message');
    expect(msgCode(hello(), decodeServerFrame)).toBe('bad_message');
  });

  it.each([
    ['token', { token: undefined }],
    ['empty token', { token: '' }],
    ['long token', { token: 'x'.repeat(2049) }],
    ['deviceId', { deviceId: undefined }],
    ['non-UUIDv7 deviceId', { deviceId: 'device-1' }],
    ['cursor', { cursor: undefined }],
    ['negative cursor', { cursor: -1 }],
    ['fractional cursor', { cursor: 1.5 }],
    ['string cursor', { cursor: '0' }],
  ])('hello with bad %s', (_label, over) => {
    expect(msgCode({ ...hello(), ...over })).toBe('bad_message');
  });

  it('push with 0 items, or more than MAX_PUSH_ITEMS', () => {
    expect(msgCode({ t: 'push', batch: 1, items: [] })).toBe('bad_message');
    expect(msgCode(push(MAX_PUSH_ITEMS + 1, 1))).toBe('bad_message');
  });

  it('push with a non-UUIDv7 docId', () => {
    for (const docId of ['doc-1', '01890a5d-ac96-474b-bcce-b302099a8057', '', 5]) {
      const m = push(1);
      (m as { items: { docId: unknown }[] }).items[0]!.docId = docId;
      expect(msgCode(m), String(docId)).toBe('bad_message');
    }
  });

  it('push with a missing, empty, non-binary or oversize update', () => {
    const bad = (update: unknown) => ({ t: 'push', batch: 1, items: [{ docId: newId(), seq: 1, update }] });
    expect(msgCode(bad(undefined))).toBe('bad_message');
    expect(msgCode(bad(new Uint8Array(0)))).toBe('bad_message');
    expect(msgCode(bad([1, 2, 3]))).toBe('bad_message');
    expect(msgCode(bad('AQID'))).toBe('bad_message');
    expect(msgCode(bad(new Uint8Array(MAX_UPDATE_BYTES + 1)))).toBe('bad_message');
  });

  it('push with a bad batch or seq', () => {
    expect(msgCode({ ...push(1), batch: 0 })).toBe('bad_message');
    expect(msgCode({ ...push(1), batch: undefined })).toBe('bad_message');
    const m = push(1);
    (m as { items: { seq: number }[] }).items[0]!.seq = 0;
    expect(msgCode(m)).toBe('bad_message');
  });

  it('server messages with missing or wrong fields', () => {
    const s = decodeServerFrame;
    expect(msgCode({ t: 'welcome', user: gridWorker, serverTime: 1 }, s)).toBe('bad_message');
    expect(msgCode({ t: 'welcome', user: { ...gridWorker, role: 'king' }, serverTime: 1, head: 0 }, s)).toBe('bad_message');
    expect(msgCode({ t: 'ack', batch: 1, accepted: [0], rejected: [] }, s)).toBe('bad_message');
    expect(msgCode({ t: 'changes', items: [{ docId: newId(), update: bytes(1) }] }, s)).toBe('bad_message');
    expect(msgCode({ t: 'error', code: 'oops', message: 'x' }, s)).toBe('bad_message');
  });

  it('names the offending path in the message', () => {
    const m = push(2);
    (m as { items: { docId: unknown }[] }).items[1]!.docId = 'nope';
    const err = frameError(() => decodeClientFrame(encodeFrame(m)));
    expect(err.message).toMatch(/items\.1\.docId/);
  });
});

describe('protocol: robustness properties', () => {
  const decoders = [decodeClientFrame, decodeServerFrame];
  const onlyFrameErrors = (frame: Uint8Array) => {
    for (const decode of decoders) {
      try {
        decode(frame);
      } catch (err) {
        if (!(err instanceof FrameError)) throw err;
        expect(['bad_frame', 'bad_message', 'too_large']).toContain(err.code);
      }
    }
  };

  it('random bytes never make the decoder throw anything but FrameError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), onlyFrameErrors), { numRuns: 500 });
  });

  it('well-framed random JSON headers never make the decoder throw anything but FrameError', () => {
    const header = fc.tuple(fc.jsonValue(), fc.array(fc.nat({ max: 8 }), { maxLength: 4 })).map(([v, blobs]) => {
      const body = typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...v, $blobs: blobs } : v;
      return { text: JSON.stringify(body), blobs: blobs.map((n) => new Uint8Array(n)) };
    });
    fc.assert(fc.property(header, ({ text, blobs }) => onlyFrameErrors(rawFrame(text, blobs))), { numRuns: 300 });
  });

  it('corrupting or truncating a valid frame never throws anything but FrameError', () => {
    const base = encodeFrame({ t: 'push', batch: 1, items: [{ docId: newId(), seq: 1, update: allBytes.slice(0, 40) }] });
    fc.assert(
      fc.property(fc.nat({ max: base.length - 1 }), fc.nat({ max: 255 }), fc.nat({ max: base.length }), (at, byte, cut) => {
        const f = base.slice(0, Math.max(cut, 0));
        if (at < f.length) f[at] = byte;
        onlyFrameErrors(f);
      }),
      { numRuns: 500 },
    );
  });
});
