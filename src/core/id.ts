// UUIDv7 (RFC 9562): 48-bit Unix ms timestamp, then a 12-bit counter in rand_a so ids made
// within one millisecond on one device still sort in creation order (method 1 of §6.2).

export type RandomBytes = (length: number) => Uint8Array;

interface CryptoLike {
  getRandomValues<T extends Uint8Array>(array: T): T;
}

export const defaultRandom: RandomBytes = (length) => {
  const crypto = (globalThis as unknown as { crypto?: CryptoLike }).crypto;
  if (!crypto) throw new Error('No secure random source (globalThis.crypto) available');
  return crypto.getRandomValues(new Uint8Array(length));
};

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function formatUuid(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
    s += HEX[bytes[i]!];
  }
  return s;
}

/** Makes a UUIDv7 generator. Injected clock and randomness keep it pure and testable. */
export function uuidV7Factory(now: () => number = Date.now, random: RandomBytes = defaultRandom): () => string {
  let lastMs = -1;
  let counter = 0;
  return () => {
    let ms = Math.max(0, Math.floor(now()));
    const rnd = random(10);
    if (ms > lastMs) {
      lastMs = ms;
      // Start low in the counter space so many ids fit in the same millisecond.
      counter = ((rnd[0]! << 8) | rnd[1]!) & 0x1ff;
    } else {
      // Same millisecond, or the clock stepped back: keep ordering by counting on.
      counter++;
      if (counter > 0xfff) {
        lastMs++;
        counter = 0;
      }
      ms = lastMs;
    }
    const b = new Uint8Array(16);
    let t = ms;
    for (let i = 5; i >= 0; i--) {
      b[i] = t % 256;
      t = Math.floor(t / 256);
    }
    b[6] = 0x70 | (counter >> 8);
    b[7] = counter & 0xff;
    b[8] = 0x80 | (rnd[2]! & 0x3f);
    for (let i = 9; i < 16; i++) b[i] = rnd[i - 6]!;
    return formatUuid(b);
  };
}

export const newId: () => string = uuidV7Factory();

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function isUuidV7(s: unknown): s is string {
  return typeof s === 'string' && UUID_V7.test(s);
}

/** The creation time (Unix ms) encoded in a UUIDv7. */
export function uuidV7Time(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
