import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contactOf, validateContact } from '../../src/core/appeal';
import { maskContact, maskName, maskPhone, mayViewContact, scrubPublicText } from '../../src/core/privacy';
import { appealInScope, ROLES, type Role, type SessionUser } from '../../src/core/roles';
import { VILLAGE, validInput } from './fixtures';

const user = (role: Role, regions = ['371324102'], departments: string[] = []): SessionUser => ({ id: `u-${role}`, username: role, displayName: role, role, scope: { regions, departments } });
const appeal = { villageCode: VILLAGE, dept: null as string | null, anonymous: false };

describe('who may see a citizen’s contact', () => {
  it('the village, the town and the hotline desk in scope; not leaders or admins', () => {
    const sees = Object.fromEntries(ROLES.map((r) => [r, mayViewContact(user(r), appeal)]));
    expect(sees).toEqual({ grid_worker: true, bench_facilitator: true, village_station: true, town_official: true, dept_handler: false, county_dispatcher: true, city_dispatcher: true, leader: false, quality_reviewer: false, mediator: true, deputy: false, admin: false });
  });

  it('at every level, from a village to the city: only in scope, never anonymous, never a leader or an admin', () => {
    const prefixes = ['3713', '3714', '371324', '371325', '371324102', '371324103', VILLAGE, '371324102202'];
    const villages = [VILLAGE, '371324102202', '371324103201', '371325101201', '371402101201'];
    fc.assert(
      fc.property(fc.constantFrom(...ROLES), fc.subarray(prefixes, { minLength: 1 }), fc.constantFrom(...villages), fc.constantFrom(null, 'water', 'transport'), fc.boolean(), fc.subarray(['water', 'transport']), (role, regions, villageCode, dept, anonymous, departments) => {
        const u = user(role, regions, departments);
        const sees = mayViewContact(u, { villageCode, dept, anonymous });
        const inScope = appealInScope(u, { villageCode, dept });
        if (sees) {
          expect(inScope).toBe(true);
          expect(anonymous).toBe(false);
          expect(['leader', 'admin']).not.toContain(role);
        }
        // Everyone who takes appeals in or calls back sees them in scope, wherever their scope lies.
        if (!anonymous && inScope && ['grid_worker', 'village_station', 'town_official', 'county_dispatcher', 'city_dispatcher'].includes(role)) expect(sees).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a department only for appeals assigned to it', () => {
    const water = user('dept_handler', ['371324'], ['water']);
    expect(mayViewContact(water, { ...appeal, dept: 'water' })).toBe(true);
    expect(mayViewContact(water, { ...appeal, dept: 'transport' })).toBe(false);
  });

  it('nobody outside their area, and nobody at all for an anonymous appeal', () => {
    expect(mayViewContact(user('town_official', ['371324103']), appeal)).toBe(false);
    for (const role of ROLES) expect(mayViewContact(user(role, ['371324'], ['water']), { ...appeal, anonymous: true, dept: 'water' })).toBe(false);
  });
});

describe('contacts', () => {
  it('come out of the input only when the citizen gave them and is not anonymous', () => {
    expect(contactOf(validInput())).toEqual({ name: '张三', phone: '13812345678' });
    expect(contactOf(validInput({ citizen: { anonymous: true } }))).toBeNull();
    expect(contactOf(validInput({ citizen: { anonymous: false, phone: '13812345678' } }))).toEqual({ phone: '13812345678' });
  });

  it('are validated at the edge', () => {
    expect(validateContact({ name: ' 李四 ' })).toEqual({ ok: true, value: { name: '李四' } });
    expect(validateContact({ phone: '0539-1234567' }).ok).toBe(true);
    expect(validateContact({})).toMatchObject({ ok: false, errors: { citizenName: 'name_or_phone' } });
    expect(validateContact({ phone: '12345' })).toMatchObject({ ok: false, errors: { citizenPhone: 'invalid_phone' } });
    expect(validateContact({ name: 'x'.repeat(51) })).toMatchObject({ ok: false, errors: { citizenName: 'too_long' } });
    expect(validateContact({ name: '李四', idCard: '3713…' })).toMatchObject({ ok: false, errors: { meta: 'invalid_choice' } });
  });
});

describe('masking for exports and public views', () => {
  it('keeps enough to recognise, not to identify', () => {
    expect(maskName('张三')).toBe('张*');
    expect(maskName('欧阳小明')).toBe('欧***');
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('0539-1234567')).toBe('*********67');
    expect(maskContact({ name: '王芳', phone: '13900001111' })).toEqual({ name: '王*', phone: '139****1111' });
  });

  it('keeps only the first character of any name and the ends of a phone', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 2, maxLength: 12 }).filter((s) => [...s.trim()].length >= 2), fc.stringMatching(/^1[3-9]\d{9}$/), (name, phone) => {
        // Everything after the first character is replaced (a name that already looks masked, like "张*", stays as it is).
        const chars = [...name.trim()];
        expect(maskName(name)).toBe(chars[0] + '*'.repeat(chars.length - 1));
        expect(maskPhone(phone)).toBe(`${phone.slice(0, 3)}****${phone.slice(7)}`);
      }),
    );
  });
});

describe('text for public pages', () => {
  it('masks phones, ID numbers, other long digit runs and the citizen’s name', () => {
    const text = '王秀兰反映：电话13812345678，座机05398888888，身份证37132419800101123X，王秀兰家门口路灯坏了，已修 3 处';
    expect(scrubPublicText(text, { name: '王秀兰', phone: '13812345678' })).toBe('王**反映：电话138****5678，座机***********，身份证******************，王**家门口路灯坏了，已修 3 处');
    expect(scrubPublicText('已修复 12 盏灯', null)).toBe('已修复 12 盏灯');
  });

  it('masks numbers written with dashes, spaces or full-width digits, and a name with spaces in it', () => {
    const contact = { name: '张三丰', phone: '13812345678' };
    expect(scrubPublicText('电话138-1234-5678', contact)).toBe('电话138****5678');
    expect(scrubPublicText('电话 138 1234 5678。', contact)).toBe('电话 138****5678。');
    expect(scrubPublicText('电话１３８１２３４５６７８', contact)).toBe('电话138****5678');
    expect(scrubPublicText('电话１３８－１２３４－５６７８', contact)).toBe('电话138****5678');
    expect(scrubPublicText('电话 138 - 1234 - 5678', contact)).toBe('电话 138****5678');
    expect(scrubPublicText('座机(0539)888-8888', contact)).toBe('座机(****)***-****');
    expect(scrubPublicText('身份证３７１３２４１９８００１０１１２３Ｘ', contact)).toBe('身份证******************');
    expect(scrubPublicText('张 三 丰反映，张　三丰家和张三丰的路灯', contact)).toBe('张**反映，张**家和张**的路灯');
    // Dates, counts and short numbers stay.
    expect(scrubPublicText('2024-05-01 修好 3 处，共 120 米', contact)).toBe('2024-05-01 修好 3 处，共 120 米');
    // A one-character name is not searched for: it would mask every 张 in the text.
    expect(scrubPublicText('张家门口', { name: '张' })).toBe('张家门口');
  });

  // Text around the slips: no digits, no characters of the name.
  const filler = fc.array(fc.constantFrom('村', '路', '灯', '修', '好', '了', '，', '。', ' ', 'a', '：', '\n'), { maxLength: 8 }).map((a) => a.join(''));
  const gap = fc.constantFrom('', ' ', '  ', '-', '－', '—', '\u3000', '.', ' - ');
  const digitForm = fc.boolean();
  const fullWidth = (d: string) => String.fromCharCode(d.charCodeAt(0) + 0xfee0);
  const onlyDigits = (s: string) => s.replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/[^0-9]/g, '');

  it('never shows the middle of a mobile number, however it is written', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^1[3-9]\d{9}$/),
        fc.array(fc.tuple(gap, digitForm), { minLength: 11, maxLength: 11 }),
        filler,
        filler,
        (phone, shape, before, after) => {
          // Each digit ASCII or full-width, each gap between digits empty or a separator.
          const written = [...phone].map((d, i) => `${i > 0 ? shape[i]![0] : ''}${shape[i]![1] ? fullWidth(d) : d}`).join('');
          const out = scrubPublicText(`${before}${written}${after}`, { phone });
          expect(onlyDigits(out)).toBe(`${phone.slice(0, 3)}${phone.slice(7)}`);
        },
      ),
    );
  });

  it('never shows a landline or an ID number, however it is written', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^(0\d{9,11}|\d{17}[0-9X])$/), fc.array(fc.tuple(gap, digitForm), { minLength: 18, maxLength: 18 }), filler, (number, shape, before) => {
        const written = [...number].map((d, i) => `${i > 0 ? shape[i]![0] : ''}${shape[i]![1] && d !== 'X' ? fullWidth(d) : d}`).join('');
        const out = scrubPublicText(`${before}${written}。`, null);
        expect(onlyDigits(out)).toBe('');
        expect(out).not.toMatch(/[XＸ]/);
      }),
    );
  });

  it('never shows the citizen’s name after its first character, whatever spaces are slipped into it', () => {
    const hanzi = fc.constantFrom('张', '王', '李', '欧', '阳', '秀', '兰', '明', '丰', '三');
    const space = fc.constantFrom('', ' ', '\u3000', '\t', '\u00A0', '\u200B', '  ');
    fc.assert(
      fc.property(fc.array(hanzi, { minLength: 2, maxLength: 4 }), fc.array(space, { minLength: 4, maxLength: 4 }), filler, filler, (chars, spaces, before, after) => {
        const name = chars.join('');
        const written = chars.map((c, i) => `${i > 0 ? spaces[i] : ''}${c}`).join('');
        const out = scrubPublicText(`${before}${written}${after}`, { name });
        expect(out.replace(/[\s\u200B]/g, '')).not.toContain(name);
        expect(out).toContain(maskName(name));
      }),
    );
  });
});
