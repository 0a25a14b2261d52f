// The statutory tables of `chinese-days`, read as plain data. The package's own functions
// (isWorkday and friends) read the weekday, and even build their tables, in the device's
// time zone: west of UTC every answer belongs to the day before (Mondays off, Saturdays
// worked). So only the dated exceptions come from it; the weekday is computed here.
import statutory from 'chinese-days/dist/chinese-days.json';

// Working time on the PRC statutory calendar (holidays and make-up workdays come from
// `chinese-days`), always in China Standard Time. CST has had no daylight saving since
// 1991, so a fixed +8 h offset is exact and the device's own time zone never matters.

const CST_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** The working window of an office day, in minutes after midnight (CST). */
export interface WorkingHours {
  start: number;
  end: number;
}

export const DEFAULT_WORKING_HOURS: WorkingHours = { start: 9 * 60, end: 17 * 60 };

/** Days since 1970-01-01 in CST. */
export function cstDay(ms: number): number {
  return Math.floor((ms + CST_OFFSET_MS) / DAY_MS);
}

/** The instant `minute` minutes into CST day `day`. */
export function cstInstant(day: number, minute: number): number {
  return day * DAY_MS - CST_OFFSET_MS + minute * MINUTE_MS;
}

/** 'YYYY-MM-DD' of a CST day. */
export function cstDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** 'YYYY-MM-DD HH:mm' of an instant, in CST: how exports print times (machines read them). */
export function cstDateTime(ms: number): string {
  return new Date(ms + CST_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A date as people read it, in CST: 2026年11月30日, or 30 Nov 2026. The app's screens (Intl's
 * medium style) and the public pages print dates the same way; only exports keep ISO.
 */
export function longDate(ms: number, lang: 'zh-CN' | 'en'): string {
  const [y, m, d] = cstDate(cstDay(ms)).split('-').map(Number) as [number, number, number];
  return lang === 'zh-CN' ? `${y}年${m}月${d}日` : `${d} ${MONTHS[m - 1]} ${y}`;
}

/** 'HH:mm' of an instant, in CST. */
export function cstTime(ms: number): string {
  return cstDateTime(ms).slice(11);
}

/** 2026年11月30日 14:05, or 30 Nov 2026, 14:05. */
export function longDateTime(ms: number, lang: 'zh-CN' | 'en'): string {
  return `${longDate(ms, lang)}${lang === 'zh-CN' ? ' ' : ', '}${cstTime(ms)}`;
}

const HOLIDAYS: Readonly<Record<string, string>> = statutory.holidays;
const MAKE_UP_WORKDAYS: Readonly<Record<string, string>> = statutory.workdays;

/** 0 = Sunday … 6 = Saturday; CST day 0 (1970-01-01) was a Thursday. */
export function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

const workdayCache = new Map<number, boolean>();

/** Whether a CST day is an official working day (weekday not on holiday, or a make-up day). */
export function isWorkingDay(day: number): boolean {
  let known = workdayCache.get(day);
  if (known === undefined) {
    const date = cstDate(day);
    const weekday = weekdayOf(day);
    known = Object.hasOwn(MAKE_UP_WORKDAYS, date) || (weekday >= 1 && weekday <= 5 && !Object.hasOwn(HOLIDAYS, date));
    workdayCache.set(day, known);
  }
  return known;
}

export function dayLength(hours: WorkingHours): number {
  return hours.end - hours.start;
}

/**
 * The instant that lies `minutes` of working time after `from`. Time outside the working
 * window does not count, so work received on a Saturday starts on the next working day.
 * A deadline landing exactly on a day's close stays there rather than moving to the next open.
 */
export function addWorkingMinutes(from: number, minutes: number, hours: WorkingHours): number {
  let day = cstDay(from);
  let minute = Math.max(hours.start, (from - cstInstant(day, 0)) / MINUTE_MS);
  // After the close the clock starts next morning (never at the close already past).
  if (minute > hours.end) {
    day++;
    minute = hours.start;
  }
  let left = minutes;
  for (;;) {
    if (isWorkingDay(day)) {
      const room = hours.end - minute;
      if (left <= room) return cstInstant(day, minute + left);
      left -= room;
    }
    day++;
    minute = hours.start;
  }
}

/** Working minutes between two instants; negative when `to` is before `from`. */
export function workingMinutesBetween(from: number, to: number, hours: WorkingHours): number {
  if (to < from) return -workingMinutesBetween(to, from, hours);
  const clamp = (ms: number, day: number) => Math.max(hours.start, Math.min(hours.end, (ms - cstInstant(day, 0)) / MINUTE_MS));
  const first = cstDay(from);
  const last = cstDay(to);
  if (first === last) return isWorkingDay(first) ? clamp(to, last) - clamp(from, first) : 0;
  let total = isWorkingDay(first) ? hours.end - clamp(from, first) : 0;
  for (let d = first + 1; d < last; d++) if (isWorkingDay(d)) total += dayLength(hours);
  if (isWorkingDay(last)) total += clamp(to, last) - hours.start;
  return total;
}

/** Working days as a fraction-friendly number: minutes / length of one working day. */
export function workingDays(minutes: number, hours: WorkingHours): number {
  return minutes / dayLength(hours);
}
