import { describe, expect, it } from 'vitest';
import { monthOf, weekOf } from '../../src/core/metrics';
import { lastCompletePeriodDay } from '../../src/core/report-period';

// Reports open on the last complete week or month (issue 26): the current one is still filling.
const cst = (iso: string) => Date.parse(`${iso}+08:00`);

describe('lastCompletePeriodDay', () => {
  it('opens the week reports on the Monday-to-Sunday week before the current one', () => {
    // Monday 30 November 2026, just after midnight in China (still Sunday in UTC).
    expect(lastCompletePeriodDay('week', cst('2026-11-30T00:05:00'))).toBe('2026-11-29');
    // Any day of that week, Sunday night included, gives the week before.
    expect(lastCompletePeriodDay('week', cst('2026-12-03T12:00:00'))).toBe('2026-11-29');
    expect(lastCompletePeriodDay('week', cst('2026-12-06T23:59:00'))).toBe('2026-11-29');
    // Sunday 29 November still belongs to the week of 23 November: its complete week ended on the 22nd.
    expect(lastCompletePeriodDay('week', cst('2026-11-29T23:59:00'))).toBe('2026-11-22');
  });

  it('opens the month reports on the calendar month before the current one, across a year', () => {
    expect(lastCompletePeriodDay('month', cst('2026-11-30T10:00:00'))).toBe('2026-10-31');
    expect(lastCompletePeriodDay('month', cst('2026-12-01T00:00:00'))).toBe('2026-11-30');
    expect(lastCompletePeriodDay('month', cst('2026-03-15T08:00:00'))).toBe('2026-02-28');
    expect(lastCompletePeriodDay('month', cst('2027-01-01T00:30:00'))).toBe('2026-12-31');
  });

  it('names a period that has ended, right before the current one', () => {
    for (const iso of ['2026-01-01T00:00:00', '2026-06-17T15:30:00', '2026-11-30T07:59:00', '2028-02-29T12:00:00']) {
      const now = cst(iso);
      for (const [kind, periodOf] of [['week', weekOf], ['month', monthOf]] as const) {
        const shown = periodOf(cst(`${lastCompletePeriodDay(kind, now)}T12:00:00`));
        expect(shown.to, `${kind} at ${iso}`).toBeLessThanOrEqual(now);
        expect(shown.to, `${kind} at ${iso}`).toBe(periodOf(now).from);
      }
    }
  });
});
