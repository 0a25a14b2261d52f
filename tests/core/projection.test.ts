import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { appendEvent, readAppeal, writeNewAppeal, type AppealSnapshot } from '../../src/core/doc';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { project as projectWith, titleOf } from '../../src/core/projection';
import type { AppealState } from '../../src/core/fold';
import { addWorkingMinutes } from '../../src/core/calendar';
import { ev, gridWorker, validInput, VILLAGE } from './fixtures';

/** No lone surrogates (String.prototype.isWellFormed is ES2024, beyond the project's lib). */
const wellFormed = (s: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

function snapshotOf(description = validInput().description, events: unknown[] = [], citizen = validInput().citizen): AppealSnapshot {
  const doc = new Y.Doc();
  const id = newId();
  writeNewAppeal(doc, validInput({ description, citizen }), { id: gridWorker.id, role: gridWorker.role }, 1_700_000_000_000, newId());
  for (const e of events) appendEvent(doc, e as never);
  return readAppeal(doc, id);
}

const POLICY = POLICY_PRESETS.wanyuan;
const project = (snap: AppealSnapshot, state?: AppealState) => projectWith(snap, POLICY, state);

describe('titleOf', () => {
  it('takes the first line of the trimmed description', () => {
    expect(titleOf('\n\n  路灯不亮  \n第二行')).toBe('路灯不亮');
    expect(titleOf('one line')).toBe('one line');
    expect(titleOf('')).toBe('');
    expect(titleOf('   ')).toBe('');
  });

  it('ends the first line at CRLF and CR too', () => {
    expect(titleOf('路灯不亮\r\n第二行')).toBe('路灯不亮');
    expect(titleOf('路灯不亮\r第二行')).toBe('路灯不亮');
  });

  it('keeps 80 characters whole and cuts longer lines to 79 plus an ellipsis', () => {
    const eighty = '路'.repeat(80);
    expect(titleOf(eighty)).toBe(eighty);
    const long = '路'.repeat(79) + '灯不亮';
    expect(titleOf(long)).toBe('路'.repeat(79) + '…');
    expect(titleOf(long)).toHaveLength(80);
    // Only the first line counts towards the limit.
    expect(titleOf(`短\n${'长'.repeat(500)}`)).toBe('短');
  });

  it('never splits a surrogate pair when cutting', () => {
    const line = 'a'.repeat(78) + '😀'.repeat(5); // the emoji straddles the cut
    const t = titleOf(line);
    expect(t).toBe('a'.repeat(78) + '…');
    expect(wellFormed(t)).toBe(true);
  });

  it('property: titles are one well-formed line of at most 80 chars, a prefix of the description', () => {
    const piece = fc.oneof(fc.constantFrom('\n', '\r', '\r\n', ' ', '\t', '😀', '路', '…'), fc.string({ unit: 'grapheme', maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 120 }).map((p) => p.join('')), (d) => {
        const t = titleOf(d);
        const trimmed = d.trim();
        expect(t.length).toBeLessThanOrEqual(80);
        expect(t).not.toMatch(/[\r\n]/);
        expect(t).toBe(t.trimEnd());
        if (wellFormed(d)) expect(wellFormed(t)).toBe(true);
        expect(trimmed.startsWith(t) || (t.endsWith('…') && trimmed.startsWith(t.slice(0, -1)))).toBe(true);
      }),
    );
  });
});

describe('project', () => {
  it('projects a freshly recorded appeal from its fields and fold', () => {
    const snap = snapshotOf('村东头的路坏了。\n请尽快修复。');
    const p = project(snap);
    expect(p).toEqual({
      id: snap.id,
      status: 'new',
      tier: 'village',
      village: VILLAGE,
      town: '371324102000',
      urgency: 'yellow',
      category: 'infra.roads',
      channel: 'grid_patrol',
      kind: 'complaint',
      dept: null,
      handler: null,
      createdBy: gridWorker.id,
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
      // Wanyuan dispatches within one working day of recording.
      dueAt: addWorkingMinutes(1_700_000_000_000, 480, POLICY.hours),
      stage: 'dispatch',
      supervisionLevel: 0,
      satisfaction: null,
      mergedInto: null,
      repeatOf: null,
      title: '村东头的路坏了。',
      anonymous: false,
      conflicts: 0,
      reopenCount: 0,
      meetingId: null,
      onSpot: false,
      attachments: 0,
      lat: null,
      lng: null,
      repliedAt: null,
      closedAt: null,
      onTime: null,
      handlingMinutes: null,
      evalCode: snap.fields.evalCode,
      publishedAt: null,
      publicSummary: null,
      publicReply: null,
      campaignId: null,
      adopted: false,
      receptionSlot: null,
      returns: 0,
      reassigns: 0,
      review: null,
      unreasonable: null,
      leadTier: null,
      reached: 'village',
      dispatchMinutes: null,
      qualityFlags: [],
      replyId: null,
      quality: null,
      redoCount: 0,
      mediator: null,
      mediationSessions: 0,
      mediationOutcome: null,
    });
    expect(p.evalCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{10}$/);
  });

  it('derives the town from the village code', () => {
    const snap = snapshotOf();
    expect(project({ ...snap, fields: { ...snap.fields, villageCode: '511781105210' } }).town).toBe('511781105000');
    expect(project({ ...snap, fields: { ...snap.fields, villageCode: undefined } })).toMatchObject({ village: '', town: '' });
  });

  it('takes status, tier, dept, conflicts and reopens from the fold of the events', () => {
    const events = [
      ev('escalated', { at: 1_700_000_000_100 }),
      ev('assigned', { tier: 'town', dept: 'water', at: 1_700_000_000_200 }),
      ev('replied', { at: 1_700_000_000_300 }),
      ev('visited', { satisfaction: 'unsatisfied', at: 1_700_000_000_400 }),
      ev('closed', { at: 1_700_000_009_999 }), // refused: unsatisfied
      ev('reopened', { at: 1_700_000_000_500 }),
    ];
    const snap = snapshotOf(undefined, events);
    const p = project(snap);
    expect(p).toMatchObject({ status: 'assigned', tier: 'town', dept: 'water', conflicts: 1, reopenCount: 1 });
    expect(p.updatedAt).toBe(1_700_000_000_500); // the refused close does not move it
    expect(project(snap, fold(snap.events, snap.id))).toEqual(p);
  });

  // Recorded Wednesday 2023-11-15 06:13 (before work starts at 09:00); Wanyuan gives a
  // complaint 5 working days of 8 hours. Assigned Wednesday 10:00, so handling is due
  // Wednesday 22 November 10:00 (420 + 4 × 480 + 60 working minutes later).
  const cst = (s: string) => Date.parse(`${s}+08:00`);
  const assigned = ev('assigned', { tier: 'town', at: cst('2023-11-15T10:00:00') });
  it('marks a reply within the handling deadline on time, and counts working minutes from recording', () => {
    const p = project(snapshotOf(undefined, [assigned, ev('replied', { at: cst('2023-11-21T16:00:00') })]));
    // Wed, Thu, Fri, Mon whole (4 × 480) and Tuesday 09:00–16:00 (420).
    expect(p).toMatchObject({ repliedAt: cst('2023-11-21T16:00:00'), onTime: true, handlingMinutes: 2340, closedAt: null });
  });

  it('marks a reply after the deadline late', () => {
    const p = project(snapshotOf(undefined, [assigned, ev('replied', { at: cst('2023-11-22T11:00:00') })]));
    // One hour past 10:00; 5 × 480 + 120 working minutes after recording.
    expect(p).toMatchObject({ onTime: false, handlingMinutes: 2520 });
  });

  it('keeps the first reply and closure, and any late reply after a reopening spoils on-time', () => {
    const first = [assigned, ev('replied', { at: cst('2023-11-21T16:00:00') }), ev('visited', { satisfaction: 'satisfied', at: cst('2023-11-22T09:30:00') }), ev('closed', { at: cst('2023-11-22T09:40:00') })];
    expect(project(snapshotOf(undefined, first))).toMatchObject({ repliedAt: cst('2023-11-21T16:00:00'), closedAt: cst('2023-11-22T09:40:00'), onTime: true });
    const unhappy = [assigned, ev('replied', { at: cst('2023-11-21T16:00:00') }), ev('visited', { satisfaction: 'unsatisfied', at: cst('2023-11-22T09:30:00') }), ev('reopened', { at: cst('2023-11-22T09:40:00') })];
    // Reopened Wednesday 22 09:40: the new handling clock is due five working days later, Wednesday 29 09:40.
    expect(project(snapshotOf(undefined, [...unhappy, ev('replied', { at: cst('2023-11-29T10:00:00') })]))).toMatchObject({ repliedAt: cst('2023-11-21T16:00:00'), closedAt: null, onTime: false });
    expect(project(snapshotOf(undefined, [...unhappy, ev('replied', { at: cst('2023-11-28T10:00:00') })]))).toMatchObject({ onTime: true });
  });

  it('marks anonymous appeals', () => {
    expect(project(snapshotOf(undefined, [], { anonymous: true })).anonymous).toBe(true);
  });

  it('never reports updatedAt before createdAt', () => {
    const p = project(snapshotOf(undefined, [ev('accepted', { at: 5 })]));
    expect(p.updatedAt).toBe(1_700_000_000_000);
  });

  it('reads as "new" when no recorded event has applied', () => {
    const snap = snapshotOf();
    const p = project({ ...snap, events: [] });
    expect(p.status).toBe('new');
    expect(p.conflicts).toBe(0);
  });
});
