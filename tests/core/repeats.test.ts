import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { DEFAULT_REPEAT_RULE, findRepeats, type RepeatCandidate } from '../../src/core/repeats';

// Special governance (专项治理): the same problem — same village and category, or merged
// into one as a duplicate — raised `threshold` times within `windowDays`.

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 25, 4); // 25 Nov 2026 12:00 CST
const V1 = '371324102201';
const V2 = '371324102202';
const ROADS = 'infra.roads';
const WATER = 'infra.water';
const rule = { threshold: 3, windowDays: 90 };

const a = (id: string, village: string, category: string, daysAgo: number, mergedInto: string | null = null): RepeatCandidate => ({
  id,
  village,
  category,
  createdAt: NOW - daysAgo * DAY,
  mergedInto,
});

describe('findRepeats', () => {
  it('every preset uses the rule of three within 90 days', () => {
    expect(DEFAULT_REPEAT_RULE).toEqual(rule);
    for (const p of Object.values(POLICY_PRESETS)) expect(p.repeat).toEqual(rule);
  });

  it('two is not yet a pattern; three is', () => {
    const two = [a('1', V1, ROADS, 1), a('2', V1, ROADS, 2)];
    expect(findRepeats(two, rule, NOW)).toEqual([]);
    expect(findRepeats([...two, a('3', V1, ROADS, 3)], rule, NOW)).toEqual([
      { village: V1, category: ROADS, appealIds: ['1', '2', '3'], firstAt: NOW - 3 * DAY, lastAt: NOW - DAY },
    ]);
    expect(findRepeats([...two, a('3', V1, ROADS, 3)], { threshold: 4, windowDays: 90 }, NOW)).toEqual([]);
    expect(findRepeats(two, { threshold: 2, windowDays: 90 }, NOW)).toHaveLength(1);
  });

  it('the same category in another village, or another category in the same village, is another problem', () => {
    const mixed = [a('1', V1, ROADS, 1), a('2', V2, ROADS, 2), a('3', V1, WATER, 3), a('4', V1, ROADS, 4), a('5', V2, WATER, 5)];
    expect(findRepeats(mixed, rule, NOW)).toEqual([]);
  });

  it('the window: an appeal exactly windowDays old still counts, a moment older does not', () => {
    const edge = { ...a('old', V1, ROADS, 90) };
    const older = { ...a('older', V1, ROADS, 90), createdAt: NOW - 90 * DAY - 1 };
    const recent = [a('1', V1, ROADS, 10), a('2', V1, ROADS, 20)];
    expect(findRepeats([...recent, edge], rule, NOW)[0]?.appealIds).toEqual(['1', '2', 'old']);
    expect(findRepeats([...recent, older], rule, NOW)).toEqual([]);
    expect(findRepeats([...recent, older], { threshold: 3, windowDays: 91 }, NOW)).toHaveLength(1);
  });

  it('duplicates merged into an appeal count towards its problem, wherever they were filed', () => {
    const groups = findRepeats([a('t', V1, WATER, 5), a('d1', V2, ROADS, 4, 't'), a('d2', V2, 'services.other', 3, 't'), a('x', V2, ROADS, 1)], rule, NOW);
    expect(groups).toEqual([{ village: V1, category: WATER, appealIds: ['d2', 'd1', 't'], firstAt: NOW - 5 * DAY, lastAt: NOW - 3 * DAY }]);
  });

  it('follows chains of merges to the root', () => {
    const chain = [a('root', V1, WATER, 30), a('m1', V2, ROADS, 20, 'root'), a('m2', V2, ROADS, 10, 'm1'), a('m3', V1, ROADS, 5, 'm2')];
    expect(findRepeats(chain, { threshold: 4, windowDays: 90 }, NOW)).toEqual([
      { village: V1, category: WATER, appealIds: ['m3', 'm2', 'm1', 'root'], firstAt: NOW - 30 * DAY, lastAt: NOW - 5 * DAY },
    ]);
  });

  it('a target outside the window lends its problem but does not count itself', () => {
    const groups = findRepeats([a('t', V1, WATER, 200), a('d1', V2, ROADS, 4, 't'), a('d2', V2, ROADS, 3, 't'), a('w', V1, WATER, 2)], rule, NOW);
    expect(groups).toEqual([{ village: V1, category: WATER, appealIds: ['w', 'd2', 'd1'], firstAt: NOW - 4 * DAY, lastAt: NOW - 2 * DAY }]);
  });

  it('a duplicate whose target is unknown counts as its own problem', () => {
    const groups = findRepeats([a('d', V1, ROADS, 1, 'elsewhere'), a('2', V1, ROADS, 2), a('3', V1, ROADS, 3)], rule, NOW);
    expect(groups.map((g) => g.appealIds)).toEqual([['d', '2', '3']]);
  });

  it('two appeals merged into each other offline do not hang', () => {
    const groups = findRepeats([a('x', V1, ROADS, 1, 'y'), a('y', V1, ROADS, 2, 'x'), a('z', V1, ROADS, 3)], rule, NOW);
    expect(groups.map((g) => g.appealIds)).toEqual([['x', 'y', 'z']]);
  });

  it('biggest first, then most recent; ids newest first', () => {
    const input = [
      ...[1, 2, 3].map((d) => a(`r${d}`, V1, ROADS, d + 10)),
      ...[1, 2, 3, 4].map((d) => a(`w${d}`, V2, WATER, d + 20)),
      ...[1, 2, 3].map((d) => a(`s${d}`, V2, ROADS, d)),
    ];
    const groups = findRepeats(input, rule, NOW);
    expect(groups.map((g) => g.appealIds)).toEqual([['w1', 'w2', 'w3', 'w4'], ['s1', 's2', 's3'], ['r1', 'r2', 'r3']]);
  });

  describe('properties', () => {
    /** Candidates whose merges point only to earlier ones (no cycles), so the root is plain to compute. */
    const candidatesArb = fc
      .array(
        fc.record({
          village: fc.constantFrom(V1, V2),
          category: fc.constantFrom(ROADS, WATER),
          daysAgo: fc.integer({ min: 0, max: 120 }),
          merge: fc.option(fc.nat(), { nil: null }),
        }),
        { maxLength: 30 },
      )
      .map((rows) =>
        rows.map((r, i): RepeatCandidate => ({
          id: `a${String(i).padStart(2, '0')}`,
          village: r.village,
          category: r.category,
          createdAt: NOW - r.daysAgo * DAY,
          mergedInto: r.merge !== null && i > 0 ? `a${String(r.merge % i).padStart(2, '0')}` : null,
        })),
      );
    const ruleArb = fc.record({ threshold: fc.integer({ min: 2, max: 5 }), windowDays: fc.integer({ min: 1, max: 100 }) });

    it('agrees with a plain count by root village and category', () => {
      fc.assert(
        fc.property(candidatesArb, ruleArb, (cands, r) => {
          const byId = new Map(cands.map((c) => [c.id, c]));
          const rootOf = (c: RepeatCandidate): RepeatCandidate => (c.mergedInto ? rootOf(byId.get(c.mergedInto)!) : c);
          const counted = new Map<string, string[]>();
          for (const c of cands) {
            if (c.createdAt < NOW - r.windowDays * DAY) continue;
            const root = rootOf(c);
            const key = `${root.village} ${root.category}`;
            counted.set(key, [...(counted.get(key) ?? []), c.id]);
          }
          const expected = [...counted.entries()].filter(([, ids]) => ids.length >= r.threshold).map(([key, ids]) => [key, [...ids].sort()]);
          const got = findRepeats(cands, r, NOW).map((g) => [`${g.village} ${g.category}`, [...g.appealIds].sort()]);
          expect(new Map(got as [string, string[]][])).toEqual(new Map(expected as [string, string[]][]));
        }),
        { numRuns: 300 },
      );
    });

    it('does not depend on the order of its input', () => {
      fc.assert(
        fc.property(candidatesArb, ruleArb, fc.integer(), (cands, r, seed) => {
          const shuffled = [...cands].sort((x, y) => ((x.id.charCodeAt(2) * 31 + seed) % 7) - ((y.id.charCodeAt(2) * 31 + seed) % 7) || (x.id < y.id ? 1 : -1));
          expect(findRepeats(shuffled, r, NOW)).toEqual(findRepeats(cands, r, NOW));
        }),
        { numRuns: 200 },
      );
    });

    it('groups are disjoint, at least threshold strong, sorted, and span their own dates', () => {
      fc.assert(
        fc.property(candidatesArb, ruleArb, (cands, r) => {
          const groups = findRepeats(cands, r, NOW);
          const all = groups.flatMap((g) => g.appealIds);
          expect(new Set(all).size).toBe(all.length);
          const created = new Map(cands.map((c) => [c.id, c.createdAt]));
          groups.forEach((g, i) => {
            expect(g.appealIds.length).toBeGreaterThanOrEqual(r.threshold);
            const times = g.appealIds.map((id) => created.get(id)!);
            expect(times).toEqual([...times].sort((x, y) => y - x));
            expect(g.lastAt).toBe(times[0]);
            expect(g.firstAt).toBe(times.at(-1));
            if (i > 0) expect(groups[i - 1]!.appealIds.length).toBeGreaterThanOrEqual(g.appealIds.length);
          });
        }),
        { numRuns: 200 },
      );
    });
  });
});
