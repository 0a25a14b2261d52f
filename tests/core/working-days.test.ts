import { execFileSync } from 'node:child_process';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addWorkingMinutes, isWorkingDay, cstDay, workingMinutesBetween } from '../../src/core/calendar';
import { deadlineOf, parsePolicy, POLICY_PRESETS, splitWorkingTime, supervisionDue, warningLevel } from '../../src/core/deadline';
import { fold } from '../../src/core/fold';
import { ev } from './fixtures';

// Expected instants below were counted by hand from the State Council's 2026 holiday
// notice (国办发明电〔2025〕7号), never computed with the code under test:
//   New Year     Jan 1–3 off (Thu–Sat), Sun Jan 4 worked
//   Spring Fest. Feb 15–23 off (Sun–Mon), Sat Feb 14 and Sat Feb 28 worked
//   May Day      May 1–5 off (Fri–Tue), Sat May 9 worked
//   Mid-Autumn   Sep 25–27 off (Fri–Sun)
//   National Day Oct 1–7 off (Thu–Wed), Sun Sep 20 and Sat Oct 10 worked
// Office hours are the presets' 09:00–17:00, China Standard Time.

/** An instant given as China Standard Time (UTC+8). */
const cst = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h - 8, min);
const HOURS = { start: 9 * 60, end: 17 * 60 };
const DAY = 8 * 60;
const day = (y: number, m: number, d: number) => cstDay(cst(y, m, d, 12));

describe('the statutory calendar', () => {
  it.each([
    ['make-up Saturday before Spring Festival', 2026, 2, 14, true],
    ['Spring Festival Sunday', 2026, 2, 15, false],
    ['Spring Festival Monday', 2026, 2, 23, false],
    ['first day back', 2026, 2, 24, true],
    ['make-up Saturday after Spring Festival', 2026, 2, 28, true],
    ['an ordinary Sunday', 2026, 3, 1, false],
    ['New Year make-up Sunday', 2026, 1, 4, true],
    ['National Day Thursday', 2026, 10, 1, false],
    ['National Day Wednesday', 2026, 10, 7, false],
    ['make-up Sunday before National Day', 2026, 9, 20, true],
    ['make-up Saturday after National Day', 2026, 10, 10, true],
    ['Mid-Autumn Friday', 2026, 9, 25, false],
    ['May Day Tuesday', 2026, 5, 5, false],
    ['May Day make-up Saturday', 2026, 5, 9, true],
    ['an ordinary Wednesday', 2026, 11, 25, true],
  ] as const)('%s (%i-%i-%i) working: %s', (_label, y, m, d, working) => {
    expect(isWorkingDay(day(y, m, d))).toBe(working);
  });
});

describe('deadlines across 2026 holidays', () => {
  it.each([
    // [label, from, working days, expected]
    ['Wanyuan complaint (5) assigned the Friday before Spring Festival', cst(2026, 2, 13, 10), 5, cst(2026, 2, 27, 10)],
    ['Wanyuan consultation (3) assigned the eve of National Day', cst(2026, 9, 30, 15), 3, cst(2026, 10, 10, 15)],
    ['dispatch (1) of an appeal taken on the Saturday before a make-up Sunday', cst(2026, 9, 19, 11), 1, cst(2026, 9, 20, 17)],
    ['Lanling consultation (½) taken the afternoon before May Day', cst(2026, 4, 30, 16), 0.5, cst(2026, 5, 6, 12)],
    ['Linyi red (1) assigned on the May Day make-up Saturday', cst(2026, 5, 9, 16, 30), 1, cst(2026, 5, 11, 16, 30)],
    ['dispatch (1) of an appeal taken after hours on New Year’s Eve', cst(2025, 12, 31, 20), 1, cst(2026, 1, 4, 17)],
    ['Wanyuan special (5) with the 10 extra days, across Mid-Autumn and National Day', cst(2026, 9, 14, 9), 15, cst(2026, 10, 9, 17)],
  ])('%s', (_label, from, days, expected) => {
    expect(new Date(addWorkingMinutes(from, days * DAY, HOURS)).toISOString()).toBe(new Date(expected).toISOString());
  });

  it('counts the same working time back between the two instants', () => {
    expect(workingMinutesBetween(cst(2026, 2, 13, 10), cst(2026, 2, 27, 10), HOURS)).toBe(5 * DAY);
    expect(workingMinutesBetween(cst(2026, 2, 27, 10), cst(2026, 2, 13, 10), HOURS)).toBe(-5 * DAY);
    // A whole holiday week holds no working time at all.
    expect(workingMinutesBetween(cst(2026, 10, 1, 0), cst(2026, 10, 7, 23), HOURS)).toBe(0);
  });

  it('does not depend on the device’s time zone', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const script = "import { addWorkingMinutes } from './src/core/calendar.ts'; process.stdout.write(String(addWorkingMinutes(Date.UTC(2026, 1, 13, 2), 2400, { start: 540, end: 1020 })))";
    for (const tz of ['America/New_York', 'Pacific/Kiritimati', 'UTC']) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, TZ: tz } }).toString();
      expect(Number(out), tz).toBe(cst(2026, 2, 27, 10));
    }
  });
});

describe('deadline policies', () => {
  const assignedAt = cst(2026, 2, 13, 10);
  const assigned = (kind: string, urgency: string, extra: ReturnType<typeof ev>[] = []) => ({
    state: fold([ev('recorded', { at: cst(2026, 2, 12, 9) }), ev('assigned', { at: assignedAt }), ...extra]),
    terms: { kind, urgency } as never,
  });

  it('Wanyuan "135": consultation 3, complaint and help 5 working days', () => {
    const p = POLICY_PRESETS.wanyuan;
    const due = (kind: string) => deadlineOf(assigned(kind, 'yellow').state, assigned(kind, 'yellow').terms, p)!.dueAt;
    expect(due('consultation')).toBe(cst(2026, 2, 25, 10)); // Sat 14, Tue 24, Wed 25
    expect(due('complaint')).toBe(cst(2026, 2, 27, 10));
    expect(due('help')).toBe(cst(2026, 2, 27, 10));
  });

  it('Wanyuan lets a special case gain approved days; the dispatch clock runs from recording', () => {
    const p = POLICY_PRESETS.wanyuan;
    const { state, terms } = assigned('special', 'yellow', [ev('extension_requested', { days: 2 }), ev('extension_decided', { approved: true, days: 2 })]);
    expect(deadlineOf(state, terms, p)!.dueAt).toBe(cst(2026, 3, 2, 10)); // 5 + 2: Fri 27 10:00 → Sat 28 (worked) → Mon 2
    const recorded = fold([ev('recorded', { at: cst(2026, 2, 13, 10) })]);
    expect(deadlineOf(recorded, terms, p)).toMatchObject({ stage: 'dispatch', dueAt: cst(2026, 2, 14, 10) });
  });

  it('Lanling: half a day for a consultation, 3 for general matters, 5 for complex ones', () => {
    const p = POLICY_PRESETS.lanling;
    const due = (kind: string) => deadlineOf(assigned(kind, 'red').state, assigned(kind, 'red').terms, p)!.dueAt;
    expect(due('consultation')).toBe(cst(2026, 2, 13, 14));
    expect(due('help')).toBe(cst(2026, 2, 25, 10));
    expect(due('special')).toBe(cst(2026, 2, 27, 10));
  });

  it('Linyi 12345: 1, 3 or 5 working days by urgency', () => {
    const p = POLICY_PRESETS.linyi;
    const due = (urgency: string) => deadlineOf(assigned('complaint', urgency).state, assigned('complaint', urgency).terms, p)!.dueAt;
    expect(due('red')).toBe(cst(2026, 2, 14, 10));
    expect(due('orange')).toBe(cst(2026, 2, 25, 10));
    expect(due('yellow')).toBe(cst(2026, 2, 27, 10));
  });

  it('no clock runs once visited, closed or merged', () => {
    const p = POLICY_PRESETS.linyi;
    const terms = { kind: 'help', urgency: 'red' } as const;
    const visited = fold([ev('recorded'), ev('assigned'), ev('replied'), ev('visited')]);
    expect(deadlineOf(visited, terms, p)).toBeNull();
    expect(deadlineOf(fold([ev('recorded'), ev('merged')]), terms, p)).toBeNull();
  });

  it('refuses a malformed policy with the field at fault', () => {
    expect(parsePolicy({ ...POLICY_PRESETS.linyi, supervisionAfterDays: [3, 1] })).toMatchObject({ ok: false, error: expect.stringMatching(/supervisionAfterDays/) });
    expect(parsePolicy({ ...POLICY_PRESETS.linyi, handle: { by: 'kind', days: { consultation: 1 } } })).toMatchObject({ ok: false });
    expect(parsePolicy({ ...POLICY_PRESETS.linyi, extension: { kinds: ['special'], maxDays: 11 } })).toMatchObject({ ok: false });
    expect(parsePolicy('lanling')).toEqual({ ok: true, policy: POLICY_PRESETS.lanling });
  });
});

describe('warning levels and the supervision ladder', () => {
  // Due Friday 13 Feb 16:00, the last working afternoon before Spring Festival.
  const due = cst(2026, 2, 13, 16);
  const p = POLICY_PRESETS.lanling; // warns 2 working hours ahead; severe after 3 working days

  it.each([
    [cst(2026, 2, 13, 13), 'none'],
    [cst(2026, 2, 13, 14, 30), 'due_soon'],
    [cst(2026, 2, 14, 10), 'overdue'],
    [cst(2026, 2, 20, 10), 'overdue'], // the holiday week adds no overdue time
    [cst(2026, 2, 25, 15, 59), 'overdue'],
    [cst(2026, 2, 25, 16), 'severe'],
  ] as const)('at %s: %s', (now, level) => {
    expect(warningLevel(due, now, p)).toBe(level);
  });

  it.each([
    [cst(2026, 2, 14, 15, 59), 0],
    [cst(2026, 2, 14, 16), 1], // 1 working day overdue: hotline
    [cst(2026, 2, 25, 16), 2], // 3: media
    [cst(2026, 2, 27, 16), 3], // 5: government
    [cst(2026, 3, 5, 16), 4], // 10 (Sat 28 Feb worked): people's congress / CPPCC
    [cst(2026, 3, 12, 16), 5], // 15: discipline inspection
  ] as const)('supervision at %s: level %i', (now, level) => {
    expect(supervisionDue(due, now, p)).toBe(level);
  });

  it('splits time left into working days and hours', () => {
    expect(splitWorkingTime(2 * DAY + 190, p)).toEqual({ overdue: false, days: 2, hours: 3, minutes: 10 });
    expect(splitWorkingTime(-(DAY + 60), p)).toEqual({ overdue: true, days: 1, hours: 1, minutes: 0 });
  });
});

describe('working time: properties', () => {
  const instant = fc.integer({ min: cst(2025, 1, 1), max: cst(2026, 12, 20) });
  const minutes = fc.integer({ min: 0, max: 30 * DAY });

  it('is monotonic in the minutes added', () => {
    fc.assert(
      fc.property(instant, minutes, minutes, (from, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(addWorkingMinutes(from, lo, HOURS)).toBeLessThanOrEqual(addWorkingMinutes(from, hi, HOURS));
      }),
      { numRuns: 300 },
    );
  });

  it('adding then measuring gives the minutes back from any working instant', () => {
    fc.assert(
      fc.property(instant, minutes, (t, m) => {
        // Start inside office hours on a working day: move to the next working instant.
        const from = addWorkingMinutes(t, 0, HOURS);
        expect(workingMinutesBetween(from, addWorkingMinutes(from, m, HOURS), HOURS)).toBeCloseTo(m, 6);
      }),
      { numRuns: 300 },
    );
  });

  it('warning levels only rise as time passes', () => {
    const order = ['none', 'due_soon', 'overdue', 'severe'];
    fc.assert(
      fc.property(instant, fc.array(fc.integer({ min: 0, max: 40 * 86_400_000 }), { minLength: 2, maxLength: 8 }), (dueAt, offsets) => {
        const levels = offsets.sort((a, b) => a - b).map((o) => order.indexOf(warningLevel(dueAt, dueAt - 10 * 86_400_000 + o, POLICY_PRESETS.wanyuan)));
        expect(levels).toEqual([...levels].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });
});
