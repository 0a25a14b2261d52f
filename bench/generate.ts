import { CHANNELS, KINDS, URGENCIES, type AppealInput } from '../src/core/appeal';
import { CATEGORY_CLASSES } from '../src/core/categories';
import type { AppealEvent, EventInput, Satisfaction } from '../src/core/events';

// Realistic appeals for tests and benchmarks: Chinese descriptions of field-report length
// built from templates, placed in real villages. Deterministic for a given seed.

const TEMPLATES: Record<string, string[]> = {
  infra: [
    '{village}{group}组通往镇上的道路有{n}处坑洼，雨后积水很深，电动车和三轮车经常陷进去，{who}上周还摔伤了腿。群众希望尽快修补路面并加装排水沟。',
    '{village}{group}组自来水已经停了{n}天，村民只能到邻村挑水，{who}年纪大挑不动。听说是主管道冻裂，希望供水站尽快派人维修并说明恢复时间。',
    '{village}村口的{n}盏路灯坏了很久，晚上孩子放学和老人出门都很危险。村里反映过两次没有结果，请相关部门尽快修复。',
    '{village}垃圾收集点已经{n}天没有清运，天热气味很大，蚊蝇多，周边住户意见很大，希望环卫公司按时清运并增加一个收集桶。',
  ],
  livelihood: [
    '{who}今年{age}岁，独自居住，原来享受的低保从上月停发了，不知道什么原因，家里没有其他收入，请帮忙查询并说明情况。',
    '{village}{group}组的{who}患有慢性病，每月买药花费{n}百元，想咨询门诊慢特病报销怎么办理，需要准备哪些材料，到哪里办。',
    '{village}小学放学后没有校车，{n}个孩子要走三公里路回家，路上要过公路，家长很担心，希望教育部门协调解决接送问题。',
    '{who}家的房子是八十年代建的土坯房，墙体开裂{n}处，下雨漏水，想申请农村危房改造，不清楚条件和流程。',
  ],
  disputes: [
    '{village}{group}组两户村民因为宅基地边界发生争执，一方砌墙占了约{n}米的路，另一方出行困难，双方多次争吵，需要村里和镇上调解。',
    '{who}等{n}名村民在邻县工地干活，工程结束后包工头拖欠工资至今未付，总额约{n}万元，多次讨要无果，请求帮助追讨。',
    '{village}{group}组土地流转合同到期，承包方不愿退地也不再付租金，涉及{n}户村民，希望镇农经站帮助处理。',
    '{village}附近夜里经常有人偷电动车和电瓶，最近一个月已经丢了{n}辆，村民希望派出所加强巡逻，在路口装监控。',
  ],
  services: [
    '{who}到镇便民服务中心办理养老保险认证跑了{n}次都没办成，每次说缺材料，但一次没说清楚，希望能一次性告知。',
    '{village}的{who}反映村干部在低保评议中优亲厚友，评议过程不公开，希望上级核查并公开评议结果。',
    '{who}想咨询今年种粮补贴的发放标准和时间，家里种了{n}亩小麦，去年的补贴到现在还没有到账。',
    '{village}群众建议在村委会设立一个固定的便民代办点，帮助老人办理社保、医保缴费，每月集中办理{n}次。',
  ],
};
const WHO = ['王大爷', '李大娘', '张师傅', '刘阿姨', '陈老汉', '赵大嫂', '孙先生', '周女士'];

/** Small deterministic PRNG (mulberry32) so generated sets are repeatable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface VillageRef {
  code: string;
  name: string;
}

export function generateAppeals(count: number, villages: VillageRef[], seed = 1): AppealInput[] {
  if (villages.length === 0) throw new Error('generateAppeals needs at least one village');
  const rnd = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  return Array.from({ length: count }, () => {
    const cls = pick(CATEGORY_CLASSES);
    const village = pick(villages);
    const description = pick(TEMPLATES[cls.code]!)
      .replaceAll('{village}', village.name.replace(/(村民委员会|居民委员会)$/, ''))
      .replaceAll('{group}', String(1 + Math.floor(rnd() * 9)))
      .replaceAll('{who}', pick(WHO))
      .replaceAll('{age}', String(60 + Math.floor(rnd() * 30)))
      .replace(/\{n\}/g, () => String(2 + Math.floor(rnd() * 18)));
    const anonymous = rnd() < 0.2;
    return {
      channel: pick(CHANNELS),
      category: pick(cls.subs),
      kind: pick(KINDS),
      urgency: pick(URGENCIES),
      villageCode: village.code,
      description,
      citizen: anonymous ? { anonymous: true } : { anonymous: false, name: pick(WHO), phone: `139${String(Math.floor(rnd() * 1e8)).padStart(8, '0')}` },
      gps: null,
    };
  });
}

/** How far through the pipeline a generated appeal has gone. */
export type Progress = 'recorded' | 'assigned' | 'replied' | 'closed';

/**
 * Events that walk an appeal to `progress`, each one valid where it stands: accepted and
 * assigned to the town, started, replied through the original channel, visited, closed.
 */
export function pipelineEvents(
  progress: Progress,
  channel: AppealInput['channel'],
  actor: { id: string; role: 'town_official'; name: string },
  from: number,
  nextId: () => string,
  /** How long the reply takes after work starts (default an hour), and the return visit's rating; an unsatisfied one reopens the appeal. */
  shape: { replyAfterMs?: number; satisfaction?: Satisfaction } = {},
): AppealEvent[] {
  const steps: EventInput[] = [];
  if (progress !== 'recorded') steps.push({ type: 'accepted' }, { type: 'assigned', tier: 'town' });
  if (progress === 'replied' || progress === 'closed') steps.push({ type: 'started' }, { type: 'replied', note: '已联系相关站所处理，问题已解决，已电话告知群众。', via: channel });
  const satisfaction = shape.satisfaction ?? 'satisfied';
  if (progress === 'closed') steps.push({ type: 'visited', satisfaction }, satisfaction === 'unsatisfied' ? { type: 'reopened', reason: '群众不满意，重新办理' } : { type: 'closed' });
  const delay = (shape.replyAfterMs ?? 3_600_000) - 3_600_000;
  return steps.map((s, i) => ({ ...s, id: nextId(), actor: actor.id, role: actor.role, by: actor.name, at: from + (i + 1) * 3_600_000 + (i >= 3 ? delay : 0) }) as AppealEvent);
}

/** A realistic mix: a third still new, the rest spread over the later stages. */
export function progressFor(rnd: () => number): Progress {
  const r = rnd();
  return r < 0.35 ? 'recorded' : r < 0.6 ? 'assigned' : r < 0.8 ? 'replied' : 'closed';
}
