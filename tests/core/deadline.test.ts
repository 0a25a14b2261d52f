import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Kind, Urgency } from '../../src/core/appeal';
import { cstDay, cstInstant, isWorkingDay } from '../../src/core/calendar';
import { deadlineOf, extensionRoom, handleDays, parsePolicy, POLICY_PRESETS, PRESET_NAMES, supervisionDue, warningLevel, type DeadlinePolicy } from '../../src/core/deadline';
import type { AppealEvent } from '../../src/core/events';
import { fold } from '../../src/core/fold';
import { ev } from './fixtures';

// Deadlines of real pipelines on the 2026 statutory calendar. Expected instants are counted
// by hand from the State Council notice (see calendar.test.ts for the list of days), never
// computed with the code under test. "Working day n" below counts the days after the start.

const cst = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h - 8, min);
const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
const { wanyuan, lanling, linyi } = POLICY_PRESETS;
const DAY = 8 * 60;

const terms = (kind: Kind = 'complaint', urgency: Urgency = 'yellow') => ({ kind, urgency });
const recorded = (at: number) => ev('recorded', { at });
const assigned = (at: number) => ev('assigned', { at, tier: 'town' });
/** An appeal recorded the working day before and assigned at `at`. */
const assignedAt = (at: number, ...more: AppealEvent[]) => fold([recorded(at - 86_400_000), assigned(at), ...more]);
const due = (events: AppealEvent[] | ReturnType<typeof fold>, kind?: Kind, urgency?: Urgency, policy: DeadlinePolicy = wanyuan) =>
  iso(deadlineOf(Array.isArray(events) ? fold(events) : events, terms(kind, urgency), policy)?.dueAt);

describe('handling deadlines across the 2026 holidays', () => {
  it.each([
    // Spring Festival: Sat 14 (1), Tue 24 (2), Wed 25 (3), Thu 26 (4), Fri 27 (5).
    ['Wanyuan complaint assigned Fri 13 Feb 10:00', wanyuan, 'complaint', 'yellow', cst(2026, 2, 13, 10), cst(2026, 2, 27, 10)],
    // Fri 13 (1), Sat 14 (2), Tue 24 (3), Wed 25 (4), Thu 26 (5).
    ['Wanyuan help assigned Thu 12 Feb 15:30', wanyuan, 'help', 'yellow', cst(2026, 2, 12, 15, 30), cst(2026, 2, 26, 15, 30)],
    // Assigned on a holiday: the clock starts Tue 24 09:00; three full days end Thu 26 at the close.
    ['Wanyuan consultation assigned on the last day of Spring Festival', wanyuan, 'consultation', 'yellow', cst(2026, 2, 23, 15), cst(2026, 2, 26, 17)],
    // National Day: Wed 30 Sep (1), Thu 8 Oct (2), Fri 9 (3), Sat 10 make-up (4), Mon 12 (5).
    ['Wanyuan complaint assigned Tue 29 Sep 14:00', wanyuan, 'complaint', 'yellow', cst(2026, 9, 29, 14), cst(2026, 10, 12, 14)],
    // Sun 20 Sep make-up (1), Mon 21 (2), Tue 22 (3).
    ['Wanyuan consultation assigned Fri 18 Sep 11:00', wanyuan, 'consultation', 'yellow', cst(2026, 9, 18, 11), cst(2026, 9, 22, 11)],
    // New Year: Sun 4 Jan make-up (1), Mon 5 (2), Tue 6 (3).
    ['Wanyuan consultation assigned Wed 31 Dec 2025 09:30', wanyuan, 'consultation', 'yellow', cst(2025, 12, 31, 9, 30), cst(2026, 1, 6, 9, 30)],
    // May Day: Wed 6 May (1), Thu 7 (2), Fri 8 (3), Sat 9 make-up (4), Mon 11 (5).
    ['Wanyuan help assigned Thu 30 Apr 10:00', wanyuan, 'help', 'yellow', cst(2026, 4, 30, 10), cst(2026, 5, 11, 10)],
    // Lanling, half a working day (4 h): 2 h on Fri 13, 2 h on the make-up Saturday.
    ['Lanling consultation assigned Fri 13 Feb 15:00', lanling, 'consultation', 'red', cst(2026, 2, 13, 15), cst(2026, 2, 14, 11)],
    // 1 h on the make-up Saturday, 3 h on Tue 24.
    ['Lanling consultation assigned Sat 14 Feb 16:00', lanling, 'consultation', 'red', cst(2026, 2, 14, 16), cst(2026, 2, 24, 12)],
    // 2.5 h on Wed 30 Sep, 1.5 h on Thu 8 Oct.
    ['Lanling consultation assigned Wed 30 Sep 14:30', lanling, 'consultation', 'red', cst(2026, 9, 30, 14, 30), cst(2026, 10, 8, 10, 30)],
    ['Lanling consultation assigned at opening on an ordinary Monday', lanling, 'consultation', 'red', cst(2026, 3, 2, 9), cst(2026, 3, 2, 13)],
    // Lanling general matters (3): Sat 14 (1), Tue 24 (2), Wed 25 (3).
    ['Lanling complaint assigned Fri 13 Feb 09:15', lanling, 'complaint', 'red', cst(2026, 2, 13, 9, 15), cst(2026, 2, 25, 9, 15)],
    // Linyi by urgency, whatever the kind. Red (1): 1 h on New Year's Eve, 7 h on Sun 4 Jan.
    ['Linyi red assigned Wed 31 Dec 2025 16:00', linyi, 'consultation', 'red', cst(2025, 12, 31, 16), cst(2026, 1, 4, 16)],
    // Orange (3): Thu 30 Apr (1), Wed 6 May (2), Thu 7 (3).
    ['Linyi orange assigned Wed 29 Apr 11:00', linyi, 'special', 'orange', cst(2026, 4, 29, 11), cst(2026, 5, 7, 11)],
    // Yellow (5): Sat 9 May make-up (1), Mon 11 (2), Tue 12 (3), Wed 13 (4), Thu 14 (5).
    ['Linyi yellow assigned Fri 8 May 11:00', linyi, 'complaint', 'yellow', cst(2026, 5, 8, 11), cst(2026, 5, 14, 11)],
  ] as const)('%s', (_label, policy, kind, urgency, at, expected) => {
    const d = deadlineOf(assignedAt(at), terms(kind, urgency), policy)!;
    expect(d.stage).toBe('handle');
    expect(d.startedAt).toBe(at);
    expect(iso(d.dueAt)).toBe(iso(expected));
    expect(d.allowedMinutes).toBe(handleDays(policy, terms(kind, urgency)) * DAY);
  });

  it('Linyi reads urgency, Wanyuan and Lanling read kind', () => {
    expect(handleDays(linyi, terms('consultation', 'yellow'))).toBe(5);
    expect(handleDays(linyi, terms('special', 'red'))).toBe(1);
    expect(handleDays(wanyuan, terms('consultation', 'red'))).toBe(3);
    expect(handleDays(lanling, terms('consultation', 'yellow'))).toBe(0.5);
    expect(handleDays(lanling, terms('special', 'yellow'))).toBe(5);
  });
});

describe('the dispatch clock (1 working day from intake or escalation)', () => {
  it.each([
    ['intake Fri 13 Feb 14:00, the make-up Saturday follows', cst(2026, 2, 13, 14), cst(2026, 2, 14, 14)],
    ['intake on an ordinary Saturday waits for Monday', cst(2026, 3, 7, 10), cst(2026, 3, 9, 17)],
    ['intake on a make-up Sunday counts that day', cst(2026, 9, 20, 10), cst(2026, 9, 21, 10)],
    ['intake after 17:00 on the make-up Saturday waits out Spring Festival', cst(2026, 2, 14, 18, 30), cst(2026, 2, 24, 17)],
    ['intake after 17:00 on the eve of May Day', cst(2026, 4, 30, 17, 45), cst(2026, 5, 6, 17)],
    ['intake at 17:00 sharp on Fri 9 Oct, the make-up Saturday follows', cst(2026, 10, 9, 17), cst(2026, 10, 10, 17)],
    ['intake at dawn counts from 09:00', cst(2026, 3, 2, 6), cst(2026, 3, 2, 17)],
    ['intake during the Golden Week', cst(2026, 10, 3, 11), cst(2026, 10, 8, 17)],
  ])('%s', (_label, at, expected) => {
    for (const policy of [wanyuan, lanling, linyi]) {
      const d = deadlineOf(fold([recorded(at)]), terms(), policy)!;
      expect(d).toMatchObject({ stage: 'dispatch', startedAt: at, allowedMinutes: DAY });
      expect(iso(d.dueAt)).toBe(iso(expected));
    }
  });

  it('accepting does not stop it; assigning does', () => {
    const r = recorded(cst(2026, 3, 2, 9));
    expect(due([r, ev('accepted', { at: cst(2026, 3, 2, 10) })])).toBe(iso(cst(2026, 3, 2, 17)));
    expect(deadlineOf(fold([r, assigned(cst(2026, 3, 2, 10))]), terms(), wanyuan)!.stage).toBe('handle');
  });

  it('escalation restarts it from the escalation', () => {
    const events = [recorded(cst(2026, 3, 2, 9)), assigned(cst(2026, 3, 2, 10)), ev('escalated', { at: cst(2026, 3, 4, 15) })];
    expect(deadlineOf(fold(events), terms(), wanyuan)).toMatchObject({ stage: 'dispatch', startedAt: cst(2026, 3, 4, 15), dueAt: cst(2026, 3, 5, 15) });
    // Assigned again at the city: a fresh handling clock from that moment.
    const again = [...events, ev('assigned', { at: cst(2026, 3, 5, 11), tier: 'city' })];
    // Fri 6 (1), Mon 9 (2), Tue 10 (3), Wed 11 (4), Thu 12 (5).
    expect(due(again)).toBe(iso(cst(2026, 3, 12, 11)));
  });
});

describe('extensions', () => {
  const at = cst(2026, 9, 18, 14); // Fri 18 Sep 14:00
  const extend = (...grants: [number, boolean][]) =>
    grants.flatMap(([days, approved]) => [ev('extension_requested', { days }), ev('extension_decided', { approved, days })]);

  it('approved days are added to the running handling clock, across Mid-Autumn and National Day', () => {
    // 5 days: Sun 20 (1), Mon 21 (2), Tue 22 (3), Wed 23 (4), Thu 24 (5).
    expect(due(assignedAt(at), 'special')).toBe(iso(cst(2026, 9, 24, 14)));
    // 5 + 10: … Mon 28 (6), Tue 29 (7), Wed 30 (8), Thu 8 Oct (9), Fri 9 (10), Sat 10 (11),
    // Mon 12 (12), Tue 13 (13), Wed 14 (14), Thu 15 (15).
    const full = assignedAt(at, ...extend([10, true]));
    expect(full.extensionDays).toBe(10);
    expect(deadlineOf(full, terms('special'), wanyuan)).toMatchObject({ dueAt: cst(2026, 10, 15, 14), allowedMinutes: 15 * DAY });
    // Granted in two steps, with a refusal between: the same 10 days.
    expect(due(assignedAt(at, ...extend([6, true], [3, false], [4, true])), 'special')).toBe(iso(cst(2026, 10, 15, 14)));
    // 5 + 3 = 8: Wed 30 Sep.
    expect(due(assignedAt(at, ...extend([3, true])), 'special')).toBe(iso(cst(2026, 9, 30, 14)));
  });

  it('a refused extension changes nothing', () => {
    expect(due(assignedAt(at, ...extend([5, false])), 'special')).toBe(iso(cst(2026, 9, 24, 14)));
  });

  it('room left: only the policy’s kinds, up to its maximum, only while handling', () => {
    expect(extensionRoom(wanyuan, terms('special'), assignedAt(at))).toBe(10);
    expect(extensionRoom(wanyuan, terms('special'), assignedAt(at, ...extend([6, true])))).toBe(4);
    expect(extensionRoom(wanyuan, terms('special'), assignedAt(at, ...extend([6, true], [4, true])))).toBe(0);
    expect(extensionRoom(wanyuan, terms('complaint'), assignedAt(at))).toBe(0);
    expect(extensionRoom(wanyuan, terms('special'), fold([recorded(at)]))).toBe(0); // dispatch stage
  });

  it('a redo after an unsatisfied visit gets a fresh clock without the old extension', () => {
    const events = [
      recorded(cst(2026, 2, 10, 9)),
      assigned(cst(2026, 2, 10, 10)),
      ...extend([10, true]),
      ev('replied', { at: cst(2026, 2, 24, 10) }),
      ev('visited', { at: cst(2026, 2, 24, 15), satisfaction: 'unsatisfied' }),
      ev('reopened', { at: cst(2026, 2, 25, 10) }),
    ];
    const s = fold(events);
    expect(s).toMatchObject({ status: 'assigned', reopenCount: 1, extensionDays: 0, stage: 'handle' });
    // Thu 26 (1), Fri 27 (2), Sat 28 make-up (3), Mon 2 Mar (4), Tue 3 (5).
    expect(due(s, 'special')).toBe(iso(cst(2026, 3, 3, 10)));
  });
});

describe('the return-visit clock (3 working days from the reply)', () => {
  it.each([
    // 1 h on Wed 30 Sep, Thu 8 Oct (8 h), Fri 9 (8 h), 7 h on the make-up Sat 10.
    ['replied Wed 30 Sep 16:00', cst(2026, 9, 30, 16), cst(2026, 10, 10, 16)],
    // Sat 14 (1), Tue 24 (2), Wed 25 (3).
    ['replied Fri 13 Feb 12:00', cst(2026, 2, 13, 12), cst(2026, 2, 25, 12)],
    // Mon 4 May is a holiday: Wed 6 (1), Thu 7 (2), Fri 8 (3) at the close.
    ['replied on a May Day holiday', cst(2026, 5, 4, 10), cst(2026, 5, 8, 17)],
  ])('%s', (_label, at, expected) => {
    const s = fold([recorded(at - 5 * 86_400_000), assigned(at - 4 * 86_400_000), ev('replied', { at })]);
    for (const policy of [wanyuan, lanling, linyi]) {
      expect(deadlineOf(s, terms(), policy)).toMatchObject({ stage: 'visit', startedAt: at, dueAt: expected, allowedMinutes: 3 * DAY });
    }
  });

  it('stops at the visit; nothing runs after closing or merging', () => {
    const replied = [recorded(cst(2026, 3, 2, 9)), assigned(cst(2026, 3, 2, 10)), ev('replied', { at: cst(2026, 3, 3, 10) })];
    expect(due([...replied, ev('visited', { at: cst(2026, 3, 3, 11), satisfaction: 'unsatisfied' })])).toBeNull();
    expect(due([...replied, ev('visited'), ev('closed')])).toBeNull();
    expect(due([recorded(cst(2026, 3, 2, 9)), ev('merged', { into: '01890a5d-ac96-774b-bcce-b302099a8057' })])).toBeNull();
    expect(due([])).toBeNull();
  });
});

describe('warning levels and supervision under Wanyuan', () => {
  // Due Wed 30 Sep 15:00, the afternoon before National Day. Working days after it:
  // Thu 8 Oct (1), Fri 9 (2), Sat 10 (3), Mon 12 (4), Tue 13 (5), Wed 14 (6), Thu 15 (7),
  // Fri 16 (8), Mon 19 (9), Tue 20 (10), … Tue 27 (15).
  const dueAt = cst(2026, 9, 30, 15);

  it.each([
    [cst(2026, 9, 29, 16), 'none'], // 1 h + 6 h left
    [cst(2026, 9, 30, 10, 59), 'none'],
    [cst(2026, 9, 30, 11), 'due_soon'], // 4 working hours left
    [cst(2026, 9, 30, 15), 'due_soon'], // the deadline itself
    [cst(2026, 9, 30, 15, 1), 'overdue'],
    [cst(2026, 10, 4, 12), 'overdue'], // the holiday adds no overdue time
    [cst(2026, 10, 10, 14, 59), 'overdue'],
    [cst(2026, 10, 10, 15), 'severe'], // 3 working days late
  ] as const)('at %s: %s', (now, level) => {
    expect(warningLevel(dueAt, now, wanyuan)).toBe(level);
  });

  it.each([
    [cst(2026, 10, 7, 23), 0], // 2 h late only
    [cst(2026, 10, 8, 14, 59), 0],
    [cst(2026, 10, 8, 15), 1], // 1 day: hotline
    [cst(2026, 10, 10, 15), 2], // 3 days: media
    [cst(2026, 10, 13, 15), 3], // 5 days: government
    [cst(2026, 10, 20, 14, 59), 3],
    [cst(2026, 10, 20, 15), 4], // 10 days: congress / CPPCC
    [cst(2026, 10, 27, 15), 5], // 15 days: discipline inspection
    [cst(2027, 6, 1), 5],
  ] as const)('supervision at %s: level %i', (now, level) => {
    expect(supervisionDue(dueAt, now, wanyuan)).toBe(level);
  });

  it('no clock, no warning', () => {
    expect(warningLevel(null, cst(2026, 10, 27), wanyuan)).toBe('none');
    expect(supervisionDue(null, cst(2026, 10, 27), wanyuan)).toBe(0);
  });
});

describe('deadline properties', () => {
  const start = fc.integer({ min: cst(2025, 1, 1), max: cst(2026, 11, 1) });
  const kind = fc.constantFrom<Kind>('consultation', 'help', 'complaint', 'suggestion', 'special');
  const urgency = fc.constantFrom<Urgency>('red', 'orange', 'yellow');
  const policy = fc.constantFrom(...PRESET_NAMES.map((n) => POLICY_PRESETS[n] as DeadlinePolicy));

  it('falls in office hours of a working day, after the start, and later with every extra day', () => {
    fc.assert(
      fc.property(start, kind, urgency, policy, fc.integer({ min: 1, max: 10 }), (at, k, u, p, extra) => {
        const base = deadlineOf(assignedAt(at), terms(k, u), p)!;
        const day = cstDay(base.dueAt);
        const minute = (base.dueAt - cstInstant(day, 0)) / 60_000;
        expect(isWorkingDay(day)).toBe(true);
        expect(minute).toBeGreaterThan(p.hours.start);
        expect(minute).toBeLessThanOrEqual(p.hours.end);
        expect(base.dueAt).toBeGreaterThan(at);
        const longer = fold([recorded(at - 86_400_000), assigned(at), ev('extension_requested', { days: extra }), ev('extension_decided', { approved: true, days: extra })]);
        expect(deadlineOf(longer, terms(k, u), p)!.dueAt).toBeGreaterThan(base.dueAt);
      }),
      { numRuns: 200 },
    );
  });

  it('warning levels only rise as time passes, and supervision only climbs', () => {
    const order = ['none', 'due_soon', 'overdue', 'severe'];
    fc.assert(
      fc.property(start, policy, fc.array(fc.integer({ min: -20 * 86_400_000, max: 40 * 86_400_000 }), { minLength: 2, maxLength: 10 }), (dueAt, p, offsets) => {
        const nows = offsets.sort((a, b) => a - b).map((o) => dueAt + o);
        const levels = nows.map((now) => order.indexOf(warningLevel(dueAt, now, p)));
        const rungs = nows.map((now) => supervisionDue(dueAt, now, p));
        expect(levels).toEqual([...levels].sort((a, b) => a - b));
        expect(rungs).toEqual([...rungs].sort((a, b) => a - b));
        // Supervision never comes before the deadline has passed.
        nows.forEach((now, i) => {
          if (rungs[i]! > 0) expect(levels[i]).toBeGreaterThanOrEqual(2);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('parsePolicy', () => {
  it('knows the presets by name, and only by their own names', () => {
    for (const name of PRESET_NAMES) expect(parsePolicy(name)).toEqual({ ok: true, policy: POLICY_PRESETS[name] });
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'Wanyuan', '']) {
      expect(parsePolicy(name), name).toMatchObject({ ok: false, error: expect.stringContaining('unknown deadline preset') });
    }
  });

  it('accepts a county’s own policy, checked field by field', () => {
    const own = { ...wanyuan, name: 'own', hours: { start: 8 * 60 + 30, end: 17 * 60 + 30 }, extension: { kinds: ['special', 'complaint'], maxDays: 5 } };
    expect(parsePolicy(JSON.parse(JSON.stringify(own)))).toEqual({ ok: true, policy: own });
    expect(parsePolicy({ ...own, hours: { start: 600, end: 540 } })).toMatchObject({ ok: false, error: expect.stringMatching(/hours/) });
    expect(parsePolicy({ ...own, extension: { kinds: ['special'], maxDays: 11 } })).toMatchObject({ ok: false });
    expect(parsePolicy({ ...own, dispatchDays: 0 })).toMatchObject({ ok: false, error: expect.stringMatching(/dispatchDays/) });
    expect(parsePolicy({ ...own, repeat: { threshold: 1, windowDays: 90 } })).toMatchObject({ ok: false, error: expect.stringMatching(/repeat/) });
    expect(parsePolicy({ ...own, surprise: true })).toMatchObject({ ok: false });
    expect(parsePolicy(null)).toMatchObject({ ok: false });
  });

  it('a custom policy’s hours drive the deadline', () => {
    const own = { ...wanyuan, hours: { start: 8 * 60 + 30, end: 12 * 60 } } as DeadlinePolicy; // 3.5 h days
    // Fri 13 Feb 11:00: 1 h left that day; 2.5 h on the make-up Saturday → Sat 14 11:00.
    expect(due(fold([recorded(cst(2026, 2, 13, 11))]), 'complaint', 'yellow', own)).toBe(iso(cst(2026, 2, 14, 11)));
  });
});
