import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKING_HOURS } from '../../src/core/calendar';
import { monthOf, rankUnits, repeats, weekOf, type RankRow } from '../../src/core/metrics';

// Every figure here was worked out by hand from the rows below.

const cst = (s: string) => Date.parse(`${s}+08:00`);
const TOWN_A = '371324101000';
const TOWN_B = '371324102000';
let n = 0;
function row(over: Partial<RankRow>): RankRow {
  n++;
  return { id: `a${n}`, town: TOWN_A, dept: null, tier: 'town', village: `${TOWN_A.slice(0, 9)}201`, category: 'infra.roads', createdAt: cst('2026-11-24T10:00:00'), repliedAt: null, onTime: null, handlingMinutes: null, satisfaction: null, reopenCount: 0, mergedInto: null, returns: 0, reassigns: 0, dispatchMinutes: null, ...over };
}

describe('periods', () => {
  it('runs a week from Monday 00:00 to the next Monday in China time, and a month by the calendar', () => {
    // Sunday 2026-11-29 23:30 in China is still the week of Monday 23 November.
    expect(weekOf(cst('2026-11-29T23:30:00'))).toEqual({ from: cst('2026-11-23T00:00:00'), to: cst('2026-11-30T00:00:00'), label: '2026-11-23' });
    expect(weekOf(cst('2026-11-30T00:00:00')).label).toBe('2026-11-30');
    expect(monthOf(cst('2026-12-31T23:59:00'))).toEqual({ from: cst('2026-12-01T00:00:00'), to: cst('2027-01-01T00:00:00'), label: '2026-12' });
  });
});

describe('repeats', () => {
  it('counts a duplicate, and the same village and category within the window before, not after it', () => {
    const first = row({ createdAt: cst('2026-09-01T10:00:00') });
    const again = row({ createdAt: cst('2026-10-01T10:00:00') });
    const tooLate = row({ createdAt: cst('2027-03-01T10:00:00') }); // 151 days after the last: outside 90
    const otherCategory = row({ category: 'infra.water', createdAt: cst('2026-10-02T10:00:00') });
    const merged = row({ category: 'livelihood.medical', mergedInto: 'x', createdAt: cst('2026-10-03T10:00:00') });
    expect([...repeats([tooLate, again, first, otherCategory, merged], 90)].sort()).toEqual([again.id, merged.id].sort());
  });
});

describe('ranking a week', () => {
  const week = weekOf(cst('2026-11-25T12:00:00'));
  const rows: RankRow[] = [
    // Town A: 4 received this week; 3 answered this week (one received last week).
    row({ createdAt: cst('2026-11-23T09:00:00'), repliedAt: cst('2026-11-24T09:00:00'), onTime: true, handlingMinutes: 480, satisfaction: 'satisfied' }),
    row({ createdAt: cst('2026-11-23T10:00:00'), repliedAt: cst('2026-11-26T10:00:00'), onTime: false, handlingMinutes: 1440, satisfaction: 'unsatisfied', reopenCount: 1 }),
    row({ createdAt: cst('2026-11-18T10:00:00'), repliedAt: cst('2026-11-23T15:00:00'), onTime: true, handlingMinutes: 1200, satisfaction: 'basically_satisfied', category: 'infra.water' }),
    row({ createdAt: cst('2026-11-25T10:00:00') }), // the same problem as the first two, two days later: a repeat
    row({ createdAt: cst('2026-11-27T10:00:00'), category: 'disputes.land', mergedInto: 'a1' }), // a duplicate
    // Town B: 1 received, answered the next week (outside), so nothing answered here.
    row({ town: TOWN_B, village: `${TOWN_B.slice(0, 9)}203`, createdAt: cst('2026-11-28T10:00:00'), repliedAt: cst('2026-12-01T10:00:00'), onTime: true, handlingMinutes: 60 }),
    // Neither: recorded and answered the week before.
    row({ town: TOWN_B, village: `${TOWN_B.slice(0, 9)}204`, createdAt: cst('2026-11-16T10:00:00'), repliedAt: cst('2026-11-17T10:00:00'), onTime: false, handlingMinutes: 480 }),
  ];

  it('gives each town its received, on-time, handling, satisfaction, repeat and reopen figures', () => {
    const byTown = new Map(rankUnits(rows, (r) => r.town, week, DEFAULT_WORKING_HOURS, repeats(rows, 90)).map((m) => [m.unit, m]));
    expect(byTown.get(TOWN_A)).toEqual({
      unit: TOWN_A,
      received: 4, // 23rd 09:00, 23rd 10:00, 25th, 27th
      answered: 3, // 24th, 26th, 23rd 15:00
      onTimeRate: 2 / 3,
      handlingDays: (480 + 1440 + 1200) / 3 / 480, // 2.1666… working days of 8 hours
      rated: 3,
      satisfactionRate: 2 / 3, // satisfied and basically satisfied count
      repeatRate: 3 / 4, // 23rd 10:00 repeats 23rd 09:00, the 25th repeats both, the 27th is a duplicate
      reopenRate: 1 / 3,
      returns: 0,
      reassigns: 0,
      dispatchMinutes: null,
      visitRate: 1, // all 3 answered were called back and rated
      qualityReviewed: 0,
      qualityPassRate: null,
    });
    expect(byTown.get(TOWN_B)).toEqual({ unit: TOWN_B, received: 1, answered: 0, onTimeRate: null, handlingDays: null, rated: 0, satisfactionRate: null, repeatRate: 0, reopenRate: null, returns: 0, reassigns: 0, dispatchMinutes: null, visitRate: null, qualityReviewed: 0, qualityPassRate: null });
    expect(byTown.size).toBe(2);
  });

  it('counts a reopened appeal as unsatisfied, even once a later return visit was satisfied', () => {
    // The second appeal was reopened after an unsatisfied visit; its second visit went well.
    const later = rows.map((r, i) => (i === 1 ? { ...r, satisfaction: 'satisfied' as const } : r));
    const townA = rankUnits(later, (r) => r.town, week, DEFAULT_WORKING_HOURS, repeats(later, 90)).find((m) => m.unit === TOWN_A)!;
    expect(townA.satisfactionRate).toBe(2 / 3);
    // Reopened and not yet visited again: still rated, unsatisfied.
    const pending = rows.map((r, i) => (i === 1 ? { ...r, satisfaction: null } : r));
    expect(rankUnits(pending, (r) => r.town, week, DEFAULT_WORKING_HOURS, repeats(pending, 90)).find((m) => m.unit === TOWN_A)).toMatchObject({ rated: 3, satisfactionRate: 2 / 3 });
  });

  it('ranks departments only where an appeal was assigned to one', () => {
    const withDept = rows.map((r, i) => (i < 2 ? { ...r, dept: 'water' } : r));
    const ranked = rankUnits(withDept, (r) => r.dept, week, DEFAULT_WORKING_HOURS, repeats(withDept, 90));
    expect(ranked).toHaveLength(1);
    expect(ranked[0]).toMatchObject({ unit: 'water', received: 2, answered: 2, onTimeRate: 1 / 2, reopenRate: 1 / 2 });
  });
});

describe('the bounce-back ledger', () => {
  it('counts returns and reassignments of the appeals received, and the mean dispatch time of those dispatched', () => {
    const week = weekOf(cst('2026-11-24T10:00:00'));
    const rows = [row({ returns: 2, reassigns: 1, dispatchMinutes: 4 }), row({ returns: 1, dispatchMinutes: 2 }), row({}), row({ town: TOWN_B, returns: 5, createdAt: cst('2026-11-10T10:00:00') })];
    const [a] = rankUnits(rows, (r) => r.town, week, DEFAULT_WORKING_HOURS, new Set()).filter((m) => m.unit === TOWN_A);
    expect(a).toMatchObject({ received: 3, returns: 3, reassigns: 1, dispatchMinutes: 3 });
    // Received outside the period: not in this week's ledger.
    expect(rankUnits(rows, (r) => r.town, week, DEFAULT_WORKING_HOURS, new Set()).find((m) => m.unit === TOWN_B)).toBeUndefined();
  });
});
