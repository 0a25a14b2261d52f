import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as Y from 'yjs';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { fold } from '../../src/core/fold';
import { project } from '../../src/core/projection';
import { ev, gridWorker, validInput } from './fixtures';
import { en } from '../../src/i18n/en';
import { zhCN } from '../../src/i18n/zh-CN';
import { BOILERPLATE_MANY, checkReply, COPY_SIMILARITY, DEFAULT_BOILERPLATE, MIN_REPLY_CHARS, QUALITY_RULES, replySimilarity, type QualityRule } from '../../src/core/reply-quality';

// Reply quality checks (issue 28, item 2): a labelled set of replies as handlers in a rural
// county write them, each with the rules that must fire on it and no others.

const rules = (text: string, recentReplies: string[] = []) => checkReply(text, { recentReplies }).map((f) => f.rule);

/** Good replies: a concrete action or date, long enough, nothing refused without a referral. */
const GOOD: string[] = [
  '经现场查看，村东头道路坑洼已于12月3日安排施工队修补完毕，欢迎监督。',
  '您反映的自来水停水问题，镇水务站已派人更换破损管道，11月28日下午已恢复供水。',
  '低保金未到账问题经核实系银行卡号录入错误，已更正，本月15日前补发到您的账户。',
  '路灯不亮的问题，已安排电工于本周四晚上更换灯泡6个，现已全部亮灯。',
  '垃圾堆放问题已清运完毕，村里在路口新安装了两个垃圾箱，每周二、周五清运。',
  '邻里宅基地纠纷已由村调解委员会组织双方调解，12月1日签订调解协议。',
  '您反映的麦田被淹问题，已派员现场测量受损面积3.2亩，保险理赔材料已送达保险公司，预计10个工作日内到账。',
  '经核实，该路段属于县交通运输局管养，我镇已转交县交通运输局，联系电话0539-5211234。',
  '该事项不属于我单位职责，根据《城乡规划法》应由县自然资源局受理，已转交该局办理，请您留意回电。',
  '我镇高度重视，已于12月2日派人入户核实，养老金断发系认证过期，已当场补办认证，下月恢复发放。',
  '排水沟堵塞问题已组织村民清理疏通，并加固了沟边护坡，3天内完成验收。',
  '您家电表故障已报供电所，供电所已于今天上午上门更换电表，现已通电。',
  '学校门口的减速带已安装完成，交警中队每天上午7:30安排人员值守。',
  '医保报销未到账系材料缺少发票原件，已电话告知您补交，补交后5个工作日内兑付。',
  '楼道堆放杂物已责令物业清理，物业已于11月30日清理完毕，并张贴了告示。',
  '此事不归我们管，由于涉及跨县河道，建议您向市水利局反映，电话12345。',
  '村口桥梁裂缝经县交通局检测为表层裂缝，不影响通行，已封堵裂缝并设立警示牌。',
  '欠薪问题已约谈用工企业负责人，企业承诺12月10日前支付全部工资，我们将跟踪到账情况。',
  '您反映的噪音扰民问题，执法中队已现场查看并责令施工方晚上10点后停工，已整改。',
  '自来水浑浊问题，水厂已检测水质合格，对您家所在管段进行了冲洗，明天再次取样检测。',
];

/** Bad replies with the rules that must fire (in QUALITY_RULES order). */
const BAD: [string, QualityRule[]][] = [
  ['我单位高度重视，将认真研究，积极协调，妥善处理。', ['boilerplate', 'no_action']],
  ['已收到，会尽快解决。', ['boilerplate', 'too_short', 'no_action']],
  ['高度重视，积极协调。', ['boilerplate', 'too_short', 'no_action']],
  ['对于您反映的问题，我们高度重视，下一步将进一步加强管理，持续关注。', ['boilerplate', 'no_action']],
  ['我们会妥善处理此事，请您耐心等待后续消息，感谢您的理解与支持。', ['boilerplate', 'no_action']],
  ['已处理。', ['too_short', 'no_action']],
  ['好的', ['too_short', 'no_action']],
  ['已知悉，正在处理中。', ['too_short', 'no_action']],
  ['您反映的情况已收到，目前正在办理中，请耐心等待。', ['no_action']],
  ['您反映的问题我们已经了解，正在研究，会给您一个满意的答复。', ['no_action']],
  ['感谢您对我们工作的关心和支持，相关问题正在协调中，请耐心等待。', ['no_action']],
  ['该事项不属于我单位职责。', ['too_short', 'no_action', 'not_ours']],
  ['经了解，您反映的问题不归我们管，请理解，感谢您的来电和支持。', ['no_action', 'not_ours']],
  ['此事不在本单位职责范围，我们无法处理，感谢您对政府工作的关心。', ['no_action', 'not_ours']],
  ['非我单位职责，已于12月1日派人告知来电人，此件办结。', ['not_ours']],
  ['高度重视，认真研究，积极协调，已安排人员处理，妥善处理好群众诉求。', ['boilerplate']],
  ['', ['too_short']],
  ['   。。。  ', ['too_short']],
  ['我单位高度重视，12月5日前将进一步加强巡查，认真落实整改，持续关注。', ['boilerplate']],
  ['我们将积极协调有关部门研究解决，逐步解决群众反映的问题。', ['boilerplate', 'no_action']],
  ['请您放心，我们会认真对待每一位群众的诉求，及时处理，绝不推诿。', ['boilerplate', 'no_action']],
];

describe('the labelled replies', () => {
  it.each(GOOD.map((g) => [g]))('passes a good reply: %s', (text) => {
    expect(checkReply(text)).toEqual([]);
  });

  it.each(BAD)('flags a bad reply: %s', (text, expected) => {
    expect(rules(text)).toEqual(expected);
  });

  it('covers every rule with bad examples and keeps ~40 replies', () => {
    const fired = new Set(BAD.flatMap(([, r]) => r));
    fired.add('copied'); // the copy rule needs the unit's other replies: its own tests below
    expect([...fired].sort()).toEqual([...QUALITY_RULES].sort());
    expect(GOOD.length + BAD.length).toBeGreaterThanOrEqual(40);
  });
});

describe('each rule explains itself', () => {
  it('names the boilerplate phrases it found', () => {
    expect(checkReply('我单位高度重视，将认真研究，积极协调，妥善处理。')[0]).toEqual({ rule: 'boilerplate', detail: '高度重视、认真研究、积极协调、妥善处理' });
  });

  it(`lets one boilerplate phrase stand beside a concrete action, not ${BOILERPLATE_MANY}`, () => {
    expect(rules('我镇高度重视，已于12月2日派人入户核实并补办认证，下月恢复发放。')).toEqual([]);
    expect(rules('我镇高度重视、认真研究、积极协调，已于12月2日派人入户核实并补办认证。')).toEqual(['boilerplate']);
  });

  it('takes a configured phrase library instead of the default', () => {
    const text = '我们会高度重视，按程序走流程，请耐心等候通知消息。';
    expect(checkReply(text, { phrases: ['按程序走流程'] })[0]).toEqual({ rule: 'boilerplate', detail: '按程序走流程' });
    expect(checkReply(text, { phrases: [] }).map((f) => f.rule)).toEqual(['no_action']);
    expect(DEFAULT_BOILERPLATE).toContain('妥善处理');
  });

  it(`counts ${MIN_REPLY_CHARS} meaningful characters, punctuation and spaces not counted`, () => {
    const at = '路灯已于12月3日更换完毕监督'; // 15 characters
    expect(Array.from(at).length).toBe(MIN_REPLY_CHARS);
    expect(rules(at)).toEqual([]);
    expect(rules('路灯已于12月3日更换完毕监')).toEqual(['too_short']);
    expect(checkReply('，，，路灯已于12月3日 更换完毕监。 。')).toEqual([{ rule: 'too_short', detail: `14/${MIN_REPLY_CHARS}` }]);
  });

  it('accepts a date alone or an action alone as concrete', () => {
    expect(rules('您反映的问题将在本周五之前给出处理意见，请保持电话畅通。')).toEqual([]);
    expect(rules('您反映的问题已派人到您家看过，情况已经记录在案。')).toEqual([]);
    expect(rules('您反映的问题将给出处理意见，请保持电话畅通，谢谢。')).toEqual(['no_action']);
  });

  it(`flags a reply copied from another of the unit's replies at ${COPY_SIMILARITY * 100}% similarity`, () => {
    const earlier = '您反映的路灯不亮问题，已安排电工于12月3日更换灯泡，现已恢复照明。';
    const copy = '您反映的路灯不亮问题，已安排电工于12月4日更换灯泡，现已恢复照明。';
    expect(replySimilarity(earlier, copy)).toBeGreaterThanOrEqual(COPY_SIMILARITY);
    expect(checkReply(copy, { recentReplies: ['无关的答复内容，已派人修好水管。', earlier] })).toEqual([{ rule: 'copied', detail: `${Math.round(replySimilarity(earlier, copy) * 100)}%` }]);
    // Same facts, own words: not a copy.
    expect(rules('路灯问题已处理：电工12月3日上门换了灯泡，现在路口已经亮了。', [earlier])).toEqual([]);
    // Punctuation, spaces and full-width digits do not hide a copy.
    expect(rules('您反映的路灯不亮问题 已安排电工于１２月３日更换灯泡 现已恢复照明', [earlier])).toEqual(['copied']);
  });

  it('lets "not our duty" stand with a reason or a referral, and quotes the words when it has neither', () => {
    expect(checkReply('该事项不属于我单位职责，请理解，感谢您的来电和支持。').find((f) => f.rule === 'not_ours')).toEqual({ rule: 'not_ours', detail: '不属于我单位职责' });
    expect(rules('该事项不属于我单位职责，建议您向县人社局反映，已于今天告知您。')).toEqual([]);
    expect(rules('该事项不属于我单位职责，依据县里的分工由供电公司负责，已转交供电所。')).toEqual([]);
  });
});

describe('any string', () => {
  it('never throws and gives the same findings twice', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom(...GOOD, ...BAD.map(([t]) => t))), fc.array(fc.string({ unit: 'binary' }), { maxLength: 3 }), (text, recent) => {
        const a = checkReply(text, { recentReplies: recent });
        const b = checkReply(text, { recentReplies: recent });
        expect(b).toEqual(a);
        for (const f of a) {
          expect(QUALITY_RULES).toContain(f.rule);
          expect(typeof f.detail).toBe('string');
        }
        const order = a.map((f) => QUALITY_RULES.indexOf(f.rule));
        expect(order).toEqual([...order].sort((x, y) => x - y));
      }),
      { numRuns: 500 },
    );
  });

  it('bounds the work on a huge reply', () => {
    expect(() => checkReply('高度重视'.repeat(200_000), { recentReplies: ['妥善处理'.repeat(200_000)] })).not.toThrow();
  });
});

describe('the projection', () => {
  function projected(...notes: string[]) {
    const doc = new Y.Doc();
    const id = newId();
    writeNewAppeal(doc, validInput(), { id: gridWorker.id, role: gridWorker.role }, 1_700_000_000_000, newId());
    appendEvent(doc, ev('assigned', { tier: 'town', at: 1_700_000_000_100 }));
    notes.forEach((note, i) => {
      // Each later reply follows an unsatisfied visit and a reopening, as in the field.
      if (i > 0) {
        appendEvent(doc, ev('visited', { satisfaction: 'unsatisfied', at: 1_700_000_000_200 + 10 * i - 2 }));
        appendEvent(doc, ev('reopened', { at: 1_700_000_000_200 + 10 * i - 1 }));
      }
      appendEvent(doc, ev('replied', { note, at: 1_700_000_000_200 + 10 * i }));
    });
    const snap = readAppeal(doc, id);
    expect(fold(snap.events, snap.id).conflicts).toEqual([]);
    return project(snap, POLICY_PRESETS.lanling);
  }

  it('flags the last reply with the rules it trips, the same wherever it is built', () => {
    expect(projected().qualityFlags).toEqual([]);
    expect(projected('我单位高度重视，将认真研究，积极协调，妥善处理。').qualityFlags).toEqual(['boilerplate', 'no_action']);
    // A better reply after a flagged one clears the flag: the last reply is the one the citizen holds.
    expect(projected('已处理。', GOOD[0]!).qualityFlags).toEqual([]);
    expect(projected(GOOD[0]!, '已处理。').qualityFlags).toEqual(['too_short', 'no_action']);
  });
});

describe('the words', () => {
  it('say every rule in Chinese and in English', () => {
    for (const messages of [zhCN, en] as Record<string, string>[]) {
      expect(QUALITY_RULES.filter((r) => typeof messages[`quality.${r}`] !== 'string')).toEqual([]);
      expect(typeof messages['quality.title']).toBe('string');
    }
  });
});
