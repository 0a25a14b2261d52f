import { describe, expect, it } from 'vitest';
import { weekOf } from '../../src/core/metrics';
import { AREA_KEYS, areaTrends, DEFAULT_TREND_RULE, forecast, rising, trendCounts, trendReport, trendWeeks } from '../../src/core/trends';

// The right answers are worked out by hand in the comments.

const cst = (s: string) => Date.parse(`${s}+08:00`);
const rule = DEFAULT_TREND_RULE; // baseline 4, at least 5, ×1.5, 2 σ, back-test 8 weeks

describe('trend weeks', () => {
  it('ends with the last complete week and forecasts the one after it', () => {
    // Wednesday 25 Nov: the week of 23 Nov has not ended, so the last complete week is 16 Nov.
    const w = trendWeeks(cst('2026-11-25T12:00:00'), cst('2026-11-25T12:00:00'), 3);
    expect(w.weeks.map((p) => p.label)).toEqual(['2026-11-02', '2026-11-09', '2026-11-16']);
    expect(w.next.label).toBe('2026-11-23');
    // Asked later about that week, it is complete and included.
    expect(trendWeeks(cst('2026-11-25T12:00:00'), cst('2026-12-02T12:00:00'), 2).weeks.map((p) => p.label)).toEqual(['2026-11-16', '2026-11-23']);
  });

  it('counts rows into their China-time week, the week forecast last, leaving out what lies outside', () => {
    const span = trendWeeks(cst('2026-11-25T12:00:00'), cst('2026-11-25T12:00:00'), 2); // 9 and 16 Nov, next 23 Nov
    const row = (at: string, category: string) => ({ createdAt: cst(at), category, town: '371324102000' });
    const rows = [
      row('2026-11-08T23:59:59', 'a'), // before the weeks
      row('2026-11-09T00:00:00', 'a'), // Monday 00:00: first week
      row('2026-11-15T23:59:59', 'a'), // Sunday night: first week
      row('2026-11-16T00:00:00', 'a'), // second week
      row('2026-11-17T08:00:00', 'b'),
      row('2026-11-23T00:00:00', 'a'), // the week forecast
      row('2026-11-30T00:00:00', 'a'), // after it
    ];
    const counts = trendCounts(rows, span).map(({ week, category, n }) => `${week}:${category}:${n}`);
    expect(counts.sort()).toEqual(['0:a:2', '1:a:1', '1:b:1', '2:a:1']);
    const report = trendReport(trendCounts(rows, span), span, rule, false);
    expect(report.total).toMatchObject({ counts: [2, 2], soFar: 1 });
    expect(report.byCategory.map((c) => [c.key, c.counts])).toEqual([['a', [2, 1]], ['b', [0, 1]]]);
  });

  it('leaves out a category or area seen only in the week forecast, but counts it in the total so far', () => {
    const span = trendWeeks(cst('2026-11-25T12:00:00'), cst('2026-11-25T12:00:00'), 5);
    const report = trendReport(trendCounts([{ createdAt: span.next.from + 1, category: 'new', town: '371324102000' }], span), span, rule, true);
    expect(report).toMatchObject({ byCategory: [], byCounty: [], byTown: [], total: { counts: [0, 0, 0, 0, 0], soFar: 1 } });
  });
});

describe('rising', () => {
  it('flags a week well above the mean of the four before it', () => {
    // baseline (4+6+5+5)/4 = 5; 12 ≥ 5, 12 ≥ 7.5 and 12−5 = 7 > 2√5 ≈ 4.47
    expect(rising([9, 4, 6, 5, 5, 12], rule)).toEqual({ current: 12, baseline: 5, rising: true });
    // 9 ≥ 7.5 but 9−5 = 4 < 4.47: an ordinary swing
    expect(rising([4, 6, 5, 5, 9], rule).rising).toBe(false);
  });

  it('ignores small counts and series too short to compare', () => {
    // 4 ≥ 1.5×0.25 and 4−0.25 > 2×√1, but fewer than 5 appeals
    expect(rising([0, 0, 1, 0, 4], rule).rising).toBe(false);
    expect(rising([1, 9], rule)).toEqual({ current: 9, baseline: null, rising: false });
  });
});

describe('forecast', () => {
  it('forecasts the mean of the last four weeks and back-tests it against the naive guess', () => {
    const series = [10, 12, 8, 10, 14, 10, 6];
    // next = (10+14+10+6)/4 = 10
    // back-test weeks 4..6 (those with four before them):
    //   t=4: mean(10,12,8,10)=10, actual 14 → 4; naive 10 → 4
    //   t=5: mean(12,8,10,14)=11, actual 10 → 1; naive 14 → 4
    //   t=6: mean(8,10,14,10)=10.5, actual 6 → 4.5; naive 10 → 4
    expect(forecast(series, rule)).toEqual({ next: 10, error: (4 + 1 + 4.5) / 3, naiveError: 4, tested: 3 });
  });

  it('tests only the last eight weeks and says when it cannot forecast', () => {
    const long = [5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 9];
    // weeks 5..12 tested; only the last misses: by 4 (mean 5) and by 4 (naive 5) → 4/8
    expect(forecast(long, rule)).toEqual({ next: 6, error: 0.5, naiveError: 0.5, tested: 8 });
    expect(forecast([3, 4], rule)).toEqual({ next: null, error: null, naiveError: null, tested: 0 });
  });
});

describe('trends by area', () => {
  it('groups a city’s appeals by county, flags the rising one first, and counts the week forecast so far', () => {
    const span = trendWeeks(cst('2026-11-25T12:00:00'), cst('2026-11-25T12:00:00'), 5); // 19 Oct … 16 Nov, next 23 Nov
    const at = (week: number, village: string, k = 1) =>
      Array.from({ length: k }, (_, i) => ({ createdAt: span.weeks[week]!.from + 3_600_000 * (i + 1), category: 'infra.roads', town: `${village.slice(0, 9)}000` }));
    const LANLING = '371324102201';
    const LANSHAN = '371302001201';
    const rows = [
      // 兰陵: 2 a week, then 10 in the last week: baseline 2, 10 ≥ 5, ≥ 3 and 10 − 2 > 2√2.
      ...[0, 1, 2, 3].flatMap((w) => at(w, LANLING, 2)), ...at(4, LANLING, 10),
      // 兰山: 5 a week, steady.
      ...[0, 1, 2, 3, 4].flatMap((w) => at(w, LANSHAN, 5)),
      // This week so far: one in 兰山.
      { createdAt: span.next.from + 3_600_000, category: 'infra.roads', town: '371302001000' },
    ];
    const counts = trendCounts(rows, span);
    const byCounty = areaTrends(counts, span, AREA_KEYS.county, rule);
    expect(byCounty.map((s) => s.key)).toEqual(['371324000000', '371302000000']);
    expect(byCounty[0]).toMatchObject({ counts: [2, 2, 2, 2, 10], total: 18, rising: true, baseline: 2, next: 4, soFar: 0 });
    // 兰山: forecast (5+5+5+5)/4 = 5, back-tested on the last week: exact, as is "same as last week".
    expect(byCounty[1]).toMatchObject({ counts: [5, 5, 5, 5, 5], rising: false, next: 5, error: 0, naiveError: 0, tested: 1, soFar: 1 });
    // By town the same rows split by town code.
    expect(areaTrends(counts, span, AREA_KEYS.town, rule).map((s) => s.key)).toEqual(['371324102000', '371302001000']);
  });
});
