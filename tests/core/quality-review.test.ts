import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addWorkingMinutes, cstInstant, workingMinutesBetween } from '../../src/core/calendar';
import { deadlineOf, parsePolicy, POLICY_PRESETS } from '../../src/core/deadline';
import { project } from '../../src/core/projection';
import { isAppealEvent, type AppealEvent } from '../../src/core/events';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { passedReview, rankUnits, wasReviewed, weekOf, type RankRow } from '../../src/core/metrics';
import { inQueue } from '../../src/core/queues';
import { awaitsReview, inQualitySample, SAMPLE_PERCENT } from '../../src/core/reply-quality';
import type { SessionUser } from '../../src/core/roles';
import { ev } from './fixtures';

// 全流程质检: a reviewer's verdict on the standing reply. A redo sends it back to the same
// owner with the handling clock resumed; the sample is the same everywhere; the rankings
// count passes at the first attempt.

const POLICY = POLICY_PRESETS.lanling;
const TERMS = { kind: 'complaint', urgency: 'yellow' } as const;
const reviewer = { id: 'u-reviewer', role: 'quality_reviewer' } as const;
const verdict = (reply: string, v: 'passed' | 'redo', over: Partial<AppealEvent> = {}) =>
  ev('quality_reviewed', { verdict: v, reply, note: v === 'redo' ? '没有写明何时修好' : undefined, ...over } as never, reviewer);

describe('a verdict on the standing reply', () => {
  it('redo: back to its owner in progress, the rating cleared, the verdict kept until the next reply', () => {
    const reply = ev('replied');
    const handler = newId();
    const events = [ev('recorded'), ev('assigned', { to: 'village', handler }), reply, ev('visited'), verdict(reply.id, 'redo')];
    const s = fold(events);
    expect(s).toMatchObject({ status: 'in_progress', handler, tier: 'village', satisfaction: null, quality: 'redo', redoCount: 1, stage: 'handle', conflicts: [] });
    const again = ev('replied', { note: '已于11月28日更换水泵，供水恢复' });
    const after = fold([...events, again]);
    expect(after).toMatchObject({ status: 'replied', quality: null, lastReplyId: again.id, redoCount: 1 });
    // The new reply can be reviewed in turn; the old one no longer can.
    expect(fold([...events, again, verdict(again.id, 'passed')])).toMatchObject({ quality: 'passed', conflicts: [] });
    expect(fold([...events, again, verdict(reply.id, 'passed')]).conflicts.map((c) => c.reason)).toEqual(['stale_reply']);
  });

  it('one verdict per reply; a closed case can pass but not be redone', () => {
    const reply = ev('replied');
    const base = [ev('recorded'), ev('assigned'), reply];
    expect(fold([...base, verdict(reply.id, 'passed'), verdict(reply.id, 'redo')]).conflicts.map((c) => c.reason)).toEqual(['already_reviewed']);
    const closed = [...base, ev('visited'), ev('closed')];
    expect(fold([...closed, verdict(reply.id, 'passed')])).toMatchObject({ status: 'closed', quality: 'passed', conflicts: [] });
    expect(fold([...closed, verdict(reply.id, 'redo')]).conflicts.map((c) => c.reason)).toEqual(['invalid_transition']);
  });

  it('an answer given on the spot is a reply a reviewer judges', () => {
    const recorded = ev('recorded', { onSpot: '当场调解，双方同意' });
    const s = fold([recorded, verdict(recorded.id, 'redo')]);
    expect(s).toMatchObject({ status: 'in_progress', redoCount: 1, stage: 'handle', stageStartedAt: expect.any(Number) });
  });

  it('shape: a redo needs a note; rules are known and distinct', () => {
    const ok = verdict(newId(), 'redo', { rules: ['boilerplate', 'no_action'] } as never);
    expect(isAppealEvent(ok)).toBe(true);
    expect(isAppealEvent({ ...ok, note: undefined })).toBe(false);
    expect(isAppealEvent({ ...ok, note: '  ' })).toBe(false);
    expect(isAppealEvent({ ...ok, rules: ['boilerplate', 'boilerplate'] })).toBe(false);
    expect(isAppealEvent({ ...ok, rules: ['rude'] })).toBe(false);
    expect(isAppealEvent({ ...ok, verdict: 'maybe' })).toBe(false);
    expect(isAppealEvent({ ...ok, reply: 'not-an-id' })).toBe(false);
    expect(isAppealEvent({ ...verdict(newId(), 'passed'), note: undefined })).toBe(true);
  });
});

describe('the handling clock resumes after a redo', () => {
  // Minute-aligned instants in working weeks of late 2026 (China time), in order.
  const start = cstInstant(20_400, 9 * 60); // a day in November 2026
  const minute = 60_000;
  const spans = fc.tuple(fc.integer({ min: 0, max: 20 * 24 * 60 }), fc.integer({ min: 0, max: 20 * 24 * 60 }), fc.integer({ min: 0, max: 20 * 24 * 60 }));

  it('the wait for review is never counted: a redo at once gives back the deadline the reply stopped (or none, for a late reply)', () => {
    fc.assert(
      fc.property(spans, ([toAssign, toReply]) => {
        const assigned = ev('assigned', { to: 'village', at: start + toAssign * minute });
        const unreplied = fold([ev('recorded', { at: start }), assigned]);
        const due = deadlineOf(unreplied, TERMS, POLICY)!.dueAt;
        const repliedAt = assigned.at + toReply * minute;
        const reply = ev('replied', { at: repliedAt });
        const redone = fold([ev('recorded', { at: start }), assigned, reply, verdict(reply.id, 'redo', { at: repliedAt })]);
        expect(redone.conflicts).toEqual([]);
        expect(deadlineOf(redone, TERMS, POLICY)!.dueAt).toBe(repliedAt <= due ? due : addWorkingMinutes(repliedAt, 0, POLICY.hours));
      }),
      { numRuns: 200 },
    );
  });

  it('after any wait the owner has exactly the working time the reply left unused (none when it was late)', () => {
    fc.assert(
      fc.property(spans, ([toReply, wait]) => {
        const assigned = ev('assigned', { to: 'village', at: start });
        const allowed = deadlineOf(fold([ev('recorded', { at: start }), assigned]), TERMS, POLICY)!.allowedMinutes;
        const repliedAt = start + toReply * minute;
        const reply = ev('replied', { at: repliedAt });
        const redoAt = repliedAt + wait * minute;
        const s = fold([ev('recorded', { at: start }), assigned, reply, verdict(reply.id, 'redo', { at: redoAt })]);
        const left = Math.max(0, allowed - workingMinutesBetween(start, repliedAt, POLICY.hours));
        expect(deadlineOf(s, TERMS, POLICY)!.dueAt).toBe(addWorkingMinutes(redoAt, left, POLICY.hours));
      }),
      { numRuns: 200 },
    );
  });

  it('a reassignment starts a fresh clock: what the previous owner spent no longer counts', () => {
    const assigned = ev('assigned', { to: 'village', handler: newId(), at: start });
    const reply = ev('replied', { at: start + 3 * 24 * 60 * minute });
    const redo = verdict(reply.id, 'redo', { at: reply.at + minute });
    const moved = ev('reassigned', { to: 'village', handler: newId(), reason: '换人办理', at: redo.at + minute });
    const s = fold([ev('recorded', { at: start }), assigned, reply, redo, moved]);
    expect(s.handleSpent).toEqual([]);
    expect(deadlineOf(s, TERMS, POLICY)!.allowedMinutes).toBe(deadlineOf(fold([ev('recorded', { at: start }), assigned]), TERMS, POLICY)!.allowedMinutes);
  });
});

describe('what waits for a reviewer', () => {
  const reviewerUser: SessionUser = { id: 'u-reviewer', username: 'r', displayName: 'r', role: 'quality_reviewer', scope: { regions: ['371324'], departments: [] } };
  const row = (over: object = {}) => ({
    status: 'replied', tier: 'village', dept: null, handler: null, createdBy: 'g', dueAt: null, supervisionLevel: 0, returns: 0, review: null,
    replyId: null, quality: null, qualityFlags: [], redoCount: 0, mediator: null, mediationOutcome: null, ...over,
  }) as Parameters<typeof inQueue>[1];
  const unsampled = Array.from({ length: 200 }, () => newId()).find((id) => !inQualitySample(id))!;
  const sampled = Array.from({ length: 500 }, () => newId()).find((id) => inQualitySample(id))!;

  it('flagged, redone or sampled replies until judged; never one without a reply', () => {
    expect(awaitsReview({ replyId: null, quality: null, qualityFlags: ['too_short'], redoCount: 0 })).toBe(false);
    expect(awaitsReview({ replyId: unsampled, quality: null, qualityFlags: [], redoCount: 0 })).toBe(false);
    expect(awaitsReview({ replyId: unsampled, quality: null, qualityFlags: ['boilerplate'], redoCount: 0 })).toBe(true);
    expect(awaitsReview({ replyId: unsampled, quality: null, qualityFlags: [], redoCount: 1 })).toBe(true);
    expect(awaitsReview({ replyId: sampled, quality: null, qualityFlags: [], redoCount: 0 })).toBe(true);
    expect(awaitsReview({ replyId: sampled, quality: 'passed', qualityFlags: ['boilerplate'], redoCount: 0 })).toBe(false);
    expect(inQueue('quality', row({ replyId: unsampled, qualityFlags: ['no_action'] }), reviewerUser, 0)).toBe(true);
    expect(inQueue('redo', row({ status: 'in_progress', replyId: unsampled, quality: 'redo' }), reviewerUser, 0)).toBe(true);
    expect(inQueue('redo', row({ status: 'replied', replyId: unsampled, quality: null, redoCount: 1 }), reviewerUser, 0)).toBe(false);
  });

  it(`the sample draws about ${SAMPLE_PERCENT}% of replies, the same on every device`, () => {
    const ids = Array.from({ length: 20_000 }, () => newId());
    const share = ids.filter(inQualitySample).length / ids.length;
    expect(share).toBeGreaterThan(SAMPLE_PERCENT / 100 - 0.015);
    expect(share).toBeLessThan(SAMPLE_PERCENT / 100 + 0.015);
    expect(ids.slice(0, 50).map(inQualitySample)).toEqual(ids.slice(0, 50).map(inQualitySample));
  });
});

describe('quality and return visits in the rankings', () => {
  const week = weekOf(cstInstant(20_420, 12 * 60));
  const at = week.from + 3_600_000;
  const r = (id: string, over: Partial<RankRow>): RankRow => ({
    id, town: 't', dept: null, tier: 'town', village: `v${id}`, category: `c${id}`, createdAt: at, repliedAt: at + 1000, onTime: true, handlingMinutes: 60,
    satisfaction: null, reopenCount: 0, mergedInto: null, returns: 0, reassigns: 0, dispatchMinutes: null, ...over,
  });

  it('hand-worked: 5 answered, 4 reviewed (2 passed first time, 1 passed after a redo, 1 sent back), 3 called back', () => {
    const rows = [
      r('1', { quality: 'passed', satisfaction: 'satisfied' }),
      r('2', { quality: 'passed', satisfaction: 'basically_satisfied' }),
      r('3', { quality: 'passed', redoCount: 1, satisfaction: 'unsatisfied' }),
      r('4', { quality: 'redo', redoCount: 1 }),
      r('5', {}),
    ];
    const [unit] = rankUnits(rows, (x) => x.town, week, POLICY.hours, new Set());
    expect(unit).toMatchObject({ answered: 5, rated: 3, visitRate: 3 / 5, qualityReviewed: 4, qualityPassRate: 2 / 4 });
    expect(rows.filter(wasReviewed).map((x) => x.id)).toEqual(['1', '2', '3', '4']);
    expect(rows.filter(passedReview).map((x) => x.id)).toEqual(['1', '2']);
  });

  it('no review, no rate: a unit nobody reviewed shows no pass rate rather than 0%', () => {
    const [unit] = rankUnits([r('1', {})], (x) => x.town, week, POLICY.hours, new Set());
    expect(unit).toMatchObject({ qualityReviewed: 0, qualityPassRate: null, visitRate: 0 });
  });
});

describe('a county’s own boilerplate library, carried with its policy', () => {
  const reply = ev('replied', { note: '经研究研究，此事正在走程序，请您理解支持。' });
  const snapshot = (events: AppealEvent[]) => ({ id: 'a', fields: { villageCode: '371324102201', kind: 'help', urgency: 'orange', createdAt: 0 }, description: 'x', events }) as never;
  const history = [ev('recorded'), ev('assigned'), reply];

  it('flags what the county listed and the default library does not', () => {
    expect(project(snapshot(history), POLICY).qualityFlags).toEqual(['no_action']);
    const own = { ...POLICY, replyPhrases: ['研究研究', '走程序'] };
    expect(project(snapshot(history), own).qualityFlags).toEqual(['boilerplate', 'no_action']);
    expect(project(snapshot(history), own).replyId).toBe(reply.id);
  });

  it('is checked like the rest of the policy: bounded, no empty or one-character phrases', () => {
    expect(parsePolicy({ ...POLICY, replyPhrases: ['研究研究'] }).ok).toBe(true);
    expect(parsePolicy({ ...POLICY, replyPhrases: ['研'] })).toMatchObject({ ok: false, error: expect.stringContaining('replyPhrases') });
    expect(parsePolicy({ ...POLICY, replyPhrases: Array.from({ length: 201 }, (_, i) => `套话${i}`) }).ok).toBe(false);
    expect(parsePolicy({ ...POLICY, replyPhrases: 'x' }).ok).toBe(false);
  });
});
