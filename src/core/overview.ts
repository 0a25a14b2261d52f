import type { Tally } from './geo';
import type { UnitMetrics } from './metrics';

// The key figures of a scope on one screen (the leader's home), from what the reports already
// compute: the map's tallies (open and overdue now, the hot spots) and the ranking's units.

/** A village's (or town's) tally as the map's server counts return it. */
export type PlaceTally = { code: string } & Tally;

/** The places with the most overdue, then open, appeals: the hot spots, `limit` of them. */
export function hotSpots(tallies: readonly PlaceTally[], limit: number): PlaceTally[] {
  return tallies
    .filter((v) => v.open > 0)
    .sort((a, b) => b.overdue - a.overdue || b.open - a.open || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
    .slice(0, limit);
}

/** Open and overdue appeals over all the tallies. */
export function tallyTotals(tallies: readonly Tally[]): { open: number; overdue: number } {
  return tallies.reduce((sum, v) => ({ open: sum.open + v.open, overdue: sum.overdue + v.overdue }), { open: 0, overdue: 0 });
}

export interface ScopeFigures {
  received: number;
  answered: number;
  rated: number;
  /** Of the rated, the share satisfied: exact, as each unit's rate is weighted by its rated count. */
  satisfactionRate: number | null;
  /**
   * Mean minutes from recording to first dispatch, each unit's mean weighted by what it
   * received (the ranking does not publish how many were dispatched: the rest of a unit's
   * intake still waiting makes this an approximation, close once the week is dispatched).
   */
  dispatchMinutes: number | null;
}

/**
 * The whole scope's figures from a ranking whose units partition it (a county's towns, a
 * city's counties: every appeal falls in exactly one).
 */
export function scopeFigures(units: readonly UnitMetrics[]): ScopeFigures {
  let received = 0;
  let answered = 0;
  let rated = 0;
  let satisfied = 0;
  let dispatchWeight = 0;
  let dispatchSum = 0;
  for (const u of units) {
    received += u.received;
    answered += u.answered;
    rated += u.rated;
    if (u.satisfactionRate !== null) satisfied += u.satisfactionRate * u.rated;
    if (u.dispatchMinutes !== null && u.received > 0) {
      dispatchWeight += u.received;
      dispatchSum += u.dispatchMinutes * u.received;
    }
  }
  return {
    received,
    answered,
    rated,
    satisfactionRate: rated === 0 ? null : satisfied / rated,
    dispatchMinutes: dispatchWeight === 0 ? null : dispatchSum / dispatchWeight,
  };
}
