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

export const WEEK = 7 * 86_400_000;

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

/**
 * Appeals recorded in one week of a span, of one category and one town: what a store counts
 * with one GROUP BY, and everything the trends are built from. `week` indexes the span's weeks,
 * and `weeks.length` is the week forecast.
 */
export interface TrendCount {
  week: number;
  category: string;
  town: string;
  n: number;
}

/** The week of the span (its `weeks.length` being the week forecast) an instant falls in; null outside. */
export function weekIndex(createdAt: number, { weeks, next }: TrendWeeks): number | null {
  if (weeks.length === 0 || createdAt < weeks[0]!.from || createdAt >= next.to) return null;
  // Weeks are a fixed length in China time (no daylight saving), so the index is arithmetic.
  return Math.floor((createdAt - weeks[0]!.from) / WEEK);
}

/** `rows` counted as a store counts them (devices and tests; the server asks its database). */
export function trendCounts(rows: readonly { createdAt: number; category: string; town: string }[], span: TrendWeeks): TrendCount[] {
  const out = new Map<string, TrendCount>();
  for (const r of rows) {
    const week = weekIndex(r.createdAt, span);
    if (week === null) continue;
    const key = `${week}|${r.category}|${r.town}`;
    const c = out.get(key);
    if (c) c.n++;
    else out.set(key, { week, category: r.category, town: r.town, n: 1 });
  }
  return [...out.values()];
}

export interface Series {
  key: string;
  /** The count in each complete week of the span. */
  counts: number[];
  total: number;
  /** Recorded so far in the week forecast. */
  soFar: number;
}

/** Per key, its weekly counts and its count so far; a key seen only in the week forecast has no series yet and is left out. */
function seriesBy(counts: readonly TrendCount[], weeks: number, keyOf: (c: TrendCount) => string): Series[] {
  const out = new Map<string, number[]>();
  for (const c of counts) {
    const key = keyOf(c);
    let series = out.get(key);
    if (!series) out.set(key, (series = new Array<number>(weeks + 1).fill(0)));
    series[c.week]! += c.n;
  }
  return [...out].flatMap(([key, withNext]) => {
    const series = withNext.slice(0, weeks);
    const total = series.reduce((a, b) => a + b, 0);
    return total === 0 ? [] : [{ key, counts: series, total, soFar: withNext[weeks]! }];
  });
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

export interface AreaTrend extends Series, Rising, Forecast {}

/** What an area is, for trends: a town's code, or its county's (12 digits). */
export const AREA_KEYS = {
  town: (c: { town: string }) => c.town,
  county: (c: { town: string }) => countyOf(c.town),
} as const;

const byRisingThenBusiest = (a: { key: string; total: number; rising: boolean }, b: { key: string; total: number; rising: boolean }) =>
  Number(b.rising) - Number(a.rising) || b.total - a.total || (a.key < b.key ? -1 : 1);

/**
 * Per area (`keyOf`: a town or a county), the weekly counts, whether the last week rose,
 * next week's forecast with its back-tested error, and the count so far in that next week;
 * rising areas first, then the busiest.
 */
export function areaTrends(counts: readonly TrendCount[], { weeks }: TrendWeeks, keyOf: (c: TrendCount) => string, rule: TrendRule): AreaTrend[] {
  return seriesBy(counts, weeks.length, keyOf)
    .map((s) => ({ ...s, ...rising(s.counts, rule), ...forecast(s.counts, rule) }))
    .sort(byRisingThenBusiest);
}

/**
 * The trends report from the counts: the whole scope's series with its forecast, each
 * category's series (rising first), and the areas' (counties only for a city's report).
 */
export function trendReport(counts: readonly TrendCount[], span: TrendWeeks, rule: TrendRule, withCounties: boolean) {
  const weeks = span.weeks.length;
  const all = new Array<number>(weeks + 1).fill(0);
  for (const c of counts) all[c.week]! += c.n;
  const total = all.slice(0, weeks);
  return {
    total: { counts: total, ...rising(total, rule), ...forecast(total, rule), soFar: all[weeks]! },
    byCategory: seriesBy(counts, weeks, (c) => c.category)
      .map(({ soFar: _, ...s }) => ({ ...s, ...rising(s.counts, rule) }))
      .sort(byRisingThenBusiest),
    byCounty: withCounties ? areaTrends(counts, span, AREA_KEYS.county, rule) : [],
    byTown: areaTrends(counts, span, AREA_KEYS.town, rule),
  };
}
