import { defaultRandom, type RandomBytes } from './id';

// The evaluation code (评价码) a citizen receives for an appeal: with it anyone can follow the
// appeal's progress and give the return-visit rating, without an account. The recording
// device makes it (offline too), so the citizen leaves with it in hand.
//
// Ten characters of Crockford's base32 (no I, L, O, U: nothing to misread) carry 50 random
// bits; with lookups limited per address, guessing one is hopeless.

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const EVAL_CODE_LENGTH = 10;
const PATTERN = new RegExp(`^[${ALPHABET}]{${EVAL_CODE_LENGTH}}$`);

export function newEvalCode(random: RandomBytes = defaultRandom): string {
  const bytes = random(EVAL_CODE_LENGTH);
  // 32 divides 256, so each byte's low five bits are uniform.
  return Array.from(bytes, (b) => ALPHABET[b & 31]).join('');
}

export function isEvalCode(v: unknown): v is string {
  return typeof v === 'string' && PATTERN.test(v);
}

/** What a person typed ("abcde-fghjk", "ABCDE FGHJK", with O for 0) as a code, or null. */
export function readEvalCode(typed: string): string | null {
  const code = typed
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return isEvalCode(code) ? code : null;
}

/** "ABCDE-FGHJK": easier to read aloud and copy. */
export function showEvalCode(code: string): string {
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** The path of the public page for an appeal's code. */
export function evalCodePath(code: string): string {
  return `/p/c/${code}`;
}
