import { describe, expect, it } from 'vitest';
import { REJECT_REASONS } from '../../src/core/accept';
import { CHANNELS, KINDS, URGENCIES } from '../../src/core/appeal';
import { AUDIT_ACTIONS } from '../../src/core/audit';
import { CATEGORY_CLASSES } from '../../src/core/categories';
import { spanMessage } from '../../src/core/deadline';
import { DEPARTMENTS } from '../../src/core/departments';
import { EVENT_TYPES, SATISFACTION, SUPERVISION_LADDER, TIERS, UNREASONABLE } from '../../src/core/events';
import { STATUSES } from '../../src/core/fold';
import { ROLES } from '../../src/core/roles';
import { en } from '../../src/i18n/en';
import { zhCN } from '../../src/i18n/zh-CN';

// Screens build some message keys from values (`status.${status}`, `audit.${action}`): a value
// without its message would show the raw key to the user (issue 26, item 10). Every value each
// such family can take has its words in both locales.

const FAMILIES: Record<string, readonly string[]> = {
  category: CATEGORY_CLASSES.flatMap((c) => [c.code, ...c.subs]),
  channel: CHANNELS,
  kind: KINDS,
  urgency: URGENCIES,
  role: ROLES,
  status: STATUSES,
  tier: TIERS,
  dept: DEPARTMENTS,
  event: EVENT_TYPES,
  satisfaction: SATISFACTION,
  unreasonable: UNREASONABLE,
  ladder: SUPERVISION_LADDER,
  audit: AUDIT_ACTIONS,
  reject: REJECT_REASONS,
  'relay.state': ['connecting', 'catching-up', 'live', 'down', 'refused'],
};

describe('messages built from values', () => {
  for (const [family, values] of Object.entries(FAMILIES)) {
    it(`say every ${family} in words, in Chinese and in English`, () => {
      for (const [name, messages] of [['zh-CN', zhCN], ['en', en]] as const) {
        const missing = values.filter((v) => typeof (messages as Record<string, string>)[`${family}.${v}`] !== 'string');
        expect(missing, `${name}: ${family}.…`).toEqual([]);
      }
    });
  }

  it('never leave a placeholder or straight quotes in the Chinese text', () => {
    const straight = Object.entries(zhCN).filter(([, text]) => /"/.test(text)).map(([k]) => k);
    expect(straight).toEqual([]);
  });

  it('say a span of working time with only its parts that are not zero, and one day as one', () => {
    const fill = (text: string, params: Record<string, number>) => text.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k]));
    const say = (messages: Record<string, string>, left: { days: number; hours: number; minutes: number }) => {
      const { key, params } = spanMessage(left);
      expect(messages[key], key).toBeTypeOf('string');
      return fill(messages[key]!, params);
    };
    expect(say(zhCN, { days: 1, hours: 0, minutes: 0 })).toBe('1 个工作日');
    expect(say(zhCN, { days: 2, hours: 3, minutes: 10 })).toBe('2 个工作日 3 小时');
    expect(say(zhCN, { days: 0, hours: 0, minutes: 40 })).toBe('40 分钟');
    expect(say(en, { days: 1, hours: 2, minutes: 0 })).toBe('1 working day 2 h');
    expect(say(en, { days: 3, hours: 0, minutes: 0 })).toBe('3 working days');
  });
});
