import { dayLength, type WorkingHours } from './calendar';
import type { Period, RankRow } from './metrics';

// Time an appeal waited on a phone with no signal, kept apart from the time it was handled.
//
// Two instants per appeal:
//   captured  when the worker recorded it: the device's clock corrected by the last server
//             time it saw (core/clock.ts), taken offline too; every deadline runs from it;
//   received  when the server first stored it (its own clock), told back to devices once.
// The wait on the phone is received − captured, never negative: a capture stamped after the
// server's receipt (a phone whose wrong clock had never been corrected) counts as no wait,
// since the record cannot have reached the server before it was made. A phone whose clock was
// never corrected and runs slow overstates its wait; the corrected clock bounds the error by the
// clock tolerance plus half a round trip.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

// Inlined, not imported: the appeal page loads this module, and the rankings' module is not needed for it.
const within = (t: number | null, p: Period) => t !== null && t >= p.from && t < p.to;

/** An appeal counts as having waited on the phone when it reached the server this long or more after capture. */
export const WAITED_MS = 15 * MINUTE;

/** The wait on the phone (ms), or null while the server's receipt is unknown (not sent yet, or never told). */
export function syncWait(capturedAt: number, receivedAt: number | null | undefined): number | null {
  if (receivedAt === null || receivedAt === undefined || !Number.isFinite(receivedAt) || receivedAt <= 0) return null;
  return Math.max(0, receivedAt - capturedAt);
}

/** A wait in calendar days, hours and minutes (a phone waits nights and Sundays too), rounded down. */
export function waitParts(ms: number): { days: number; hours: number; minutes: number } {
  const m = Math.max(0, Math.floor(ms / MINUTE));
  return { days: Math.floor(m / (24 * 60)), hours: Math.floor((m % (24 * 60)) / 60), minutes: m % 60 };
}

/** The words for a wait: an i18n key under `delay.span.` and its numbers ("3 天 2 小时", never "0 小时"). */
export function waitMessage(ms: number): { key: string; params: Record<string, number> } {
  const { days, hours, minutes } = waitParts(ms);
  if (days > 0) return hours > 0 ? { key: 'delay.span.daysHours', params: { days, hours } } : { key: 'delay.span.days', params: { days } };
  if (hours > 0) return minutes > 0 ? { key: 'delay.span.hoursMinutes', params: { hours, minutes } } : { key: 'delay.span.hours', params: { hours } };
  return minutes > 0 ? { key: 'delay.span.minutes', params: { minutes } } : { key: 'delay.span.atOnce', params: {} };
}

export type Receipt = { kind: 'received'; waitMs: number } | { kind: 'pending' } | { kind: 'unknown' };

/**
 * What the appeal page says of the server's receipt. `unsent`: this device still holds the
 * appeal's changes for the server and recorded it itself; without a known receipt that means
 * the server has not got it yet. Anything else without a receipt (an appeal synced before
 * receipts were kept) says nothing rather than guess.
 */
export function receiptOf(capturedAt: number, receivedAt: number | null | undefined, unsent: boolean): Receipt {
  const wait = syncWait(capturedAt, receivedAt);
  if (wait !== null) return { kind: 'received', waitMs: wait };
  return unsent ? { kind: 'pending' } : { kind: 'unknown' };
}

export interface DelayFigures {
  unit: string;
  /** Recorded in the period. */
  recorded: number;
  /** Of those, received by the server (the others are still on a phone, or predate receipts). */
  received: number;
  /** Of those received, how many waited on the phone WAITED_MS or more, with the median and longest wait (hours; null when none waited). */
  waited: number;
  medianWaitHours: number | null;
  longestWaitHours: number | null;
  /** Answered in the period: mean working days from capture to first reply (the wait on the phone is inside it). */
  answered: number;
  handlingDays: number | null;
}

function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The wait on the phone per unit (a town or village: `unitOf`; null leaves a row out), for one period, largest wait first. */
export function delayByUnit(rows: readonly RankRow[], unitOf: (r: RankRow) => string | null, period: Period, hours: WorkingHours): DelayFigures[] {
  const perDay = dayLength(hours);
  const units = new Map<string, RankRow[]>();
  for (const r of rows) {
    const unit = unitOf(r);
    if (unit === null || !(within(r.createdAt, period) || within(r.repliedAt, period))) continue;
    units.set(unit, [...(units.get(unit) ?? []), r]);
  }
  return [...units]
    .map(([unit, list]): DelayFigures => {
      const recorded = list.filter((r) => within(r.createdAt, period));
      const waits = recorded.map((r) => syncWait(r.createdAt, r.receivedAt)).filter((w): w is number => w !== null);
      const waited = waits.filter((w) => w >= WAITED_MS).sort((a, b) => a - b);
      const timed = list.filter((r) => within(r.repliedAt, period) && r.handlingMinutes !== null);
      const med = median(waited);
      return {
        unit,
        recorded: recorded.length,
        received: waits.length,
        waited: waited.length,
        medianWaitHours: med === null ? null : med / HOUR,
        longestWaitHours: waited.length === 0 ? null : waited[waited.length - 1]! / HOUR,
        answered: timed.length,
        handlingDays: timed.length === 0 ? null : timed.reduce((sum, r) => sum + r.handlingMinutes!, 0) / timed.length / perDay,
      };
    })
    .sort((a, b) => (b.longestWaitHours ?? -1) - (a.longestWaitHours ?? -1) || (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0));
}

