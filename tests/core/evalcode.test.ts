import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { checkUpdate } from '../../src/core/accept';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, fieldsOf, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { isEvalCode, newEvalCode, readEvalCode, showEvalCode } from '../../src/core/evalcode';
import { isAppealEvent, type AppealEvent } from '../../src/core/events';
import { newId } from '../../src/core/id';
import { project } from '../../src/core/projection';
import { gridWorker, knownVillage, validInput } from './fixtures';

describe('evaluation codes', () => {
  it('are 10 characters of Crockford base32 from any random bytes, and read back however they are typed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 10, maxLength: 10 }), fc.boolean(), (bytes, lower) => {
        const code = newEvalCode(() => bytes);
        expect(isEvalCode(code)).toBe(true);
        const typed = lower ? showEvalCode(code).toLowerCase() : ` ${code.slice(0, 3)} ${code.slice(3)} `;
        expect(readEvalCode(typed)).toBe(code);
      }),
    );
  });

  it('take O for 0 and I or L for 1, and refuse anything else', () => {
    expect(readEvalCode('oooo0-iiLL1')).toBe('0000011111');
    expect(readEvalCode('ABCDE-FGHJ')).toBeNull(); // 9 characters
    expect(readEvalCode('ABCDE-FGHJU')).toBeNull(); // U is not in the alphabet
    expect(readEvalCode("ABCDE' OR 1")).toBeNull();
  });

  it('are made when an appeal is recorded, projected, and cannot be changed afterwards', () => {
    const doc = new Y.Doc();
    const id = newId();
    writeNewAppeal(doc, validInput(), { id: gridWorker.id, role: gridWorker.role }, 1_700_000_000_000, newId());
    const code = fieldsOf(doc).get('evalCode') as string;
    expect(isEvalCode(code)).toBe(true);
    expect(project(readAppeal(doc, id), POLICY_PRESETS.lanling).evalCode).toBe(code);

    const client = new Y.Doc();
    Y.applyUpdate(client, Y.encodeStateAsUpdate(doc));
    const sv = Y.encodeStateVector(doc);
    fieldsOf(client).set('evalCode', newEvalCode());
    const r = checkUpdate(id, doc, Y.encodeStateAsUpdate(client, sv), { user: gridWorker, knownVillage, policy: POLICY_PRESETS.lanling });
    expect(r.ok ? 'accepted' : r.reason).toBe('fields_rewritten');
  });

  it('let only the server write as the citizen, and only a return-visit rating', () => {
    const base = { id: newId(), actor: 'citizen', role: 'citizen', at: 1 };
    expect(isAppealEvent({ ...base, type: 'visited', satisfaction: 'satisfied' })).toBe(true);
    expect(isAppealEvent({ ...base, type: 'closed' })).toBe(false);
    expect(isAppealEvent({ ...base, type: 'visited', satisfaction: 'delighted' })).toBe(false);
    expect(isAppealEvent({ ...base, actor: 'u-1', type: 'visited', satisfaction: 'satisfied' })).toBe(false);
    // A device pushing a citizen's rating as its own user is refused like any forged identity.
    const doc = new Y.Doc();
    const id = newId();
    writeNewAppeal(doc, validInput(), { id: gridWorker.id, role: gridWorker.role }, 1_700_000_000_000, newId());
    const sv = Y.encodeStateVector(doc);
    const client = new Y.Doc();
    Y.applyUpdate(client, Y.encodeStateAsUpdate(doc));
    appendEvent(client, { ...base, type: 'visited', satisfaction: 'satisfied' } as AppealEvent);
    const r = checkUpdate(id, doc, Y.encodeStateAsUpdate(client, sv), { user: gridWorker, knownVillage, policy: POLICY_PRESETS.lanling });
    expect(r.ok).toBe(false);
  });
});
