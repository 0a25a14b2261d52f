import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { checkUpdate, type CheckContext, type UpdateCheck } from '../../src/core/accept';
import { APPEAL_FIELD_KEYS, validateStoredFields } from '../../src/core/appeal';
import { MAX_ATTACHMENTS, validAttachmentRefs } from '../../src/core/attachments';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { fieldsOf, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { MAX_ACTOR_ID_CHARS, MAX_CATEGORY_CHARS, MAX_MEDIA_TYPE_CHARS } from '../../src/core/limits';
import { validateMeetingInput, writeNewMeeting, type MeetingInput } from '../../src/core/meeting';
import { gridWorker, knownVillage, validInput, VILLAGE } from './fixtures';

// The `fields` map reaches every device in scope and every leader: only the keys the app
// writes, each of bounded size, are accepted (issue 21).

const ctx: CheckContext = { user: gridWorker, knownVillage, policy: POLICY_PRESETS.lanling };
const reason = (r: UpdateCheck) => (r.ok ? 'ok' : `${r.reason}: ${r.detail}`);
const hash = (i: number) => i.toString(16).padStart(64, '0');
const ref = (i: number, type = 'image/jpeg') => ({ hash: hash(i), type, size: 1000 });

/** A new appeal written as the app writes it, with every optional field present. */
function fullAppeal(): Y.Doc {
  const doc = new Y.Doc();
  const input = validInput({
    channel: 'bench_meeting',
    kind: 'suggestion',
    citizen: { anonymous: true },
    gps: { lat: 34.85, lng: 118.05, accuracy: 8 },
    attachments: Array.from({ length: MAX_ATTACHMENTS }, (_, i) => ref(i + 1)),
    meetingId: newId(),
    campaignId: newId(),
    repeatOf: newId(),
  });
  writeNewAppeal(doc, input, { id: gridWorker.id, role: gridWorker.role }, 1_700_000_000_000, newId());
  return doc;
}

describe('appeal fields in the document', () => {
  const { description, ...input } = validInput();
  const stored = { ...input, citizen: { anonymous: false }, createdBy: 'u-grid', createdAt: 1_700_000_000_000 };

  it('accepts every key the app writes, optional ones included', () => {
    const doc = fullAppeal();
    const fields = fieldsOf(doc).toJSON();
    // Every key but `patrolId`, which needs the patrol channel (tests/core/patrol.test.ts writes it),
    // and a deputy's column, links and shown name, which need the deputy channel (tests/core/deputy.test.ts).
    const elsewhere: readonly string[] = ['patrolId', 'column', 'supports', 'shownAs'];
    expect(Object.keys(fields).sort()).toEqual([...APPEAL_FIELD_KEYS].filter((k) => !elsewhere.includes(k)).sort());
    expect(validateStoredFields(fields, description, knownVillage).ok).toBe(true);
    expect(reason(checkUpdate(newId(), null, Y.encodeStateAsUpdate(doc), ctx))).toBe('ok');
  });

  it.each([
    ['a contact beside the citizen', { phone: '13812345678' }],
    ['a name under another key', { citizenName: '张三' }],
    ['the answer given on the spot (it lives in the event)', { onSpot: '修好了' }],
    ['a copy of the description', { description: '村东头的路坏了' }],
    ['a megabyte of junk', { junk: 'x'.repeat(1 << 20) }],
    ['an empty key', { '': 1 }],
    ['a prototype key', JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>],
  ])('refuses an unknown key: %s', (_, extra) => {
    expect(validateStoredFields({ ...stored, ...extra }, description, knownVillage)).toEqual({ ok: false, errors: { meta: 'unknown_field' } });
  });

  it('refuses an unknown key pushed through the sync check', () => {
    const doc = fullAppeal();
    fieldsOf(doc).set('idCard', '37132419800101123X');
    expect(reason(checkUpdate(newId(), null, Y.encodeStateAsUpdate(doc), ctx))).toBe('invalid_fields: meta: unknown_field');
  });

  it(`bounds createdBy at ${MAX_ACTOR_ID_CHARS} chars`, () => {
    expect(validateStoredFields({ ...stored, createdBy: 'u'.repeat(MAX_ACTOR_ID_CHARS) }, description, knownVillage).ok).toBe(true);
    expect(validateStoredFields({ ...stored, createdBy: 'u'.repeat(MAX_ACTOR_ID_CHARS + 1) }, description, knownVillage)).toEqual({ ok: false, errors: { meta: 'too_long' } });
  });

  it('bounds the category', () => {
    expect(validateStoredFields({ ...stored, category: `infra.roads${' '.repeat(MAX_CATEGORY_CHARS)}` }, description, knownVillage)).toEqual({ ok: false, errors: { category: 'invalid_choice' } });
  });

  it('refuses extra keys inside gps', () => {
    expect(validateStoredFields({ ...stored, gps: { lat: 34.85, lng: 118.05, accuracy: 8 } }, description, knownVillage).ok).toBe(true);
    expect(validateStoredFields({ ...stored, gps: { lat: 34.85, lng: 118.05, note: '张三家' } }, description, knownVillage)).toEqual({ ok: false, errors: { gps: 'invalid_gps' } });
  });

  it(`bounds attachments: at most ${MAX_ATTACHMENTS}, media type at most ${MAX_MEDIA_TYPE_CHARS} chars`, () => {
    const many = Array.from({ length: MAX_ATTACHMENTS + 1 }, (_, i) => ref(i + 1));
    expect(validateStoredFields({ ...stored, attachments: many.slice(0, MAX_ATTACHMENTS) }, description, knownVillage).ok).toBe(true);
    expect(validateStoredFields({ ...stored, attachments: many }, description, knownVillage)).toEqual({ ok: false, errors: { attachments: 'invalid_attachments' } });
    const longType = `audio/webm;codecs=${'o'.repeat(MAX_MEDIA_TYPE_CHARS)}`;
    expect(validAttachmentRefs([ref(1, 'audio/webm;codecs=opus')])).toBe(true);
    expect(validAttachmentRefs([ref(1, longType.slice(0, MAX_MEDIA_TYPE_CHARS))])).toBe(true);
    expect(validAttachmentRefs([ref(1, longType)])).toBe(false);
  });
});

describe('meeting fields in the document', () => {
  const input = (over: Record<string, unknown> = {}): MeetingInput => ({ villageCode: VILLAGE, heldOn: '2026-11-20', place: '村委会门前', attendees: 23, topics: '冬季取暖', ...over }) as MeetingInput;
  const bench = { ...gridWorker, id: 'u-bench', role: 'bench_facilitator' as const };

  it('accepts what the app writes, attachments included', () => {
    expect(validateMeetingInput(input({ attachments: [ref(1)] }), knownVillage).ok).toBe(true);
    const doc = new Y.Doc();
    writeNewMeeting(doc, input({ attachments: [ref(1)] }), { id: bench.id, role: bench.role }, 1_700_000_000_000, newId());
    expect(reason(checkUpdate(newId(), null, Y.encodeStateAsUpdate(doc), { ...ctx, user: bench }))).toBe('ok');
  });

  it('refuses an unknown key in the input and in a pushed document', () => {
    expect(validateMeetingInput(input({ phone: '13812345678' }), knownVillage)).toEqual({ ok: false, errors: ['unknown_field'] });
    const doc = new Y.Doc();
    writeNewMeeting(doc, input(), { id: bench.id, role: bench.role }, 1_700_000_000_000, newId());
    fieldsOf(doc).set('junk', 'x'.repeat(100_000));
    expect(reason(checkUpdate(newId(), null, Y.encodeStateAsUpdate(doc), { ...ctx, user: bench }))).toBe('invalid_fields: meeting: unknown_field');
    expect(Object.keys(readAppeal(doc, 'm').fields)).toContain('junk');
  });

  it('bounds attachments the same way as an appeal', () => {
    const many = Array.from({ length: MAX_ATTACHMENTS + 1 }, (_, i) => ref(i + 1));
    expect(validateMeetingInput(input({ attachments: many }), knownVillage)).toEqual({ ok: false, errors: ['attachments'] });
  });
});
