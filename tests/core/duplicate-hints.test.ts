import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findRepeats } from '../../src/core/repeats';
import { DEFAULT_HINT_RULE, duplicateHints, gramsOf, normalize, prepare, similar, type HintCandidate, type PreparedCandidate } from '../../src/core/duplicate-hints';

// Duplicate hints while recording: same village, same category, within the window, similar text.

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 25, 4);
const V1 = '371324102201';
const V2 = '371324102202';
const WATER = 'infra.water';
const ROADS = 'infra.roads';

const cand = (id: string, title: string, over: Partial<HintCandidate> = {}): PreparedCandidate =>
  prepare({ id, title, village: V1, category: WATER, createdAt: NOW - 3 * DAY, status: 'new', ...over });

// A small alphabet so random texts share bigrams often enough to exercise matching.
const hanChar = fc.constantFrom(...'自来水管漏停村路灯坏垃圾清运道桥修补电费高低压'.split(''));
const hanText = fc.array(hanChar, { minLength: 0, maxLength: 24 }).map((cs) => cs.join(''));
const anyText = fc.oneof(hanText, fc.string({ maxLength: 30 }), fc.tuple(hanText, fc.constantFrom(' ', '，', '4G', 'ABC', '。'), hanText).map(([a, s, b]) => a + s + b));
const candArb = fc.record({
  id: fc.uuid(),
  title: anyText,
  village: fc.constantFrom(V1, V2),
  category: fc.constantFrom(WATER, ROADS),
  createdAt: fc.integer({ min: NOW - 120 * DAY, max: NOW + DAY }),
  status: fc.constantFrom('new', 'assigned', 'closed', 'merged'),
});

describe('duplicateHints', () => {
  it('finds the same problem told in other words and says which words they share', () => {
    const list = [cand('a', '自来水管道漏水，几天了没人修'), cand('b', '村口路灯坏了'), cand('c', '自来水停水三天', { createdAt: NOW - 10 * DAY })];
    const r = duplicateHints({ village: V1, category: WATER, text: '我家门口自来水管又漏水了', now: NOW }, list);
    expect(r.hints.map((h) => h.id)).toEqual(['a', 'c']);
    expect(r.count).toBe(2);
    expect(r.hints[0]!.words).toEqual(['自来水管', '漏水']);
    expect(r.hints[0]!.daysAgo).toBe(3);
    expect(r.hints[1]!.words).toEqual(['自来水']);
    expect(r.hints[1]!.daysAgo).toBe(10);
  });

  it('the stop list keeps words every appeal uses from making a match', () => {
    const r = duplicateHints({ village: V1, category: WATER, text: '村民反映问题希望解决', now: NOW }, [cand('a', '村民反映问题，希望尽快解决')]);
    expect(r.count).toBe(0);
    expect(gramsOf('村民反映问题')).toEqual(new Set());
    expect(gramsOf('自来水问题')).toEqual(new Set(['自来', '来水']));
  });

  it('one shared word alone is not enough; short texts and an empty field hint nothing', () => {
    expect(duplicateHints({ village: V1, category: WATER, text: '屋后的水塘发臭', now: NOW }, [cand('a', '水塘边的护栏坏了很危险')]).count).toBe(0);
    expect(duplicateHints({ village: V1, category: WATER, text: '漏水', now: NOW }, [cand('a', '漏水')]).count).toBe(0);
    expect(duplicateHints({ village: '', category: WATER, text: '自来水管漏水', now: NOW }, [cand('a', '自来水管漏水')]).count).toBe(0);
    expect(duplicateHints({ village: V1, category: '', text: '自来水管漏水', now: NOW }, [cand('a', '自来水管漏水')]).count).toBe(0);
  });

  it('only the repeat window counts', () => {
    const list = [cand('old', '自来水管漏水', { createdAt: NOW - 91 * DAY }), cand('edge', '自来水管漏水', { createdAt: NOW - 90 * DAY })];
    expect(duplicateHints({ village: V1, category: WATER, text: '自来水管漏水', now: NOW }, list).hints.map((h) => h.id)).toEqual(['edge']);
  });

  it('full-width letters, spaces and punctuation do not hide a match', () => {
    expect(normalize('４Ｇ 信号，差！')).toBe('4g信号差');
    expect(duplicateHints({ village: V1, category: WATER, text: '４Ｇ信号太差', now: NOW }, [cand('a', '4G 信号差')]).count).toBe(1);
  });

  it('similarity is symmetric', () => {
    fc.assert(
      fc.property(anyText, anyText, (x, y) => {
        const a = { grams: gramsOf(x), norm: normalize(x) };
        const b = { grams: gramsOf(y), norm: normalize(y) };
        expect(similar(a, b, DEFAULT_HINT_RULE)).toBe(similar(b, a, DEFAULT_HINT_RULE));
      }),
    );
  });

  it('an appeal of another village or category never matches, whatever its text', () => {
    fc.assert(
      fc.property(hanText, fc.array(candArb, { maxLength: 30 }), (text, list) => {
        const r = duplicateHints({ village: V1, category: WATER, text, now: NOW }, list.map(prepare));
        const byId = new Map(list.map((c) => [c.id, c]));
        for (const h of r.hints) expect([byId.get(h.id)!.village, byId.get(h.id)!.category]).toEqual([V1, WATER]);
      }),
    );
  });

  it('identical text always matches, within the window', () => {
    // Even text of stop words only, which has no bigram to share.
    expect(duplicateHints({ village: V1, category: WATER, text: '村民反映问题', now: NOW }, [cand('same', '村民反映问题！')]).hints.map((h) => [h.id, h.words])).toEqual([['same', ['村民反映问题']]]);
    fc.assert(
      fc.property(anyText.filter((s) => [...normalize(s)].length >= 4), fc.integer({ min: 0, max: 90 }), (text, days) => {
        const r = duplicateHints({ village: V1, category: WATER, text, now: NOW }, [cand('same', text, { createdAt: NOW - days * DAY })]);
        expect(r.hints.map((h) => h.id)).toEqual(['same']);
        expect(r.hints[0]!.score).toBe(1);
        expect(r.hints[0]!.words.length).toBeGreaterThan(0);
      }),
    );
  });

  it('results are sorted, bounded, counted, and independent of the candidates order', () => {
    fc.assert(
      fc.property(hanText, fc.array(candArb, { maxLength: 40 }), fc.integer({ min: 0, max: 6 }), (text, list, limit) => {
        const rule = { ...DEFAULT_HINT_RULE, limit };
        const prepared = list.map(prepare);
        const r = duplicateHints({ village: V1, category: WATER, text, now: NOW }, prepared, rule);
        expect(r.hints.length).toBeLessThanOrEqual(limit);
        expect(r.hints.length).toBe(Math.min(limit, r.count));
        for (let i = 1; i < r.hints.length; i++) {
          const [p, h] = [r.hints[i - 1]!, r.hints[i]!];
          expect(p.score > h.score || (p.score === h.score && (p.createdAt > h.createdAt || (p.createdAt === h.createdAt && p.id <= h.id)))).toBe(true);
        }
        for (const h of r.hints) expect(h.score).toBeGreaterThanOrEqual(DEFAULT_HINT_RULE.minScore);
        expect(duplicateHints({ village: V1, category: WATER, text, now: NOW }, [...prepared].reverse(), rule)).toEqual(r);
      }),
    );
  });
});

describe('the repeat link in special governance', () => {
  const at = (days: number) => NOW - days * DAY;
  const rule = { threshold: 3, windowDays: 90 };
  it('a linked repeat counts with the appeal it repeats, following chains', () => {
    const groups = findRepeats(
      [
        { id: 'a', village: V1, category: WATER, createdAt: at(5), mergedInto: null },
        { id: 'b', village: V1, category: ROADS, createdAt: at(4), mergedInto: null, repeatOf: 'a' },
        { id: 'c', village: V1, category: ROADS, createdAt: at(3), mergedInto: null, repeatOf: 'b' },
      ],
      rule,
      NOW,
    );
    expect(groups.map((g) => [g.category, g.appealIds])).toEqual([[WATER, ['c', 'b', 'a']]]);
  });

  it('a link to another village is not followed: no one moves a count elsewhere', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), (n) => {
        const list = [
          { id: 'target', village: V2, category: WATER, createdAt: at(9), mergedInto: null },
          ...Array.from({ length: n }, (_, i) => ({ id: `x${i}`, village: V1, category: WATER, createdAt: at(i), mergedInto: null, repeatOf: 'target' })),
        ];
        for (const g of findRepeats(list, { threshold: 1, windowDays: 90 }, NOW)) {
          expect(g.appealIds.includes('target')).toBe(g.village === V2);
          if (g.village === V2) expect(g.appealIds).toEqual(['target']);
        }
      }),
    );
  });
});
