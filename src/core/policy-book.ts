import * as v from 'valibot';
import { DeadlinePolicySchema, parsePolicy, type DeadlinePolicy } from './deadline';

// A city deployment's counties keep their own deadline rules (Lanling answers a consultation
// in half a working day, Linyi 12345 by urgency). The book holds them; an appeal follows the
// policy of the county its village lies in, and every other county follows the default.

/**
 * The deadline policies of one deployment. A county deployment's book lists no county, so it
 * behaves exactly as its one policy. All policies in a book share one top tier: it is the
 * deployment's (its city center or its county platform), not a county's choice.
 */
export interface PolicyBook {
  default: DeadlinePolicy;
  /** By 6-digit county code; a county not listed follows `default`. */
  counties: Readonly<Record<string, DeadlinePolicy>>;
}

/** What deadline logic is handed: one policy for every county, or a book. */
export type Policies = DeadlinePolicy | PolicyBook;

/** A county-level area's code: 6 digits, not ending in 00 (a city's or a province's). */
export const COUNTY_CODE = /^\d{4}(?!00)\d{2}$/;

/** Counties a book may list: a city has a few dozen at most, so a welcome frame stays small. */
export const MAX_BOOK_COUNTIES = 100;

const CountyCodeSchema = v.pipe(v.string(), v.regex(COUNTY_CODE, 'must be the 6-digit code of a county-level area (e.g. 371324), not of a city or a province'));

/** The per-county policies as the welcome frame carries them (full policies, no preset names). */
export const CountyPoliciesSchema = v.pipe(
  v.record(CountyCodeSchema, DeadlinePolicySchema),
  v.check((r) => Object.keys(r).length <= MAX_BOOK_COUNTIES, `at most ${MAX_BOOK_COUNTIES} counties`),
);

/** The override file's outer shape: county code → a preset name or a policy, each checked by parsePolicy. */
const OverrideFileSchema = v.pipe(
  v.record(CountyCodeSchema, v.unknown()),
  v.check((r) => Object.keys(r).length <= MAX_BOOK_COUNTIES, `at most ${MAX_BOOK_COUNTIES} counties`),
);

export function isPolicyBook(p: Policies): p is PolicyBook {
  return 'counties' in p && 'default' in p;
}

/** The default policy; also where to read the deployment's top tier, which every policy of a book shares. */
export function defaultPolicy(p: Policies): DeadlinePolicy {
  return isPolicyBook(p) ? p.default : p;
}

/** The per-county entries of `p` (none for a lone policy). */
export function countyPolicies(p: Policies): Readonly<Record<string, DeadlinePolicy>> {
  return isPolicyBook(p) ? p.counties : {};
}

/**
 * The policy an appeal in `village` follows: its county's, else the default. Takes whatever a
 * document holds as its village (unchecked there), and any code that starts with the county's
 * 6 digits (a 12-digit village, a 9-digit town, the county itself).
 */
export function policyFor(p: Policies, village: unknown): DeadlinePolicy {
  if (!isPolicyBook(p)) return p;
  const county = typeof village === 'string' ? village.slice(0, 6) : '';
  // hasOwn: a key from Object.prototype is no county.
  return Object.hasOwn(p.counties, county) ? p.counties[county]! : p.default;
}

const topTierOf = (p: DeadlinePolicy) => p.topTier ?? 'county';

/** A book from its parts, refused when a county's policy names another top tier than the default's. */
export function makePolicyBook(
  fallback: DeadlinePolicy,
  counties: Readonly<Record<string, DeadlinePolicy>>,
): { ok: true; book: PolicyBook } | { ok: false; error: string } {
  for (const [code, policy] of Object.entries(counties)) {
    if (!COUNTY_CODE.test(code)) return { ok: false, error: `"${code}" is not the 6-digit code of a county-level area` };
    if (topTierOf(policy) !== topTierOf(fallback)) {
      return { ok: false, error: `${code}: topTier is "${topTierOf(policy)}" but the deployment's is "${topTierOf(fallback)}" (one top tier for every county)` };
    }
  }
  return { ok: true, book: { default: fallback, counties: { ...counties } } };
}

/**
 * Reads the per-county override file: `{ "371324": "lanling", "371302": { …a policy… } }`,
 * each value a preset name or a whole policy. Errors name the county and the field.
 */
export function parseCountyPolicies(input: unknown): { ok: true; counties: Record<string, DeadlinePolicy> } | { ok: false; error: string } {
  const shape = v.safeParse(OverrideFileSchema, input);
  if (!shape.success) {
    return { ok: false, error: shape.issues.map((i) => (v.getDotPath(i) ? `${v.getDotPath(i)}: ${i.message}` : i.message)).join('; ') };
  }
  const counties: Record<string, DeadlinePolicy> = {};
  const errors: string[] = [];
  for (const [code, value] of Object.entries(shape.output)) {
    const parsed = parsePolicy(value);
    if (parsed.ok) counties[code] = parsed.policy;
    else errors.push(`${code}: ${parsed.error}`);
  }
  return errors.length > 0 ? { ok: false, error: errors.join('; ') } : { ok: true, counties };
}
