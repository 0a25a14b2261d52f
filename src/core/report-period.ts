import { cstDate, cstDay } from './calendar';
import { monthOf, weekOf } from './metrics';

// Which period the reports open on. The current week (or month) is still being filled, and
// early in it most units have too few appeals to be ranked; the last complete one is what a
// weekly or monthly meeting reads. The server takes any day of a period (`at=YYYY-MM-DD`).

export type ReportPeriodKind = 'week' | 'month';

/**
 * The last day (YYYY-MM-DD, China time) of the last complete week (Monday to Sunday) or
 * calendar month before `now`: the day the report pages ask for until the user picks one.
 */
export function lastCompletePeriodDay(kind: ReportPeriodKind, now: number): string {
  const current = kind === 'week' ? weekOf(now) : monthOf(now);
  return cstDate(cstDay(current.from - 1));
}
