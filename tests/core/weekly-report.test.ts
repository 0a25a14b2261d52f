import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKING_HOURS } from '../../src/core/calendar';
import type { RankRow } from '../../src/core/metrics';
import { DEFAULT_REPEAT_RULE } from '../../src/core/repeats';
import { DEFAULT_SCORECARD } from '../../src/core/scorecard';
import { buildWeeklyReport, change, issuable, lastClosedPeriod, lastIssuablePeriod, reportSince, type WeeklyReportInput } from '../../src/core/weekly-report';

// Every figure here was worked out by hand from the rows below (Lanling's working day: 480 minutes).

const cst = (s: string) => Date.parse(`${s}+08:00`);
const TOWN_A = '371324101000';
const TOWN_B = '371324102000';
const A1 = '371324101201';
const B1 = '371324102203';
let n = 0;
function row(over: Partial<RankRow>): RankRow {
  n++;
  return { id: `a${n}`, town: TOWN_A, dept: null, tier: 'town', village: A1, category: 'infra.roads', createdAt: 0, repliedAt: null, onTime: null, handlingMinutes: null, satisfaction: null, reopenCount: 0, mergedInto: null, returns: 0, reassigns: 0, dispatchMinutes: null, ...over };
}

// The week of Monday 23 November 2026, and the one before (16 November).
const a0 = row({ createdAt: cst('2026-10-20T10:00:00'), repliedAt: cst('2026-10-21T10:00:00'), onTime: true, handlingMinutes: 480 });
const rows: RankRow[] = [
  a0,
  // This week, town A: answered on time and satisfied; answered late (3 days) and unsatisfied; still open. All three repeat a0's problem.
  row({ createdAt: cst('2026-11-23T09:00:00'), repliedAt: cst('2026-11-24T09:00:00'), onTime: true, handlingMinutes: 480, satisfaction: 'satisfied' }),
  row({ createdAt: cst('2026-11-24T10:00:00'), repliedAt: cst('2026-11-26T10:00:00'), onTime: false, handlingMinutes: 1440, satisfaction: 'unsatisfied' }),
  row({ createdAt: cst('2026-11-25T10:00:00') }),
  // This week, town B: answered in half a day, satisfied.
  row({ town: TOWN_B, village: B1, createdAt: cst('2026-11-23T10:00:00'), repliedAt: cst('2026-11-23T14:00:00'), onTime: true, handlingMinutes: 240, satisfaction: 'satisfied' }),
  // The week before: water, one per town.
  row({ category: 'infra.water', createdAt: cst('2026-11-17T10:00:00'), repliedAt: cst('2026-11-18T10:00:00'), onTime: true, handlingMinutes: 480, satisfaction: 'basically_satisfied' }),
  row({ town: TOWN_B, village: B1, category: 'infra.water', createdAt: cst('2026-11-18T10:00:00'), repliedAt: cst('2026-11-20T10:00:00'), onTime: false, handlingMinutes: 960 }),
];

const input = (over: Partial<WeeklyReportInput> = {}): WeeklyReportInput => ({
  kind: 'week',
  at: cst('2026-11-25T12:00:00'),
  level: 'county',
  kinds: ['town'],
  rows,
  hours: DEFAULT_WORKING_HOURS,
  repeat: DEFAULT_REPEAT_RULE,
  scorecard: { ...DEFAULT_SCORECARD, red: 1, black: 1, minAnswered: 1 },
  trendRule: { baseline: 4, minCount: 3, ratio: 1.5, sigmas: 1, backtest: 8 },
  generatedAt: 42,
  ...over,
});

describe('the weekly report', () => {
  const report = buildWeeklyReport(input());

  it('names the week and the one before', () => {
    expect(report.period).toEqual({ from: cst('2026-11-23T00:00:00'), to: cst('2026-11-30T00:00:00'), label: '2026-11-23' });
    expect(report.previous.label).toBe('2026-11-16');
    expect(report.generatedAt).toBe(42);
  });

  it('puts each headline figure beside the week before', () => {
    const h = report.headline;
    expect(h.received).toEqual({ current: 4, previous: 2, delta: 2, relative: 1 });
    expect(h.answered).toEqual({ current: 3, previous: 2, delta: 1, relative: 0.5 });
    // 2 of 3 on time against 1 of 2: up a sixth.
    expect(h.onTimeRate.current).toBeCloseTo(2 / 3);
    expect(h.onTimeRate.delta).toBeCloseTo(2 / 3 - 1 / 2);
    expect(h.onTimeRate.relative).toBeNull();
    // 2 of 3 rated satisfied against 1 of 1 (basically satisfied counts).
    expect(h.satisfactionRate.delta).toBeCloseTo(2 / 3 - 1);
    // (480 + 1440 + 240) / 3 / 480 = 1.5 days; (480 + 960) / 2 / 480 = 1.5.
    expect(h.handlingDays).toEqual({ current: 1.5, previous: 1.5, delta: 0, relative: null });
    // Three of the four repeat a0 (same village, same category, within 90 days); none the week before.
    expect(h.repeatRate).toEqual({ current: 0.75, previous: 0, delta: 0.75, relative: null });
  });

  it('ranks the towns fairly, with their scores and the red and black lists', () => {
    const [towns] = report.rankings;
    expect(towns!.by).toBe('town');
    // Overall on time 2/3; town B (1 of 1): (1 + 10·2/3) / 11 = 23/33; town A (1 of 2): (1 + 10·2/3) / 12 = 23/36.
    expect(towns!.units.map((u) => u.unit)).toEqual([TOWN_B, TOWN_A]);
    expect(towns!.units[0]!.onTimeShrunk).toBeCloseTo(23 / 33);
    expect(towns!.units[1]!.onTimeShrunk).toBeCloseTo(23 / 36);
    expect(towns!.units[1]!.satisfactionShrunk).toBeCloseTo(23 / 36);
    expect(towns!.units[1]).toMatchObject({ received: 3, answered: 2, onTimeRate: 0.5, satisfactionRate: 0.5, handlingDays: 2 });
    // B: speed (100·70 + 95·30)/100 = 98.5, quality 100, satisfaction 100, repeats 100 → 99.55.
    // A: speed (50·70 + 80·30)/100 = 59, quality 100, satisfaction 50, repeats 0 → (59·30 + 2500 + 1500)/100 = 57.7.
    expect(towns!.units[0]!.score).toBeCloseTo(99.55);
    expect(towns!.units[1]!.score).toBeCloseTo(57.7);
    expect([towns!.red, towns!.black]).toEqual([[TOWN_B], [TOWN_A]]);
  });

  it('flags what rose against the four weeks before', () => {
    // Roads: 4 this week, none in the four before. Town A: 3 this week, 1 in the four before (mean 0.25).
    expect(report.rising.byCategory).toEqual([{ key: 'infra.roads', current: 4, baseline: 0 }]);
    expect(report.rising.byArea).toEqual([{ key: TOWN_A, current: 3, baseline: 0.25 }]);
    expect(report.rising.areaKind).toBe('town');
    expect(report.topCategories).toEqual([{ key: 'infra.roads', current: 4, previous: 0 }]);
  });

  it('lists the problems raised three times or more, with how many came this week', () => {
    expect(report.special.total).toBe(1);
    expect(report.special.groups).toEqual([{ village: A1, category: 'infra.roads', count: 4, inPeriod: 3, firstAt: a0.createdAt, lastAt: cst('2026-11-25T10:00:00') }]);
  });

  it('does not count what came after the week in its special governance or volumes', () => {
    const later = [...rows, row({ createdAt: cst('2026-12-01T10:00:00') }), row({ createdAt: cst('2026-12-02T10:00:00'), village: B1, town: TOWN_B })];
    const again = buildWeeklyReport(input({ rows: later }));
    expect(again.headline.received.current).toBe(4);
    expect(again.special.groups[0]!.count).toBe(4);
  });

  it('reports a month against the month before', () => {
    const month = buildWeeklyReport(input({ kind: 'month' }));
    expect([month.period.label, month.previous.label]).toEqual(['2026-11', '2026-10']);
    // November: everything but a0; October: a0 alone.
    expect(month.headline.received).toEqual({ current: 6, previous: 1, delta: 5, relative: 5 });
  });
});

describe('periods and changes', () => {
  it('issues the last period that has closed', () => {
    expect(lastClosedPeriod('week', cst('2026-11-30T00:30:00')).label).toBe('2026-11-23');
    expect(lastClosedPeriod('week', cst('2026-11-29T23:30:00')).label).toBe('2026-11-16');
    expect(lastClosedPeriod('month', cst('2026-12-01T08:00:00')).label).toBe('2026-11');
    // Six hours after the close, for the phones offline late on Sunday to sync.
    expect(lastIssuablePeriod('week', cst('2026-11-30T05:59:00')).label).toBe('2026-11-16');
    expect(lastIssuablePeriod('week', cst('2026-11-30T06:00:00')).label).toBe('2026-11-23');
    expect(issuable(lastClosedPeriod('week', cst('2026-11-30T05:59:00')), cst('2026-11-30T05:59:00'))).toBe(false);
  });

  it('reads back far enough for the rising baseline and the repeat window', () => {
    // Four weeks before 23 November start 26 October; the repeat window before 16 November starts 90 days earlier.
    expect(reportSince('week', cst('2026-11-25T12:00:00'), DEFAULT_REPEAT_RULE, input().trendRule)).toBe(cst('2026-11-16T00:00:00') - 90 * 86_400_000);
    expect(reportSince('week', cst('2026-11-25T12:00:00'), { threshold: 3, windowDays: 7 }, input().trendRule)).toBe(cst('2026-10-26T00:00:00'));
  });

  it('gives a relative change for counts only, and none from nothing', () => {
    expect(change(3, 0, true)).toEqual({ current: 3, previous: 0, delta: 3, relative: null });
    expect(change(null, 0.5)).toEqual({ current: null, previous: 0.5, delta: null, relative: null });
    expect(change(0.6, 0.5, false).relative).toBeNull();
  });

  it('counts every appeal of the period once in the headline and once among the towns', () => {
    const week = cst('2026-11-23T00:00:00');
    const arbRow = fc.record({
      town: fc.constantFrom(TOWN_A, TOWN_B),
      offset: fc.integer({ min: -40 * 86_400_000, max: 14 * 86_400_000 }),
      answeredAfter: fc.option(fc.integer({ min: 0, max: 9 * 86_400_000 })),
    });
    fc.assert(
      fc.property(fc.array(arbRow, { maxLength: 40 }), (specs) => {
        const list = specs.map((s) => row({ town: s.town, village: `${s.town.slice(0, 9)}201`, createdAt: week + s.offset, repliedAt: s.answeredAfter === null ? null : week + s.offset + s.answeredAfter, onTime: s.answeredAfter === null ? null : true, handlingMinutes: s.answeredAfter === null ? null : 60 }));
        const r = buildWeeklyReport(input({ rows: list }));
        const inWeek = list.filter((x) => x.createdAt >= r.period.from && x.createdAt < r.period.to).length;
        expect(r.headline.received.current).toBe(inWeek);
        expect(r.rankings[0]!.units.reduce((sum, u) => sum + u.received, 0)).toBe(inWeek);
        expect(r.headline.answered.current).toBe(r.rankings[0]!.units.reduce((sum, u) => sum + u.answered, 0));
      }),
    );
  });
});
