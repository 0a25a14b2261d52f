import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base45Decode, base45Encode, crc32, MAX_FRAME_INDEX, mixOf, parseQrFrame, planQrFrames, QR_FRAME_PREFIX, QrFrameReceiver, sendIndex, sha256, toQrFrames, type QrReceiveStep } from '../../src/core/qr-frames';

/** A frame built by hand with a valid CRC: what a buggy or hostile sender could show. */
function forgeFrame(idHex: string, total: number, index: number, chunk: Uint8Array, length = total * chunk.length): string {
  const bytes = new Uint8Array(12 + chunk.length + 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) bytes[i] = parseInt(idHex.slice(i * 2, i * 2 + 2), 16);
  view.setUint16(4, total);
  view.setUint16(6, index);
  view.setUint32(8, length);
  bytes.set(chunk, 12);
  view.setUint32(12 + chunk.length, crc32(bytes.subarray(0, 12 + chunk.length)));
  return QR_FRAME_PREFIX + base45Encode(bytes);
}

const idOf = (frame: string): string => {
  const parsed = parseQrFrame(frame);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.frame.id;
};

describe('base45 and the hashes', () => {
  it('base45 follows RFC 9285 and round-trips any bytes within the QR alphanumeric alphabet', () => {
    expect(base45Encode(new TextEncoder().encode('AB'))).toBe('BB8');
    expect(base45Encode(new TextEncoder().encode('Hello!!'))).toBe('%69 VD92EX0');
    expect(base45Encode(new TextEncoder().encode('base-45'))).toBe('UJCLQE7W581');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = base45Encode(bytes);
        expect(text).toMatch(/^[0-9A-Z $%*+\-./:]*$/);
        expect(base45Decode(text)).toEqual(bytes);
      }),
    );
  });

  it('base45 refuses what it could not have made', () => {
    expect(base45Decode('GGW')).toBeNull(); // 65536 and more
    expect(base45Decode('GG')).toBeNull(); // a final byte above 255
    expect(base45Decode('BB8A')).toBeNull(); // one character left over
    expect(base45Decode('bb8')).toBeNull(); // lower case is not in the alphabet
  });

  it('sha256 and crc32 agree with the reference implementations', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(Buffer.from(sha256(bytes)).toString('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
      }),
    );
  });
});

describe('QR frame sequences', () => {
  it('any bytes come back exact from the frames seen in any order, with repeats', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.infiniteStream(fc.nat()),
        (content, chunk, repeats, order) => {
          const frames = toQrFrames(content, chunk);
          expect(frames.length).toBe(Math.ceil((content.length + 32) / chunk));
          // Every frame once plus some seen again, shuffled: a looping sender and a wobbly camera.
          const seen = [...frames, ...repeats.map((r) => frames[r % frames.length]!)];
          const it = order[Symbol.iterator]();
          for (let i = seen.length - 1; i > 0; i--) {
            const j = it.next().value! % (i + 1);
            [seen[i], seen[j]] = [seen[j]!, seen[i]!];
          }
          const rx = new QrFrameReceiver();
          let last: QrReceiveStep | undefined;
          let fresh = 0;
          for (const f of seen) {
            if (last?.kind === 'done') break;
            last = rx.accept(f);
            if (last.kind === 'progress') {
              expect(last.total).toBe(frames.length);
              if (last.fresh) fresh++;
              expect(last.got).toBe(fresh);
            }
            expect(last.kind === 'refused' || last.kind === 'failed').toBe(false);
          }
          expect(last?.kind).toBe('done');
          if (last?.kind === 'done') expect(last.bytes).toEqual(content);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a missing frame means not done, and the receiver names what it still needs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.integer({ min: 8, max: 300 }), fc.nat(), (content, chunk, pick) => {
        const frames = toQrFrames(content, chunk);
        const gone = pick % frames.length;
        const rx = new QrFrameReceiver();
        for (let round = 0; round < 3; round++) {
          frames.forEach((f, i) => {
            if (i === gone) return;
            const step = rx.accept(f);
            expect(step.kind).toBe('progress');
          });
        }
        expect(rx.got).toBe(frames.length - 1);
        // With one frame only, nothing is known yet, not even how many are missing.
        expect(rx.missing()).toEqual(frames.length > 1 ? [gone] : []);
        const step = rx.accept(frames[gone]!);
        expect(step.kind).toBe('done');
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a frame of another transfer while one is under way, and takes it after a reset', () => {
    const a = toQrFrames(new TextEncoder().encode('村民张三反映的道路积水问题'.repeat(20)), 100);
    const b = toQrFrames(new TextEncoder().encode('another bundle entirely'.repeat(20)), 100);
    const rx = new QrFrameReceiver();
    expect(rx.accept(a[0]!)).toMatchObject({ kind: 'progress', got: 1 });
    expect(rx.accept(b[1]!)).toEqual({ kind: 'refused', reason: 'foreign', got: 1, total: a.length });
    expect(rx.got).toBe(1);
    rx.reset();
    expect(rx.accept(b[1]!)).toMatchObject({ kind: 'progress', got: 1, total: b.length });
    expect(rx.transfer).toBe(idOf(b[0]!));
  });

  it('refuses any frame altered in one character, whichever character it is', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.nat(), fc.integer({ min: 1, max: 44 }), (content, at, shift) => {
        const [frame] = toQrFrames(content, 1000);
        const body = frame!.slice(QR_FRAME_PREFIX.length);
        const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
        const i = at % body.length;
        const changed = alphabet[(alphabet.indexOf(body[i]!) + shift) % 45]!;
        const bad = QR_FRAME_PREFIX + body.slice(0, i) + changed + body.slice(i + 1);
        const step = new QrFrameReceiver().accept(bad);
        expect(step.kind).toBe('refused');
        if (step.kind === 'refused') expect(['corrupt', 'not-a-frame']).toContain(step.reason);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses other QR codes, later formats and truncated frames with their reason', () => {
    const rx = new QrFrameReceiver();
    expect(rx.accept('https://example.org/e/ABCDE')).toMatchObject({ kind: 'refused', reason: 'not-a-frame' });
    expect(rx.accept('MSQ2:BB8')).toMatchObject({ kind: 'refused', reason: 'version' });
    expect(rx.accept(`${QR_FRAME_PREFIX}BB8`)).toMatchObject({ kind: 'refused', reason: 'corrupt' });
    expect(rx.accept(forgeFrame('01020304', 2, 0, new Uint8Array(40), 81))).toMatchObject({ kind: 'refused', reason: 'corrupt' }); // a length 2 chunks cannot hold
    expect(rx.accept(forgeFrame('01020304', 2, 0, new Uint8Array(20), 31))).toMatchObject({ kind: 'refused', reason: 'corrupt' }); // too short to hold the hash
    expect(rx.transfer).toBeNull();
  });

  it('refuses a frame that contradicts one already held, and a length the sender never showed', () => {
    const frames = toQrFrames(new Uint8Array(500).fill(7), 100);
    const id = idOf(frames[0]!);
    const rx = new QrFrameReceiver();
    rx.accept(frames[2]!);
    expect(rx.accept(forgeFrame(id, frames.length, 2, new Uint8Array(100).fill(8), 532))).toMatchObject({ kind: 'refused', reason: 'conflict', got: 1 });
    expect(rx.accept(forgeFrame(id, frames.length + 1, 3, new Uint8Array(100).fill(7), 532))).toMatchObject({ kind: 'refused', reason: 'corrupt', got: 1 });
    expect(rx.accept(forgeFrame(id, frames.length, 3, new Uint8Array(100).fill(7), 533))).toMatchObject({ kind: 'refused', reason: 'corrupt', got: 1 });
  });

  it('a full set that does not make the content it names fails as a whole and starts over', () => {
    // Frames with A's transfer id carrying B's bytes: each frame checks out, the whole does not.
    const a = toQrFrames(new Uint8Array(150).fill(1), 100);
    const b = toQrFrames(new Uint8Array(150).fill(2), 100);
    const id = idOf(a[0]!);
    const rx = new QrFrameReceiver();
    rx.accept(a[0]!);
    const parsed = parseQrFrame(b[1]!);
    if (!parsed.ok) throw new Error('b[1] should parse');
    expect(rx.accept(forgeFrame(id, a.length, 1, parsed.frame.chunk, 182))).toEqual({ kind: 'failed', reason: 'hash-mismatch', total: 2 });
    expect(rx.got).toBe(0);
    expect(rx.transfer).toBeNull();
    expect(rx.accept(a[1]!)).toMatchObject({ kind: 'progress', got: 1 });
    expect(rx.accept(a[0]!)).toMatchObject({ kind: 'done', bytes: new Uint8Array(150).fill(1) });
  });

  it('the sender shows the plain frames once, then mixed ones, never past the index space', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fff }), fc.nat(300_000), (total, step) => {
        const i = sendIndex(total, step);
        expect(i).toBeLessThanOrEqual(MAX_FRAME_INDEX);
        if (step < total) expect(i).toBe(step);
        else expect(i).toBeGreaterThanOrEqual(total);
      }),
    );
  });

  it('mixed frames make up for any plain frames missed, about one for one', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 4000 }),
        fc.integer({ min: 16, max: 400 }),
        fc.infiniteStream(fc.boolean()),
        fc.nat(),
        (content, chunk, caught, start) => {
          const plan = planQrFrames(content, chunk);
          const rx = new QrFrameReceiver();
          const it = caught[Symbol.iterator]();
          let missed = 0;
          let last: QrReceiveStep | undefined;
          for (let i = 0; i < plan.total; i++) {
            if (it.next().value) last = rx.accept(plan.frame(i));
            else missed++;
          }
          if (missed === 0) {
            expect(last?.kind).toBe('done');
            return;
          }
          expect(rx.got).toBe(plan.total - missed);
          // The camera comes back anywhere in the mixed part of the loop.
          let used = 0;
          for (let step = plan.total + (start % 1000); last?.kind !== 'done'; step++) {
            last = rx.accept(plan.frame(sendIndex(plan.total, step)));
            expect(last.kind === 'refused' || last.kind === 'failed').toBe(false);
            used++;
            // Random halves over GF(2): each extra frame after the missed count fails to help with odds ½.
            expect(used).toBeLessThanOrEqual(missed + 30);
          }
          expect(last.bytes).toEqual(content);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('a camera that catches only mixed frames still gets the exact bytes', () => {
    const content = new TextEncoder().encode('只收到混合帧也能还原。'.repeat(150));
    const plan = planQrFrames(content, 200);
    const rx = new QrFrameReceiver();
    let step: QrReceiveStep | undefined;
    let used = 0;
    for (let i = plan.total + 500; step?.kind !== 'done'; i++, used++) {
      step = rx.accept(plan.frame(i));
      expect(used).toBeLessThan(plan.total + 30);
    }
    expect(step.bytes).toEqual(content);
  });

  it('refuses a mixed frame that cannot add up with the frames held', () => {
    const plan = planQrFrames(new Uint8Array(900).map((_, i) => i * 31), 100);
    const id = idOf(plan.frame(0));
    const rx = new QrFrameReceiver();
    for (let i = 0; i < plan.total - 1; i++) rx.accept(plan.frame(i));
    // A mixed frame made only of chunks already held brings nothing new: its bytes must agree.
    let index = plan.total;
    while (mixOf(parseInt(id, 16), plan.total, index).includes(plan.total - 1)) index++;
    const genuine = parseQrFrame(plan.frame(index));
    if (!genuine.ok) throw new Error('a genuine frame should parse');
    const altered = genuine.frame.chunk.slice();
    altered[0]! ^= 1;
    expect(rx.accept(forgeFrame(id, plan.total, index, altered, 932))).toMatchObject({ kind: 'refused', reason: 'conflict', got: plan.total - 1 });
    expect(rx.accept(plan.frame(index))).toMatchObject({ kind: 'progress', fresh: false, got: plan.total - 1 });
    expect(rx.accept(plan.frame(plan.total - 1))).toMatchObject({ kind: 'done' });
  });

  it('refuses to cut content it cannot carry', () => {
    expect(() => toQrFrames(new Uint8Array(10), 0)).toThrow(/positive whole number/);
    expect(() => toQrFrames(new Uint8Array(70_000), 1)).toThrow(/as a file/);
  });
});
