import { cstDate, cstDay, cstInstant, dayLength, weekdayOf, type WorkingHours } from './calendar';
import type { Satisfaction, Tier } from './events';

// The weekly and monthly rankings of towns and departments (as Wuhan's board publishes per
// district), computed from the relational projection. Each figure counts what happened in
// the period, so a week's ranking never changes because of what happens later:
//   received          appeals recorded in the period;
//   answered          appeals first replied to in the period (the end of handling);
//   on-time rate      of those answered, the share whose every reply came within the handling deadline;
//   handling days     of those answered, the mean working days from recording to first reply;
//   satisfaction      of those answered and rated, the share rated satisfied or basically satisfied;
//                     a reopened appeal counts as unsatisfied whatever its later rating (only an
//                     unsatisfied return visit reopens one, and the rating judges the first handling);
//   repeat rate       of those received, the share that repeat a problem: merged into another as
//                     its duplicate, or the same village and category raised within the repeat window before;
//   reopen rate       of those answered, the share reopened after an unsatisfied return visit;
//   returns, reassigns of those received, the bounce-back ledger: how often they were sent back
//                     (退回) or given to another owner (改派), counted on the unit holding them;
//   dispatch minutes  of those received and dispatched, the mean minutes from recording to the
//                     first assignment (Linyi's target: 3).

export interface RankRow {
  id: string;
  town: string;
  dept: string | null;
  /** The tier holding it: with `dept`, a city bureau's appeal (city) or a county bureau's (county and below). */
  tier: Tier;
  village: string;
  category: string;
  createdAt: number;
  repliedAt: number | null;
  onTime: boolean | null;
  handlingMinutes: number | null;
  satisfaction: Satisfaction | null;
  reopenCount: number;
  mergedInto: string | null;
  /** The recorder's repeat link (repeats.ts follows it within the village); absent where not read. */
  repeatOf?: string | null;
  returns: number;
  reassigns: number;
  dispatchMinutes: number | null;
  /**
   * When the server first received the appeal (its first sync); the gap from `createdAt` is
   * time it waited on a phone offline, not the unit's handling. Absent or 0 where unknown.
   */
  receivedAt?: number | null;
  /** The reviewer's verdict on the standing reply and the replies sent back for redo (质检); absent where unknown. */
  quality?: 'passed' | 'redo' | null;
  redoCount?: number;
}

/** A half-open interval of instants, [from, to). */
export interface Period {
  from: number;
  to: number;
  /** The week's Monday ("2026-11-23") or the month ("2026-11"); screens add the words. */
  label: string;
}

export interface UnitMetrics {
  unit: string;
  received: number;
  answered: number;
  onTimeRate: number | null;
  handlingDays: number | null;
  rated: number;
  satisfactionRate: number | null;
  repeatRate: number | null;
  reopenRate: number | null;
  returns: number;
  reassigns: number;
  dispatchMinutes: number | null;
  /** 回访率 (target 100%): answered appeals whose citizen was called back and rated. */
  visitRate: number | null;
  /** Answered appeals a quality reviewer judged, and the share of them that passed without a redo. */
  qualityReviewed: number;
  qualityPassRate: number | null;
}

/** The week (Monday to Monday, China time) holding `instant`. */
export function weekOf(instant: number): Period {
  const day = cstDay(instant);
  const monday = day - ((weekdayOf(day) + 6) % 7);
  return { from: cstInstant(monday, 0), to: cstInstant(monday + 7, 0), label: cstDate(monday) };
}

/** The calendar month (China time) holding `instant`. */
export function monthOf(instant: number): Period {
  const [y, m] = cstDate(cstDay(instant)).split('-').map(Number) as [number, number];
  const first = Date.UTC(y, m - 1, 1) / 86_400_000;
  const next = Date.UTC(y, m, 1) / 86_400_000;
  return { from: cstInstant(first, 0), to: cstInstant(next, 0), label: `${y}-${String(m).padStart(2, '0')}` };
}

/** The rating a ranking counts: a reopened appeal counts as unsatisfied (see above). */
export const rating = (r: RankRow): Satisfaction | null => (r.reopenCount > 0 ? 'unsatisfied' : r.satisfaction);
export const within = (t: number | null, p: Period) => t !== null && t >= p.from && t < p.to;
const share = (part: number, whole: number) => (whole === 0 ? null : part / whole);

/**
 * Whether each appeal repeats an earlier problem: a duplicate merged into another, or the
 * same village and category recorded within `windowDays` before it (by anyone, anywhere).
 */
export function repeats(rows: readonly RankRow[], windowDays: number): Set<string> {
  const out = new Set<string>();
  const byProblem = new Map<string, number[]>();
  for (const r of [...rows].sort((a, b) => a.createdAt - b.createdAt)) {
    const key = `${r.village}|${r.category}`;
    const earlier = byProblem.get(key) ?? [];
    if (r.mergedInto !== null || earlier.some((t) => t >= r.createdAt - windowDays * 86_400_000 && t < r.createdAt)) out.add(r.id);
    earlier.push(r.createdAt);
    byProblem.set(key, earlier);
  }
  return out;
}

/** Each unit's rows that were recorded or first answered in the period. */
export function unitRows(all: readonly RankRow[], unitOf: (r: RankRow) => string | null, period: Period): Map<string, RankRow[]> {
  const units = new Map<string, RankRow[]>();
  for (const r of all) {
    const unit = unitOf(r);
    if (unit === null || !(within(r.createdAt, period) || within(r.repliedAt, period))) continue;
    const list = units.get(unit);
    if (list) list.push(r);
    else units.set(unit, [r]);
  }
  return units;
}

/**
 * The ranking figures per unit (`unitOf` names a town or department; null leaves a row
 * out), for one period. `repeated` is `repeats(all, …)`, computed once for any number of
 * periods; `all` must hold the appeals of the repeat window before the period too.
 */
export function rankUnits(all: readonly RankRow[], unitOf: (r: RankRow) => string | null, period: Period, hours: WorkingHours, repeated: ReadonlySet<string>): UnitMetrics[] {
  const perDay = dayLength(hours);
  return [...unitRows(all, unitOf, period)].map(([unit, rows]) => {
    const received = rows.filter((r) => within(r.createdAt, period));
    const answered = rows.filter((r) => within(r.repliedAt, period));
    const judged = answered.filter((r) => r.onTime !== null);
    const timed = answered.filter((r) => r.handlingMinutes !== null);
    const rated = answered.filter((r) => rating(r) !== null);
    const dispatched = received.filter((r) => r.dispatchMinutes !== null);
    const reviewed = answered.filter(wasReviewed);
    return {
      unit,
      received: received.length,
      answered: answered.length,
      onTimeRate: share(judged.filter((r) => r.onTime).length, judged.length),
      handlingDays: timed.length === 0 ? null : timed.reduce((sum, r) => sum + r.handlingMinutes!, 0) / timed.length / perDay,
      rated: rated.length,
      satisfactionRate: share(rated.filter((r) => rating(r) !== 'unsatisfied').length, rated.length),
      repeatRate: share(received.filter((r) => repeated.has(r.id)).length, received.length),
      reopenRate: share(answered.filter((r) => r.reopenCount > 0).length, answered.length),
      returns: received.reduce((sum, r) => sum + r.returns, 0),
      reassigns: received.reduce((sum, r) => sum + r.reassigns, 0),
      dispatchMinutes: dispatched.length === 0 ? null : dispatched.reduce((sum, r) => sum + r.dispatchMinutes!, 0) / dispatched.length,
      visitRate: share(rated.length, answered.length),
      qualityReviewed: reviewed.length,
      qualityPassRate: share(reviewed.filter(passedReview).length, reviewed.length),
    };
  });
}

/** A reply a reviewer has judged: a verdict stands on it, or an earlier one was sent back. */
export const wasReviewed = (r: RankRow): boolean => (r.quality ?? null) !== null || (r.redoCount ?? 0) > 0;
/** Passed review the first time: a redo, however good the second answer, does not pass. */
export const passedReview = (r: RankRow): boolean => r.quality === 'passed' && (r.redoCount ?? 0) === 0;
