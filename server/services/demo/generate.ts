import { CHANNELS, KINDS, URGENCIES, type AppealInput, type Channel } from '../../../src/core/appeal';

/** Channels a citizen's appeal arrives by at a desk: not the SMS gateway's or a deputy's own. */
const PEOPLES_CHANNELS = CHANNELS.filter((c): c is Exclude<Channel, 'sms' | 'deputy'> => c !== 'sms' && c !== 'deputy');
import { CATEGORY_CLASSES } from '../../../src/core/categories';
import type { AppealEvent, EventInput, Satisfaction } from '../../../src/core/events';
import { townOf } from '../../../src/core/regions';

// Realistic appeals for the demo county, tests and benchmarks (shared with bench/, which re-exports it): Chinese descriptions of field-report length,
// placed in real villages. Deterministic for a given seed. Each description is put together
// from a phrase bank (who reports it, the problem with its particulars, since when, what it
// does to people, what was tried, what is asked), so a county's backlog is not a few
// templates repeated: `distinctRatio` reports how varied a generated set is.

type Slots = { village: string; group: string; who: string; place: string; n: () => string; age: string };
type Phrase = (s: Slots) => string;

const OPENERS: Phrase[] = [
  (s) => `${s.village}${s.group}组村民${s.who}反映：`,
  (s) => `${s.who}来电称，`,
  (s) => `网格员入户走访时，${s.who}提出，`,
  (s) => `${s.village}板凳会上，几位群众说`,
  (s) => `${s.who}（${s.age}岁）到村便民服务站反映，`,
  (s) => `${s.village}${s.group}组群众联名反映，`,
  (s) => `${s.who}在微信群里说，`,
  () => '有群众反映，',
  (s) => `${s.village}的${s.who}说，`,
  (s) => `${s.group}组组长代表${s.n()}户村民反映，`,
];

const PROBLEMS: Record<string, Phrase[]> = {
  infra: [
    (s) => `${s.place}的路面有${s.n()}处坑洼，雨后积水很深`,
    (s) => `${s.village}${s.group}组自来水停了${s.n()}天，只能到邻村挑水`,
    (s) => `${s.place}的${s.n()}盏路灯坏了，晚上一片漆黑`,
    (s) => `${s.place}的垃圾收集点${s.n()}天没有清运，气味很大`,
    (s) => `${s.place}的排水沟被淤泥堵死，一下雨就漫到路上`,
    (s) => `自来水发黄有沉淀，烧开后壶底一层水垢`,
    (s) => `${s.group}组的变压器容量不够，晚上电压低，空调和水泵带不动`,
    (s) => `${s.place}的小桥护栏断了${s.n()}米，一直没人修`,
    (s) => `村里的生活污水直接排进${s.place}的河沟，夏天发臭`,
    (s) => `${s.place}附近有人焚烧秸秆和垃圾，烟很大`,
    (s) => `村里的网线和电线乱拉，${s.place}有一根电线杆倾斜`,
    (s) => `通往镇上的公交车从每天${s.n()}班减到两班`,
  ],
  livelihood: [
    (s) => `${s.who}今年${s.age}岁，独自居住，低保从上月停发了，不知道原因`,
    (s) => `${s.who}患慢性病，每月药费${s.n()}百元，不知道门诊慢特病怎么报销`,
    (s) => `${s.village}小学放学后没有校车，${s.n()}个孩子要走三公里回家`,
    (s) => `${s.who}家的土坯房墙体开裂${s.n()}处，下雨漏水，想申请危房改造`,
    (s) => `${s.who}的残疾人两项补贴已经${s.n()}个月没有到账`,
    (s) => `${s.who}的高龄津贴认证一直办不下来`,
    (s) => `村卫生室医生退休后没人接替，看小病要跑到镇上`,
    (s) => `${s.who}的孙子在外地上学，学籍转回来遇到困难`,
    (s) => `${s.who}家里${s.n()}口人只有一亩多地，丈夫去年去世，生活困难，想申请临时救助`,
    (s) => `${s.who}的新农合缴费记录查不到，住院报销被退回`,
    (s) => `幼儿园收费今年涨了${s.n()}百元，家长负担重`,
  ],
  disputes: [
    (s) => `两户村民因为宅基地边界争执，一方砌墙占了约${s.n()}米的路`,
    (s) => `${s.who}等${s.n()}名村民在工地干活，包工头拖欠工资至今未付`,
    (s) => `土地流转合同到期，承包方不退地也不付租金，涉及${s.n()}户`,
    (s) => `夜里经常有人偷电动车和电瓶，一个月已经丢了${s.n()}辆`,
    (s) => `邻居家的狗经常咬人，${s.place}已经有${s.n()}个人被咬`,
    (s) => `${s.who}和邻居因为滴水檐和排水的事吵了多次`,
    (s) => `${s.place}有人私自占用集体土地建养殖棚`,
    (s) => `${s.who}在养殖场干了${s.n()}个月，老板只给了一半工钱`,
    (s) => `兄弟之间为老人的赡养和承包地分配发生纠纷`,
    (s) => `${s.place}晚上有人聚众喝酒打牌，吵得周围睡不着`,
    (s) => `村里修路占了${s.who}家${s.n()}分地，补偿款一直没给`,
  ],
  services: [
    (s) => `${s.who}到镇便民服务中心办养老保险认证跑了${s.n()}次都没办成`,
    (s) => `有人反映村干部在低保评议中优亲厚友，评议过程不公开`,
    (s) => `${s.who}家种了${s.n()}亩小麦，去年的种粮补贴还没到账`,
    (s) => `群众建议在村委会设一个便民代办点，每月集中办理${s.n()}次`,
    (s) => `${s.who}办理不动产登记时被要求补交的材料前后说法不一`,
    (s) => `镇上办事窗口中午不开门，在外打工的人只能请假来办`,
    (s) => `${s.who}想咨询耕地地力保护补贴的标准和发放时间`,
    (s) => `村务公开栏${s.n()}个月没更新，账目看不明白`,
    (s) => `${s.who}的营业执照年报在网上提交不了，也没人指导`,
    (s) => `群众建议${s.place}增设一个快递代收点`,
    (s) => `${s.who}申请宅基地审批已经${s.n()}个月，不知道进展到哪一步了`,
  ],
};

const SINCE: Phrase[] = [(s) => `，已经${s.n()}天了`, () => '，从上个月开始', () => '，入冬以来一直这样', () => '，今年春天就有', (s) => `，前后有${s.n()}个星期`, () => '', () => '', () => '，反反复复好几年'];
const IMPACTS: Phrase[] = [
  (s) => `，${s.who}上周还因此摔伤了腿`,
  () => '，老人和孩子出门很不方便',
  () => '，周边住户意见很大',
  () => '，群众情绪比较激动',
  (s) => `，影响到${s.n()}户人家的生活`,
  () => '，农忙时节耽误了不少活',
  () => '，大家心里都不踏实',
  () => '，家里实在没有别的办法',
  () => '',
  () => '，有人说要到县里上访',
];
const TRIED: Phrase[] = [
  (s) => `。向村里反映过${s.n()}次没有结果`,
  () => '。打过12345热线，说已转办',
  () => '。找过镇上，让等通知',
  () => '',
  () => '',
  () => '。村里说这事不归村里管',
  () => '。去年也提过，后来不了了之',
];
const ASKS: Phrase[] = [
  () => '。希望有关部门尽快派人处理。',
  () => '。请帮忙查询并说明情况。',
  () => '。希望能一次性告知需要哪些材料、到哪里办。',
  () => '。请求镇上协调解决。',
  () => '。希望尽快修复，并说明完成时间。',
  () => '。请相关部门核实后给个答复。',
  (s) => `。希望在${s.n()}天内有个说法。`,
  () => '。请派出所加强巡逻，在路口装监控。',
  () => '。希望上级核查并公开结果。',
  () => '。请帮助调解，避免矛盾激化。',
];
const PLACES = ['村东头', '村西口', '小学门口', '卫生室旁边', '桥头', '集市边上', '老粮站附近', '文化广场', '南河沿', '村委会后面', '新村路口', '养殖小区'];
const WHO = ['王大爷', '李大娘', '张师傅', '刘阿姨', '陈老汉', '赵大嫂', '孙先生', '周女士', '吴大哥', '郑奶奶', '冯大叔', '褚女士', '卫先生', '蒋阿姨', '沈老师', '韩大娘'];

/** The share of distinct strings in a list: 1 when every one differs. */
export function distinctRatio(texts: readonly string[]): number {
  return texts.length === 0 ? 1 : new Set(texts).size / texts.length;
}

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
  // The text has its own stream, so its length never shifts the fields after it.
  const text = prng(seed * 7919 + 17);
  const say = <T>(list: readonly T[]): T => list[Math.floor(text() * list.length)]!;
  return Array.from({ length: count }, () => {
    const cls = pick(CATEGORY_CLASSES);
    const village = pick(villages);
    const slots: Slots = {
      village: village.name.replace(/(村民委员会|居民委员会)$/, ''),
      group: String(1 + Math.floor(text() * 12)),
      who: say(WHO),
      place: say(PLACES),
      age: String(58 + Math.floor(text() * 35)),
      n: () => String(2 + Math.floor(text() * 28)),
    };
    const description = [say(OPENERS), say(PROBLEMS[cls.code]!), say(SINCE), say(IMPACTS), say(TRIED), say(ASKS)].map((p) => p(slots)).join('');
    const anonymous = rnd() < 0.2;
    return {
      channel: pick(PEOPLES_CHANNELS),
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

/** Who does a step of the pipeline. */
export type StepName = 'accept' | 'handle' | 'visit' | 'close';
export interface PipelineStep {
  step: StepName;
  events: EventInput[];
  /** When each event happens. */
  at: number[];
}

/** How an appeal goes: how long the reply takes after work starts (default an hour), the return visit's rating, and the department it is sent to (none: the town handles it). */
export interface PipelineShape {
  replyAfterMs?: number;
  satisfaction?: Satisfaction;
  dept?: string;
}

/**
 * The steps that walk an appeal to `progress`, each done by a different hand: accepted and
 * assigned (to the town, or through it to a department), started and replied through the
 * original channel by whoever it was assigned to, the return visit, then closed (or reopened
 * when the citizen is unsatisfied). An hour apart, the reply `replyAfterMs` after the start.
 */
export function pipelineSteps(progress: Progress, channel: AppealInput['channel'], from: number, shape: PipelineShape = {}): PipelineStep[] {
  const events: [StepName, EventInput][] = [];
  if (progress !== 'recorded') events.push(['accept', { type: 'accepted' }], ['accept', { type: 'assigned', tier: 'town', ...(shape.dept && { dept: shape.dept }) } as EventInput]);
  if (progress === 'replied' || progress === 'closed') events.push(['handle', { type: 'started' }], ['handle', { type: 'replied', note: '已联系相关站所处理，问题已解决，已电话告知群众。', via: channel }]);
  const satisfaction = shape.satisfaction ?? 'satisfied';
  if (progress === 'closed') events.push(['visit', { type: 'visited', satisfaction }], ['close', satisfaction === 'unsatisfied' ? { type: 'reopened', reason: '群众不满意，重新办理' } : { type: 'closed' }]);
  const delay = (shape.replyAfterMs ?? 3_600_000) - 3_600_000;
  const steps: PipelineStep[] = [];
  for (const [i, [step, e]] of events.entries()) {
    const at = from + (i + 1) * 3_600_000 + (i >= 3 ? delay : 0);
    const last = steps.at(-1);
    if (last?.step === step) {
      last.events.push(e);
      last.at.push(at);
    } else steps.push({ step, events: [e], at: [at] });
  }
  return steps;
}

/** The events of `pipelineSteps`, all by one actor (for stores written directly, where no one checks who may do what). */
export function pipelineEvents(
  progress: Progress,
  channel: AppealInput['channel'],
  actor: { id: string; role: 'town_official'; name: string },
  from: number,
  nextId: () => string,
  shape: PipelineShape = {},
): AppealEvent[] {
  return pipelineSteps(progress, channel, from, shape).flatMap((s) => s.events.map((e, i) => ({ ...e, id: nextId(), actor: actor.id, role: actor.role, by: actor.name, at: s.at[i]! }) as AppealEvent));
}

/** A realistic mix: a third still new, the rest spread over the later stages. */
export function progressFor(rnd: () => number): Progress {
  const r = rnd();
  return r < 0.35 ? 'recorded' : r < 0.6 ? 'assigned' : r < 0.8 ? 'replied' : 'closed';
}

/** A town's own quality in [0, 1), the same for the same seed. */
function townQuality(town: string, seed: number): number {
  let h = seed;
  for (const c of town) h = (h * 31 + c.charCodeAt(0)) | 0;
  return prng(h)();
}

/**
 * How far an appeal recorded at `at` has gone, and how (with `varied`, its town's speed and
 * share of satisfied citizens). Nothing is answered in the future.
 */
export function progressAndShape(rnd: () => number, villageCode: string, at: number, now: number, seed: number, varied: boolean | undefined): { progress: Progress; shape: PipelineShape } {
  let progress = progressFor(rnd);
  let shape: PipelineShape = {};
  if (varied) {
    const q = townQuality(townOf(villageCode), seed);
    const r = rnd();
    // Whole milliseconds: events carry integer times (PostgreSQL keeps them as BIGINT).
    shape = { replyAfterMs: Math.round(3_600_000 * (1 + rnd() * (1 - q) * 160)), satisfaction: r < (1 - q) * 0.4 ? 'unsatisfied' : r < (1 - q) * 0.4 + 0.3 ? 'basically_satisfied' : 'satisfied' };
    if ((progress === 'replied' || progress === 'closed') && at + shape.replyAfterMs! + 6 * 3_600_000 > now) progress = 'assigned';
  }
  return { progress, shape };
}
