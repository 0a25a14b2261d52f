import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KINDS, URGENCIES } from '../../src/core/appeal';
import { deadlineOf, POLICY_PRESETS, PRESET_NAMES, type DeadlinePolicy } from '../../src/core/deadline';
import { fold } from '../../src/core/fold';
import { COUNTY_CODE, defaultPolicy, makePolicyBook, parseCountyPolicies, policyFor, type PolicyBook } from '../../src/core/policy-book';
import { ev } from './fixtures';

// Each county of a city follows its own deadline policy: an appeal's county is the first six
// digits of its village code, and a county the book does not list follows the default.

const { lanling, linyi, wanyuan } = POLICY_PRESETS;
const LANLING = '371324';
const LANSHAN = '371302';
const city = (p: DeadlinePolicy): DeadlinePolicy => ({ ...p, topTier: 'city' });
/** Linyi's book as a city deployment has it: Linyi 12345's, Lanling's own for Lanling. */
const LINYI_CITY: PolicyBook = { default: city(linyi), counties: { [LANLING]: city(lanling) } };

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const countyCode = fc.tuple(digits(4), digits(2)).filter(([, tail]) => tail !== '00').map(([head, tail]) => head + tail);
const preset = fc.constantFrom(...PRESET_NAMES).map((n) => POLICY_PRESETS[n] as DeadlinePolicy);
/** Books over a few counties, so villages of listed and unlisted counties both come up often. */
const POOL = [LANLING, LANSHAN, '371311', '511781', '110101'];
const book = fc.record({ default: preset, counties: fc.dictionary(fc.constantFrom(...POOL), preset, { maxKeys: POOL.length }) });
const village = fc.oneof(fc.tuple(fc.constantFrom(...POOL), digits(6)).map(([c, rest]) => c + rest), digits(12));

describe('policyFor', () => {
  it('gives a city’s appeals their own county’s policy: Lanling’s in Lanling, Linyi 12345’s in Lanshan', () => {
    expect(policyFor(LINYI_CITY, '371324102201').name).toBe('lanling');
    expect(policyFor(LINYI_CITY, '371302001001').name).toBe('linyi');
    // A town's code and the county's own lead to the same county.
    expect(policyFor(LINYI_CITY, '371324102')).toBe(LINYI_CITY.counties[LANLING]);
    expect(policyFor(LINYI_CITY, LANLING)).toBe(LINYI_CITY.counties[LANLING]);
  });

  it('gives every village its county’s policy when the book lists the county, else the default', () => {
    fc.assert(
      fc.property(book, village, (b, v) => {
        const own = Object.hasOwn(b.counties, v.slice(0, 6));
        expect(policyFor(b, v)).toBe(own ? b.counties[v.slice(0, 6)] : b.default);
      }),
      { numRuns: 500 },
    );
  });

  it('never lets a village of one county take another county’s policy', () => {
    const distinct = (p: DeadlinePolicy, n: string): DeadlinePolicy => ({ ...p, name: n });
    fc.assert(
      fc.property(fc.uniqueArray(countyCode, { minLength: 1, maxLength: 6 }), digits(6), fc.nat(), (counties, rest, pick) => {
        const b: PolicyBook = { default: distinct(linyi, 'default'), counties: Object.fromEntries(counties.map((c) => [c, distinct(lanling, c)])) };
        const county = counties[pick % counties.length]!;
        expect(policyFor(b, county + rest).name).toBe(county);
      }),
    );
  });

  it('gives the default to a village field that is missing, not a string, or names no listed county', () => {
    for (const odd of [undefined, null, '', 42, {}, ['371324102201'], '__proto__', 'constructor', 'toString', '3713']) {
      expect(policyFor(LINYI_CITY, odd)).toBe(LINYI_CITY.default);
    }
  });

  it('makes a lone policy, or a book listing no county, behave exactly as that one policy (a county deployment)', () => {
    const recorded = (at: number) => ev('recorded', { at });
    const assigned = (at: number) => ev('assigned', { at, tier: 'town' });
    fc.assert(
      fc.property(
        preset,
        village,
        fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 0, 1) }),
        fc.constantFrom(...KINDS),
        fc.constantFrom(...URGENCIES),
        (p, v, at, kind, urgency) => {
          expect(policyFor(p, v)).toBe(p);
          expect(policyFor({ default: p, counties: {} }, v)).toBe(p);
          expect(defaultPolicy(p)).toBe(p);
          const state = fold([recorded(at), assigned(at + 3_600_000)]);
          expect(deadlineOf(state, { kind, urgency }, policyFor({ default: p, counties: {} }, v))).toEqual(deadlineOf(state, { kind, urgency }, p));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('derives each county’s due dates by its own rules', () => {
    // Assigned Monday 11 May 2026, 10:00 China time; a consultation.
    const at = Date.UTC(2026, 4, 11, 2);
    const state = fold([ev('recorded', { at: at - 3_600_000 }), ev('assigned', { at, tier: 'town' })]);
    const due = (v: string) => deadlineOf(state, { kind: 'consultation', urgency: 'yellow' }, policyFor(LINYI_CITY, v))!.dueAt;
    // Lanling: half a working day (4 h) → 14:00 the same day. Linyi 12345, yellow: 5 working days → Monday 18 May 10:00.
    expect(new Date(due('371324102201')).toISOString()).toBe('2026-05-11T06:00:00.000Z');
    expect(new Date(due('371302001001')).toISOString()).toBe('2026-05-18T02:00:00.000Z');
  });
});

describe('makePolicyBook', () => {
  it('keeps one top tier for the whole deployment', () => {
    expect(makePolicyBook(city(linyi), { [LANLING]: city(lanling) })).toMatchObject({ ok: true });
    expect(makePolicyBook(lanling, { [LANLING]: { ...lanling, topTier: 'county' } })).toMatchObject({ ok: true });
    const mixed = makePolicyBook(city(linyi), { [LANLING]: lanling });
    expect(mixed).toEqual({ ok: false, error: expect.stringMatching(/371324: topTier is "county" but the deployment's is "city"/) });
  });

  it('accepts a book exactly when every county’s top tier is the default’s', () => {
    const tier = fc.constantFrom(undefined, 'county' as const, 'city' as const);
    fc.assert(
      fc.property(tier, fc.dictionary(countyCode, tier, { maxKeys: 5 }), (top, tiers) => {
        const withTier = (t: typeof top): DeadlinePolicy => (t === undefined ? wanyuan : { ...wanyuan, topTier: t });
        const made = makePolicyBook(withTier(top), Object.fromEntries(Object.entries(tiers).map(([c, t]) => [c, withTier(t)])));
        expect(made.ok).toBe(Object.values(tiers).every((t) => (t ?? 'county') === (top ?? 'county')));
      }),
    );
  });

  it('refuses a key that is not a county-level area’s code', () => {
    for (const bad of ['371300', '370000', '37132', '3713240', 'lanlin']) expect(makePolicyBook(linyi, { [bad]: linyi }).ok, bad).toBe(false);
  });
});

describe('the per-county override file', () => {
  it('takes a preset name or a whole policy per county', () => {
    const own = { ...linyi, name: 'lanshan', dispatchDays: 0.5 };
    const parsed = parseCountyPolicies(JSON.parse(JSON.stringify({ [LANLING]: 'lanling', [LANSHAN]: own })));
    expect(parsed).toEqual({ ok: true, counties: { [LANLING]: lanling, [LANSHAN]: own } });
    expect(parseCountyPolicies({})).toEqual({ ok: true, counties: {} });
  });

  it('reads back whatever counties it was written with', () => {
    fc.assert(
      fc.property(fc.dictionary(countyCode, fc.constantFrom(...PRESET_NAMES), { maxKeys: 8 }), fc.boolean(), (names, whole) => {
        const file = Object.fromEntries(Object.entries(names).map(([c, n]) => [c, whole ? POLICY_PRESETS[n] : n]));
        const parsed = parseCountyPolicies(JSON.parse(JSON.stringify(file)));
        expect(parsed).toEqual({ ok: true, counties: Object.fromEntries(Object.entries(names).map(([c, n]) => [c, POLICY_PRESETS[n]])) });
      }),
    );
  });

  it('refuses a key that is not a county’s 6-digit code, naming it', () => {
    const notCounty = fc.oneof(
      digits(4).map((d) => `${d}00`), // a city's or a province's
      fc.string({ maxLength: 8 }).filter((s) => !COUNTY_CODE.test(s)),
    );
    fc.assert(
      fc.property(notCounty, (key) => {
        const parsed = parseCountyPolicies({ [key]: 'linyi' });
        expect(parsed.ok).toBe(false);
        if (!parsed.ok && key !== '') expect(parsed.error).toContain(key);
      }),
    );
    expect(parseCountyPolicies({ '371300': 'linyi' })).toEqual({ ok: false, error: expect.stringMatching(/371300: must be the 6-digit code of a county-level area/) });
  });

  it('names the county and the field of a bad policy, and an unknown preset', () => {
    const bad = parseCountyPolicies({ [LANLING]: 'lanling', [LANSHAN]: { ...linyi, hours: { start: 600, end: 540 } } });
    expect(bad).toEqual({ ok: false, error: expect.stringMatching(/^371302: hours/) });
    expect(parseCountyPolicies({ [LANSHAN]: 'fast' })).toEqual({ ok: false, error: expect.stringMatching(/371302: unknown deadline preset "fast"/) });
    expect(parseCountyPolicies({ [LANSHAN]: { ...linyi, extra: 1 } }).ok).toBe(false);
  });

  it('refuses a file that is not an object of counties', () => {
    for (const bad of [null, 'lanling', ['lanling'], 3]) expect(parseCountyPolicies(bad).ok, JSON.stringify(bad)).toBe(false);
  });
});
