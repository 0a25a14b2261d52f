import { describe, expect, it } from 'vitest';
import { addWorkingMinutes } from '../../src/core/calendar';
import { currentAnswer, expectedAnswerBy } from '../../src/core/citizen-view';
import { longDate, longDateTime } from '../../src/core/calendar';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { ev } from './fixtures';

// What the citizen's page (/p/c/<code>) adds to the status: the answer to rate, and while
// the appeal is open, the day its answer is due (issue 26, item 7).

describe('the answer the citizen is asked to rate', () => {
  it('is the last reply, or the answer given on the spot', () => {
    expect(currentAnswer([ev('recorded'), ev('assigned'), ev('replied', { note: '第一次答复' }), ev('visited', { satisfaction: 'unsatisfied' }), ev('reopened'), ev('assigned'), ev('replied', { note: '  路已修好  ' })])).toBe('路已修好');
    expect(currentAnswer([ev('recorded', { onSpot: '当场联系了村医' })])).toBe('当场联系了村医');
  });

  it('is none before a reply, after a reopening, or when the reply was refused', () => {
    expect(currentAnswer([ev('recorded'), ev('assigned')])).toBeNull();
    expect(currentAnswer([ev('recorded'), ev('assigned'), ev('replied', { note: '已答复' }), ev('visited', { satisfaction: 'unsatisfied' }), ev('reopened')])).toBeNull();
    // A reply on an appeal already closed is refused by the fold: it never reached the citizen.
    expect(currentAnswer([ev('recorded'), ev('assigned'), ev('replied', { note: '已答复' }), ev('visited'), ev('closed'), ev('replied', { note: '迟到的答复' })])).toBe('已答复');
  });
});

describe('when the answer is due', () => {
  const policy = POLICY_PRESETS.wanyuan;
  const dueAt = Date.UTC(2026, 10, 30, 2); // Monday 10:00 in China
  const day = 8 * 60;

  it('is the handling deadline while it is handled', () => {
    expect(expectedAnswerBy({ stage: 'handle', dueAt, kind: 'help', urgency: 'yellow' }, policy)).toBe(dueAt);
  });

  it('adds the handling time of its kind to the dispatch deadline while it waits for dispatch', () => {
    expect(expectedAnswerBy({ stage: 'dispatch', dueAt, kind: 'consultation', urgency: 'yellow' }, policy)).toBe(addWorkingMinutes(dueAt, 3 * day, policy.hours));
    expect(expectedAnswerBy({ stage: 'dispatch', dueAt, kind: 'help', urgency: 'yellow' }, policy)).toBe(addWorkingMinutes(dueAt, 5 * day, policy.hours));
  });

  it('is none once answered, or with no clock', () => {
    expect(expectedAnswerBy({ stage: 'visit', dueAt, kind: 'help', urgency: 'yellow' }, policy)).toBeNull();
    expect(expectedAnswerBy({ stage: null, dueAt: null, kind: 'help', urgency: 'yellow' }, policy)).toBeNull();
  });
});

describe('a day as people write it', () => {
  it('uses China time and no leading zeros', () => {
    // 2026-11-30 17:00 UTC is already 1 December in China.
    expect(longDate(Date.UTC(2026, 10, 30, 17), 'zh-CN')).toBe('2026年12月1日');
    expect(longDate(Date.UTC(2026, 10, 30, 3), 'zh-CN')).toBe('2026年11月30日');
    expect(longDate(Date.UTC(2026, 10, 30, 3), 'en')).toBe('30 Nov 2026');
  });
});

describe('one way of writing a date (issue 26, item 10)', () => {
  it('prints on the public pages exactly what the app prints (Intl, medium style, China time)', () => {
    const app = (ms: number, locale: string) => new Intl.DateTimeFormat(locale, { timeZone: 'Asia/Shanghai', dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23' }).format(ms);
    for (const ms of [Date.UTC(2026, 10, 30, 6, 5), Date.UTC(2026, 0, 1, 15, 59), Date.UTC(2027, 11, 31, 16, 0)]) {
      expect(longDateTime(ms, 'zh-CN')).toBe(app(ms, 'zh-CN'));
      expect(longDate(ms, 'zh-CN')).toBe(app(ms, 'zh-CN').split(' ')[0]);
      expect(longDateTime(ms, 'en')).toBe(app(ms, 'en-GB'));
    }
  });
});
