import { cstDate, cstDay, cstInstant, dayLength, weekdayOf, workingMinutesBetween, type WorkingHours } from './calendar';
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

/**
 * What a unit's figures are computed from: counts and sums over its appeals received
 * (recorded) in the period and over those first answered in it. A database adds these up per
 * group of rows (server/store/reports); `tallyUnits` adds them up from the rows themselves.
 */
export interface UnitTally {
  received: number;
  /** Of those received: repeats (see `repeats`). */
  repeated: number;
  returns: number;
  reassigns: number;
  dispatched: number;
  dispatchMinutes: number;
  /** Of those received: how many have a known first receipt, and their waits to it, summed. */
  synced: number;
  syncWaitMs: number;
  answered: number;
  /** Of those answered: with an on-time verdict, and on time. */
  judged: number;
  onTime: number;
  /** Of those answered: with a handling time, its working minutes summed, and the same without the wait to sync. */
  timed: number;
  handlingMinutes: number;
  ownMinutes: number;
  /** Of those answered: rated (`rating`), and rated other than unsatisfied. */
  rated: number;
  satisfied: number;
  reopened: number;
  /** Of those answered: judged by a reviewer, and passed the first time. */
  reviewed: number;
  passed: number;
  /** Of those answered: whose problem came back after the reply (fair-ranking.ts). */
  recomplained: number;
}

export const TALLY_KEYS = [
  'received', 'repeated', 'returns', 'reassigns', 'dispatched', 'dispatchMinutes', 'synced', 'syncWaitMs',
  'answered', 'judged', 'onTime', 'timed', 'handlingMinutes', 'ownMinutes', 'rated', 'satisfied', 'reopened', 'reviewed', 'passed', 'recomplained',
] as const satisfies readonly (keyof UnitTally)[];

export const emptyTally = (): UnitTally => Object.fromEntries(TALLY_KEYS.map((k) => [k, 0])) as unknown as UnitTally;

/** Adds `more` into `into`. */
export function addTally(into: UnitTally, more: Partial<UnitTally>): UnitTally {
  for (const k of TALLY_KEYS) into[k] += more[k] ?? 0;
  return into;
}

/** The first receipt, when known (0 and null mean unknown). */
export const firstReceipt = (r: Pick<RankRow, 'receivedAt'>): number | null => (r.receivedAt !== undefined && r.receivedAt !== null && r.receivedAt > 0 ? r.receivedAt : null);

/**
 * The handling time the unit itself had: its handling minutes less the working minutes the
 * appeal waited on a phone before the server (and so the handler) first had it.
 */
export function ownHandlingMinutes(r: Pick<RankRow, 'createdAt' | 'repliedAt' | 'handlingMinutes' | 'receivedAt'>, hours: WorkingHours): number {
  const seen = firstReceipt(r);
  const waited = seen === null || r.repliedAt === null ? 0 : Math.max(0, workingMinutesBetween(r.createdAt, Math.min(seen, r.repliedAt), hours));
  return Math.max(0, (r.handlingMinutes ?? 0) - waited);
}

/** What one appeal adds to its unit's tally for the period: `repeated` and `again` are the repeats and re-complaints. */
export function rowTally(r: RankRow, period: Period, hours: WorkingHours, repeated: ReadonlySet<string>, again: ReadonlySet<string>): Partial<UnitTally> {
  const t: Partial<UnitTally> = {};
  if (within(r.createdAt, period)) {
    const seen = firstReceipt(r);
    Object.assign(t, {
      received: 1,
      repeated: Number(repeated.has(r.id)),
      returns: r.returns,
      reassigns: r.reassigns,
      dispatched: Number(r.dispatchMinutes !== null),
      dispatchMinutes: r.dispatchMinutes ?? 0,
      synced: Number(seen !== null),
      syncWaitMs: seen === null ? 0 : Math.max(0, seen - r.createdAt),
    });
  }
  if (within(r.repliedAt, period)) {
    const rated = rating(r);
    Object.assign(t, {
      answered: 1,
      judged: Number(r.onTime !== null),
      onTime: Number(r.onTime === true),
      timed: Number(r.handlingMinutes !== null),
      handlingMinutes: r.handlingMinutes ?? 0,
      ownMinutes: r.handlingMinutes === null ? 0 : ownHandlingMinutes(r, hours),
      rated: Number(rated !== null),
      satisfied: Number(rated !== null && rated !== 'unsatisfied'),
      reopened: Number(r.reopenCount > 0),
      reviewed: Number(wasReviewed(r)),
      passed: Number(passedReview(r)),
      recomplained: Number(again.has(r.id)),
    });
  }
  return t;
}

/**
 * Each unit's tally over the appeals recorded or first answered in the period (`unitOf`
 * names a town or department; null leaves a row out).
 */
export function tallyUnits(
  all: readonly RankRow[],
  unitOf: (r: RankRow) => string | null,
  period: Period,
  hours: WorkingHours,
  repeated: ReadonlySet<string>,
  again: ReadonlySet<string> = new Set(),
): Map<string, UnitTally> {
  const inPeriod = all.filter((r) => within(r.createdAt, period) || within(r.repliedAt, period));
  return mergeTallies(inPeriod.map((r) => [r, rowTally(r, period, hours, repeated, again)] as const), unitOf);
}

/** Tallies added up per group of appeals (a database's GROUP BY) merged into units. */
export function mergeTallies<G>(parts: Iterable<readonly [G, Partial<UnitTally>]>, unitOf: (g: G) => string | null): Map<string, UnitTally> {
  const units = new Map<string, UnitTally>();
  for (const [group, tally] of parts) {
    const unit = unitOf(group);
    if (unit === null) continue;
    let t = units.get(unit);
    if (!t) units.set(unit, (t = emptyTally()));
    addTally(t, tally);
  }
  return units;
}

/** The ranking figures of one unit from its tally. */
export function metricsOf(unit: string, t: UnitTally, hours: WorkingHours): UnitMetrics {
  return {
    unit,
    received: t.received,
    answered: t.answered,
    onTimeRate: share(t.onTime, t.judged),
    handlingDays: t.timed === 0 ? null : t.handlingMinutes / t.timed / dayLength(hours),
    rated: t.rated,
    satisfactionRate: share(t.satisfied, t.rated),
    repeatRate: share(t.repeated, t.received),
    reopenRate: share(t.reopened, t.answered),
    returns: t.returns,
    reassigns: t.reassigns,
    dispatchMinutes: t.dispatched === 0 ? null : t.dispatchMinutes / t.dispatched,
    visitRate: share(t.rated, t.answered),
    qualityReviewed: t.reviewed,
    qualityPassRate: share(t.passed, t.reviewed),
  };
}

/**
 * The ranking figures per unit (`unitOf` names a town or department; null leaves a row
 * out), for one period. `repeated` is `repeats(all, …)`, computed once for any number of
 * periods; `all` must hold the appeals of the repeat window before the period too.
 */
export function rankUnits(all: readonly RankRow[], unitOf: (r: RankRow) => string | null, period: Period, hours: WorkingHours, repeated: ReadonlySet<string>): UnitMetrics[] {
  return [...tallyUnits(all, unitOf, period, hours, repeated)].map(([unit, t]) => metricsOf(unit, t, hours));
}

/** A reply a reviewer has judged: a verdict stands on it, or an earlier one was sent back. */
export const wasReviewed = (r: RankRow): boolean => (r.quality ?? null) !== null || (r.redoCount ?? 0) > 0;
/** Passed review the first time: a redo, however good the second answer, does not pass. */
export const passedReview = (r: RankRow): boolean => r.quality === 'passed' && (r.redoCount ?? 0) === 0;
