import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addWorkingMinutes, cstDate, cstDay, cstInstant, isWorkingDay, workingMinutesBetween } from '../../src/core/calendar';

// Working time on the 2026 statutory calendar. Every expected value below was counted by
// hand from the State Council notice on the 2026 holidays (国办发明电〔2025〕7号):
//   New Year      Jan 1–3 off (Thu–Sat); Sun Jan 4 worked
//   Spring Fest.  Feb 15–23 off (Sun–Mon); Sat Feb 14 and Sat Feb 28 worked
//   May Day       May 1–5 off (Fri–Tue); Sat May 9 worked
//   Mid-Autumn    Sep 25–27 off (Fri–Sun)
//   National Day  Oct 1–7 off (Thu–Wed); Sun Sep 20 and Sat Oct 10 worked
// Office hours 09:00–17:00 China Standard Time (UTC+8, no daylight saving).

/** An instant given on the CST wall clock, built with Date.UTC only. */
const cst = (y: number, m: number, d: number, h = 0, min = 0, s = 0) => Date.UTC(y, m - 1, d, h - 8, min, s);
const iso = (ms: number) => new Date(ms).toISOString();
const HOURS = { start: 9 * 60, end: 17 * 60 };
const DAY = 8 * 60;
const dayOf = (y: number, m: number, d: number) => cstDay(cst(y, m, d, 12));

describe('CST days', () => {
  it('a CST day starts at 16:00 UTC the day before', () => {
    expect(cstDay(cst(2026, 2, 14, 0))).toBe(cstDay(cst(2026, 2, 14, 23, 59, 59)));
    expect(cstDay(cst(2026, 2, 14, 0)) - cstDay(cst(2026, 2, 13, 23, 59, 59))).toBe(1);
    expect(cstDate(dayOf(2026, 2, 14))).toBe('2026-02-14');
    // 00:30 CST on 1 Jan is still 31 Dec in UTC: the CST date wins.
    expect(cstDate(cstDay(cst(2026, 1, 1, 0, 30)))).toBe('2026-01-01');
    expect(cstInstant(dayOf(2026, 2, 14), 9 * 60)).toBe(cst(2026, 2, 14, 9));
  });
});

describe('the 2026 statutory calendar, day by day', () => {
  const off: [number, number, number][] = [
    [1, 1, 1], [1, 2, 1], [1, 3, 1],
    ...[15, 16, 17, 18, 19, 20, 21, 22, 23].map((d) => [2, d, 1] as [number, number, number]),
    ...[1, 2, 3, 4, 5].map((d) => [5, d, 1] as [number, number, number]),
    [9, 25, 1], [9, 26, 1], [9, 27, 1],
    ...[1, 2, 3, 4, 5, 6, 7].map((d) => [10, d, 1] as [number, number, number]),
  ];
  const madeUp: [number, number][] = [[1, 4], [2, 14], [2, 28], [5, 9], [9, 20], [10, 10]];

  it.each(off)('2026-%i-%i is a holiday', (m, d) => {
    expect(isWorkingDay(dayOf(2026, m, d))).toBe(false);
  });

  it.each(madeUp)('2026-%i-%i is a make-up working day on a weekend', (m, d) => {
    expect(new Date(cst(2026, m, d, 12)).getUTCDay() % 6).toBe(0); // Saturday or Sunday
    expect(isWorkingDay(dayOf(2026, m, d))).toBe(true);
  });

  it.each([
    ['the last day before Spring Festival', 2, 13, true],
    ['the first day back after Spring Festival', 2, 24, true],
    ['the Sunday after the make-up Saturday', 3, 1, false],
    ['the Saturday after the New Year make-up Sunday', 1, 10, false],
    ['the first day back after May Day', 5, 6, true],
    ['the first day back after National Day', 10, 8, true],
    ['the Sunday after the National Day make-up Saturday', 10, 11, false],
    ['an ordinary Saturday', 3, 7, false],
  ] as const)('%s (2026-%i-%i) working: %s', (_label, m, d, working) => {
    expect(isWorkingDay(dayOf(2026, m, d))).toBe(working);
  });

  // Hand counts: weekdays of the month, minus holidays on weekdays, plus make-up weekend days.
  it.each([
    ['January', 1, 21], // 22 weekdays − Jan 1, 2 + Sun Jan 4
    ['February', 2, 16], // 20 weekdays − Feb 16–20, 23 + Sat 14, Sat 28
    ['May', 5, 19], // 21 weekdays − May 1, 4, 5 + Sat 9
    ['October', 10, 18], // 22 weekdays − Oct 1, 2, 5, 6, 7 + Sat 10
  ] as const)('%s 2026 has %i working days', (_name, m, n) => {
    expect(workingMinutesBetween(cst(2026, m, 1), cst(2026, m + 1, 1), HOURS)).toBe(n * DAY);
    let days = 0;
    for (let d = dayOf(2026, m, 1); d < dayOf(2026, m + 1, 1); d++) if (isWorkingDay(d)) days++;
    expect(days).toBe(n);
  });

  it('2026 has 248 working days', () => {
    // 261 weekdays (52 weeks and a Thursday), minus 19 holidays falling on weekdays
    // (Jan 1–2; Feb 16–20, 23; Apr 6; May 1, 4, 5; Jun 19; Sep 25; Oct 1, 2, 5, 6, 7),
    // plus the 6 make-up weekend days.
    expect(workingMinutesBetween(cst(2026, 1, 1), cst(2027, 1, 1), HOURS)).toBe(248 * DAY);
  });
});

describe('addWorkingMinutes at the edges of the working day', () => {
  it.each([
    ['from opening, a full day ends at that day’s close', cst(2026, 3, 2, 9), DAY, cst(2026, 3, 2, 17)],
    ['nothing added at the close stays at the close', cst(2026, 3, 2, 17), 0, cst(2026, 3, 2, 17)],
    ['one minute after the close is one minute past the next opening', cst(2026, 3, 2, 17), 1, cst(2026, 3, 3, 9, 1)],
    ['before opening, the clock starts at 09:00', cst(2026, 3, 2, 7), 0, cst(2026, 3, 2, 9)],
    ['after the close, the clock starts next working morning', cst(2026, 3, 2, 21), 30, cst(2026, 3, 3, 9, 30)],
    ['after the close, nothing added is next working morning, never the close already past', cst(2026, 3, 2, 17, 0, 1), 0, cst(2026, 3, 3, 9)],
    ['after the close before a holiday, nothing added waits out the holiday', cst(2026, 9, 30, 20), 0, cst(2026, 10, 8, 9)],
    ['on a Saturday, the clock starts Monday', cst(2026, 3, 7, 12), 0, cst(2026, 3, 9, 9)],
    ['seconds are kept', cst(2026, 3, 2, 9, 0, 30), 1, cst(2026, 3, 2, 9, 1, 30)],
    ['inside Spring Festival, the clock starts on Tue 24 Feb', cst(2026, 2, 15, 12), 60, cst(2026, 2, 24, 10)],
    ['from the make-up Saturday, over the whole holiday', cst(2026, 2, 14, 16, 30), 60, cst(2026, 2, 24, 9, 30)],
    ['the Friday before the National Day make-up Saturday', cst(2026, 10, 9, 16), 120, cst(2026, 10, 10, 10)],
    ['the Saturday before the make-up Sunday', cst(2026, 9, 19, 10), 30, cst(2026, 9, 20, 9, 30)],
    ['New Year’s Eve afternoon into the make-up Sunday', cst(2025, 12, 31, 16), 120, cst(2026, 1, 4, 10)],
    ['up to the close on the eve of May Day', cst(2026, 4, 30, 16, 45), 15, cst(2026, 4, 30, 17)],
    ['one minute more crosses all of May Day', cst(2026, 4, 30, 16, 45), 16, cst(2026, 5, 6, 9, 1)],
  ])('%s', (_label, from, minutes, expected) => {
    expect(iso(addWorkingMinutes(from, minutes, HOURS))).toBe(iso(expected));
  });

  it('works with other office hours', () => {
    const hours = { start: 8 * 60 + 30, end: 17 * 60 + 30 }; // 9 h days
    expect(iso(addWorkingMinutes(cst(2026, 2, 13, 12), 9 * 60, hours))).toBe(iso(cst(2026, 2, 14, 12)));
    expect(iso(addWorkingMinutes(cst(2026, 2, 14, 17), 60, hours))).toBe(iso(cst(2026, 2, 24, 9)));
  });
});

describe('workingMinutesBetween', () => {
  it.each([
    ['Fri 13 Feb 16:00 → Tue 24 Feb 10:00 (make-up Saturday counts)', cst(2026, 2, 13, 16), cst(2026, 2, 24, 10), 60 + DAY + 60],
    ['Wed 30 Sep 12:00 → Thu 8 Oct 12:00 (the Golden Week is empty)', cst(2026, 9, 30, 12), cst(2026, 10, 8, 12), 5 * 60 + 3 * 60],
    ['evening to next morning before opening', cst(2026, 3, 2, 17, 30), cst(2026, 3, 3, 8), 0],
    ['across an ordinary weekend', cst(2026, 3, 6, 15), cst(2026, 3, 9, 11), 2 * 60 + 2 * 60],
    ['a plain weekend', cst(2026, 3, 7), cst(2026, 3, 8, 23), 0],
    ['same instant', cst(2026, 3, 2, 10), cst(2026, 3, 2, 10), 0],
  ])('%s', (_label, from, to, minutes) => {
    expect(workingMinutesBetween(from, to, HOURS)).toBe(minutes);
    expect(workingMinutesBetween(to, from, HOURS) + minutes).toBe(0);
  });
});

describe('working time: properties', () => {
  // 2025–2026: the years the holiday data covers.
  const instant = fc.integer({ min: cst(2025, 1, 1), max: cst(2026, 12, 1) });
  const minutes = fc.integer({ min: 0, max: 25 * DAY });
  /** An instant inside office hours on a working day (to the minute). */
  const workingInstant = fc
    .tuple(fc.integer({ min: dayOf(2025, 1, 1), max: dayOf(2026, 12, 1) }), fc.integer({ min: HOURS.start, max: HOURS.end }))
    .filter(([d]) => isWorkingDay(d))
    .map(([d, m]) => cstInstant(d, m));

  it('is strictly increasing in the minutes added', () => {
    fc.assert(
      fc.property(instant, minutes, fc.integer({ min: 1, max: 5 * DAY }), (from, m, more) => {
        expect(addWorkingMinutes(from, m + more, HOURS)).toBeGreaterThan(addWorkingMinutes(from, m, HOURS));
      }),
      { numRuns: 300 },
    );
  });

  it('measures back exactly the minutes added from a working instant', () => {
    fc.assert(
      fc.property(workingInstant, minutes, (from, m) => {
        expect(workingMinutesBetween(from, addWorkingMinutes(from, m, HOURS), HOURS)).toBe(m);
      }),
      { numRuns: 300 },
    );
  });

  it('lands inside office hours of a working day, and never before the start', () => {
    fc.assert(
      fc.property(instant, minutes, (from, m) => {
        const due = addWorkingMinutes(from, m, HOURS);
        const day = cstDay(due);
        const minute = (due - cstInstant(day, 0)) / 60_000;
        expect(isWorkingDay(day)).toBe(true);
        expect(minute).toBeGreaterThanOrEqual(HOURS.start);
        expect(minute).toBeLessThanOrEqual(HOURS.end);
        expect(due).toBeGreaterThanOrEqual(from);
        expect(Number.isInteger(due)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('adds in steps: m1 then m2 is m1 + m2', () => {
    fc.assert(
      fc.property(workingInstant, minutes, minutes, (from, a, b) => {
        expect(addWorkingMinutes(addWorkingMinutes(from, a, HOURS), b, HOURS)).toBe(addWorkingMinutes(from, a + b, HOURS));
      }),
      { numRuns: 300 },
    );
  });

  it('measures additively and antisymmetrically', () => {
    fc.assert(
      fc.property(instant, instant, instant, (x, y, z) => {
        const [a, b, c] = [x, y, z].sort((p, q) => p - q) as [number, number, number];
        expect(workingMinutesBetween(a, b, HOURS) + workingMinutesBetween(b, c, HOURS)).toBeCloseTo(workingMinutesBetween(a, c, HOURS), 6);
        expect(workingMinutesBetween(c, a, HOURS)).toBe(-workingMinutesBetween(a, c, HOURS));
      }),
      { numRuns: 200 },
    );
  });
});

describe('independence from the device’s time zone', () => {
  it('calendar and deadline code use no local-time Date API', () => {
    for (const file of ['calendar.ts', 'deadline.ts', 'duties.ts']) {
      const source = readFileSync(path.resolve(import.meta.dirname, '../../src/core', file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      expect(source, file).not.toMatch(/\.(get|set)(FullYear|Month|Date|Day|Hours|Minutes|Seconds)\(|getTimezoneOffset|toLocale\w*\(|Intl\./);
      // new Date(y, m, d, …) reads the fields as local time.
      expect(source, file).not.toMatch(/new Date\([^)]*,/);
    }
  });

  it('gives the same instants under any TZ', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const script = [
      "import { addWorkingMinutes, workingMinutesBetween, isWorkingDay, cstDay } from './src/core/calendar.ts';",
      "import { deadlineOf, warningLevel, POLICY_PRESETS } from './src/core/deadline.ts';",
      'const h = { start: 540, end: 1020 };',
      `const froms = ${JSON.stringify([cst(2026, 2, 13, 10), cst(2025, 12, 31, 23, 30), cst(2026, 9, 30, 16), cst(2026, 5, 9, 8)])};`,
      'const state = { stage: "handle", stageStartedAt: froms[0], extensionDays: 10, handleSpent: [] };',
      'const out = froms.map((f) => [addWorkingMinutes(f, 2400, h), workingMinutesBetween(f, f + 9 * 86400000, h), isWorkingDay(cstDay(f)),',
      '  deadlineOf({ ...state, stageStartedAt: f }, { kind: "special", urgency: "red" }, POLICY_PRESETS.wanyuan).dueAt,',
      '  warningLevel(f, f + 3 * 86400000, POLICY_PRESETS.lanling)]);',
      'process.stdout.write(JSON.stringify(out));',
    ].join('\n');
    const run = (tz: string) =>
      JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, TZ: tz } }).toString());
    const utc = run('UTC');
    // Hand-checked anchors: 5 working days from Fri 13 Feb 10:00 is Fri 27 Feb 10:00; the
    // special case with 10 extra days (15 in all: Sat 14, Tue 24 … Fri 27, Sat 28, Mar 2–6,
    // Mar 9–12) is due Thu 12 Mar 10:00.
    expect(utc[0][0]).toBe(cst(2026, 2, 27, 10));
    expect(utc[0][3]).toBe(cst(2026, 3, 12, 10));
    for (const tz of ['America/New_York', 'Asia/Kathmandu', 'Pacific/Kiritimati', 'Asia/Shanghai']) expect(run(tz), tz).toEqual(utc);
  });
});
