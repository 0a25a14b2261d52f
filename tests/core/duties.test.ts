import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { deadlineDuties, dutyEvent } from '../../src/core/duties';
import { fold, type AppealState } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { findRepeats, type RepeatCandidate } from '../../src/core/repeats';
import { compareRows, inQueue, ROLE_QUEUES } from '../../src/core/queues';
import type { SessionUser } from '../../src/core/roles';
import { ev } from './fixtures';

const cst = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h - 8, min);
const POLICY = POLICY_PRESETS.lanling;
const TERMS = { kind: 'help', urgency: 'orange' } as const;
// Recorded Monday 7 Dec 2026 09:00: Lanling's one-day dispatch clock is due Monday 17:00.
const RECORDED = cst(2026, 12, 7, 9);

/** Applies the duties as the scanner would, and returns the new state. */
function runScanner(events: unknown[], now: number): { events: unknown[]; appended: number } {
  const state = fold(events, 'a');
  const duties = deadlineDuties(state, TERMS, POLICY, now);
  let basis = state.lastAppliedId;
  const added = duties.map((d) => {
    const e = dutyEvent(d, newId(), now, basis);
    basis = e.id;
    return e;
  });
  return { events: [...events, ...added], appended: added.length };
}

describe('deadline duties', () => {
  const recorded = () => [ev('recorded', { at: RECORDED })];

  it('owes nothing while time is ample', () => {
    expect(deadlineDuties(fold(recorded()), TERMS, POLICY, cst(2026, 12, 7, 12))).toEqual([]);
  });

  it('warns the handler before the deadline, handler and leader after it, and supervises by overdue time', () => {
    expect(deadlineDuties(fold(recorded()), TERMS, POLICY, cst(2026, 12, 7, 15, 30))).toEqual([
      { type: 'warned', stage: 'due_soon', dueAt: cst(2026, 12, 7, 17), notify: ['handler'] },
    ]);
    expect(deadlineDuties(fold(recorded()), TERMS, POLICY, cst(2026, 12, 8, 10))).toEqual([
      { type: 'warned', stage: 'overdue', dueAt: cst(2026, 12, 7, 17), notify: ['handler', 'leader'] },
    ]);
    // Four working days overdue: severe, and the ladder at rung 2 (media).
    expect(deadlineDuties(fold(recorded()), TERMS, POLICY, cst(2026, 12, 11, 17))).toEqual([
      { type: 'warned', stage: 'severe', dueAt: cst(2026, 12, 7, 17), notify: ['handler', 'leader'] },
      { type: 'supervised', level: 2 },
    ]);
  });

  it('is idempotent: a second run at the same moment owes nothing', () => {
    const first = runScanner(recorded(), cst(2026, 12, 11, 17));
    expect(first.appended).toBe(2);
    expect(runScanner(first.events, cst(2026, 12, 11, 17)).appended).toBe(0);
    const s = fold(first.events, 'a');
    expect(s.conflicts).toEqual([]);
    expect(s.supervisionLevel).toBe(2);
  });

  it('is idempotent for any sequence of scan times, and supervision never falls', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 * 86_400_000 }), { minLength: 1, maxLength: 12 }), (offsets) => {
        let events: unknown[] = recorded();
        let level = 0;
        for (const now of offsets.sort((a, b) => a - b).map((o) => RECORDED + o)) {
          events = runScanner(events, now).events;
          expect(runScanner(events, now).appended).toBe(0);
          const s: AppealState = fold(events, 'a');
          expect(s.supervisionLevel).toBeGreaterThanOrEqual(level);
          level = s.supervisionLevel;
          expect(s.conflicts).toEqual([]);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a new deadline (after assignment) is warned afresh', () => {
    const late = runScanner(recorded(), cst(2026, 12, 8, 10)).events;
    const assigned = [...late, ev('assigned', { at: cst(2026, 12, 8, 11) })];
    // Lanling gives help requests 3 working days: due Fri 11 Dec 11:00.
    expect(deadlineDuties(fold(assigned), TERMS, POLICY, cst(2026, 12, 11, 10))).toEqual([
      { type: 'warned', stage: 'due_soon', dueAt: cst(2026, 12, 11, 11), notify: ['handler'] },
    ]);
  });

  it('owes nothing to visited, closed or merged appeals', () => {
    const now = cst(2027, 1, 1);
    for (const tail of [[ev('visited')], [ev('visited'), ev('closed')]]) {
      const s = fold([...recorded(), ev('assigned'), ev('replied'), ...tail]);
      expect(deadlineDuties(s, TERMS, POLICY, now)).toEqual([]);
    }
    expect(deadlineDuties(fold([...recorded(), ev('merged', { into: newId() })]), TERMS, POLICY, now)).toEqual([]);
  });
});

describe('special governance', () => {
  const DAY = 86_400_000;
  const now = cst(2026, 11, 25);
  const a = (id: string, village: string, category: string, daysAgo: number, mergedInto: string | null = null): RepeatCandidate => ({ id, village, category, createdAt: now - daysAgo * DAY, mergedInto });

  it('groups the same village and category raised 3+ times within the window', () => {
    const groups = findRepeats(
      [a('1', 'v1', 'infra.water', 1), a('2', 'v1', 'infra.water', 20), a('3', 'v1', 'infra.water', 80), a('4', 'v1', 'infra.water', 100), a('5', 'v1', 'infra.roads', 2), a('6', 'v2', 'infra.water', 3)],
      { threshold: 3, windowDays: 90 },
      now,
    );
    expect(groups).toEqual([{ village: 'v1', category: 'infra.water', appealIds: ['1', '2', '3'], firstAt: now - 80 * DAY, lastAt: now - DAY }]);
  });

  it('counts duplicates merged into an appeal towards its problem, through chains', () => {
    const groups = findRepeats(
      [a('t', 'v1', 'infra.water', 5), a('d1', 'v2', 'infra.roads', 4, 't'), a('d2', 'v3', 'services.other', 3, 'd1')],
      { threshold: 3, windowDays: 30 },
      now,
    );
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ village: 'v1', category: 'infra.water', appealIds: ['d2', 'd1', 't'] });
  });

  it('survives a merge cycle and a missing target', () => {
    const groups = findRepeats([a('x', 'v1', 'c', 1, 'y'), a('y', 'v1', 'c', 1, 'x'), a('z', 'v1', 'c', 1, 'gone')], { threshold: 3, windowDays: 30 }, now);
    expect(groups.map((g) => g.appealIds.length)).toEqual([3]);
  });
});

describe('queues', () => {
  const town: SessionUser = { id: 'u-town', username: 't', displayName: 't', role: 'town_official', scope: { regions: ['371324102'], departments: [] } };
  const dept: SessionUser = { id: 'u-dept', username: 'd', displayName: 'd', role: 'dept_handler', scope: { regions: ['371324'], departments: ['water'] } };
  const row = (over: Partial<Parameters<typeof inQueue>[1]> = {}): Parameters<typeof inQueue>[1] => ({ status: 'new', tier: 'village', dept: null, handler: null, createdBy: 'u-grid', dueAt: null, supervisionLevel: 0, returns: 0, review: null, replyId: null, quality: null, qualityFlags: [], redoCount: 0, mediator: null, mediationOutcome: null, ...over });
  const now = cst(2026, 11, 25, 12);

  it('the town sees new, assigned, overdue and awaiting-visit work', () => {
    expect(ROLE_QUEUES.town_official).toEqual(['new', 'assigned', 'returned', 'overdue', 'awaiting_visit', 'mediation', 'all']);
    expect(inQueue('new', row(), town, now)).toBe(true);
    expect(inQueue('new', row({ tier: 'county' }), town, now)).toBe(false);
    expect(inQueue('assigned', row({ status: 'in_progress' }), town, now)).toBe(true);
    expect(inQueue('overdue', row({ dueAt: now - 1 }), town, now)).toBe(true);
    expect(inQueue('overdue', row({ dueAt: now - 1, status: 'closed' }), town, now)).toBe(false);
    expect(inQueue('awaiting_visit', row({ status: 'replied' }), town, now)).toBe(true);
  });

  it('a dispatch center sees what waits at its desk or below, what is on its desk, returned to it and under its review', () => {
    const county: SessionUser = { id: 'u-county', username: 'c', displayName: 'c', role: 'county_dispatcher', scope: { regions: ['371324'], departments: [] } };
    const city: SessionUser = { id: 'u-city', username: 'y', displayName: 'y', role: 'city_dispatcher', scope: { regions: ['3713'], departments: [] } };
    expect(inQueue('unassigned', row(), county, now)).toBe(true);
    expect(inQueue('unassigned', row({ tier: 'city', status: 'accepted' }), county, now)).toBe(false);
    expect(inQueue('unassigned', row({ tier: 'city', status: 'accepted' }), city, now)).toBe(true);
    expect(inQueue('escalated', row({ tier: 'county', status: 'accepted' }), county, now)).toBe(true);
    expect(inQueue('escalated', row({ tier: 'town', status: 'accepted' }), county, now)).toBe(false);
    expect(inQueue('returned', row({ tier: 'county', status: 'accepted', returns: 1 }), county, now)).toBe(true);
    expect(inQueue('returned', row({ tier: 'county', status: 'accepted', returns: 0 }), county, now)).toBe(false);
    expect(inQueue('review', row({ tier: 'city', status: 'accepted', review: 'pending' }), city, now)).toBe(true);
    expect(inQueue('review', row({ tier: 'city', status: 'accepted', review: 'pending' }), county, now)).toBe(false);
  });

  it('a department sees only its own department’s work', () => {
    expect(inQueue('dept_todo', row({ status: 'assigned', dept: 'water' }), dept, now)).toBe(true);
    expect(inQueue('dept_todo', row({ status: 'assigned', dept: 'transport' }), dept, now)).toBe(false);
    expect(inQueue('overdue', row({ status: 'assigned', dept: 'transport', dueAt: now - 1 }), dept, now)).toBe(false);
    expect(inQueue('dept_done', row({ status: 'replied', dept: 'water' }), dept, now)).toBe(true);
  });

  it('sorts by deadline with undated rows last, or by urgency then deadline', () => {
    const rows = [
      { id: 'a', dueAt: null, urgency: 'red' as const, updatedAt: 3, village: 'v2' },
      { id: 'b', dueAt: 200, urgency: 'yellow' as const, updatedAt: 1, village: 'v1' },
      { id: 'c', dueAt: 100, urgency: 'yellow' as const, updatedAt: 2, village: 'v1' },
      { id: 'd', dueAt: 300, urgency: 'red' as const, updatedAt: 4, village: 'v3' },
    ];
    expect([...rows].sort(compareRows('due')).map((r) => r.id)).toEqual(['c', 'b', 'd', 'a']);
    expect([...rows].sort(compareRows('urgency')).map((r) => r.id)).toEqual(['d', 'a', 'c', 'b']);
    expect([...rows].sort(compareRows('updated')).map((r) => r.id)).toEqual(['d', 'a', 'c', 'b']);
    expect([...rows].sort(compareRows('village')).map((r) => r.id)).toEqual(['c', 'b', 'a', 'd']);
  });
});
