import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  acceptsAnswers,
  acceptsQuestions,
  checkQuestion,
  LATE_ANSWER_MS,
  MAX_QUESTION_CHARS,
  mayHost,
  mayManage,
  NewQaSessionSchema,
  orderSessions,
  placeForAppeal,
  qaState,
  sessionTouches,
} from '../../src/core/qa';
import { ROLES, type Role } from '../../src/core/roles';

const HOUR = 3_600_000;
const who = (role: Role, regions: string[], departments: string[] = [], id = `u-${role}`) => ({ id, role, scope: { regions, departments } });
const TOWN = '371324102000';

describe('a session’s state follows from its times', () => {
  it('is upcoming before the start, live until the end, ended from the end on; questions only until the end', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2e12 }), fc.integer({ min: 1, max: 8 * HOUR }), fc.integer({ min: -10 * HOUR, max: 10 * HOUR }), (startsAt, length, offset) => {
        const s = { startsAt, endsAt: startsAt + length };
        const now = startsAt + offset;
        const state = qaState(s, now);
        expect(state).toBe(now < s.startsAt ? 'upcoming' : now < s.endsAt ? 'live' : 'ended');
        expect(acceptsQuestions(s, now)).toBe(now < s.endsAt);
      }),
    );
  });

  it('lets the staff answer for a day after the end, then no more', () => {
    const s = { startsAt: 0, endsAt: HOUR };
    expect(acceptsAnswers(s, HOUR + LATE_ANSWER_MS - 1)).toBe(true);
    expect(acceptsAnswers(s, HOUR + LATE_ANSWER_MS)).toBe(false);
  });

  it('orders the public list: live by end, upcoming soonest first, the archive latest first', () => {
    const now = 100 * HOUR;
    const mk = (id: string, startsAt: number, endsAt: number) => ({ id, startsAt, endsAt });
    const sessions = [mk('a', now - 2 * HOUR, now - HOUR), mk('b', now + 5 * HOUR, now + 6 * HOUR), mk('c', now - HOUR, now + HOUR), mk('d', now + HOUR, now + 2 * HOUR), mk('e', now - 9 * HOUR, now - 8 * HOUR)];
    const o = orderSessions(sessions, now);
    expect(o.live.map((s) => s.id)).toEqual(['c']);
    expect(o.upcoming.map((s) => s.id)).toEqual(['d', 'b']);
    expect(o.ended.map((s) => s.id)).toEqual(['a', 'e']);
  });
});

describe('a citizen’s question', () => {
  it('is trimmed and must hold 4 to 300 characters, counted as characters (not UTF-16 units)', () => {
    expect(checkQuestion('  ')).toEqual({ ok: false, error: 'required' });
    expect(checkQuestion(undefined)).toEqual({ ok: false, error: 'required' });
    expect(checkQuestion('路灯?')).toEqual({ ok: false, error: 'too_short' });
    expect(checkQuestion(' 村里路灯什么时候修？ ')).toEqual({ ok: true, value: '村里路灯什么时候修？' });
    expect(checkQuestion('问'.repeat(MAX_QUESTION_CHARS))).toMatchObject({ ok: true });
    expect(checkQuestion('问'.repeat(MAX_QUESTION_CHARS + 1))).toEqual({ ok: false, error: 'too_long' });
    // 300 characters outside the BMP are 600 UTF-16 units: still within the limit.
    expect(checkQuestion('𠀀'.repeat(MAX_QUESTION_CHARS))).toMatchObject({ ok: true });
  });

  it('accepts any text of allowed length and refuses any longer', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 0, maxLength: 400 }), (s) => {
        const r = checkQuestion(s);
        const n = [...s.replace(/\r\n?/g, '\n').trim()].length;
        expect(r.ok).toBe(n >= 4 && n <= MAX_QUESTION_CHARS);
      }),
    );
  });
});

describe('scheduling a session', () => {
  const base = { topic: '农村饮水安全', host: '县水务局局长', region: '371324', startsAt: 10 * HOUR, endsAt: 12 * HOUR };
  it('takes a county or a town, a public title, and at most 8 hours', () => {
    expect(v.safeParse(NewQaSessionSchema, base).success).toBe(true);
    expect(v.safeParse(NewQaSessionSchema, { ...base, region: TOWN }).success).toBe(true);
    expect(v.safeParse(NewQaSessionSchema, { ...base, region: '371324102201' }).success).toBe(false);
    expect(v.safeParse(NewQaSessionSchema, { ...base, endsAt: base.startsAt }).success).toBe(false);
    expect(v.safeParse(NewQaSessionSchema, { ...base, endsAt: base.startsAt + 9 * HOUR }).success).toBe(false);
    expect(v.safeParse(NewQaSessionSchema, { ...base, extra: 1 }).success).toBe(false);
  });

  it('refuses a phone number in the host’s title, however it is written', () => {
    for (const host of ['水务局 13812345678', '局长 138-1234-5678', '局长０５３９８８８８８８８']) expect(v.safeParse(NewQaSessionSchema, { ...base, host }).success, host).toBe(false);
  });

  it('is for host roles whose scope covers the whole area; a department only for its own department', () => {
    // Every role in the list, including any added later: only these host without a department.
    expect(ROLES.filter((r) => mayHost(who(r, ['371324']), '371324', null))).toEqual(['town_official', 'county_dispatcher', 'city_dispatcher', 'leader']);
    expect(mayHost(who('town_official', ['371324102']), TOWN, null)).toBe(true);
    expect(mayHost(who('town_official', ['371324102']), '371324', null)).toBe(false);
    expect(mayHost(who('town_official', ['371324102']), '371324103000', null)).toBe(false);
    expect(mayHost(who('dept_handler', ['371324'], ['water']), '371324', 'water')).toBe(true);
    expect(mayHost(who('dept_handler', ['371324'], ['water']), '371324', 'roads')).toBe(false);
  });

  it('is run by its creator or anyone who could host it; seen by anyone whose area it touches', () => {
    const s = { region: TOWN, dept: null, createdBy: 'u-1' };
    expect(mayManage(who('town_official', ['371324102']), s)).toBe(true);
    expect(mayManage(who('town_official', ['371324103']), s)).toBe(false);
    expect(mayManage(who('grid_worker', ['371324102'], [], 'u-1'), s)).toBe(false);
    expect(mayManage(who('county_dispatcher', ['371324']), s)).toBe(true);
    expect(sessionTouches(who('town_official', ['371324102']), { region: '371324' })).toBe(true);
    expect(sessionTouches(who('town_official', ['371324103']), s)).toBe(false);
  });
});

describe('the place of an appeal made from a question', () => {
  const villages = ['371324102201', '371324102202', '371324103201'];
  it('is the official’s choice within the area, else the area’s first village, flagged as guessed', () => {
    expect(placeForAppeal({ region: TOWN }, villages, '371324102202')).toEqual({ village: '371324102202', guessed: false });
    expect(placeForAppeal({ region: TOWN }, villages, '371324103201')).toEqual({ village: '371324102201', guessed: true });
    expect(placeForAppeal({ region: TOWN }, villages, undefined)).toEqual({ village: '371324102201', guessed: true });
    expect(placeForAppeal({ region: '371325' }, villages, undefined)).toBeNull();
  });
});
