import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ArticleChangeSchema, ArticleInputSchema, articleMatches, areaOverlaps, BODY_MAX, excerpt, mayPublishArticle, normalizeBody, paragraphs, searchWords } from '../../src/core/articles';
import { cardContacts, CARD_PER_TIER, parseWorkPhone, type CardPerson } from '../../src/core/contact-cards';

const TOWN = '371324101000';
const VILLAGE = '371324101201';
const input = { title: '小麦秋播技术要点', body: '一、适期播种。\n\n二、足墒下种。', category: 'technique', area: TOWN };
const check = (body: unknown) => v.safeParse(ArticleInputSchema, body);
const message = (body: unknown) => {
  const r = check(body);
  return r.success ? null : r.issues[0].message;
};

describe('article input', () => {
  it('takes a plain-text article for a county, town or village, trimmed and with paragraphs kept', () => {
    const r = check({ ...input, title: '  小麦  秋播 ', body: '一、适期播种。  \r\n\r\n\r\n\r\n二、足墒下种。\n' });
    expect(r.success && r.output).toEqual({ ...input, title: '小麦 秋播', body: '一、适期播种。\n\n二、足墒下种。' });
    for (const area of ['371324000000', TOWN, VILLAGE]) expect(check({ ...input, area }).success, area).toBe(true);
  });

  it('refuses markup, unknown categories, a whole city or a short code, empty and overlong text, unknown fields', () => {
    expect(message({ ...input, body: '请看<a href="x">这里</a>' })).toMatch(/plain text/);
    expect(message({ ...input, body: '<script>alert(1)</script>' })).toMatch(/plain text/);
    expect(message({ ...input, title: '通知<!-- x -->' })).toMatch(/plain text/);
    expect(message({ ...input, body: '价格 &lt; 10 元' })).toMatch(/plain text/);
    expect(message({ ...input, category: 'news' })).toMatch(/category/);
    expect(message({ ...input, area: '371300000000' })).toMatch(/area/);
    expect(message({ ...input, area: '371324' })).toMatch(/area/);
    expect(message({ ...input, title: ' ' })).toMatch(/title/);
    expect(message({ ...input, body: '好'.repeat(BODY_MAX + 1) })).toMatch(/body/);
    expect(message({ ...input, body: 'a\u0000b' })).toMatch(/control/);
    expect(message({ ...input, author: 'x' })).not.toBeNull();
    // Plain comparisons and ampersands are text, not markup.
    expect(check({ ...input, body: '亩产 > 500 公斤，A&B 两个品种，x<3 也行' }).success).toBe(true);
    expect(v.safeParse(ArticleChangeSchema, {}).success).toBe(false);
    expect(v.safeParse(ArticleChangeSchema, { title: '新标题' }).success).toBe(true);
  });

  it('normalises any text to stable paragraphs: normalising again changes nothing, and no paragraph is empty', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '文', ' ', '\n', '\r', '\t', '\u3000') }), (text) => {
        const once = normalizeBody(text);
        expect(normalizeBody(once)).toBe(once);
        expect(once).not.toMatch(/\n{3}/);
        for (const p of paragraphs(text)) expect(p.length).toBeGreaterThan(0);
        expect(paragraphs(once).join('\n\n')).toBe(once);
      }),
    );
  });
});

describe('article scope and search', () => {
  const town = { role: 'town_official' as const, scope: { regions: ['371324101'], departments: [] } };
  it('lets officials publish for areas inside their scope only, and no one else publish at all', () => {
    expect(mayPublishArticle(town, TOWN)).toBe(true);
    expect(mayPublishArticle(town, VILLAGE)).toBe(true);
    expect(mayPublishArticle(town, '371324000000')).toBe(false);
    expect(mayPublishArticle(town, '371324102000')).toBe(false);
    expect(mayPublishArticle({ ...town, role: 'grid_worker' }, VILLAGE)).toBe(false);
    expect(mayPublishArticle({ ...town, role: 'admin' }, VILLAGE)).toBe(false);
    expect(mayPublishArticle({ role: 'county_dispatcher', scope: { regions: ['371324'], departments: [] } }, '371324000000')).toBe(true);
  });

  it('reaches a device when the article’s area contains the scope or lies within it, for every pair of codes', () => {
    const code = fc.tuple(fc.constantFrom('371324', '371325'), fc.constantFrom('101', '102'), fc.constantFrom('000', '201', '202'));
    fc.assert(
      fc.property(code, code, ([c1, t1, v1], [c2, t2, v2]) => {
        const area = `${c1}${t1}${v1}`;
        const prefix = `${c2}${t2}${v2 === '000' ? '' : v2}`;
        const related = area.startsWith(prefix) || prefix.startsWith(area.replace(/0{3}$/, ''));
        expect(areaOverlaps(area, [prefix])).toBe(related);
      }),
    );
  });

  it('matches every word of a search, ignoring case', () => {
    const a = { title: 'PM2.5 防控', body: '秸秆禁烧通知' };
    expect(articleMatches(a, 'pm2.5')).toBe(true);
    expect(articleMatches(a, '秸秆  通知')).toBe(true);
    expect(articleMatches(a, '秸秆 小麦')).toBe(false);
    expect(articleMatches(a, '')).toBe(true);
    expect(searchWords('a b c d e f g')).toHaveLength(5);
    expect(excerpt('一二三四五', 3)).toBe('一二三…');
  });
});

describe('work numbers', () => {
  it('reads mobiles and landlines as printed, and refuses anything else', () => {
    expect(parseWorkPhone('13812345678')).toBe('13812345678');
    expect(parseWorkPhone('138 1234 5678')).toBe('13812345678');
    expect(parseWorkPhone('+86 138-1234-5678')).toBe('13812345678');
    expect(parseWorkPhone('0539-5211234')).toBe('0539-5211234');
    expect(parseWorkPhone('05395211234')).toBe('0539-5211234');
    expect(parseWorkPhone('010-65123456')).toBe('010-65123456');
    expect(parseWorkPhone('0539 5211234 转 806')).toBe('0539-5211234-806');
    expect(parseWorkPhone('0539-5211234-806')).toBe('0539-5211234-806');
    for (const bad of ['', '12345', '12812345678', '1381234567', '138123456789', '0539-123', '5211234', '0539-0211234', 'abc', '13812345678-12', '+1 2025550123', '电话13812345678'])
      expect(parseWorkPhone(bad), bad).toBeNull();
  });

  it('prints exactly what it reads: a parsed number parses to itself', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^(1[3-9]\d{9}|0[1-9]\d{1,2}-?[2-9]\d{6,7})$/), (n) => {
        const once = parseWorkPhone(n);
        if (once !== null) expect(parseWorkPhone(once)).toBe(once);
      }),
    );
  });
});

describe('contact cards', () => {
  const person = (id: string, role: CardPerson['role'], regions: string[], workPhone: string | null, extra: Partial<CardPerson> = {}): CardPerson => ({ id, displayName: id, role, scope: { regions, departments: [] }, disabled: false, workPhone, ...extra });
  it('lists the village’s, the town’s and the county’s people who published a number, and no one else', () => {
    const people = [
      person('grid', 'grid_worker', [VILLAGE], '13800000001'),
      person('shy', 'grid_worker', [VILLAGE], null),
      person('next-village', 'grid_worker', ['371324101202'], '13800000002'),
      person('town', 'town_official', ['371324101'], '0539-5211234'),
      person('gone', 'town_official', ['371324101'], '13800000003', { disabled: true }),
      person('other-town', 'town_official', ['371324102'], '13800000004'),
      person('water', 'dept_handler', ['371324'], '0539-5200000', { scope: { regions: ['371324'], departments: ['water'] } }),
      person('admin', 'admin', ['371324'], '13800000005'),
    ];
    expect(cardContacts(people, VILLAGE).map((c) => [c.tier, c.id, c.phone])).toEqual([
      ['village', 'grid', '13800000001'],
      ['town', 'town', '0539-5211234'],
      ['county', 'water', '0539-5200000'],
    ]);
  });

  it('never shows a number that was not published, whoever the people are', () => {
    const role = fc.constantFrom('grid_worker', 'town_official', 'county_dispatcher', 'leader', 'mediator', 'admin', 'dept_handler') as fc.Arbitrary<CardPerson['role']>;
    const region = fc.constantFrom(VILLAGE, '371324101', '371324', '371324102');
    const people = fc.array(fc.record({ id: fc.uuid(), role, region, phone: fc.option(fc.constantFrom('13800000001', '0539-5211234')), disabled: fc.boolean() }), { maxLength: 12 });
    fc.assert(
      fc.property(people, (list) => {
        const ps = list.map((p) => person(p.id, p.role, [p.region], p.phone, { disabled: p.disabled, displayName: p.id }));
        const shown = cardContacts(ps, VILLAGE);
        for (const c of shown) {
          const p = ps.find((x) => x.id === c.id)!;
          expect(p.workPhone).toBe(c.phone);
          expect(p.disabled).toBe(false);
        }
        expect(shown.filter((c) => c.tier === 'village').length).toBeLessThanOrEqual(CARD_PER_TIER);
      }),
    );
  });
});
