import { describe, expect, it } from 'vitest';
import { CATEGORY_CODES } from '../../src/core/categories';
import { classify } from '../../src/core/classify';
import { accuracy } from '../../src/core/classify-eval';
import { FRESH_APPEALS, LABELLED_APPEALS } from '../fixtures/labelled-appeals';

// The classifier against 368 appeals written for this test (issue 26, item 9): its first
// suggestion must be the label for at least 70% of them, and one of its three for at least 85%,
// on the whole set and on the part held out while the rules were improved. (The 32 appeals
// written after the rules, FRESH_APPEALS, are reported by `npm run bench -- classify`.)

const report = (name: string, a: ReturnType<typeof accuracy>) =>
  console.log(`classifier, ${name}: ${a.count} appeals, top-1 ${(a.top1 * 100).toFixed(1)}%, top-3 ${(a.top3 * 100).toFixed(1)}%${a.misses.length ? `\n  ${a.misses.map((m) => `${m.text} → ${m.got.join(', ') || 'nothing'} (expected ${m.expected})`).join('\n  ')}` : ''}`);

describe('classifier accuracy on the labelled appeals', () => {
  it('is a set of at least 300 distinct appeals over all 16 sub-categories, about a fifth held out', () => {
    expect(LABELLED_APPEALS.length).toBeGreaterThanOrEqual(300);
    expect(new Set(LABELLED_APPEALS.map((a) => a.text)).size).toBe(LABELLED_APPEALS.length);
    for (const code of CATEGORY_CODES) expect(LABELLED_APPEALS.filter((a) => a.category === code).length, code).toBeGreaterThanOrEqual(12);
    for (const a of LABELLED_APPEALS) for (const c of [a.category, ...(a.also ?? [])]) expect(CATEGORY_CODES).toContain(c);
    const held = LABELLED_APPEALS.filter((a) => a.heldOut).length / LABELLED_APPEALS.length;
    expect(held).toBeGreaterThanOrEqual(0.15);
    expect(held).toBeLessThanOrEqual(0.25);
    // Alternatives are for the genuinely ambiguous few.
    expect(LABELLED_APPEALS.filter((a) => a.also).length).toBeLessThanOrEqual(LABELLED_APPEALS.length * 0.05);
  });

  it('suggests the right category first for at least 70% and among three for at least 85%', () => {
    const all = accuracy(LABELLED_APPEALS, (t) => classify(t));
    report('all', all);
    expect(all.top1).toBeGreaterThanOrEqual(0.7);
    expect(all.top3).toBeGreaterThanOrEqual(0.85);
  });

  it('does as well on the held-out fifth', () => {
    const held = accuracy(LABELLED_APPEALS.filter((a) => a.heldOut), (t) => classify(t));
    report('held out', held);
    expect(held.top1).toBeGreaterThanOrEqual(0.7);
    expect(held.top3).toBeGreaterThanOrEqual(0.85);
  });

  it('explains every suggestion with words that are in the text', () => {
    const texts = [...LABELLED_APPEALS, ...FRESH_APPEALS].map((a) => a.text);
    expect(new Set(texts).size).toBe(texts.length);
    for (const text of texts) {
      for (const s of classify(text)) {
        expect(s.matched.length, text).toBeGreaterThan(0);
        for (const m of s.matched) expect(text.toLowerCase(), s.category).toContain(m.toLowerCase());
      }
    }
  });
});
