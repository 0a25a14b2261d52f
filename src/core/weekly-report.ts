import type { WorkingHours } from './calendar';
import { fairRank } from './fair-ranking';
import { monthOf, rankUnits, repeats, weekOf, type Period, type RankRow, type UnitMetrics } from './metrics';
import { countyOf } from './regions';
import { findRepeats, type RepeatRule } from './repeats';
import type { ReportPeriodKind } from './report-period';
import { redBlack, type Scorecard } from './scorecard';
import { rising, type TrendRule } from './trends';
import { unitOf, type ReportLevel, type UnitKind } from './units';

// The weekly and monthly report (Wuhan's 民情数据排名周报, Wanyuan's 周会商/月考评): one
// printable document per period and scope that puts the other reports' figures side by side,
// each by the rule that already decides it elsewhere (metrics.ts, fair-ranking.ts,
// scorecard.ts, trends.ts, repeats.ts), plus what only this report adds:
//   change      each headline figure beside the period before: counts as a difference and a
//               relative change (null when the period before had none), rates and handling
//               days as a difference (percentage points for rates);
//   rising      a category or area whose count in this period rose by the trends rule against
//               the `baseline` periods of the same kind before it (weeks for a weekly report,
//               months for a monthly one);
//   special     the problems raised `threshold`+ times within the repeat window that ends with
//               the period, with how many of their appeals came in the period itself.
// Composed once when the period closes and kept as issued.

/** Bump when the report's shape changes, so a cached or stored one of another shape is recognised. */
export const WEEKLY_REPORT_VERSION = 1;
/** At most this many special-governance problems are listed (the total is given). */
export const SPECIAL_LIMIT = 20;

export interface Change {
  current: number | null;
  previous: number | null;
  /** current − previous; null when either is missing. */
  delta: number | null;
  /** delta / previous, for counts only; null when the period before had none. */
  relative: number | null;
}

export interface Headline {
  received: Change;
  answered: Change;
  onTimeRate: Change;
  satisfactionRate: Change;
  handlingDays: Change;
  repeatRate: Change;
}

export interface RankLine {
  unit: string;
  received: number;
  answered: number;
  onTimeRate: number | null;
  /** The fair (shrunk) on-time rate the table is sorted by, and the bar drawn. */
  onTimeShrunk: number | null;
  satisfactionRate: number | null;
  satisfactionShrunk: number | null;
  handlingDays: number | null;
  /** The scorecard's 0–100; null when the unit had too few answered appeals. */
  score: number | null;
}

export interface RankSection {
  by: UnitKind;
  /** Best first, as the ranking tab sorts (fair on-time rate, then satisfaction, then volume). */
  units: RankLine[];
  red: string[];
  black: string[];
}

export interface RisingLine {
  key: string;
  current: number;
  /** The mean of the periods before. */
  baseline: number;
}

export interface SpecialLine {
  village: string;
  category: string;
  count: number;
  /** Of `count`, those recorded in the report's period. */
  inPeriod: number;
  firstAt: number;
  lastAt: number;
}

export interface WeeklyReport {
  version: typeof WEEKLY_REPORT_VERSION;
  kind: ReportPeriodKind;
  level: ReportLevel;
  period: Period;
  previous: Period;
  generatedAt: number;
  headline: Headline;
  rankings: RankSection[];
  rising: { rule: TrendRule; byCategory: RisingLine[]; byArea: RisingLine[]; areaKind: 'town' | 'county' };
  /** This period's busiest categories, with their count the period before. */
  topCategories: { key: string; current: number; previous: number }[];
  special: { rule: RepeatRule; total: number; groups: SpecialLine[] };
}

/** What the API answers with, and what a device keeps of a report it has shown. */
export interface WeeklyReportAnswer {
  /** Whose report (`scopeKey`). */
  scope: string;
  /** When the report was issued; null for a period still running or just closed (composed live, not kept). */
  issuedAt: number | null;
  report: WeeklyReport;
}

/** A scope's reports are kept under its region prefixes and departments ("*": every department). */
export function scopeKey(regions: readonly string[], departments: readonly string[] | undefined): string {
  return `${[...regions].sort().join(',')}|${departments ? [...departments].sort().join(',') : '*'}`;
}

export interface WeeklyReportInput {
  kind: ReportPeriodKind;
  /** Any instant in the period reported. */
  at: number;
  level: ReportLevel;
  /** The kinds of unit ranked, in order. */
  kinds: readonly UnitKind[];
  /** The scope's appeals recorded or first answered since `reportSince(…)`. */
  rows: readonly RankRow[];
  hours: WorkingHours;
  repeat: RepeatRule;
  scorecard: Scorecard;
  trendRule: TrendRule;
  generatedAt: number;
}

const DAY = 86_400_000;
const TOP_CATEGORIES = 5;

/** The period of `kind` holding `instant`. */
export function periodOf(kind: ReportPeriodKind, instant: number): Period {
  return kind === 'week' ? weekOf(instant) : monthOf(instant);
}

/** The period of the same kind just before `p`. */
export function periodBefore(kind: ReportPeriodKind, p: Period): Period {
  return periodOf(kind, p.from - 1);
}

/**
 * A report is issued (kept as it stands) this long after its period ends, so appeals recorded
 * offline late in the period have had the night to sync; before that it is composed live.
 */
export const ISSUE_AFTER_MS = 6 * 3_600_000;

/** Whether the report of `period` is issued by `now`. */
export const issuable = (period: Period, now: number): boolean => period.to + ISSUE_AFTER_MS <= now;

/** The last period of `kind` that has ended by `now`. */
export function lastClosedPeriod(kind: ReportPeriodKind, now: number): Period {
  return periodBefore(kind, periodOf(kind, now));
}

/** The last period of `kind` whose report is issued by `now`: the one the job issues. */
export function lastIssuablePeriod(kind: ReportPeriodKind, now: number): Period {
  return lastClosedPeriod(kind, now - ISSUE_AFTER_MS);
}

/** The earliest instant the report needs rows from: the rising baseline's first period, or the repeat window before the period before. */
export function reportSince(kind: ReportPeriodKind, at: number, repeat: RepeatRule, trendRule: TrendRule): number {
  let first = periodOf(kind, at);
  for (let i = 0; i < trendRule.baseline; i++) first = periodBefore(kind, first);
  const previous = periodBefore(kind, periodOf(kind, at));
  return Math.min(first.from, previous.from - repeat.windowDays * DAY);
}

/** A figure beside the period before's. `relative` only for counts. */
export function change(current: number | null, previous: number | null, count = false): Change {
  const delta = current === null || previous === null ? null : current - previous;
  return { current, previous, delta, relative: count && delta !== null && previous !== null && previous > 0 ? delta / previous : null };
}

type Totals = Pick<UnitMetrics, 'received' | 'answered' | 'onTimeRate' | 'satisfactionRate' | 'handlingDays' | 'repeatRate'>;
const NOTHING: Totals = { received: 0, answered: 0, onTimeRate: null, satisfactionRate: null, handlingDays: null, repeatRate: null };

/** Counts per key over consecutive periods (oldest first), by recording time. */
function countsOver(rows: readonly RankRow[], periods: readonly Period[], keyOf: (r: RankRow) => string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of rows) {
    const i = periods.findIndex((p) => r.createdAt >= p.from && r.createdAt < p.to);
    if (i < 0) continue;
    const key = keyOf(r);
    let series = out.get(key);
    if (!series) out.set(key, (series = new Array<number>(periods.length).fill(0)));
    series[i]!++;
  }
  return out;
}

function risingLines(counts: Map<string, number[]>, rule: TrendRule): RisingLine[] {
  const out: RisingLine[] = [];
  for (const [key, series] of counts) {
    const r = rising(series, rule);
    if (r.rising) out.push({ key, current: r.current, baseline: r.baseline! });
  }
  return out.sort((a, b) => b.current - b.baseline - (a.current - a.baseline) || (a.key < b.key ? -1 : 1));
}

export function buildWeeklyReport(input: WeeklyReportInput): WeeklyReport {
  const { kind, rows, hours, repeat, scorecard, trendRule, level } = input;
  const period = periodOf(kind, input.at);
  const previous = periodBefore(kind, period);
  const repeated = repeats(rows, repeat.windowDays);

  // The headline is the whole scope as one unit.
  const whole = (p: Period): Totals => rankUnits(rows, () => 'all', p, hours, repeated)[0] ?? NOTHING;
  const [now, before] = [whole(period), whole(previous)];
  const headline: Headline = {
    received: change(now.received, before.received, true),
    answered: change(now.answered, before.answered, true),
    onTimeRate: change(now.onTimeRate, before.onTimeRate),
    satisfactionRate: change(now.satisfactionRate, before.satisfactionRate),
    handlingDays: change(now.handlingDays, before.handlingDays),
    repeatRate: change(now.repeatRate, before.repeatRate),
  };

  const rankings = input.kinds.map((by): RankSection => {
    const of = unitOf(by, level);
    const fair = fairRank(rows, of, period, hours, repeated, repeat.windowDays);
    const lists = redBlack(fair, scorecard);
    const scores = new Map(lists.units.map((u) => [u.unit, u.score]));
    return {
      by,
      units: fair.map((u) => ({
        unit: u.unit,
        received: u.received,
        answered: u.answered,
        onTimeRate: u.onTimeRate,
        onTimeShrunk: u.onTime.shrunk,
        satisfactionRate: u.satisfactionRate,
        satisfactionShrunk: u.satisfaction.shrunk,
        handlingDays: u.handlingDays,
        score: scores.get(u.unit) ?? null,
      })),
      red: lists.red,
      black: lists.black,
    };
  });

  // Rising: this period against the `baseline` periods of the same kind before it.
  const periods = [period];
  for (let i = 0; i < trendRule.baseline; i++) periods.unshift(periodBefore(kind, periods[0]!));
  const areaKind = level === 'city' ? 'county' : 'town';
  const areaOf = areaKind === 'county' ? (r: RankRow) => countyOf(r.village) : (r: RankRow) => r.town;
  const byCategory = countsOver(rows, periods, (r) => r.category);
  const topCategories = [...byCategory]
    .map(([key, series]) => ({ key, current: series[series.length - 1]!, previous: series[series.length - 2] ?? 0 }))
    .filter((c) => c.current > 0)
    .sort((a, b) => b.current - a.current || (a.key < b.key ? -1 : 1))
    .slice(0, TOP_CATEGORIES);

  // Special governance as it stood when the period closed.
  const inWindow = rows.filter((r) => r.createdAt < period.to);
  const groups = findRepeats(inWindow, repeat, period.to);
  const createdAt = new Map(inWindow.map((r) => [r.id, r.createdAt]));
  const special = groups.map((g) => ({
    village: g.village,
    category: g.category,
    count: g.appealIds.length,
    inPeriod: g.appealIds.filter((id) => createdAt.get(id)! >= period.from).length,
    firstAt: g.firstAt,
    lastAt: g.lastAt,
  }));

  return {
    version: WEEKLY_REPORT_VERSION,
    kind,
    level,
    period,
    previous,
    generatedAt: input.generatedAt,
    headline,
    rankings,
    rising: { rule: trendRule, byCategory: risingLines(byCategory, trendRule), byArea: risingLines(countsOver(rows, periods, areaOf), trendRule), areaKind },
    topCategories,
    special: { rule: repeat, total: special.length, groups: special.slice(0, SPECIAL_LIMIT) },
  };
}
