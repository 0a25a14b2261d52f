import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Kind, Urgency } from '../../src/core/appeal';
import { POLICY_PRESETS, type AppealTerms, type DeadlinePolicy } from '../../src/core/deadline';
import { deadlineDuties, dutyEvent, type Duty } from '../../src/core/duties';
import { SYSTEM, type AppealEvent } from '../../src/core/events';
import { fold, refusal, step, type AppealState } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { ev } from './fixtures';

// The deadline scanner's duties on the Wanyuan preset (warn 4 working hours ahead, severe
// after 3 working days, supervision after 1, 3, 5, 10, 15), with instants counted by hand
// on the 2026 calendar around National Day (Oct 1–7 off, Sat Oct 10 worked).

const cst = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h - 8, min);
const POLICY = POLICY_PRESETS.wanyuan;
const TERMS: AppealTerms = { kind: 'complaint', urgency: 'yellow' };
// Recorded Tue 29 Sep 15:00: the one-day dispatch clock runs out Wed 30 Sep 15:00.
const RECORDED = cst(2026, 9, 29, 15);
const DUE = cst(2026, 9, 30, 15);

/** One scanner pass: the duties owed at `now`, appended as system events (via step). */
function scan(state: AppealState, now: number, terms = TERMS, policy: DeadlinePolicy = POLICY): { state: AppealState; duties: Duty[] } {
  const duties = deadlineDuties(state, terms, policy, now);
  let s = state;
  for (const d of duties) {
    const e = dutyEvent(d, newId(), now, s.lastAppliedId);
    expect(e).toMatchObject({ actor: SYSTEM, role: SYSTEM, at: now, basis: s.lastAppliedId });
    expect(refusal(s, e)).toBeNull();
    s = step(s, e);
  }
  return { state: s, duties };
}

const warned = (stage: 'due_soon' | 'overdue' | 'severe', dueAt = DUE): Duty => ({
  type: 'warned',
  stage,
  dueAt,
  notify: stage === 'due_soon' ? ['handler'] : ['handler', 'leader'],
});
const supervised = (level: number): Duty => ({ type: 'supervised', level });

describe('the scanner walks the ladder once, rung by rung', () => {
  it('owes each warning and each supervision level exactly once, at its threshold', () => {
    const timeline: [number, Duty[]][] = [
      [cst(2026, 9, 29, 16), []], // 1 h + 6 h left
      [cst(2026, 9, 30, 10, 59), []],
      [cst(2026, 9, 30, 11), [warned('due_soon')]], // 4 working hours left
      [cst(2026, 9, 30, 15), []], // due now: still due_soon, already given
      [cst(2026, 9, 30, 15, 1), [warned('overdue')]],
      [cst(2026, 10, 5, 12), []], // the holiday adds no overdue time
      [cst(2026, 10, 8, 14, 59), []],
      [cst(2026, 10, 8, 15), [supervised(1)]], // 1 working day late: hotline
      [cst(2026, 10, 10, 14, 59), []],
      [cst(2026, 10, 10, 15), [warned('severe'), supervised(2)]], // 3 days (Thu 8, Fri 9, Sat 10): media
      [cst(2026, 10, 13, 15), [supervised(3)]], // 5 days (… Mon 12, Tue 13): government
      [cst(2026, 10, 20, 14, 59), []],
      [cst(2026, 10, 20, 15), [supervised(4)]], // 10 days (… Wed 14 – Fri 16, Mon 19, Tue 20): congress
      [cst(2026, 10, 27, 15), [supervised(5)]], // 15 days (… Wed 21 – Fri 23, Mon 26, Tue 27): discipline
      [cst(2026, 12, 1), []], // nothing above the top rung
    ];
    let state = fold([ev('recorded', { at: RECORDED })], 'appeal');
    for (const [now, expected] of timeline) {
      const pass = scan(state, now);
      expect(pass.duties, new Date(now).toISOString()).toEqual(expected);
      state = pass.state;
      // Idempotent: scanning again at the same moment owes nothing.
      expect(deadlineDuties(state, TERMS, POLICY, now)).toEqual([]);
    }
    expect(state.warned).toEqual([`due_soon@${DUE}`, `overdue@${DUE}`, `severe@${DUE}`]);
    expect(state.supervisionLevel).toBe(5);
    expect(state.conflicts).toEqual([]);
  });

  it('a scanner that was down catches up in one pass: the current warning and the earned rung', () => {
    const state = fold([ev('recorded', { at: RECORDED })], 'appeal');
    expect(deadlineDuties(state, TERMS, POLICY, cst(2026, 10, 27, 15))).toEqual([warned('severe'), supervised(5)]);
    expect(deadlineDuties(state, TERMS, POLICY, cst(2026, 10, 13, 16))).toEqual([warned('severe'), supervised(3)]);
    expect(deadlineDuties(state, TERMS, POLICY, cst(2026, 10, 8, 15))).toEqual([warned('overdue'), supervised(1)]);
  });

  it('supervision a person already raised is not repeated below it', () => {
    const leader = { id: 'u-leader', role: 'leader' as const };
    const state = fold([ev('recorded', { at: RECORDED }), ev('supervised', { level: 3, at: cst(2026, 10, 9, 10) }, leader)], 'appeal');
    expect(deadlineDuties(state, TERMS, POLICY, cst(2026, 10, 13, 15))).toEqual([warned('severe')]);
    expect(deadlineDuties(state, TERMS, POLICY, cst(2026, 10, 20, 15))).toEqual([warned('severe'), supervised(4)]);
  });

  it('a new clock is warned afresh; the ladder already climbed stays', () => {
    let state = fold([ev('recorded', { at: RECORDED })], 'appeal');
    state = scan(state, cst(2026, 10, 27, 15)).state;
    // Assigned Wed 28 Oct 10:00: a complaint gets 5 working days, due Wed 4 Nov 10:00
    // (Thu 29, Fri 30, Mon 2, Tue 3, Wed 4).
    state = step(state, ev('assigned', { at: cst(2026, 10, 28, 10), tier: 'town' }));
    const due = cst(2026, 11, 4, 10);
    expect(deadlineDuties(state, TERMS, POLICY, cst(2026, 11, 3, 12))).toEqual([]); // 5 h + 1 h left
    expect(scan(state, cst(2026, 11, 3, 14)).duties).toEqual([warned('due_soon', due)]); // 3 h + 1 h left
    // One working day late (7 h on Wed 4, 1 h on Thu 5): overdue, but the ladder is already at the top.
    expect(deadlineDuties(state, TERMS, POLICY, cst(2026, 11, 5, 10))).toEqual([warned('overdue', due)]);
  });

  it('the return visit has its clock too', () => {
    // Replied Mon 2 Mar 10:00; the visit is due 3 working days later, Thu 5 Mar 10:00.
    const state = fold([ev('recorded', { at: cst(2026, 2, 27, 9) }), ev('assigned', { at: cst(2026, 2, 27, 10) }), ev('replied', { at: cst(2026, 3, 2, 10) })], 'appeal');
    expect(deadlineDuties(state, TERMS, POLICY, cst(2026, 3, 5, 6))).toEqual([warned('due_soon', cst(2026, 3, 5, 10))]);
    expect(deadlineDuties(state, TERMS, POLICY, cst(2026, 3, 5, 10, 1))).toEqual([warned('overdue', cst(2026, 3, 5, 10))]);
  });

  it('owes nothing to visited, closed or merged appeals, however late', () => {
    const late = cst(2027, 6, 1);
    const replied = [ev('recorded', { at: RECORDED }), ev('assigned', { at: RECORDED + 1 }), ev('replied', { at: RECORDED + 2 })];
    for (const tail of [[ev('visited')], [ev('visited', { satisfaction: 'unsatisfied' })], [ev('visited'), ev('closed')]]) {
      expect(deadlineDuties(fold([...replied, ...tail]), TERMS, POLICY, late)).toEqual([]);
    }
    expect(deadlineDuties(fold([ev('recorded', { at: RECORDED }), ev('merged', { into: newId() })]), TERMS, POLICY, late)).toEqual([]);
    expect(deadlineDuties(fold([]), TERMS, POLICY, late)).toEqual([]);
  });
});

describe('scanner properties', () => {
  const kinds = fc.constantFrom<Kind>('consultation', 'help', 'complaint', 'suggestion', 'special');
  const urgencies = fc.constantFrom<Urgency>('red', 'orange', 'yellow');
  const policies = fc.constantFrom<DeadlinePolicy>(POLICY_PRESETS.wanyuan, POLICY_PRESETS.lanling, POLICY_PRESETS.linyi);
  type Act = { type: 'accepted' | 'assigned' | 'started' | 'escalated' | 'replied' | 'reopened' | 'closed' | 'merged'; sat?: 'satisfied' | 'unsatisfied' } | { type: 'visited'; sat: 'satisfied' | 'unsatisfied' };
  const actArb: fc.Arbitrary<Act> = fc.oneof(
    fc.constantFrom<Act>({ type: 'accepted' }, { type: 'assigned' }, { type: 'started' }, { type: 'escalated' }, { type: 'replied' }, { type: 'reopened' }, { type: 'closed' }, { type: 'merged' }),
    fc.constantFrom<Act>({ type: 'visited', sat: 'satisfied' }, { type: 'visited', sat: 'unsatisfied' }),
  );
  /** People's steps and scanner passes, interleaved in time. */
  const timelineArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 3 * 86_400_000 }), fc.option(actArb, { nil: null })), { minLength: 1, maxLength: 25 });

  it('a second pass at the same moment owes nothing; duties always apply; supervision never falls; no warning twice', () => {
    fc.assert(
      fc.property(timelineArb, kinds, urgencies, policies, (timeline, kind, urgency, policy) => {
        const terms = { kind, urgency };
        let now = cst(2026, 1, 5, 9);
        let state = fold([ev('recorded', { at: now })], 'appeal');
        for (const [gap, act] of timeline) {
          now += gap;
          if (act) {
            const e = act.type === 'visited' ? ev('visited', { at: now, satisfaction: act.sat }) : act.type === 'merged' ? ev('merged', { at: now, into: newId() }) : ev(act.type, { at: now });
            if (refusal(state, e) === null) state = step(state, e);
            continue;
          }
          const level = state.supervisionLevel;
          const pass = scan(state, now, terms, policy);
          state = pass.state;
          expect(deadlineDuties(state, terms, policy, now)).toEqual([]);
          expect(state.supervisionLevel).toBeGreaterThanOrEqual(level);
          expect(state.supervisionLevel).toBeLessThanOrEqual(5);
          expect(new Set(state.warned).size).toBe(state.warned.length);
          if (state.stage === null) expect(pass.duties).toEqual([]);
        }
        expect(state.conflicts).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('step and fold agree on the scanner’s events', () => {
    const events: AppealEvent[] = [ev('recorded', { at: RECORDED })];
    let state = fold(events, 'appeal');
    for (const now of [cst(2026, 9, 30, 12), cst(2026, 10, 8, 16), cst(2026, 10, 27, 16)]) {
      for (const d of deadlineDuties(state, TERMS, POLICY, now)) {
        const e = dutyEvent(d, newId(), now, state.lastAppliedId);
        events.push(e);
        state = step(state, e);
      }
    }
    expect(fold(events, 'appeal')).toEqual(state);
    expect(events.map((e) => e.type)).toEqual(['recorded', 'warned', 'warned', 'supervised', 'warned', 'supervised']);
  });
});
