import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKING_HOURS } from '../../src/core/calendar';
import { estimate, fairRank, PRIOR_STRENGTH, recomplained, shrink, wilson } from '../../src/core/fair-ranking';
import { repeats, weekOf, type RankRow } from '../../src/core/metrics';

// Every figure here was worked out by hand (z = 1.96, m = 10, working day 09:00–17:00 = 480 minutes).

const cst = (s: string) => Date.parse(`${s}+08:00`);
const TOWN_A = '371324101000';
const TOWN_B = '371324102000';
const VILLAGE_A = `${TOWN_A.slice(0, 9)}201`;
let n = 0;
function row(over: Partial<RankRow>): RankRow {
  n++;
  return { id: `f${n}`, town: TOWN_A, dept: null, tier: 'town', village: VILLAGE_A, category: 'infra.roads', createdAt: cst('2026-11-24T10:00:00'), repliedAt: null, onTime: null, handlingMinutes: null, satisfaction: null, reopenCount: 0, mergedInto: null, returns: 0, reassigns: 0, dispatchMinutes: null, ...over };
}

describe('shrinkage toward the overall rate', () => {
  it('pulls a small unit further than a large one, and can reorder them', () => {
    expect(PRIOR_STRENGTH).toBe(10);
    // 9 of 10 against an overall half: (9 + 10 × 0.5) / (10 + 10) = 14 / 20.
    expect(shrink(9, 10, 0.5)).toBeCloseTo(0.7, 12);
    // Three units: A 2/2 (100%), B 18/20 (90%), C 10/20 (50%); overall 30/42 = 5/7.
    //   A: (2 + 50/7) / 12 = 64/84 = 0.7619;  B: (18 + 50/7) / 30 = 176/210 = 0.8381;  C: (10 + 50/7) / 30 = 120/210 = 0.5714.
    // By raw rate A tops the table on two cases; shrunk, B does.
    const overall = 30 / 42;
    expect(shrink(2, 2, overall)).toBeCloseTo(64 / 84, 12);
    expect(shrink(18, 20, overall)).toBeCloseTo(176 / 210, 12);
    expect(shrink(10, 20, overall)).toBeCloseTo(120 / 210, 12);
    expect(shrink(18, 20, overall)).toBeGreaterThan(shrink(2, 2, overall));
  });

  it('leaves nothing to rank for a unit with no cases', () => {
    expect(estimate(0, 0, 0.8)).toEqual({ successes: 0, n: 0, raw: null, shrunk: null, low: null, high: null });
  });
});

describe('Wilson score interval (95%)', () => {
  it('matches the figures worked by hand', () => {
    // 2/2: centre (1 + 1.9208/2) / (1 + 3.8415/2) = 0.6712, half 1.96 × √(3.8415/16) / 2.9207 = 0.3288 → 0.342–1.
    const two = wilson(2, 2)!;
    expect(two.low).toBeCloseTo(0.3424, 4);
    expect(two.high).toBe(1);
    // 18/20: centre 0.9960/1.1921 = 0.8356, half 1.96 × √(0.0045 + 0.0024) / 1.1921 = 0.1366 → 0.699–0.972.
    const eighteen = wilson(18, 20)!;
    expect(eighteen.low).toBeCloseTo(0.699, 3);
    expect(eighteen.high).toBeCloseTo(0.9721, 4);
    // 10/20 is symmetric about one half: 0.2993–0.7007.
    expect(wilson(10, 20)!.low).toBeCloseTo(0.2993, 4);
    expect(wilson(10, 20)!.high).toBeCloseTo(0.7007, 4);
    // 0/5: 0–0.4345.
    expect(wilson(0, 5)).toEqual({ low: 0, high: expect.closeTo(0.4345, 4) });
    expect(wilson(0, 0)).toBeNull();
  });

  it('narrows as the cases grow', () => {
    const width = (s: number, k: number) => wilson(s, k)!.high - wilson(s, k)!.low;
    expect(width(18, 20)).toBeGreaterThan(width(180, 200));
  });
});

describe('for every unit and overall rate', () => {
  const counts = fc.integer({ min: 1, max: 500 }).chain((total) => fc.tuple(fc.integer({ min: 0, max: total }), fc.constant(total)));
  const rate = fc.double({ min: 0, max: 1, noNaN: true });

  it('the shrunk rate lies between the raw rate and the overall rate, and moves toward the raw rate as cases grow', () => {
    fc.assert(
      fc.property(counts, rate, fc.integer({ min: 0, max: 100 }), ([s, k], overall, m) => {
        const raw = s / k;
        const shrunk = shrink(s, k, overall, m);
        const eps = 1e-12;
        expect(shrunk).toBeGreaterThanOrEqual(Math.min(raw, overall) - eps);
        expect(shrunk).toBeLessThanOrEqual(Math.max(raw, overall) + eps);
        // Ten times the cases at the same raw rate: no further from it.
        expect(Math.abs(shrink(10 * s, 10 * k, overall, m) - raw)).toBeLessThanOrEqual(Math.abs(shrunk - raw) + eps);
      }),
    );
  });

  it('the interval lies within 0–1 and contains the raw rate', () => {
    fc.assert(
      fc.property(counts, ([s, k]) => {
        const { low, high } = wilson(s, k)!;
        expect(low).toBeGreaterThanOrEqual(0);
        expect(high).toBeLessThanOrEqual(1);
        expect(low).toBeLessThanOrEqual(s / k);
        expect(high).toBeGreaterThanOrEqual(s / k);
      }),
    );
  });
});

describe('fair ranking of a week', () => {
  const week = weekOf(cst('2026-11-25T12:00:00'));
  // Town A, three answered this week:
  const r1 = row({ createdAt: cst('2026-11-23T09:00:00'), receivedAt: cst('2026-11-23T13:00:00'), repliedAt: cst('2026-11-24T09:00:00'), onTime: true, handlingMinutes: 480, satisfaction: 'satisfied' });
  //   r1 waited 4 hours on the phone (09:00–13:00, 240 working minutes): its own handling is 480 − 240.
  const r2 = row({ category: 'infra.water', createdAt: cst('2026-11-23T10:00:00'), receivedAt: cst('2026-11-23T10:00:00'), repliedAt: cst('2026-11-25T10:00:00'), onTime: false, handlingMinutes: 960, satisfaction: 'unsatisfied' });
  //   r2 was online: no wait, own handling 960.
  const r3 = row({ category: 'disputes.land', createdAt: cst('2026-11-24T10:00:00'), receivedAt: cst('2026-11-25T10:00:00'), repliedAt: cst('2026-11-24T10:00:00'), onTime: true, handlingMinutes: 0 });
  //   r3 was answered on the spot offline and synced a day later: 24 hours' wait, own handling 0.
  const r4 = row({ createdAt: cst('2026-11-26T10:00:00') }); // r1's problem again, after r1's reply: a re-complaint of r1
  const r5 = row({ createdAt: cst('2026-11-23T12:00:00') }); // r1's problem before r1's reply: a repeat, not a re-complaint
  const r6 = row({ category: 'infra.water', createdAt: cst('2027-03-01T10:00:00') }); // r2's problem, 96 days on: outside the window
  // Town B, one answered, on time and satisfied.
  const r7 = row({ town: TOWN_B, village: `${TOWN_B.slice(0, 9)}203`, createdAt: cst('2026-11-24T09:00:00'), receivedAt: cst('2026-11-24T09:00:00'), repliedAt: cst('2026-11-24T11:00:00'), onTime: true, handlingMinutes: 120, satisfaction: 'satisfied' });
  const rows = [r1, r2, r3, r4, r5, r6, r7];
  const ranked = fairRank(rows, (r) => r.town, week, DEFAULT_WORKING_HOURS, repeats(rows, 90), 90);
  const byTown = new Map(ranked.map((u) => [u.unit, u]));

  it('tells a re-complaint within the window after the reply, by problem or by merge', () => {
    const dup = row({ category: 'other', mergedInto: r3.id, createdAt: cst('2026-11-30T10:00:00') });
    expect([...recomplained(rows, 90)]).toEqual([r1.id]);
    expect([...recomplained([...rows, dup], 90)].sort()).toEqual([r1.id, r3.id].sort());
  });

  it('shrinks the rates toward the table’s, with the intervals of the units’ own records', () => {
    const a = byTown.get(TOWN_A)!;
    const b = byTown.get(TOWN_B)!;
    // On time: A 2/3, B 1/1; overall 3/4. A (2 + 7.5) / 13 = 9.5/13; B (1 + 7.5) / 11 = 8.5/11.
    expect(a.onTime).toMatchObject({ successes: 2, n: 3, raw: 2 / 3, shrunk: expect.closeTo(9.5 / 13, 12) });
    expect(b.onTime).toMatchObject({ successes: 1, n: 1, raw: 1, shrunk: expect.closeTo(8.5 / 11, 12) });
    // Wilson 2/3: 0.2077–0.9385; 1/1: 0.2065–1.
    expect(a.onTime.low).toBeCloseTo(0.2077, 4);
    expect(a.onTime.high).toBeCloseTo(0.9385, 4);
    expect(b.onTime.low).toBeCloseTo(0.2065, 4);
    // Satisfaction: A 1 of 2 rated, B 1/1; overall 2/3. A (1 + 20/3) / 12 = 23/36; B (1 + 20/3) / 11 = 23/33.
    expect(a.satisfaction).toMatchObject({ successes: 1, n: 2, shrunk: expect.closeTo(23 / 36, 12) });
    expect(b.satisfaction).toMatchObject({ successes: 1, n: 1, shrunk: expect.closeTo(23 / 33, 12) });
    // The raw figures are still there, unchanged.
    expect(a.onTimeRate).toBe(2 / 3);
    expect(ranked.map((u) => u.unit)).toEqual([TOWN_B, TOWN_A]);
  });

  it('shows the sync wait apart from the unit’s own handling, and re-complaints beside reopens', () => {
    const a = byTown.get(TOWN_A)!;
    // Waits of r1, r2, r3 (r4 and r5 have no known receipt): (4 + 0 + 24) / 3 hours.
    expect(a.syncWaitHours).toBeCloseTo(28 / 3, 12);
    // Handling from capture: (480 + 960 + 0) / 3 / 480 = 1 day; own: (240 + 960 + 0) / 3 / 480.
    expect(a.handlingDays).toBe(1);
    expect(a.ownHandlingDays).toBeCloseTo(1200 / 1440, 12);
    expect(a.recomplaintRate).toBeCloseTo(1 / 3, 12);
    expect(a.reopenRate).toBe(0);
    // The on-time judgement still runs from capture: r1 keeps its projection's verdict.
    expect(a.onTime.successes).toBe(2);
    expect(byTown.get(TOWN_B)).toMatchObject({ syncWaitHours: 0, ownHandlingDays: 0.25, recomplaintRate: 0 });
  });

  it('ignores a receipt time of 0 (rows re-projected without one)', () => {
    const again = fairRank([{ ...r7, receivedAt: 0 }], (r) => r.town, week, DEFAULT_WORKING_HOURS, new Set(), 90);
    expect(again[0]).toMatchObject({ syncWaitHours: null, ownHandlingDays: 0.25 });
  });
});
