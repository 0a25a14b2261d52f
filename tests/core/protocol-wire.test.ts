import fc from 'fast-check';
import { frameError } from '../helpers/frame-error';
import { describe, expect, it } from 'vitest';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { newId } from '../../src/core/id';
import { MAX_FRAME_BYTES, MAX_PUSH_ITEMS } from '../../src/core/limits';
import { decodeClientFrame, decodeServerFrame, encodeFrame, FrameError, PROTOCOL_VERSION, WIRE_COMPACT, type ClientMessage, type ServerMessage } from '../../src/core/protocol';
import { KIND, packUuids, unpackUuids, Writer } from '../../src/core/wire';
import { gridWorker } from './fixtures';

// Wire format 2 (src/core/wire.ts): the same messages as version 1 in fewer bytes, and every
// malformed frame refused as clearly as a malformed version 1 frame.

const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
const text = (s: string) => new TextEncoder().encode(s);
const v2 = (m: ClientMessage | ServerMessage) => encodeFrame(m, WIRE_COMPACT);


/** A version 2 frame around a body given as-is (packed, as the wire has it). */
const frameOf = (body: Uint8Array) => Uint8Array.from([WIRE_COMPACT, ...body]);

/** A status change as the app pushes it: a Yjs update holding an event with three ids. */
const statusChange = (): ClientMessage => {
  const update = text(`\x01\x01\xc7\xb1\xff\xc1\x03\x00\x88\xe7\xe4\xf4\x91\x0a\x53\x01\x76\x07\x04type\x77\x08accepted\x02id\x77\x24${newId()}\x05actor\x77\x24${newId()}\x04role\x77\x0dtown_official\x05basis\x77\x24${newId()}\x00`);
  return { t: 'push', batch: 6, items: [{ docId: newId(), seq: 1001, update }] };
};

describe('wire 2: round trips', () => {
  const cases: [string, ClientMessage | ServerMessage, number][] = [
    ['push', { t: 'push', batch: 7, items: [{ docId: newId(), seq: 1, update: allBytes }, { docId: newId(), seq: 2, update: Uint8Array.of(0xf5, 0xf6, 0xf5) }] }, KIND.push],
    ['push with a contact', { t: 'push', batch: 1, items: [{ docId: newId(), seq: 9, update: text(newId()), contact: { name: '王秀英', phone: '13800000000' } }] }, KIND.push],
    ['push with authors (an uplink) as JSON', { t: 'push', batch: 1, items: [{ docId: newId(), seq: 1, update: allBytes }], authors: [] }, KIND.json],
    ['ack', { t: 'ack', batch: 3, accepted: [5, 6, 7, 2, 900], rejected: [] }, KIND.ack],
    ['ack with cursor and receipts', { t: 'ack', batch: 3, accepted: [1, 2], rejected: [], cursor: 99, received: { at: 1_796_100_754_247, seqs: [1, 2] } }, KIND.ack],
    ['ack with rejections as JSON', { t: 'ack', batch: 3, accepted: [1], rejected: [{ seq: 2, docId: newId(), reason: 'forbidden', detail: 'x', base: allBytes }] }, KIND.json],
    ['changes', { t: 'changes', items: [{ docId: newId(), update: allBytes, contact: { phone: '1' }, receivedAt: 1_700_000_000_000 }, { docId: newId(), update: Uint8Array.of(1) }], cursor: 12, more: true }, KIND.changes],
    ['changes, an empty echo', { t: 'changes', items: [], cursor: 1001, more: false }, KIND.changes],
    ['hello as JSON', { t: 'hello', token: 'tok', deviceId: newId(), cursor: 3, wire: 2 }, KIND.json],
    ['welcome as JSON', { t: 'welcome', user: gridWorker, serverTime: 1, head: 2, policy: POLICY_PRESETS.linyi, wire: 2 }, KIND.json],
    ['error as JSON', { t: 'error', code: 'bad_frame', message: 'no' }, KIND.json],
  ];
  for (const [name, m, kind] of cases) {
    it(name, () => {
      const f = v2(m);
      expect(f[0]).toBe(WIRE_COMPACT);
      expect(unpackUuids(f.subarray(1), MAX_FRAME_BYTES)[0]).toBe(kind);
      const decode = m.t === 'push' || m.t === 'hello' ? decodeClientFrame : decodeServerFrame;
      expect(decode(f)).toEqual(m);
    });
  }

  it('version 1 stays the default, and a version 2 reader reads it', () => {
    const m = statusChange();
    expect(encodeFrame(m)[0]).toBe(PROTOCOL_VERSION);
    expect(decodeClientFrame(encodeFrame(m))).toEqual(decodeClientFrame(v2(m)));
  });

  it('a status change is much smaller than in version 1', () => {
    const m = statusChange();
    expect(v2(m).byteLength).toBeLessThan(encodeFrame(m).byteLength - 80);
  });

  it('property: any push round-trips', () => {
    const item = fc.record({ docId: fc.constant(null).map(() => newId()), seq: fc.integer({ min: 1, max: 2 ** 53 - 1 }), update: fc.uint8Array({ minLength: 1, maxLength: 64 }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 53 - 1 }), fc.array(item, { minLength: 1, maxLength: 5 }), (batch, items) => {
        const m: ClientMessage = { t: 'push', batch, items };
        expect(decodeClientFrame(v2(m))).toEqual(m);
      }),
      { numRuns: 200 },
    );
  });
});

describe('wire 2: UUID packing', () => {
  const uuid = fc.uuid().map((u) => u.toLowerCase());
  const withUuids = fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), uuid.map(text), fc.constantFrom(Uint8Array.of(0xf5), Uint8Array.of(0xf6), text('0123-'))), { maxLength: 12 }).map((parts) => Uint8Array.from(parts.flatMap((p) => [...p])));

  it('property: any bytes come back byte for byte', () => {
    fc.assert(fc.property(withUuids, (b) => void expect(unpackUuids(packUuids(b), MAX_FRAME_BYTES)).toEqual(b)), { numRuns: 500 });
  });

  it('packs a lowercase UUID to 17 bytes and leaves an uppercase one as text', () => {
    const id = newId();
    expect(packUuids(text(id)).byteLength).toBe(17);
    expect(packUuids(text(id.toUpperCase()))).toEqual(text(id.toUpperCase()));
  });
});

describe('wire 2: malformed frames are refused with a clear error', () => {
  const code = (frame: Uint8Array, decode: (f: Uint8Array) => unknown = decodeClientFrame) => frameError(() => decode(frame));
  const pushBody = () => new Writer().u8(KIND.push).uint(1).uint(1);

  it('an unknown version or message kind', () => {
    expect(code(Uint8Array.of(3, KIND.push))).toMatchObject({ code: 'bad_frame', message: 'unsupported protocol version 3' });
    expect(code(frameOf(Uint8Array.of(9, 1, 2)))).toMatchObject({ code: 'bad_frame', message: 'version 2: unknown message kind 9' });
    expect(code(frameOf(new Uint8Array(0)))).toMatchObject({ code: 'bad_frame' });
  });

  it('a truncated UUID or a stray escape', () => {
    expect(code(frameOf(Uint8Array.of(KIND.push, 0xf5, 1, 2)))).toMatchObject({ code: 'bad_frame', message: 'version 2: truncated UUID' });
    expect(code(frameOf(Uint8Array.of(KIND.push, 0xf6, 7)))).toMatchObject({ code: 'bad_frame', message: 'version 2: stray escape byte' });
  });

  it('a push that ends early, claims more items than it holds, or has bytes after it', () => {
    const good = v2(statusChange());
    for (const cut of [2, 10, good.length - 1]) expect(code(good.slice(0, cut))).toMatchObject({ code: 'bad_frame' });
    expect(code(frameOf(new Writer().u8(KIND.push).uint(1).uint(MAX_PUSH_ITEMS).done()))).toMatchObject({ message: 'version 2: count exceeds frame' });
    expect(code(Uint8Array.of(...good, 0))).toMatchObject({ message: 'version 2: trailing bytes after message' });
  });

  it('unknown item flags, a contact that is not JSON, an integer past 2^53', () => {
    const item = (flags: number, ...rest: number[]) => frameOf(pushBody().bytes(new Uint8Array(16).fill(1)).uint(1).u8(flags).bytes(Uint8Array.from(rest)).done());
    expect(code(item(4, 1, 1))).toMatchObject({ message: 'version 2: unknown flags 4' });
    expect(code(item(1, 2, 0x7b, 0x7b, 1, 1))).toMatchObject({ message: 'version 2: contact is not valid UTF-8 JSON' });
    expect(code(frameOf(Uint8Array.of(KIND.push, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)))).toMatchObject({ message: 'version 2: integer out of range' });
  });

  it('a well-formed body is still judged by the schema: a bad docId, an empty update, a push to a device', () => {
    const zeros = frameOf(pushBody().bytes(new Uint8Array(16)).uint(1).u8(0).sized(Uint8Array.of(1)).done());
    expect(code(zeros)).toMatchObject({ code: 'bad_message', message: 'items.0.docId: docId must be a UUIDv7' });
    const m = statusChange() as Extract<ClientMessage, { t: 'push' }>;
    expect(code(v2({ ...m, items: [{ ...m.items[0]!, update: new Uint8Array(0) }] }))).toMatchObject({ code: 'bad_message' });
    expect(code(v2(m), decodeServerFrame)).toMatchObject({ code: 'bad_message' });
  });

  it('a frame that unpacks past MAX_FRAME_BYTES is too_large', () => {
    const packed = new Uint8Array(Math.ceil(MAX_FRAME_BYTES / 36) * 17 + 1).fill(0xf5);
    packed[0] = KIND.push;
    expect(code(frameOf(packed))).toMatchObject({ code: 'too_large' });
  });

  it('random bodies never make the decoder throw anything but FrameError', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1, 2, 3, 4), fc.uint8Array({ maxLength: 200 }), (kind, rest) => {
        for (const decode of [decodeClientFrame, decodeServerFrame]) {
          try {
            decode(frameOf(Uint8Array.of(kind, ...rest)));
          } catch (err) {
            expect(err).toBeInstanceOf(FrameError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
