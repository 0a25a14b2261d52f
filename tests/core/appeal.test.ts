import { describe, expect, it } from 'vitest';
import { CHANNELS, KINDS, URGENCIES, isPhone, validateAppealInput, validateStoredFields } from '../../src/core/appeal';
import { CATEGORY_CODES } from '../../src/core/categories';
import { MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS } from '../../src/core/limits';
import { VILLAGE, knownVillage, validInput } from './fixtures';

const check = (over: Record<string, unknown>) => validateAppealInput({ ...validInput(), ...over }, knownVillage);
const errorsOf = (over: Record<string, unknown>) => {
  const r = check(over);
  return r.ok ? {} : r.errors;
};

describe('validateAppealInput', () => {
  it('accepts a complete appeal and returns the cleaned value', () => {
    const r = validateAppealInput(validInput({ description: '  路坏了  ' }), knownVillage);
    expect(r).toEqual({
      ok: true,
      value: { ...validInput(), description: '路坏了', gps: null },
    });
  });

  it('accepts every listed channel, kind, urgency and category', () => {
    // A deputy's post needs its column, whose kind it takes, and names no citizen (tests/core/deputy.test.ts).
    for (const channel of CHANNELS) expect(check({ channel, ...(channel === 'deputy' && { column: 'voice', kind: 'help', citizen: { anonymous: true } }) }).ok).toBe(true);
    for (const kind of KINDS) expect(check({ kind }).ok).toBe(true);
    for (const urgency of URGENCIES) expect(check({ urgency }).ok).toBe(true);
    for (const category of CATEGORY_CODES) expect(check({ category }).ok).toBe(true);
  });

  it.each(['channel', 'category', 'kind', 'urgency', 'villageCode', 'description'])('%s is required', (field) => {
    expect(errorsOf({ [field]: undefined })).toEqual({ [field]: 'required' });
    expect(errorsOf({ [field]: '' })).toEqual({ [field]: 'required' });
  });

  it('a description of only whitespace counts as missing', () => {
    expect(errorsOf({ description: ' \n\t ' })).toEqual({ description: 'required' });
    expect(errorsOf({ description: 42 })).toEqual({ description: 'required' });
  });

  it.each([
    ['channel', 'carrier_pigeon'],
    ['category', 'infra'], // a class, not a sub-item
    ['kind', 'rant'],
    ['urgency', 'purple'],
  ])('%s outside its list is invalid_choice', (field, value) => {
    expect(errorsOf({ [field]: value })).toEqual({ [field]: 'invalid_choice' });
  });

  it(`description: ${MAX_DESCRIPTION_CHARS} chars is fine, one more is too_long`, () => {
    const atLimit = check({ description: '路'.repeat(MAX_DESCRIPTION_CHARS) });
    expect(atLimit.ok).toBe(true);
    expect(atLimit.ok && atLimit.value.description.length).toBe(MAX_DESCRIPTION_CHARS);
    expect(errorsOf({ description: '路'.repeat(MAX_DESCRIPTION_CHARS + 1) })).toEqual({ description: 'too_long' });
    // Surrounding whitespace is trimmed before measuring.
    expect(check({ description: ` ${'路'.repeat(MAX_DESCRIPTION_CHARS)}\n` }).ok).toBe(true);
  });

  it('refuses a village the caller does not know, or a code that is not a village', () => {
    expect(errorsOf({ villageCode: '371324999201' })).toEqual({ villageCode: 'unknown_village' });
    expect(errorsOf({ villageCode: '371324102000' })).toEqual({ villageCode: 'unknown_village' }); // a town
    expect(errorsOf({ villageCode: '371324' })).toEqual({ villageCode: 'unknown_village' });
    expect(errorsOf({ villageCode: 371324102201 })).toEqual({ villageCode: 'unknown_village' });
    // knownVillage is only asked about well-formed village codes.
    const asked: string[] = [];
    validateAppealInput({ ...validInput(), villageCode: '371324102000' }, (c) => (asked.push(c), true));
    expect(asked).toEqual([]);
    expect(validateAppealInput(validInput(), (c) => c === VILLAGE).ok).toBe(true);
    expect(validateAppealInput(validInput(), () => false).ok).toBe(false);
  });

  describe('citizen', () => {
    it('anonymous drops name and phone, even invalid ones', () => {
      const r = check({ citizen: { anonymous: true, name: '李四', phone: '12345' } });
      expect(r.ok && r.value.citizen).toEqual({ anonymous: true });
    });

    it('a named citizen needs a name or a phone', () => {
      expect(errorsOf({ citizen: { anonymous: false } })).toEqual({ citizenName: 'name_or_phone' });
      expect(errorsOf({ citizen: { anonymous: false, name: '  ', phone: ' ' } })).toEqual({ citizenName: 'name_or_phone' });
      expect(errorsOf({ citizen: undefined })).toEqual({ citizenName: 'name_or_phone' });
      const nameOnly = check({ citizen: { anonymous: false, name: ' 王五 ' } });
      expect(nameOnly.ok && nameOnly.value.citizen).toEqual({ anonymous: false, name: '王五' });
      const phoneOnly = check({ citizen: { anonymous: false, phone: '138 1234 5678' } });
      expect(phoneOnly.ok && phoneOnly.value.citizen).toEqual({ anonymous: false, phone: '13812345678' });
    });

    it('anonymous must be exactly true', () => {
      expect(errorsOf({ citizen: { anonymous: 'yes' } })).toEqual({ citizenName: 'name_or_phone' });
    });

    it(`name: ${MAX_NAME_CHARS} chars is fine, one more is too_long`, () => {
      expect(check({ citizen: { anonymous: false, name: '张'.repeat(MAX_NAME_CHARS) } }).ok).toBe(true);
      expect(errorsOf({ citizen: { anonymous: false, name: '张'.repeat(MAX_NAME_CHARS + 1) } })).toEqual({ citizenName: 'too_long' });
    });

    it.each(['13812345678', '19912345678', '0539-5212345', '05395212345', '010-12345678', '021 1234 5678'])('phone %j is valid', (phone) => {
      expect(check({ citizen: { anonymous: false, phone } }).ok).toBe(true);
    });

    it.each(['12345', '12812345678', '1381234567', '138123456789', '5212345', '0539-52123', '+8613812345678', 'abc', '0539--5212345'])(
      'phone %j is invalid_phone',
      (phone) => {
        expect(errorsOf({ citizen: { anonymous: false, name: '张三', phone } })).toEqual({ citizenPhone: 'invalid_phone' });
      },
    );
  });

  describe('gps', () => {
    it('accepts missing, null and in-range coordinates', () => {
      for (const gps of [undefined, null, { lat: 34.85, lng: 118.05 }, { lat: -90, lng: 180, accuracy: 0 }, { lat: 0, lng: 0, accuracy: 12.5 }]) {
        expect(check({ gps }).ok, JSON.stringify(gps)).toBe(true);
      }
      const r = check({ gps: undefined });
      expect(r.ok && r.value.gps).toBeNull();
      const g = check({ gps: { lat: 34.85, lng: 118.05, accuracy: 8 } });
      expect(g.ok && g.value.gps).toEqual({ lat: 34.85, lng: 118.05, accuracy: 8 });
    });

    it.each([
      { lat: 91, lng: 0 },
      { lat: 0, lng: -180.1 },
      { lat: Number.NaN, lng: 0 },
      { lat: 0, lng: Infinity },
      { lat: '34', lng: 118 },
      { lat: 34 },
      { lat: 34, lng: 118, accuracy: -1 },
      { lat: 34, lng: 118, accuracy: 'good' },
      [34, 118],
      'here',
    ])('refuses gps %j', (gps) => {
      expect(errorsOf({ gps })).toEqual({ gps: 'invalid_gps' });
    });
  });

  it.each([null, undefined, 42, 'appeal', [], [validInput()], true])('non-object input %j reports every required field', (raw) => {
    const r = validateAppealInput(raw, knownVillage);
    expect(r).toEqual({
      ok: false,
      errors: {
        channel: 'required',
        category: 'required',
        kind: 'required',
        urgency: 'required',
        villageCode: 'required',
        description: 'required',
        citizenName: 'name_or_phone',
      },
    });
  });

  it('reports several bad fields at once', () => {
    expect(errorsOf({ channel: 'x', urgency: undefined, description: '', citizen: { anonymous: false, phone: '1' } })).toEqual({
      channel: 'invalid_choice',
      urgency: 'required',
      description: 'required',
      citizenPhone: 'invalid_phone',
    });
  });

  it('drops unknown top-level keys from the value', () => {
    const r = check({ createdBy: 'me', evil: true });
    expect(r.ok).toBe(true);
    expect(r.ok && Object.keys(r.value).sort()).toEqual(['category', 'channel', 'citizen', 'description', 'gps', 'kind', 'urgency', 'villageCode']);
  });
});

describe('isPhone', () => {
  it('knows mobiles and landlines and ignores spaces', () => {
    expect(isPhone('13812345678')).toBe(true);
    expect(isPhone('0539-5212345')).toBe(true);
    expect(isPhone(' 138 1234 5678 ')).toBe(true);
    expect(isPhone('12345')).toBe(false);
    expect(isPhone('')).toBe(false);
  });
});

describe('validateStoredFields', () => {
  const { description, ...fields } = validInput();
  const stored = { ...fields, citizen: { anonymous: false }, createdBy: 'u-grid', createdAt: 1_700_000_000_000 };

  it('accepts stored fields plus the description and returns fields without it', () => {
    const r = validateStoredFields(stored, description, knownVillage);
    expect(r).toEqual({ ok: true, value: stored });
  });

  it('checks the description it is given', () => {
    expect(validateStoredFields(stored, '', knownVillage)).toEqual({ ok: false, errors: { description: 'required' } });
    expect(validateStoredFields(stored, 'x'.repeat(MAX_DESCRIPTION_CHARS + 1), knownVillage)).toEqual({ ok: false, errors: { description: 'too_long' } });
  });

  it('needs createdBy and a finite createdAt', () => {
    for (const bad of [{ createdBy: '' }, { createdBy: 7 }, { createdBy: undefined }, { createdAt: '2024' }, { createdAt: Number.NaN }, { createdAt: undefined }]) {
      expect(validateStoredFields({ ...stored, ...bad }, description, knownVillage), JSON.stringify(bad)).toEqual({ ok: false, errors: { meta: 'required' } });
    }
  });

  it('combines input errors and meta errors', () => {
    const r = validateStoredFields({ ...stored, kind: 'x', createdAt: null }, description, knownVillage);
    expect(r).toEqual({ ok: false, errors: { kind: 'invalid_choice', meta: 'required' } });
  });

  it('refuses a name or phone inside the document: they travel beside it', () => {
    expect(validateStoredFields({ ...stored, citizen: { anonymous: false, name: '张三' } }, description, knownVillage)).toEqual({ ok: false, errors: { citizenName: 'personal_data_in_document' } });
    expect(validateStoredFields({ ...stored, citizen: { anonymous: true, phone: '13812345678' } }, description, knownVillage)).toEqual({ ok: false, errors: { citizenName: 'personal_data_in_document' } });
    expect(validateStoredFields({ ...stored, citizen: undefined }, description, knownVillage)).toEqual({ ok: false, errors: { citizenName: 'required' } });
  });

  it('refuses non-object fields', () => {
    const r = validateStoredFields(null, description, knownVillage);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.meta).toBe('required');
  });
});
