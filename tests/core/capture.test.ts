import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { checkUpdate, type CheckContext, type UpdateCheck } from '../../src/core/accept';
import { validateAppealInput } from '../../src/core/appeal';
import { attachmentProblem, contentMatches, MAX_ATTACHMENT_BYTES, sniffType, validAttachmentRefs } from '../../src/core/attachments';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, fieldsOf, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { foldMeeting, projectMeeting, validateMeetingInput, writeNewMeeting, type MeetingEvent, type MeetingInput } from '../../src/core/meeting';
import { project } from '../../src/core/projection';
import { regionMatches } from '../../src/core/regions';
import type { SessionUser } from '../../src/core/roles';
import { OTHER_TOWN_VILLAGE, VILLAGE, gridWorker, knownVillage, townOfficial, validInput } from './fixtures';

// Field capture rules: attachments by hash, appeals solved on the spot, bench meetings and
// their good ideas, the village picker's pinyin search.

const HASH = 'a'.repeat(64);
const bench: SessionUser = { ...gridWorker, id: 'u-bench', username: 'bench1', displayName: 'Bench One', role: 'bench_facilitator' };
const ctx = (user: SessionUser): CheckContext => ({ user, knownVillage, policy: POLICY_PRESETS.lanling });
const reason = (r: UpdateCheck) => (r.ok ? 'ok' : `${r.reason}: ${r.detail}`);

describe('attachments', () => {
  it('accepts the media kinds in their size limits and names the problem otherwise', () => {
    expect(attachmentProblem('image/jpeg', 300_000)).toBeNull();
    expect(attachmentProblem('audio/webm;codecs=opus', 90_000)).toBeNull();
    expect(attachmentProblem('video/mp4', MAX_ATTACHMENT_BYTES.video)).toBeNull();
    expect(attachmentProblem('video/mp4', MAX_ATTACHMENT_BYTES.video + 1)).toBe('too_large');
    expect(attachmentProblem('application/pdf', 1000)).toBe('wrong_type');
    expect(attachmentProblem('image/jpeg', 0)).toBe('empty');
    // A camera photo may be large before compression, not after.
    expect(attachmentProblem('image/jpeg', 8_000_000, 'picked')).toBeNull();
    expect(attachmentProblem('image/jpeg', 8_000_000)).toBe('too_large');
  });

  it('tells file content from its label', () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0]);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const webm = new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0, 0]);
    const mp4 = new Uint8Array([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70]);
    const html = new TextEncoder().encode('<html><script>');
    expect(contentMatches('image/jpeg', sniffType(jpeg))).toBe(true);
    expect(contentMatches('image/jpeg', sniffType(png))).toBe(false);
    expect(contentMatches('audio/webm', sniffType(webm))).toBe(true);
    expect(contentMatches('video/webm', sniffType(webm))).toBe(true);
    expect(contentMatches('video/mp4', sniffType(mp4))).toBe(true);
    expect(contentMatches('image/png', sniffType(html))).toBe(false);
  });

  it('checks the list a document carries', () => {
    const ref = { hash: HASH, type: 'image/jpeg', size: 1000 };
    expect(validAttachmentRefs([ref])).toBe(true);
    expect(validAttachmentRefs([ref, ref])).toBe(false);
    expect(validAttachmentRefs([{ ...ref, hash: 'xyz' }])).toBe(false);
    expect(validAttachmentRefs([{ ...ref, blob: 'inline bytes' }])).toBe(false);
    expect(validAttachmentRefs([{ ...ref, type: 'text/html' }])).toBe(false);
  });
});

describe('appeals from the field', () => {
  it('links an appeal to a bench meeting only through the bench-meeting channel', () => {
    const meetingId = newId();
    expect(validateAppealInput(validInput({ channel: 'bench_meeting', meetingId }), knownVillage).ok).toBe(true);
    const r = validateAppealInput(validInput({ channel: 'grid_patrol', meetingId }), knownVillage);
    expect(r.ok ? null : r.errors.meetingId).toBe('meeting_needs_bench_channel');
  });

  it('folds an appeal solved on the spot to replied, with the return visit still owed', () => {
    const doc = new Y.Doc();
    writeNewAppeal(doc, validInput({ onSpot: '当场联系村电工修好了路灯' }), { id: bench.id, role: bench.role }, 1_700_000_000_000, newId());
    const snap = readAppeal(doc, newId());
    // The answer lives in the event, not in the fields.
    expect(fieldsOf(doc).has('onSpot')).toBe(false);
    const state = fold(snap.events, snap.id);
    expect(state).toMatchObject({ status: 'replied', stage: 'visit', onSpot: true, tier: 'village' });
    expect(project(snap, POLICY_PRESETS.lanling)).toMatchObject({ status: 'replied', onSpot: true, dueAt: expect.any(Number) });
  });

  it('keeps attachment references in the document and refuses inline bytes', () => {
    const doc = new Y.Doc();
    writeNewAppeal(doc, validInput({ citizen: { anonymous: true }, attachments: [{ hash: HASH, type: 'image/jpeg', size: 1000 }] }), { id: gridWorker.id, role: gridWorker.role }, 1_700_000_000_000, newId());
    expect(reason(checkUpdate(newId(), null, Y.encodeStateAsUpdate(doc), ctx(gridWorker)))).toBe('ok');
    fieldsOf(doc).set('attachments', [{ hash: HASH, type: 'image/jpeg', size: 1000, bytes: 'AAAA' }]);
    expect(reason(checkUpdate(newId(), null, Y.encodeStateAsUpdate(doc), ctx(gridWorker)))).toMatch(/^invalid_fields: attachments/);
  });
});

describe('bench meetings', () => {
  const input = (over: Partial<MeetingInput> = {}): MeetingInput => ({ villageCode: VILLAGE, heldOn: '2026-11-20', place: '村委会门前', attendees: 23, topics: '冬季取暖、道路维修', ...over });
  const event = (user: SessionUser, e: { type: 'idea'; text: string; adopted: boolean | null } | { type: 'idea_decided'; idea: string; adopted: boolean }) => ({ ...e, id: newId(), actor: user.id, role: user.role, at: 1_700_000_100_000 }) as MeetingEvent;

  function held(by: SessionUser = bench) {
    const id = newId();
    const doc = new Y.Doc();
    writeNewMeeting(doc, input(), { id: by.id, role: by.role }, 1_700_000_000_000, newId());
    return { id, doc };
  }
  function change(server: Y.Doc, fn: (client: Y.Doc) => void): Uint8Array {
    const client = new Y.Doc();
    Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
    const sv = Y.encodeStateVector(server);
    fn(client);
    return Y.encodeStateAsUpdate(client, sv);
  }

  it('validates where, when, how many and what', () => {
    expect(validateMeetingInput(input(), knownVillage).ok).toBe(true);
    const bad = validateMeetingInput({ ...input(), heldOn: '2026-02-30', attendees: 0, topics: ' ', villageCode: '371324102999' }, knownVillage);
    expect(bad.ok ? [] : bad.errors.sort()).toEqual(['attendees', 'heldOn', 'topics', 'villageCode']);
  });

  it('is created by a recording role in its own village only', () => {
    const m = held();
    expect(reason(checkUpdate(m.id, null, Y.encodeStateAsUpdate(m.doc), ctx(bench)))).toBe('ok');
    const dept: SessionUser = { ...townOfficial, id: 'u-dept', role: 'dept_handler', scope: { regions: ['371324'], departments: ['water'] } };
    const byDept = held(dept);
    expect(reason(checkUpdate(byDept.id, null, Y.encodeStateAsUpdate(byDept.doc), ctx(dept)))).toMatch(/^forbidden/);
    const far = new Y.Doc();
    writeNewMeeting(far, input({ villageCode: OTHER_TOWN_VILLAGE }), { id: bench.id, role: bench.role }, 1, newId());
    expect(reason(checkUpdate(newId(), null, Y.encodeStateAsUpdate(far), ctx(bench)))).toMatch(/^out_of_scope/);
  });

  it('collects ideas from anyone recording in the village; the facilitator or an official decides them', () => {
    const m = held();
    const idea = event(gridWorker, { type: 'idea', text: '在村口装两盏太阳能路灯', adopted: null });
    const add = change(m.doc, (c) => appendEvent(c, idea));
    expect(reason(checkUpdate(m.id, m.doc, add, ctx(gridWorker)))).toBe('ok');
    Y.applyUpdate(m.doc, add);

    const byGrid = change(m.doc, (c) => appendEvent(c, event(gridWorker, { type: 'idea_decided', idea: idea.id, adopted: true })));
    expect(reason(checkUpdate(m.id, m.doc, byGrid, ctx(gridWorker)))).toBe('forbidden: idea_decided: role_not_allowed');
    const unknown = change(m.doc, (c) => appendEvent(c, event(townOfficial, { type: 'idea_decided', idea: newId(), adopted: true })));
    expect(reason(checkUpdate(m.id, m.doc, unknown, ctx(townOfficial)))).toMatch(/^invalid_transition/);
    const adopt = change(m.doc, (c) => appendEvent(c, event(townOfficial, { type: 'idea_decided', idea: idea.id, adopted: true })));
    expect(reason(checkUpdate(m.id, m.doc, adopt, ctx(townOfficial)))).toBe('ok');
    Y.applyUpdate(m.doc, adopt);

    const snap = readAppeal(m.doc, m.id);
    expect(foldMeeting(snap.events).ideas).toEqual([expect.objectContaining({ text: '在村口装两盏太阳能路灯', adopted: true })]);
    expect(projectMeeting(snap)).toMatchObject({ village: VILLAGE, town: '371324102000', attendees: 23, ideas: 1, adopted: 1 });
  });

  it('a decision slipped in before the stored one, to undo it, is refused: history_rewritten', () => {
    const m = held();
    const idea = event(gridWorker, { type: 'idea', text: '修缮村小学围墙', adopted: null });
    Y.applyUpdate(m.doc, change(m.doc, (c) => appendEvent(c, idea)));
    Y.applyUpdate(m.doc, change(m.doc, (c) => appendEvent(c, event(townOfficial, { type: 'idea_decided', idea: idea.id, adopted: true }))));
    const events = (c: Y.Doc) => c.getArray('events');
    const slipped = change(m.doc, (c) => events(c).insert(events(c).length - 1, [event(townOfficial, { type: 'idea_decided', idea: idea.id, adopted: false })]));
    expect(reason(checkUpdate(m.id, m.doc, slipped, ctx(townOfficial)))).toMatch(/^history_rewritten/);
    // The same decision appended after the stored one is a change of mind, and allowed.
    const after = change(m.doc, (c) => appendEvent(c, event(townOfficial, { type: 'idea_decided', idea: idea.id, adopted: false })));
    expect(reason(checkUpdate(m.id, m.doc, after, ctx(townOfficial)))).toBe('ok');
  });

  it('never turns into an appeal, nor an appeal into a meeting', () => {
    const m = held();
    const forged = change(m.doc, (c) => fieldsOf(c).delete('form'));
    expect(reason(checkUpdate(m.id, m.doc, forged, ctx(bench)))).toMatch(/^fields_rewritten/);
  });
});

describe('village search', () => {
  it('finds a village by part of its name or by pinyin initials, every reading counted', () => {
    const chongfang = { name: '重坊村', initials: ['zc', 'f', 'c'] };
    expect(regionMatches(chongfang, '重坊')).toBe(true);
    expect(regionMatches(chongfang, 'cf')).toBe(true);
    expect(regionMatches(chongfang, 'ZF')).toBe(true);
    expect(regionMatches(chongfang, 'fc')).toBe(true);
    expect(regionMatches(chongfang, 'cx')).toBe(false);
    expect(regionMatches({ name: '大仲村' }, 'dzc')).toBe(false);
  });
});
