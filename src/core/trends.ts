import { weekOf, type Period } from './metrics';
import { countyOf } from './regions';

// Weekly volumes by category and by area (town; county for a city), a flag on what is
// rising, and next week's volume per area. The rules are deliberately simple enough to explain on the screen:
//   rising    the last complete week holds at least `minCount` appeals, at least `ratio`
//             times the mean of the `baseline` weeks before it, and exceeds that mean by more
//             than `sigmas` × √mean (a count's ordinary week-to-week swing, as for Poisson counts);
//   forecast  next week = the mean of the last `baseline` complete weeks;
//   error     that forecast back-tested on each of the `backtest` weeks before: the mean
//             absolute error, beside the error of the naive guess "same as last week".

const WEEK = 7 * 86_400_000;

export interface TrendRule {
  baseline: number;
  minCount: number;
  ratio: number;
  sigmas: number;
  backtest: number;
}

export const DEFAULT_TREND_RULE: TrendRule = { baseline: 4, minCount: 5, ratio: 1.5, sigmas: 2, backtest: 8 };

export interface TrendWeeks {
  /** Complete weeks, oldest first. */
  weeks: Period[];
  /** The week after the last complete one: the one forecast (usually the current, partial week). */
  next: Period;
}

/** `count` complete weeks up to the week holding `at`, or the one before it if that has not ended at `now`. */
export function trendWeeks(at: number, now: number, count: number): TrendWeeks {
  let last = weekOf(at);
  if (last.to > now) last = weekOf(last.from - 1);
  const weeks: Period[] = [];
  for (let i = count - 1; i >= 0; i--) weeks.push(weekOf(last.from - i * WEEK + 3_600_000));
  return { weeks, next: weekOf(last.to + 3_600_000) };
}

/** Counts per key per week (`keyOf` may return null to leave a row out). */
export function weeklyCounts<R extends { createdAt: number }>(rows: readonly R[], weeks: readonly Period[], keyOf: (r: R) => string | null): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (weeks.length === 0) return out;
  const start = weeks[0]!.from;
  const end = weeks[weeks.length - 1]!.to;
  for (const r of rows) {
    if (r.createdAt < start || r.createdAt >= end) continue;
    const key = keyOf(r);
    if (key === null) continue;
    // Weeks are a fixed length in China time (no daylight saving), so the index is arithmetic.
    const i = Math.floor((r.createdAt - start) / WEEK);
    let series = out.get(key);
    if (!series) out.set(key, (series = new Array<number>(weeks.length).fill(0)));
    series[i]!++;
  }
  return out;
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

export interface Rising {
  current: number;
  /** Mean of the weeks before the last; null when there are fewer than `rule.baseline` of them. */
  baseline: number | null;
  rising: boolean;
}

/** Whether the series' last week rose, by the rule above. */
export function rising(series: readonly number[], rule: TrendRule): Rising {
  const current = series[series.length - 1] ?? 0;
  if (series.length < rule.baseline + 1) return { current, baseline: null, rising: false };
  const baseline = mean(series.slice(-rule.baseline - 1, -1));
  const up = current >= rule.minCount && current >= rule.ratio * baseline && current - baseline > rule.sigmas * Math.sqrt(Math.max(baseline, 1));
  return { current, baseline, rising: up };
}

export interface Forecast {
  /** Next week's expected count; null without `rule.baseline` weeks of history. */
  next: number | null;
  /** Mean absolute error of the same rule over the back-test weeks; null when none could be tested. */
  error: number | null;
  /** The naive guess's (last week's count) error over the same weeks. */
  naiveError: number | null;
  /** How many weeks were back-tested. */
  tested: number;
}

export function forecast(series: readonly number[], rule: TrendRule): Forecast {
  const next = series.length < rule.baseline ? null : mean(series.slice(-rule.baseline));
  let errors = 0;
  let naive = 0;
  let tested = 0;
  for (let t = Math.max(rule.baseline, series.length - rule.backtest); t < series.length; t++) {
    const actual = series[t]!;
    errors += Math.abs(actual - mean(series.slice(t - rule.baseline, t)));
    naive += Math.abs(actual - series[t - 1]!);
    tested++;
  }
  return { next, error: tested ? errors / tested : null, naiveError: tested ? naive / tested : null, tested };
}

export interface AreaTrend extends Rising, Forecast {
  key: string;
  counts: number[];
  total: number;
  /** Recorded so far in the week forecast. */
  soFar: number;
}

/** What an area is, for trends: a town's code, or its county's (12 digits). */
export const AREA_KEYS = {
  town: (r: { town: string }) => r.town,
  county: (r: { village: string }) => countyOf(r.village),
} as const;

/**
 * Per area (`keyOf`: a town or a county), the weekly counts, whether the last week rose,
 * next week's forecast with its back-tested error, and the count so far in that next week;
 * rising areas first, then the busiest.
 */
export function areaTrends<R extends { createdAt: number }>(rows: readonly R[], { weeks, next }: TrendWeeks, keyOf: (r: R) => string, rule: TrendRule): AreaTrend[] {
  const soFar = new Map<string, number>();
  for (const r of rows) if (r.createdAt >= next.from && r.createdAt < next.to) soFar.set(keyOf(r), (soFar.get(keyOf(r)) ?? 0) + 1);
  return [...weeklyCounts(rows, weeks, keyOf)]
    .map(([key, counts]) => ({ key, counts, total: counts.reduce((a, b) => a + b, 0), ...rising(counts, rule), ...forecast(counts, rule), soFar: soFar.get(key) ?? 0 }))
    .sort((a, b) => Number(b.rising) - Number(a.rising) || b.total - a.total || (a.key < b.key ? -1 : 1));
}
