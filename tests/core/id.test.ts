import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatUuid, isUuidV7, newId, uuidV7Factory, uuidV7Time, type RandomBytes } from '../../src/core/id';

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const fill = (byte: number): RandomBytes => (n) => new Uint8Array(n).fill(byte);

/** Deterministic byte source (mulberry32) so properties can vary the randomness. */
function seeded(seed: number): RandomBytes {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) & 0xff;
  };
  return (n) => Uint8Array.from({ length: n }, next);
}

function expectStrictlyIncreasing(ids: string[]): void {
  for (let i = 1; i < ids.length; i++) {
    if (!(ids[i - 1]! < ids[i]!)) throw new Error(`id ${i} (${ids[i]}) does not sort after ${ids[i - 1]}`);
  }
}

describe('uuidV7Factory', () => {
  it('makes RFC 9562 version-7, variant-10 ids', () => {
    for (const byte of [0x00, 0xff, 0x5a]) {
      const id = uuidV7Factory(() => 1_700_000_000_123, fill(byte))();
      expect(id).toMatch(FORMAT);
      expect(id[14]).toBe('7'); // version nibble
      expect('89ab').toContain(id[19]!); // variant bits 10xx
      expect(isUuidV7(id)).toBe(true);
    }
  });

  it('puts the millisecond timestamp in the first 48 bits, big-endian', () => {
    const id = uuidV7Factory(() => 0x0123456789ab, fill(0))();
    expect(id.slice(0, 13)).toBe('01234567-89ab');
    expect(uuidV7Time(id)).toBe(0x0123456789ab);
  });

  it('uuidV7Time round-trips any 48-bit millisecond', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer(), (ms, seed) => {
        const id = uuidV7Factory(() => ms, seeded(seed))();
        expect(isUuidV7(id)).toBe(true);
        expect(uuidV7Time(id)).toBe(ms);
      }),
    );
  });

  it('floors fractional clocks and clamps negative ones to 0', () => {
    expect(uuidV7Time(uuidV7Factory(() => 1234.9, fill(0))())).toBe(1234);
    expect(uuidV7Time(uuidV7Factory(() => -5, fill(0))())).toBe(0);
  });

  it('keeps the random tail from the random source', () => {
    const id = uuidV7Factory(() => 1, fill(0xff))();
    // counter starts at (0xffff & 0x1ff) = 0x1ff; variant byte = 0x80 | 0x3f; tail all 0xff
    expect(id).toBe('00000000-0001-71ff-bfff-ffffffffffff');
  });

  it('sorts 10 000 ids made in the same millisecond in creation order, spilling into the next ms', () => {
    for (const byte of [0x00, 0xff]) {
      const make = uuidV7Factory(() => 1_700_000_000_000, fill(byte));
      const ids = Array.from({ length: 10_000 }, make);
      expectStrictlyIncreasing(ids);
      expect(new Set(ids).size).toBe(ids.length);
      // 4096 counter values per ms at most, so the timestamp moves on but never far.
      const last = uuidV7Time(ids.at(-1)!);
      expect(last).toBeGreaterThan(1_700_000_000_000);
      expect(last).toBeLessThanOrEqual(1_700_000_000_000 + Math.ceil(10_000 / (0x1000 - 0x1ff)));
    }
  });

  it('keeps creation order when the clock stands still or steps backwards', () => {
    const times = [1000, 1000, 999, 500, 1000, 1001, 1001, 2, 1002];
    let i = 0;
    const make = uuidV7Factory(() => times[i++]!, fill(0x42));
    const ids = times.map(() => make());
    expectStrictlyIncreasing(ids);
    // Stepping back never moves the embedded time back.
    const embedded = ids.map(uuidV7Time);
    expect(embedded).toEqual([...embedded].sort((a, b) => a - b));
    expect(embedded.at(-1)).toBe(1002);
  });

  it('property: ids sort lexicographically in creation order for any clock walk', () => {
    const step = fc.oneof(
      { weight: 4, arbitrary: fc.constant(0) }, // same millisecond
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 5 }) },
      { weight: 1, arbitrary: fc.integer({ min: -10_000, max: -1 }) }, // clock stepped back
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 10_000_000 }) },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 47 }),
        fc.array(fc.tuple(step, fc.integer({ min: 1, max: 300 })), { maxLength: 30 }),
        fc.integer(),
        (start, walk, seed) => {
          let t = start;
          const make = uuidV7Factory(() => t, seeded(seed));
          const ids: string[] = [make()];
          for (const [delta, count] of walk) {
            t = Math.max(0, t + delta);
            for (let k = 0; k < count; k++) ids.push(make());
          }
          expectStrictlyIncreasing(ids);
          for (const id of ids) expect(isUuidV7(id)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('newId', () => {
  it('makes valid, distinct, increasing ids stamped with the current time', () => {
    const before = Date.now();
    const ids = Array.from({ length: 2000 }, () => newId());
    const after = Date.now();
    expectStrictlyIncreasing(ids);
    for (const id of ids) expect(isUuidV7(id)).toBe(true);
    expect(uuidV7Time(ids[0]!)).toBeGreaterThanOrEqual(before);
    // A counter spill may move the stamp a few ms ahead at most.
    expect(uuidV7Time(ids.at(-1)!)).toBeLessThanOrEqual(after + 2);
  });
});

describe('isUuidV7', () => {
  it('rejects other versions, variants, cases and non-strings', () => {
    const good = '01890a5d-ac96-774b-bcce-b302099a8057';
    expect(isUuidV7(good)).toBe(true);
    for (const bad of [
      '01890a5d-ac96-474b-bcce-b302099a8057', // version 4
      '01890a5d-ac96-774b-7cce-b302099a8057', // variant 0xxx
      '01890a5d-ac96-774b-ccce-b302099a8057', // variant 110x
      good.toUpperCase(),
      good.replace(/-/g, ''),
      ` ${good}`,
      `${good}0`,
      '',
      null,
      undefined,
      42,
      { id: good },
    ]) {
      expect(isUuidV7(bad), String(bad)).toBe(false);
    }
  });
});

describe('formatUuid', () => {
  it('formats 16 bytes as 8-4-4-4-12 lower-case hex', () => {
    expect(formatUuid(Uint8Array.from({ length: 16 }, (_, i) => i * 17))).toBe('00112233-4455-6677-8899-aabbccddeeff');
  });
});
