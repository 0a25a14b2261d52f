import { dayLength, type WorkingHours } from './calendar';
import { metricsOf, tallyUnits, type Period, type RankRow, type UnitTally, type UnitMetrics } from './metrics';

// Fair rankings: a unit with two lucky cases should not top the table, and a unit that closes
// fast but leaves the problem unsolved should show it. On top of the raw figures (metrics.ts)
// and the minimum volume rule (scorecard.ts):
//
// - Shrinkage (empirical Bayes, beta-binomial): each unit's on-time and satisfaction rates are
//   pulled toward the rate over all units of the table,
//       shrunk = (successes + m · overall) / (n + m),
//   as if each unit started with m appeals at the overall rate. m = PRIOR_STRENGTH = 10, a fixed
//   and published constant rather than one estimated from the data, so a unit can work out its
//   own figure and a week with few units does not swing it: a unit with 10 judged appeals is
//   half its own record, half the average; one with 100 is 91% its own. The table sorts by it.
// - A 95% Wilson score interval around each unit's own (raw) rate, shown beside the shrunk
//   rate: how sure its own record is. A wide interval means few cases.
// - Time waiting to sync: an appeal recorded offline reaches the server (and its handler) only
//   when the phone syncs. The wait (first receipt − recording) is shown apart, and the unit's
//   own handling time leaves it out. Deadlines and the on-time rate still start at capture.
// - Re-complaint rate: of the appeals answered in the period, the share whose problem (same
//   village and category, or a duplicate merged into it) was raised again within the repeat
//   window after the reply: closed but not solved. Unlike the other figures it can grow after
//   the period ends, as the window runs on. The reopen rate (metrics.ts) sits beside it.

/** The prior strength m: how many appeals at the overall rate each unit is assumed to start with. */
export const PRIOR_STRENGTH = 10;
/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/** The shrunk rate: (successes + m · overall) / (n + m). */
export function shrink(successes: number, n: number, overall: number, m: number = PRIOR_STRENGTH): number {
  return (successes + m * overall) / (n + m);
}

/** The Wilson score interval of successes out of n; null for n = 0. */
export function wilson(successes: number, n: number, z: number = Z95): { low: number; high: number } | null {
  if (n === 0) return null;
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  // Rounding can leave the bound a hair inside p at 0 or 1; the interval always holds p.
  return { low: Math.max(0, Math.min(p, centre - half)), high: Math.min(1, Math.max(p, centre + half)) };
}

export interface RateEstimate {
  successes: number;
  n: number;
  /** The unit's own rate; null when n = 0. */
  raw: number | null;
  /** Shrunk toward the table's overall rate; null when n = 0 (nothing of its own to rank). */
  shrunk: number | null;
  /** The 95% Wilson interval of the raw rate. */
  low: number | null;
  high: number | null;
}

export function estimate(successes: number, n: number, overall: number | null, m: number = PRIOR_STRENGTH): RateEstimate {
  const interval = wilson(successes, n);
  return {
    successes,
    n,
    raw: n === 0 ? null : successes / n,
    shrunk: n === 0 ? null : shrink(successes, n, overall ?? successes / n, m),
    low: interval?.low ?? null,
    high: interval?.high ?? null,
  };
}

export interface FairFigures {
  onTime: RateEstimate;
  satisfaction: RateEstimate;
  /** Of the appeals received with a known first receipt, the mean hours they waited on a phone to sync. */
  syncWaitHours: number | null;
  /** The mean working days from the server's first receipt (or recording, if later) to the first reply. */
  ownHandlingDays: number | null;
  /** Of the appeals answered, the share whose problem was raised again within the window after the reply. */
  recomplaintRate: number | null;
}

export type FairUnit = UnitMetrics & FairFigures;

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** The answered appeals whose problem came back within `windowDays` after their reply. */
export function recomplained(all: readonly RankRow[], windowDays: number): Set<string> {
  // Each problem's (and each merge target's) recording times, sorted: one binary search per reply.
  const times = new Map<string, { at: number; id: string }[]>();
  const add = (key: string, r: RankRow) => {
    const list = times.get(key);
    if (list) list.push({ at: r.createdAt, id: r.id });
    else times.set(key, [{ at: r.createdAt, id: r.id }]);
  };
  for (const r of all) {
    add(`p|${r.village}|${r.category}`, r);
    if (r.mergedInto !== null) add(`m|${r.mergedInto}`, r);
  }
  for (const list of times.values()) list.sort((a, b) => a.at - b.at);
  const cameBack = (list: { at: number; id: string }[] | undefined, self: string, after: number, until: number) => {
    if (!list) return false;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.at <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length && list[i]!.at <= until; i++) if (list[i]!.id !== self) return true;
    return false;
  };
  const out = new Set<string>();
  for (const r of all) {
    if (r.repliedAt === null) continue;
    const until = r.repliedAt + windowDays * DAY;
    if (cameBack(times.get(`p|${r.village}|${r.category}`), r.id, r.repliedAt, until) || cameBack(times.get(`m|${r.id}`), r.id, r.repliedAt, until)) out.add(r.id);
  }
  return out;
}

/**
 * The ranking figures per unit (rankUnits) with the fair figures beside them, best first by
 * shrunk on-time rate, then shrunk satisfaction, then volume. `all` must hold the appeals of
 * the repeat window before the period (for repeats) and those since (for re-complaints).
 */
export function fairRank(all: readonly RankRow[], unitOf: (r: RankRow) => string | null, period: Period, hours: WorkingHours, repeated: ReadonlySet<string>, windowDays: number, m: number = PRIOR_STRENGTH): FairUnit[] {
  return fairFromTallies(tallyUnits(all, unitOf, period, hours, repeated, recomplained(all, windowDays)), hours, m);
}

/** The fair ranking from each unit's tally (as fairRank, for tallies a database added up). */
export function fairFromTallies(tallies: ReadonlyMap<string, UnitTally>, hours: WorkingHours, m: number = PRIOR_STRENGTH): FairUnit[] {
  const pooled = (successes: keyof UnitTally, n: keyof UnitTally) => {
    let [s, total] = [0, 0];
    for (const t of tallies.values()) [s, total] = [s + t[successes], total + t[n]];
    return total === 0 ? null : s / total;
  };
  const overallOnTime = pooled('onTime', 'judged');
  const overallSatisfied = pooled('satisfied', 'rated');
  return [...tallies]
    .map(([unit, t]) => ({
      ...metricsOf(unit, t, hours),
      onTime: estimate(t.onTime, t.judged, overallOnTime, m),
      satisfaction: estimate(t.satisfied, t.rated, overallSatisfied, m),
      syncWaitHours: t.synced === 0 ? null : t.syncWaitMs / t.synced / HOUR,
      // Own handling starts when the server (and so the handler) first had it.
      ownHandlingDays: t.timed === 0 ? null : t.ownMinutes / t.timed / dayLength(hours),
      recomplaintRate: t.answered === 0 ? null : t.recomplained / t.answered,
    }))
    .sort((a, b) => byShrunk(a.onTime, b.onTime) || byShrunk(a.satisfaction, b.satisfaction) || b.received - a.received || (a.unit < b.unit ? -1 : 1));
}

/** Higher shrunk rate first; a unit without the figure after those with it. */
function byShrunk(a: RateEstimate, b: RateEstimate): number {
  if (a.shrunk === null || b.shrunk === null) return a.shrunk === null ? (b.shrunk === null ? 0 : 1) : -1;
  return b.shrunk - a.shrunk;
}
