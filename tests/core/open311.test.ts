import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_NAME_CHARS } from '../../src/core/limits';
import { citizenFrom, commaList, coordinates, descriptionFrom, fieldValue, phoneOf } from '../../src/core/open311';

// How an Open311 request's fields become an appeal's: absent means absent (never 0 or
// "null"), what is usable is kept, a half coordinate pair is refused.

describe('fields', () => {
  it('treats empty, blank and null as absent, never as 0 or "null"', () => {
    for (const v of [undefined, null, '', '   ', {}, []]) expect(fieldValue(v)).toBeNull();
    expect(fieldValue(' 34.5 ')).toBe('34.5');
    expect(fieldValue(0)).toBe('0');
  });

  it('splits comma lists, dropping blanks and repeats', () => {
    expect(commaList('infra.roads, infra.water,,infra.roads')).toEqual(['infra.roads', 'infra.water']);
    expect(commaList(',')).toBeNull();
    expect(commaList(null)).toBeNull();
  });
});

describe('coordinates', () => {
  it('takes both or neither', () => {
    expect(coordinates(null, null)).toEqual({ ok: true, gps: null });
    expect(coordinates('34.98', '118.06')).toEqual({ ok: true, gps: { lat: 34.98, lng: 118.06 } });
    expect(coordinates('34.98', null).ok).toBe(false);
    expect(coordinates('north', '118').ok).toBe(false);
    expect(coordinates('91', '118').ok).toBe(false);
  });
});

describe('the citizen', () => {
  it('joins a Chinese name family first, any other given name first', () => {
    expect(citizenFrom('秀英', '张', null)).toEqual({ anonymous: false, name: '张秀英' });
    expect(citizenFrom('John', 'Smith', null)).toEqual({ anonymous: false, name: 'John Smith' });
    expect(citizenFrom(null, null, null)).toEqual({ anonymous: true });
  });

  it('cuts a long name to the limit instead of refusing it (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.string({ maxLength: 200 }), (first, last) => {
        const c = citizenFrom(first.trim() || null, last.trim() || null, null);
        if (c.name !== undefined) expect([...c.name].length).toBeLessThanOrEqual(MAX_NAME_CHARS);
      }),
    );
  });

  it('keeps our phones compact and another country’s as given, and drops what is no phone', () => {
    expect(phoneOf('139 1234 5678')).toBe('13912345678');
    expect(phoneOf('+44 20 7946 0958')).toBe('+44 20 7946 0958');
    expect(phoneOf('(555) 010-4477')).toBe('(555) 010-4477');
    expect(phoneOf('call me')).toBeNull();
    expect(phoneOf('+1 '.padEnd(60, '5'))).toBeNull();
    expect(citizenFrom(null, null, '+44 20 7946 0958')).toEqual({ anonymous: false, phone: '+44 20 7946 0958' });
  });
});

describe('the text', () => {
  it('keeps the description whole and adds only what was given', () => {
    expect(descriptionFrom('line one\nline two', [{ label: '地址：', value: '东头桥' }, { label: '照片：', value: null }])).toBe('line one\nline two\n\n地址：东头桥');
  });
});
