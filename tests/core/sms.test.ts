import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { readAppeal, writeNewAppeal, appendEvent } from '../../src/core/doc';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import {
  airOctets, concatOf, decodeSms, encodeSms, fitsGsm, isOptOut, MAX_SMS_PARTS, normalizeNumber, parseReceipt, receiptOutcome, SMS_OCTETS, smsOwed, smsText,
  UCS2_PART, DC_GSM, DC_UCS2,
} from '../../src/core/sms';
import { ev, validInput } from './fixtures';

// Replies by SMS: the octets a text becomes (UCS-2 or GSM 7-bit, concatenated with an 8-bit
// reference when long), the receipts and opt-outs read back, and what an appeal is owed.

describe('encoding and splitting', () => {
  it('joins back to the text for any string, every part within 140 octets on the air', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 600, size: 'max' }), fc.string({ unit: 'binary', maxLength: 400, size: 'max' }), fc.string({ maxLength: 500, size: 'max' }), fc.string({ maxLength: 40 })), fc.integer({ min: 0, max: 255 }), (text, ref) => {
        const encoded = encodeSms(text, ref);
        expect(decodeSms(encoded)).toBe(text);
        for (const part of encoded.parts) expect(airOctets(encoded, part)).toBeLessThanOrEqual(SMS_OCTETS);
        // SMPP's short_message holds at most 254 octets.
        for (const part of encoded.parts) expect(part.length).toBeLessThanOrEqual(254);
        if (encoded.parts.length > 1) {
          encoded.parts.forEach((part, i) => expect(concatOf([part.subarray(1, 6)])).toEqual({ ref, total: encoded.parts.length, seq: i + 1 }));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('sends Chinese as UCS-2: 70 characters in one message, 67 per part beyond, with an 8-bit reference header', () => {
    const one = encodeSms('您'.repeat(70), 7);
    expect(one).toMatchObject({ dataCoding: DC_UCS2, udh: false });
    expect(one.parts).toHaveLength(1);
    expect(one.parts[0]).toHaveLength(140);
    const long = encodeSms('您'.repeat(71), 7);
    expect(long.udh).toBe(true);
    expect(long.parts).toHaveLength(2);
    expect([...long.parts[0]!.subarray(0, 6)]).toEqual([0x05, 0x00, 0x03, 7, 2, 1]);
    expect([...long.parts[1]!.subarray(0, 6)]).toEqual([0x05, 0x00, 0x03, 7, 2, 2]);
    expect(long.parts[0]!.length).toBe(6 + UCS2_PART * 2);
    // 您 is U+60A8, big-endian.
    expect([...long.parts[0]!.subarray(6, 8)]).toEqual([0x60, 0xa8]);
  });

  it('never splits a character outside the BMP between parts', () => {
    const text = `${'字'.repeat(66)}😀${'字'.repeat(10)}`;
    const encoded = encodeSms(text, 1);
    const first = decodeSms({ ...encoded, parts: [encoded.parts[0]!] });
    expect(first.endsWith('字')).toBe(true);
    expect(decodeSms(encoded)).toBe(text);
  });

  it('sends plain ASCII in the GSM alphabet, 160 septets in one, 153 per part, escapes kept whole', () => {
    expect(fitsGsm('Reply TD to stop {ok}')).toBe(true);
    expect(fitsGsm('a`b')).toBe(false);
    expect(fitsGsm('é')).toBe(false);
    const one = encodeSms('x'.repeat(160), 0);
    expect(one).toMatchObject({ dataCoding: DC_GSM, udh: false });
    expect(one.parts).toHaveLength(1);
    expect(encodeSms('x'.repeat(161), 0).parts.map((p) => p.length - 6)).toEqual([153, 8]);
    // An escape pair at the boundary moves whole into the next part.
    const braces = encodeSms(`${'x'.repeat(152)}{${'x'.repeat(10)}`, 3);
    expect(braces.parts[0]!.length - 6).toBe(152);
    expect(decodeSms(braces)).toBe(`${'x'.repeat(152)}{${'x'.repeat(10)}`);
  });

  it('reads 16-bit reference headers too, and refuses impossible ones', () => {
    expect(concatOf([Uint8Array.of(0x08, 4, 0x12, 0x34, 3, 2)])).toEqual({ ref: 0x1234, total: 3, seq: 2 });
    expect(concatOf([Uint8Array.of(0x00, 3, 1, 2, 3)])).toBeNull();
    expect(concatOf([Uint8Array.of(0x00, 3, 1, 0, 0)])).toBeNull();
  });
});

describe('what comes back', () => {
  it('reads delivery receipts in the SMPP 3.4 appendix B form', () => {
    expect(parseReceipt('id:0a1b2c sub:001 dlvrd:001 submit date:2611301200 done date:2611301201 stat:DELIVRD err:000 text:您的诉求')).toEqual({ id: '0a1b2c', stat: 'DELIVRD', err: '000' });
    expect(parseReceipt('id:77 stat:undeliv err:011')).toEqual({ id: '77', stat: 'UNDELIV', err: '011' });
    expect(parseReceipt('hello')).toBeNull();
    expect(receiptOutcome('DELIVRD')).toBe('delivered');
    expect(receiptOutcome('ENROUTE')).toBeNull();
    expect(receiptOutcome('EXPIRED')).toBe('failed');
  });

  it('knows TD (and 退订) however it is typed, and nothing else', () => {
    for (const t of ['TD', 'td', ' Td ', 'ＴＤ', '退订', 'TD。']) expect(isOptOut(t), t).toBe(true);
    for (const t of ['TDD', '路灯不亮 TD', '', 'T D X']) expect(isOptOut(t), t).toBe(false);
  });

  it('keeps mainland mobile numbers in the contact form', () => {
    expect(normalizeNumber('8613912345678')).toBe('13912345678');
    expect(normalizeNumber('+86 139 1234 5678')).toBe('13912345678');
    expect(normalizeNumber('008613912345678')).toBe('13912345678');
    expect(normalizeNumber('13912345678')).toBe('13912345678');
  });
});

describe('what an appeal is owed', () => {
  const wording = { signature: '【民声】', publicUrl: 'https://ms.example.cn' };
  const appeal = (channel: 'sms' | 'walk_in') => {
    const doc = new Y.Doc();
    writeNewAppeal(doc, { ...validInput(), channel }, { id: 'sms-gateway', role: 'county_dispatcher' }, 1, newId());
    return doc;
  };

  it('is its code once recorded, then an answer and a rating request per reply, by SMS only when it came by SMS', () => {
    const doc = appeal('sms');
    const id = newId();
    let snap = readAppeal(doc, id);
    expect(smsOwed(snap, fold(snap.events, id)).map((o) => o.purpose)).toEqual(['code']);
    const replied = ev('replied', { note: '路灯已修好', via: 'sms' });
    for (const e of [ev('assigned'), replied]) appendEvent(doc, e);
    snap = readAppeal(doc, id);
    const owed = smsOwed(snap, fold(snap.events, id));
    expect(owed.map((o) => o.purpose)).toEqual(['code', 'reply', 'visit']);
    expect(owed[1]).toMatchObject({ key: `${replied.id}:reply`, note: '路灯已修好' });
    const walkIn = appeal('walk_in');
    for (const e of [ev('assigned'), ev('replied')]) appendEvent(walkIn, e);
    const w = readAppeal(walkIn, id);
    expect(smsOwed(w, fold(w.events, id))).toEqual([]);
  });

  it('owes nothing to an appeal a device put on the SMS channel: only the gateway takes SMS in', () => {
    const doc = new Y.Doc();
    writeNewAppeal(doc, { ...validInput(), channel: 'sms' }, { id: 'grid-worker', role: 'grid_worker' }, 1, newId());
    const snap = readAppeal(doc, 'x');
    expect(smsOwed(snap, fold(snap.events, 'x'))).toEqual([]);
  });

  it('owes nothing for a reply the state machine refused', () => {
    const doc = appeal('sms');
    // A reply to an appeal nobody was assigned is refused: no SMS tells the citizen it was answered.
    appendEvent(doc, ev('replied', { note: '抢答' }));
    const snap = readAppeal(doc, 'x');
    expect(smsOwed(snap, fold(snap.events, 'x')).map((o) => o.purpose)).toEqual(['code']);
  });

  it('words each message with the code and the link, and cuts a long answer to fit', () => {
    const code = 'ABCDE12345';
    expect(smsText('code', wording, code)).toContain('ABCDE-12345');
    expect(smsText('visit', wording, code)).toContain('https://ms.example.cn/p/c/ABCDE12345');
    const long = smsText('reply', wording, code, '很'.repeat(2000));
    expect(encodeSms(long, 0).parts.length).toBeLessThanOrEqual(MAX_SMS_PARTS);
    expect(long).toContain('全文见 https://ms.example.cn/p/c/ABCDE12345');
  });
});
