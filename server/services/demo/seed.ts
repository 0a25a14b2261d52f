import { classify, DEFAULT_KEYWORDS } from '../../../src/core/classify';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import * as Y from 'yjs';
import { contactOf, type AppealInput, type Channel, type Contact } from '../../../src/core/appeal';
import { cstDate, cstDay, cstInstant, weekdayOf } from '../../../src/core/calendar';
import type { Department } from '../../../src/core/departments';
import { appendEvent, eventsOf, writeNewAppeal } from '../../../src/core/doc';
import { fold } from '../../../src/core/fold';
import { checkReply } from '../../../src/core/reply-quality';
import type { AppealEvent, EventInput, Satisfaction } from '../../../src/core/events';
import { newId } from '../../../src/core/id';
import { writeNewMeeting, type MeetingEvent } from '../../../src/core/meeting';
import { awardEvent, DEFAULT_RULES, exchangeEvent, writeNewPoints } from '../../../src/core/points';
import type { Policies } from '../../../src/core/policy-book';
import { countyOf, shortVillageName, townOf } from '../../../src/core/regions';
import { scanDeadlines } from '../../jobs/deadlines';
import type { Store } from '../../store/types';
import type { CommitBus } from '../../sync/bus';
import { hashPassword } from '../auth';
import { ensurePerson, inParallel, personOf, pushFrom, type NewPerson, type Person } from './devices';
import { generateAppeals, prng, type VillageRef } from './generate';
import { DEPT_OF } from './hub-seed';
import { setMediatorGrade } from '../mediators';
import { setDeputyBody } from '../deputies';
import { COLUMN_KIND } from '../../../src/core/deputy';

// A lived-in demo county (issue 26): about twelve weeks of a county's work, put in through the
// running server as its people would have done it. Every appeal, meeting and step is an update
// pushed from a device of whoever did it (the demo logins for their own village, town and
// bureau; other grid workers, town officials, bureaus and return-visit seats for the rest) and
// validated and committed by the sync hub; campaigns, reception days and moderation go through
// the REST API; the deadline scanner then warns and supervises what is overdue. A meta key
// (DEMO_META) says the data is a demo, for the admin page to say so.

export const DEMO_META = 'demo';
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
const WEEKS = 12;
const SEED = 26;

/** What the admin page reads from DEMO_META. */
export interface DemoMark {
  /** 'seeding' while under way (a start that stopped half-way leaves it so), 'done' after. */
  state: 'seeding' | 'done';
  startedAt: number;
  finishedAt?: number;
  appeals?: number;
  meetings?: number;
  devices?: number;
  updates?: number;
  ms?: number;
}

/** The demo mark, or null when the data directory was not seeded with demo data. */
export async function demoMark(store: Pick<Store, 'getMeta'>): Promise<DemoMark | null> {
  const raw = await store.getMeta(DEMO_META);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as DemoMark;
  } catch {
    return null;
  }
}

export interface DemoSeedDeps {
  /** The running server's own address: updates go in through its hub and REST API. */
  url: string;
  store: Store;
  bus: CommitBus;
  policies: Policies;
  now?: number;
}

export interface DemoSummary {
  appeals: number;
  meetings: number;
  campaigns: number;
  slots: number;
  comments: number;
  published: number;
  /** Devices (sockets with their own device id) that pushed, and updates committed. */
  devices: number;
  updates: number;
  /** People whose devices pushed. */
  people: number;
  supervised: number;
  ms: number;
  /** CPU time this process spent meanwhile (the seeding devices and the server answering them): on a busy machine, the fairer figure. */
  cpuMs: number;
}

/** The demo logins the script acts as in their own scope. */
const DEMO_LOGINS = ['grid', 'bench', 'station', 'town', 'dept', 'dispatcher', 'leader', 'reviewer', 'mediator', 'deputy'] as const;
type DemoLogin = (typeof DEMO_LOGINS)[number];

/** One step of a document: who takes it (a person key), when, and what it adds. */
interface Step {
  who: string;
  at: number;
  /** Adds to the document as `p` at `at` (the first step of a document creates it). */
  apply: (doc: Y.Doc, p: Person) => void;
  contact?: Contact;
}

interface DocPlan {
  id: string;
  steps: Step[];
  /** The document as the server has it. */
  state: Uint8Array;
}

interface Plan extends DocPlan {
  input: AppealInput;
  village: string;
  /** Who recorded it, as a person key. */
  recorder: string;
  recordedAt: number;
  /** When it was closed, and whether the citizen was satisfied at the first call. */
  closedAt?: number;
  satisfied?: boolean;
}

/** A step adding events, each stamped with its author (actor, role, name) and its time. */
function events(who: string, when: number, list: EventInput[], spacing = 5 * MINUTE): Step {
  // Whole milliseconds, as a device's clock gives them.
  const at = Math.round(when);
  return {
    who,
    at,
    apply: (doc, p) => {
      for (const [i, e] of list.entries()) appendEvent(doc, { ...e, id: newId(), actor: p.user.id, role: p.user.role, by: p.user.displayName, at: at + i * spacing } as AppealEvent);
    },
  };
}

const REPLIES: Record<string, string[]> = {
  infra: ['已安排施工队现场查看，坑洼路段已修补完毕，已电话告知群众。', '供水站已检修管道并恢复供水，后续安排定期巡检。', '已联系供电所更换损坏设施，线路已恢复正常。', '环卫站已清运垃圾并增加清运频次，每周两次。'],
  livelihood: ['经核实，已按政策恢复发放，并补发此前未到账部分。', '已告知办理流程和所需材料，并由村代办员帮助提交申请。', '已协调学校和交通部门，调整放学接送安排。', '已现场核查房屋情况，纳入本年度改造计划。'],
  disputes: ['已组织双方现场调解，达成书面协议，双方签字确认。', '已责令包工头限期支付拖欠工资，工资已全部到账。', '派出所已加强夜间巡逻，并在路口加装监控。', '司法所已介入调解，双方同意按协议执行。'],
  services: ['已向群众一次性告知所需材料，并安排专人跟进办理。', '补贴已核实到位，将于本月底前发放到户。', '已督促村委会按时更新村务公开栏，账目逐项公开。', '已在村委会设立代办点，每周二、周五集中办理。'],
};

/** Answers that say nothing checkable (官话套话, 推诿): what the county's quality reviewer is there to catch. */
const WEAK_REPLIES = [
  '我镇对此高度重视，已积极协调有关部门，将尽快妥善处理。',
  '已收到，正在认真研究解决，请耐心等待。',
  '经核实，该事项不属于我单位职责范围。',
  '已处理。',
];

/** A reviewer's verdict on the standing reply, the reply named as the fold has it when the step runs. */
function review(when: number, verdict: 'passed' | 'redo'): Step {
  const at = Math.round(when);
  return {
    who: 'reviewer',
    at,
    apply: (doc, p) => {
      const reply = fold(eventsOf(doc).toArray(), null).lastReplyId!;
      const found = verdict === 'redo' ? checkReply(replyText(doc, reply)).map((f) => f.rule) : [];
      appendEvent(doc, {
        type: 'quality_reviewed', verdict, reply, id: newId(), actor: p.user.id, role: p.user.role, by: p.user.displayName, at,
        ...(verdict === 'redo' && { note: '请写明采取了哪些具体措施、何时办好，并重新答复群众', ...(found.length > 0 && { rules: found }) }),
      } as AppealEvent);
    },
  };
}

function replyText(doc: Y.Doc, id: string): string {
  const e = eventsOf(doc).toArray().find((x) => (x as { id?: string }).id === id) as { note?: string } | undefined;
  return e?.note ?? '';
}

const DISPUTES: { category: string; description: string; parties: string; agreed: string; settled: boolean | null; outcome: string }[] = [
  { category: 'disputes.neighbour', description: '两家因院墙滴水到对方院里吵了大半年，最近差点动手，请村里给调解一下。', parties: '张家、李家', agreed: '李家院墙加装接水槽，张家不再追究', settled: true, outcome: '双方签订调解协议，李家一周内加装接水槽' },
  { category: 'disputes.land', description: '承包地边界的界石被挪了，两户都说地是自己的，春耕前要定下来。', parties: '王家、赵家', agreed: '请土地所重新测量，双方意见分歧较大', settled: false, outcome: '双方不接受测量前的方案，退回镇里依法确权' },
  { category: 'disputes.neighbour', description: '邻居在巷口堆放柴草，堵了路又有火灾隐患，说了几次不听。', parties: '刘家、孙家', agreed: '先约定柴草挪到村西空地，下周再碰头', settled: null, outcome: '' },
];

const PUBLIC_SUMMARIES: Record<string, string> = {
  infra: '群众反映村内基础设施问题',
  livelihood: '群众反映民生保障问题',
  disputes: '群众反映一起矛盾纠纷',
  services: '群众反映办事服务问题',
};

const WATER = [
  '村里自来水连续三天断断续续，早晚用水高峰基本没水，老人做饭都困难。希望供水站尽快查明原因。',
  '自来水发黄有沉淀，烧开后壶底一层水垢，担心影响健康，请水务部门检测水质。',
  '村东头供水管道破裂，水漫到路上一个多星期了，既浪费水又影响出行，请尽快维修。',
];

const IDEAS = [
  '村里的闲置小学改成老年活动中心，白天有人照看老人',
  '每个村民小组推选一名“路长”，道路坑洼随时报给网格员',
  '在集市边上划出固定摊位，周边道路就不再堵了',
  '组织在外务工的年轻人建个群，家里有事网格员在群里通知',
  '用村集体的空地建个晾晒场，秋收时不在公路上晒粮',
  '请卫生室每月到各组巡诊一次，老人不用都往镇上跑',
  '把村务公开栏搬到超市门口，大家买东西时都能看到',
  '垃圾分类积分换日用品，孩子们带着大人一起分',
  '村里的排水沟分段包干到户，雨季前统一清淤',
  '冬天在村委会开个暖心屋，独居老人白天可以来取暖',
  '农忙时请镇上的农机合作社统一收割，价钱由村里谈',
  '在学校门口设家长志愿岗，上下学时段维持秩序',
];

const MEETING_PLACES = ['村委会大院', '文化广场', '村头老槐树下', '村便民服务站', '党群服务中心会议室', '小学操场边'];
const MEETING_TOPICS = [
  '村内道路硬化和路灯维修；秋收后秸秆处理；独居老人冬季取暖。',
  '自来水水质和停水问题；集市占道经营；村务公开。',
  '低保和高龄津贴认证；学生放学接送；垃圾清运。',
  '宅基地边界纠纷调解；排水沟清淤；快递代收点选址。',
  '土地流转租金；养殖场气味；农机合作社收费。',
  '冬季防火安全；返乡人员就业；卫生室坐诊安排。',
];

const CAMPAIGN_ANSWERS = [
  '早上七点前加一班车，学生和赶集的人都方便。',
  '公交站点设在村委会门口，老人不用走远路。',
  '周末增加去县城的班次，在外打工的人回家方便。',
  '希望公交卡和老年卡通用，六十五岁以上免费。',
  '线路绕一下卫生院，看病的老人不用转车。',
  '站牌上写清楚时刻表，下雨天也知道车什么时候来。',
  '车太大了村路窄，建议换成中巴，班次多一些。',
  '集市那天加开一趟，赶集的人太多挤不上车。',
  '学生放学时间和末班车对不上，希望推迟半小时。',
  '路口会车困难，建议先把弯道拓宽再加班次。',
  '可以在手机上查车到哪了，就不用在路边一直等。',
  '镇上到各村的小环线，一小时一趟就够用。',
  '希望票价再便宜一点，一块钱最好。',
  '冬天早班车太早天黑，站点装个路灯。',
];

const COMMENTS = [
  { body: '这件事办得快，第二天就有人来看了，点赞！', verdict: 'approved' as const },
  { body: '我们组的路也有类似问题，希望一起修一修。', verdict: 'approved' as const },
  { body: '回访电话很耐心，问题确实解决了。', verdict: 'approved' as const },
  { body: '广告：低价代办各类证件，加微信……', verdict: 'rejected' as const },
  { body: '请问后续还会定期检查吗？', verdict: null },
];

interface Places {
  points: Record<string, { lat: number; lng: number }>;
}

/** The county's place points (src/data/places-NNNNNN.json, as the map draws them), or none. */
function loadPlaces(county: string): Places {
  const file = path.resolve(import.meta.dirname, '../../../src/data', `places-${county.slice(0, 6)}.json`);
  if (!existsSync(file)) return { points: {} };
  return JSON.parse(readFileSync(file, 'utf8')) as Places;
}

/** Seeds the demo county into a running server whose store holds only its regions and logins. */
export async function seedDemo(deps: DemoSeedDeps): Promise<DemoSummary> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const { url, store } = deps;
  const now = deps.now ?? Date.now();
  const rnd = prng(SEED);
  const chance = (p: number) => rnd() < p;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const between = (lo: number, hi: number) => lo + rnd() * (hi - lo);

  // The demo logins, found by their names; their scopes say which village, town and county.
  const logins = new Map<DemoLogin, Person>();
  for (const name of DEMO_LOGINS) {
    const user = await store.userByUsername(name);
    if (!user || user.disabled) throw new Error(`The demo seed needs the demo login "${name}"`);
    logins.set(name, await personOf(store, user));
  }
  const demoVillage = logins.get('grid')!.user.scope.regions[0]!.padEnd(12, '0');
  const demoTown = townOf(demoVillage);
  const county = countyOf(demoVillage);
  const regions = await store.regionsUnder([county.slice(0, 6)]);
  const names = new Map(regions.map((r) => [r.code, r.name]));
  const villageName = (code: string) => shortVillageName(names.get(code) ?? code);
  const towns = regions.filter((r) => r.level === 'town').map((r) => r.code);
  const villagesOf = (town: string) => regions.filter((r) => r.level === 'village' && r.parent === town).map((r) => r.code);
  const places = loadPlaces(county);

  // Others of the county: a grid worker per village, an official per town, a handler per bureau,
  // return-visit seats. Their password is unknown (a hash of random bytes): nobody logs in as them.
  const passwordHash = await hashPassword(randomBytes(24).toString('base64'));
  const people = new Map<string, Promise<Person>>([...logins].map(([k, p]) => [k, Promise.resolve(p)]));
  const extra = (key: string, make: () => Omit<NewPerson, 'passwordHash'>) => {
    if (!people.has(key)) people.set(key, ensurePerson(store, { ...make(), passwordHash }));
    return key;
  };
  const countyScope = county.slice(0, 6);
  const gridOf = (village: string) =>
    village === demoVillage ? 'grid' : extra(`grid:${village}`, () => ({ username: `demo-grid-${village}`, role: 'grid_worker', displayName: `网格员（${villageName(village)}）`, regions: [village] }));
  const townOfficial = (town: string) =>
    town === demoTown ? 'town' : extra(`town:${town}`, () => ({ username: `demo-town-${town.slice(0, 9)}`, role: 'town_official', displayName: `镇干部（${names.get(town) ?? town}）`, regions: [town.slice(0, 9)] }));
  const handlerOf = (dept: Department) =>
    dept === 'water' ? 'dept' : extra(`dept:${dept}`, () => ({ username: `demo-dept-${dept}`, role: 'dept_handler', displayName: `县${DEPT_NAMES[dept] ?? dept} 经办人`, regions: [countyScope], departments: [dept] }));
  const seat = (i: number) => extra(`seat:${i}`, () => ({ username: `demo-visit-${i + 1}`, role: 'county_dispatcher', displayName: `回访中心 ${i + 1} 号席`, regions: [countyScope] }));

  // Where appeals come from: the demo village, its town's villages, and a few in every other town.
  const townVillages = villagesOf(demoTown).filter((v) => v !== demoVillage).slice(0, 12);
  const otherVillages = towns.filter((t) => t !== demoTown).flatMap((t) => villagesOf(t).slice(0, 3));
  const ref = (code: string): VillageRef => ({ code, name: names.get(code) ?? code });

  /** A time between `fromAgo` and `toAgo` before now, in office hours (China time), mostly on weekdays. */
  const when = (fromAgo: number, toAgo: number): number => {
    for (let tries = 0; tries < 20; tries++) {
      const day = cstDay(now - between(toAgo, fromAgo));
      if (weekdayOf(day) % 6 === 0 && chance(0.7)) continue;
      const at = cstInstant(day, Math.floor(between(8 * 60, 18 * 60)));
      if (at < now - toAgo && at > now - fromAgo) return at;
    }
    return now - between(toAgo, fromAgo);
  };
  const gpsNear = (village: string) => {
    const p = places.points[village] ?? places.points[townOf(village)];
    if (!p) return null;
    return { lat: +(p.lat + between(-0.012, 0.012)).toFixed(6), lng: +(p.lng + between(-0.012, 0.012)).toFixed(6), accuracy: Math.round(between(6, 35)) };
  };
  const quality = new Map(towns.map((t) => [t, between(0.2, 1)]));
  quality.set(demoTown, 0.75);

  const plans: Plan[] = [];
  const meetings: DocPlan[] = [];
  /** Village points sheets kept at the meetings (积分); apart, so the demo's meeting count stays what it was. */
  const pointSheets: DocPlan[] = [];

  /** An appeal recorded by `recorder` at `time`: its record step; later steps are added by `walk`. */
  const record = (input: AppealInput, recorder: string, time: number, desk = false): Plan => {
    const at = Math.round(time);
    const plan: Plan = { id: newId(), input, village: input.villageCode, recorder, recordedAt: at, state: new Uint8Array(), steps: [] };
    const contact = contactOf(input);
    plan.steps.push({
      who: recorder,
      at,
      ...(contact && { contact }),
      apply: (doc, p) => writeNewAppeal(doc, input, { id: p.user.id, role: p.user.role, name: p.user.displayName, ...(desk && { desk: 'county' as const }) }, at, newId()),
    });
    plans.push(plan);
    return plan;
  };

  /** How far an appeal of this age has gone. */
  const progressAt = (ageDays: number): 'recorded' | 'assigned' | 'started' | 'replied' | 'closed' => {
    const r = rnd();
    if (ageDays < 1) return r < 0.65 ? 'recorded' : r < 0.9 ? 'assigned' : 'started';
    if (ageDays < 3) return r < 0.2 ? 'recorded' : r < 0.45 ? 'assigned' : r < 0.7 ? 'started' : 'replied';
    if (ageDays < 14) return r < 0.04 ? 'recorded' : r < 0.16 ? 'assigned' : r < 0.28 ? 'started' : r < 0.5 ? 'replied' : 'closed';
    return r < 0.01 ? 'recorded' : r < 0.05 ? 'assigned' : r < 0.09 ? 'started' : r < 0.16 ? 'replied' : 'closed';
  };
  const latest = now - 10 * MINUTE;

  /**
   * Walks an appeal from its desk on: accepted and sent (by the town, or by the county
   * platform for hotline appeals; to the town's own staff or a county bureau; a few sent up to
   * the county), started and answered by whoever owns it, called back, then closed (or
   * reopened when the citizen is unsatisfied, and worked again). Stops where `progress` says,
   * or where the next step would lie in the future.
   */
  const walk = (plan: Plan, progress: ReturnType<typeof progressAt>, hotline: boolean, bureau?: Department) => {
    if (progress === 'recorded') return;
    const town = townOf(plan.village);
    const official = townOfficial(town);
    const q = quality.get(town) ?? 0.5;
    let t = plan.recordedAt + between(0.3, 4) * HOUR * (1.6 - q);
    if (t > latest) return;
    const category = plan.input.category;
    const wantsDept = category === 'infra.water' ? chance(0.85) : chance(0.4);
    const dept: Department | undefined = bureau ?? (wantsDept ? DEPT_OF[category] : undefined);
    let owner: string;
    let closer = official;
    if (hotline) {
      // The county platform takes it in; sends it to a bureau, or down to the town's desk.
      const dispatcher = 'dispatcher';
      if (dept) {
        plan.steps.push(events(dispatcher, t, [{ type: 'accepted' }, { type: 'assigned', to: 'county', from: 'county', dept, note: '请按时办理并答复群众' } as EventInput]));
        owner = handlerOf(dept);
        closer = dispatcher;
      } else {
        plan.steps.push(events(dispatcher, t, [{ type: 'accepted' }, { type: 'assigned', to: 'town', from: 'county', note: '请属地镇街办理' } as EventInput]));
        t += between(0.5, 3) * HOUR;
        if (t > latest) return;
        plan.steps.push(events(official, t, [{ type: 'assigned', to: 'town', from: 'town' } as EventInput]));
        owner = official;
      }
    } else if (!dept && chance(0.05) && plan.village !== demoVillage) {
      // Beyond the town: sent up to the county platform, which gives it to a bureau (or has yet to).
      plan.steps.push(events(official, t, [{ type: 'accepted' }, { type: 'assigned', to: 'town', from: 'town' } as EventInput]));
      t += between(2, 20) * HOUR;
      if (t > latest) return;
      plan.steps.push(events(official, t, [{ type: 'escalated', to: 'county', reason: '涉及多个部门，镇里协调不了，请县里统筹' } as EventInput]));
      const bureau = DEPT_OF[category]!;
      t += between(1, 24) * HOUR;
      if (t > latest || progress === 'assigned' || chance(0.35)) return;
      plan.steps.push(events('dispatcher', t, [{ type: 'assigned', to: 'county', from: 'county', dept: bureau, note: '请牵头办理' } as EventInput]));
      owner = handlerOf(bureau);
      closer = 'dispatcher';
    } else {
      plan.steps.push(events(official, t, [{ type: 'accepted' }, { type: 'assigned', to: 'town', from: 'town', ...(dept && { dept }) } as EventInput]));
      owner = dept ? handlerOf(dept) : official;
    }
    if (progress === 'assigned') return;
    const reply = REPLIES[category.split('.')[0]!] ?? REPLIES.services!;
    const via = plan.input.channel;
    t += between(1, 10) * HOUR * (1.5 - q);
    if (t > latest) return;
    plan.steps.push(events(owner, t, [{ type: 'started', note: '已安排人员现场核实' } as EventInput]));
    if (progress === 'started') return;
    t += between(4, 24 + (1 - q) * 150) * HOUR;
    if (t > latest) return;
    // Towns that work worst answer some appeals with stock phrases.
    const note = q < 0.4 && chance(0.45) ? pick(WEAK_REPLIES) : pick(reply);
    plan.steps.push(events(owner, t, [{ type: 'replied', note, via } as EventInput]));
    // The county's reviewer judges most flagged replies and a sample of the rest within hours;
    // a flagged one still waiting for its call back is sent back for redo.
    const flagged = checkReply(note).length > 0;
    const reviewAt = t + between(1, 5) * HOUR;
    if (reviewAt < latest && (flagged ? chance(0.6) : chance(0.15)) && (!flagged || progress === 'replied')) plan.steps.push(review(reviewAt, flagged ? 'redo' : 'passed'));
    if (progress === 'replied') return;
    const visitor = plan.village === demoVillage ? 'grid' : seat(Math.floor(rnd() * 4));
    t += between(6, 48) * HOUR;
    if (t > latest) return;
    const r = rnd();
    const satisfaction: Satisfaction = r < 0.04 + (1 - q) * 0.2 ? 'unsatisfied' : r < 0.3 ? 'basically_satisfied' : 'satisfied';
    plan.steps.push(events(visitor, t, [{ type: 'visited', satisfaction, note: satisfaction === 'unsatisfied' ? '群众表示问题没有根本解决' : '群众对办理结果表示认可' } as EventInput]));
    t += between(1, 8) * HOUR;
    if (t > latest) return;
    if (satisfaction !== 'unsatisfied') {
      plan.steps.push(events(closer, t, [{ type: 'closed' } as EventInput]));
      plan.closedAt = t;
      plan.satisfied = true;
      return;
    }
    plan.steps.push(events(closer, t, [{ type: 'reopened', reason: '回访不满意，重新办理' } as EventInput]));
    // Worked again when there was time: answered anew, called back, closed.
    t += between(24, 96) * HOUR;
    if (t > latest) return;
    plan.steps.push(events(owner, t, [{ type: 'started', note: '重新组织核查' }, { type: 'replied', note: pick(reply), via }] as EventInput[], 2 * HOUR));
    t += between(24, 48) * HOUR;
    if (t > latest) return;
    plan.steps.push(events(visitor, t, [{ type: 'visited', satisfaction: 'basically_satisfied', note: '二次办理后群众基本满意' } as EventInput]));
    t += between(1, 6) * HOUR;
    if (t > latest) return;
    plan.steps.push(events(closer, t, [{ type: 'closed' } as EventInput]));
    plan.closedAt = t;
  };

  /**
   * Generated appeals for these villages, filed under the sub-category their words say (the
   * classifier's best within the generated class: a drunken brawl is public order, not land),
   * with channels that fit who takes them.
   */
  let seedNo = SEED;
  const fitting = (a: AppealInput) => {
    const cls = a.category.split('.')[0]!;
    return classify(a.description, DEFAULT_KEYWORDS, 16).find((s) => s.category.startsWith(`${cls}.`))?.category ?? a.category;
  };
  const generate = (count: number, villages: string[], channel: Channel): AppealInput[] =>
    generateAppeals(count, villages.map(ref), ++seedNo).map((a) => {
      const kind = a.kind === 'suggestion' ? 'help' : a.kind;
      return { ...a, channel, kind, category: fitting(a), gps: channel === 'grid_patrol' && chance(0.75) ? gpsNear(a.villageCode) : null };
    });
  const spread = (inputs: AppealInput[], recorderOf: (a: AppealInput) => string, opts: { hotline?: boolean } = {}) => {
    for (const input of inputs) {
      const at = when(WEEKS * 7 * DAY, 15 * MINUTE);
      const plan = record(input, recorderOf(input), at, opts.hotline);
      walk(plan, progressAt((now - at) / DAY), opts.hotline ?? false);
    }
  };

  // The demo village: its grid worker on patrol, its service station at the counter.
  spread(generate(20, [demoVillage], 'grid_patrol'), () => 'grid');
  spread(generate(12, [demoVillage], 'walk_in'), () => 'station');
  // Fresh ones still waiting at the village, so the station and the town have something new.
  for (const [i, input] of generate(4, [demoVillage], 'grid_patrol').entries()) record(input, i % 2 ? 'station' : 'grid', now - between(1, 30) * HOUR);
  // The rest of the county, by each village's grid worker; the hotline at the county platform.
  spread(generate(90, townVillages, 'grid_patrol'), (a) => gridOf(a.villageCode));
  spread(generate(250, otherVillages, 'grid_patrol'), (a) => gridOf(a.villageCode));
  spread(generate(40, [demoVillage, ...townVillages, ...otherVillages], 'hotline_12345').map((a) => ({ ...a, gps: null })), () => 'dispatcher', { hotline: true });

  // A few cases the demo logins' lists are sure to hold, whatever the dice said above: water
  // problems the water bureau is working on, overdue work in the demo village, and answers there
  // waiting for the grid worker's call back.
  const sure = (inputs: AppealInput[], recorderOf: (a: AppealInput) => string, days: [number, number], progress: ReturnType<typeof progressAt>, bureau?: Department) => {
    for (const input of inputs) walk(record(input, recorderOf(input), now - between(days[0], days[1]) * DAY), progress, false, bureau);
  };
  const water = generate(3, townVillages, 'grid_patrol').map((a, i) => ({ ...a, kind: 'help' as const, category: 'infra.water', description: WATER[i]! }));
  sure(water.slice(0, 2), (a) => gridOf(a.villageCode), [2, 6], 'started', 'water');
  // The burst pipe has waited weeks: past any handling deadline, whatever the calendar's holidays.
  sure(water.slice(2), (a) => gridOf(a.villageCode), [16, 22], 'started', 'water');
  sure(generate(2, [demoVillage], 'grid_patrol'), () => 'grid', [20, 30], 'started');
  sure(generate(2, [demoVillage], 'walk_in'), () => 'station', [5, 7], 'replied');

  // 调解: disputes of the demo village sent by the town to its gold mediator, who sat the
  // parties down; one settled, one not (back to the town), one still going.
  const mediator = logins.get('mediator')!.user;
  await setMediatorGrade(store, mediator.id, 'gold');
  for (const d of DISPUTES) {
    const at = now - between(4, 20) * DAY;
    const input = { ...generate(1, [demoVillage], 'bench_meeting')[0]!, kind: 'complaint' as const, category: d.category, description: d.description };
    const plan = record(input, 'bench', at);
    plan.steps.push(events('town', at + between(2, 6) * HOUR, [{ type: 'mediation_requested', mediator: mediator.id, mediatorName: mediator.displayName } as EventInput]));
    plan.steps.push(events('mediator', at + between(1, 2) * DAY, [{ type: 'mediation_session', parties: d.parties, place: '村委会调解室', agreed: d.agreed } as EventInput]));
    if (d.settled !== null) plan.steps.push(events('mediator', at + between(2.5, 3) * DAY, [{ type: 'mediation_closed', settled: d.settled, note: d.outcome } as EventInput]));
  }

  // Bench meetings in the demo village, every other week: ideas, appeals raised there (one
  // solved on the spot), and the town's decision on the ideas.
  for (let w = 0; w < 6; w++) {
    const day = cstDay(now - (WEEKS - 1 - 2 * w) * 7 * DAY - between(0, 3) * DAY);
    const heldAt = cstInstant(day, 19 * 60);
    if (heldAt > latest) continue;
    const id = newId();
    const ideas = [IDEAS[(2 * w) % IDEAS.length]!, IDEAS[(2 * w + 1) % IDEAS.length]!];
    const ideaIds: string[] = [];
    const meeting: DocPlan = { id, state: new Uint8Array(), steps: [] };
    meeting.steps.push({
      who: 'bench',
      at: heldAt,
      apply: (doc, p) => {
        writeNewMeeting(doc, { villageCode: demoVillage, heldOn: cstDate(day), place: MEETING_PLACES[w % MEETING_PLACES.length]!, attendees: 12 + Math.floor(rnd() * 30), topics: MEETING_TOPICS[w % MEETING_TOPICS.length]! }, { id: p.user.id, role: p.user.role, name: p.user.displayName }, heldAt, newId());
        for (const [i, text] of ideas.entries()) {
          const ideaId = newId();
          ideaIds.push(ideaId);
          appendEvent(doc, { id: ideaId, type: 'idea', text, adopted: null, actor: p.user.id, role: p.user.role, by: p.user.displayName, at: heldAt + (40 + i * 15) * MINUTE } satisfies MeetingEvent);
        }
      },
    });
    // The town decides on the ideas a few days later (the latest meeting's wait).
    const decideAt = Math.round(heldAt + between(2, 5) * DAY);
    if (w < 5 && decideAt < latest) {
      meeting.steps.push({
        who: 'town',
        at: decideAt,
        apply: (doc, p) => {
          const decide = (idea: string, adopted: boolean, note: string, at: number) =>
            appendEvent(doc, { id: newId(), type: 'idea_decided', idea, adopted, note, actor: p.user.id, role: p.user.role, by: p.user.displayName, at } satisfies MeetingEvent);
          decide(ideaIds[0]!, true, '好点子，镇里列入今年民生实事', decideAt);
          if (w % 2 === 0) decide(ideaIds[1]!, false, '暂不具备条件，明年再议', decideAt + 10 * MINUTE);
        },
      });
    }
    meetings.push(meeting);
    // 积分 rated at the meeting (乡风板凳评议会): households by number, from fixed arithmetic
    // (not the seeded random stream, which the rest of the demo depends on); an exchange for
    // fertiliser every other meeting.
    const ratedAt = Math.round(heldAt + 90 * MINUTE);
    if (ratedAt < latest) {
      pointSheets.push({
        id: newId(),
        state: new Uint8Array(),
        steps: [{
          who: 'bench',
          at: ratedAt,
          apply: (doc, p) => {
            const actor = { id: p.user.id, role: p.user.role, name: p.user.displayName };
            writeNewPoints(doc, { kind: 'sheet', villageCode: demoVillage, meetingId: id }, actor, ratedAt, newId());
            const house = (k: number) => `${1 + (k % 4)}组-${1 + ((k * 7) % 23)}`;
            for (let i = 0; i < 5; i++) {
              const rule = DEFAULT_RULES[(w + i * 3) % DEFAULT_RULES.length]!;
              eventsOf(doc).push([awardEvent({ household: house(w + i), rule: rule.id, label: rule.label, points: rule.points }, actor, ratedAt + (i + 1) * MINUTE, newId())!]);
            }
            if (w % 2 === 1) eventsOf(doc).push([exchangeEvent({ household: house(w), goods: '化肥1袋', points: 10 }, actor, ratedAt + 10 * MINUTE, newId())!]);
          },
        }],
      });
    }
    for (const [i, input] of generate(2 + (w % 2), [demoVillage], 'bench_meeting').entries()) {
      const at = heldAt + (20 + i * 25) * MINUTE;
      const onSpot = i === 0 ? '当场联系村电工，线路已修好，群众表示满意。' : undefined;
      const plan = record({ ...input, gps: null, meetingId: id, ...(onSpot && { onSpot }) }, 'bench', at);
      if (!onSpot) walk(plan, progressAt((now - at) / DAY), false);
      else if (now - at > 3 * DAY) {
        // Solved there and then: the grid worker calls back, the town closes it.
        plan.steps.push(events('grid', at + 2 * DAY, [{ type: 'visited', satisfaction: 'satisfied', note: '群众对当场解决表示满意' } as EventInput]));
        plan.steps.push(events('town', at + 2 * DAY + 3 * HOUR, [{ type: 'closed' } as EventInput]));
      }
    }
  }

  // A campaign's answers (问计), from the grid workers who heard them; the campaign itself is
  // opened over REST before they are pushed. Set below, once the campaign exists.
  const campaignPlans: Plan[] = [];
  const answerVillages = [demoVillage, demoVillage, demoVillage, ...townVillages.slice(0, 5), ...otherVillages.slice(0, 6)];
  const askCategory = 'infra.roads';

  // Overdue work in the demo town that the county leader has pressed (督办) in person.
  const overdue = plans.filter((p) => townOf(p.village) === demoTown && p.steps.length === 2 && now - p.recordedAt > 14 * DAY).slice(0, 3);
  for (const p of overdue) p.steps.push(events('leader', now - between(20, 40) * HOUR, [{ type: 'supervised', level: 1, note: '请镇里抓紧办理，三日内答复群众' } as EventInput]));

  // The public board (晾晒): closed, satisfied appeals the town chose to show, in its own words.
  const publishable = plans.filter((p) => p.satisfied && p.closedAt! < latest - DAY);
  const inTown = publishable.filter((p) => townOf(p.village) === demoTown && p.recorder !== 'dispatcher').slice(0, 3);
  const elsewhere = publishable.filter((p) => townOf(p.village) !== demoTown && p.recorder !== 'dispatcher').filter((_, i) => i % 7 === 0).slice(0, 3);
  const published = [...inTown, ...elsewhere];
  for (const p of published) {
    const cls = p.input.category.split('.')[0]!;
    const closedAt = p.closedAt!;
    const reply = REPLIES[cls]![0]!;
    p.steps.push(events(townOfficial(townOf(p.village)), Math.min(latest, closedAt + between(3, 20) * HOUR), [{ type: 'published', summary: `${villageName(p.village)}${PUBLIC_SUMMARIES[cls]}，已办结`, reply } as EventInput]));
  }

  let devices = 0;
  let updates = 0;
  /** Pushes every document's steps in rounds: each round one step of each, from its person's device. */
  const run = async (docs: DocPlan[]) => {
    // Steps one person takes in a row go up together, as a device that was offline meanwhile sends them.
    for (const doc of docs) {
      doc.steps = doc.steps.reduce<Step[]>((out, step) => {
        const last = out.at(-1);
        if (last && last.who === step.who && !step.contact) {
          const first = last.apply;
          out[out.length - 1] = { ...last, apply: (y, p) => (first(y, p), step.apply(y, p)) };
        } else out.push(step);
        return out;
      }, []);
    }
    const rounds = Math.max(0, ...docs.map((d) => d.steps.length));
    for (let r = 0; r < rounds; r++) {
      const byPerson = new Map<string, { doc: DocPlan; step: Step }[]>();
      for (const doc of docs) {
        const step = doc.steps[r];
        if (step) byPerson.set(step.who, [...(byPerson.get(step.who) ?? []), { doc, step }]);
      }
      await inParallel([...byPerson], async ([who, work]) => {
        const p = await people.get(who)!;
        devices++;
        const n = await pushFrom(url, store, p, work.map(({ doc, step }) => ({
          docId: doc.id,
          ...(step.contact && { contact: step.contact }),
          make: () => {
            // A guid given: a random one costs 31 calls for random bytes, per document per step.
            const y = new Y.Doc({ guid: doc.id });
            if (doc.state.length > 0) Y.applyUpdate(y, doc.state);
            const before = Y.encodeStateVector(y);
            step.apply(y, p);
            const diff = Y.encodeStateAsUpdate(y, before);
            doc.state = Y.encodeStateAsUpdate(y);
            y.destroy();
            return diff;
          },
        })));
        updates += n;
      });
    }
  };

  // Every person first (each account created once), then meetings (appeals raised at them point to them), then appeals.
  for (const p of [...plans, ...meetings, ...pointSheets]) for (const s of p.steps) if (!people.has(s.who)) throw new Error(`no person ${s.who}`);
  await Promise.all(people.values());
  await run(meetings);
  await run(pointSheets);
  await run(plans);

  // REST, as each would from their screen: a campaign and its answers, reception days, and
  // citizens' comments on the board moderated by the town.
  const rest = async (as: DemoLogin | string, method: string, route: string, body?: unknown) => {
    const p = await people.get(as)!;
    const res = await fetch(`${url}${route}`, { method, headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) });
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) throw new Error(`demo seed: ${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const today = cstDay(now);
  const { campaign } = (await rest('dispatcher', 'POST', '/api/campaigns', {
    title: '村村通公交怎么开更方便？',
    question: '县里准备调整镇村公交线路和班次。您家附近的公交站点、发车时间、票价有什么建议？',
    region: countyScope,
    category: askCategory,
    closesOn: cstDate(today + 30),
  })) as { campaign: { id: string } };
  for (const [i, village] of answerVillages.entries()) {
    const at = now - between(2, 10 * 24) * HOUR;
    const plan = record(
      { channel: 'grid_patrol', category: askCategory, kind: 'suggestion', urgency: 'yellow', villageCode: village, description: CAMPAIGN_ANSWERS[i % CAMPAIGN_ANSWERS.length]!, citizen: { anonymous: true }, gps: null, campaignId: campaign.id },
      gridOf(village),
      at,
    );
    campaignPlans.push(plan);
    // Read by the town; the good ones adopted by the county platform.
    const readAt = at + between(2, 20) * HOUR;
    if (readAt < latest && i % 3 !== 2) {
      plan.steps.push(events(townOfficial(townOf(village)), readAt, [{ type: 'accepted' } as EventInput]));
      if (i % 3 === 0 && readAt + 2 * HOUR < latest) plan.steps.push(events('dispatcher', readAt + between(1, 2) * HOUR, [{ type: 'adopted', note: '建议很好，已转交通运输局研究采纳' } as EventInput]));
    }
  }

  const startOf = (days: number, minute: number) => cstInstant(today + days, minute);
  const slot = async (who: DemoLogin, body: { host: string; place: string; startsAt: number; endsAt: number; capacity: number; region: string }) =>
    ((await rest(who, 'POST', '/api/reception/slots', body)) as { slot: { id: string; startsAt: number; host: string } }).slot;
  const nextWeekday = (from: number, weekday: number) => from + ((weekday - weekdayOf(today + from) + 7) % 7 || 7);
  const slots = [
    await slot('leader', { host: '县委书记 孙伟', place: '县信访局一楼接待大厅', startsAt: startOf(nextWeekday(0, 3), 9 * 60), endsAt: startOf(nextWeekday(0, 3), 11 * 60 + 30), capacity: 12, region: countyScope }),
    await slot('town', { host: `${names.get(demoTown) ?? ''}党委书记 刘洋`, place: `${names.get(demoTown) ?? ''}便民服务中心二楼`, startsAt: startOf(nextWeekday(0, 2), 14 * 60 + 30), endsAt: startOf(nextWeekday(0, 2), 17 * 60), capacity: 8, region: demoTown }),
    await slot('leader', { host: '县长 周明', place: '县政府信访接待室', startsAt: startOf(nextWeekday(7, 4), 9 * 60), endsAt: startOf(nextWeekday(7, 4), 12 * 60), capacity: 15, region: countyScope }),
  ];
  // Two open appeals of the demo village booked by its grid worker for the citizens.
  const bookable = plans.filter((p) => p.village === demoVillage && p.steps.length >= 2 && p.steps.length <= 3 && !p.input.onSpot).slice(0, 2);
  for (const [i, p] of bookable.entries()) {
    const s = slots[i]!;
    const last = Math.max(...p.steps.map((x) => x.at));
    p.steps = [events('grid', Math.min(latest, last + between(0.5, 3) * HOUR), [{ type: 'reception_booked', slotId: s.id, startsAt: s.startsAt, host: s.host } as EventInput])];
  }
  // The second pass: the answers whole, the bookings as one step each on what the server has.
  await run([...campaignPlans, ...bookable]);

  // Deputies' columns (人大监督): the county deputy's posts, at fixed times and drawing no dice,
  // so nothing above changes. One speaks for the villages short of water and links their
  // appeals, answered by the water bureau; a proposal the civil affairs bureau is working on;
  // a criticism still waiting at the county platform.
  const deputy = logins.get('deputy')!.user;
  await setDeputyBody(store, deputy.id, 'npc');
  const waterIds = plans.filter((p) => p.input.category === 'infra.water' && WATER.includes(p.input.description)).map((p) => p.id);
  const post = (column: keyof typeof COLUMN_KIND, category: string, description: string, daysAgo: number, extra: Partial<AppealInput> = {}) =>
    record({ channel: 'deputy', column, kind: COLUMN_KIND[column], category, urgency: 'yellow', villageCode: demoVillage, description, citizen: { anonymous: true }, gps: null, shownAs: '李明德代表', ...extra }, 'deputy', now - daysAgo * DAY, true);
  const voice = post('voice', 'infra.water', '代群众反映：大仲村镇几个村自来水时断时续、管道破裂漏水，群众用水困难，请县水务局统筹排查、限期解决。', 9, { supports: waterIds.slice(0, 3) });
  voice.steps.push(events('dispatcher', voice.recordedAt + 3 * HOUR, [{ type: 'accepted' }, { type: 'assigned', to: 'county', from: 'county', dept: 'water', note: '代表建议，请限期答复' } as EventInput]));
  voice.steps.push(events('dept', voice.recordedAt + DAY, [{ type: 'started', note: '已组织各村供水站排查管网' } as EventInput]));
  voice.steps.push(events('dept', voice.recordedAt + 2 * DAY, [{ type: 'replied', via: 'deputy', note: '已对相关村供水管网全面排查，更换破损管道两处，增设夜间蓄水，供水已恢复正常；下一步纳入农村供水提升工程。' } as EventInput]));
  const proposal = post('proposal', 'livelihood.social_security', '建议在各镇便民服务中心设立养老保险代办窗口，方便在外务工人员家属就近办理。', 4);
  const proposalDept = DEPT_OF['livelihood.social_security']!;
  proposal.steps.push(events('dispatcher', proposal.recordedAt + 2 * HOUR, [{ type: 'accepted' }, { type: 'assigned', to: 'county', from: 'county', dept: proposalDept, note: '请研究代表建议并答复' } as EventInput]));
  proposal.steps.push(events(handlerOf(proposalDept), proposal.recordedAt + DAY, [{ type: 'started', note: '正在会同各镇研究' } as EventInput]));
  post('criticism', 'infra.roads', '诤言：镇村公路养护不到位，雨后多处坑洼积水，群众多次反映仍未修复，请交通部门说明原因。', 0.5);
  await run(plans.slice(-3));

  // Citizens' comments as the board takes them (scrubbed and held), then the town's verdicts.
  let comments = 0;
  const commentedOn = [...inTown.slice(0, 2), ...elsewhere.slice(0, 1)];
  for (const [i, c] of COMMENTS.entries()) {
    const appeal = commentedOn[i % commentedOn.length];
    if (!appeal) break;
    const id = newId();
    await store.addComment({ id, appealId: appeal.id, body: c.body, createdAt: Math.round(now - between(1, 48) * HOUR) });
    comments++;
    if (c.verdict) await rest(townOfficial(townOf(appeal.village)), 'POST', '/api/moderation/comments', { id, verdict: c.verdict });
  }

  // The deadline scanner's first run: warnings and supervision for what is overdue.
  const scan = await scanDeadlines(store, deps.bus, deps.policies, Date.now());

  return {
    appeals: plans.length,
    meetings: meetings.length,
    campaigns: 1,
    slots: slots.length,
    comments,
    published: published.length,
    devices,
    updates,
    people: people.size,
    supervised: scan.supervised + overdue.length,
    ms: Math.round(performance.now() - t0),
    cpuMs: Math.round((process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000),
  };
}

const DEPT_NAMES: Partial<Record<Department, string>> = {
  transport: '交通运输局',
  power: '供电公司',
  ecology: '生态环境分局',
  civil_affairs: '民政局',
  health: '卫生健康局',
  education: '教育和体育局',
  housing: '住房和城乡建设局',
  justice: '司法局',
  natural_resources: '自然资源局',
  human_resources: '人力资源和社会保障局',
  public_security: '公安局',
  market: '市场监督管理局',
  agriculture: '农业农村局',
};

/**
 * Seeds the demo into a store `ensureSeeded` has just filled, marking it (DEMO_META) first as
 * under way and then as done with its counts: a store already marked is left alone.
 */
export async function seedDemoOnce(deps: DemoSeedDeps): Promise<DemoSummary | null> {
  if (await deps.store.getMeta(DEMO_META)) return null;
  const startedAt = Date.now();
  await deps.store.setMeta(DEMO_META, JSON.stringify({ state: 'seeding', startedAt } satisfies DemoMark));
  const summary = await seedDemo(deps);
  const { appeals, meetings, devices, updates, ms } = summary;
  await deps.store.setMeta(DEMO_META, JSON.stringify({ state: 'done', startedAt, finishedAt: Date.now(), appeals, meetings, devices, updates, ms } satisfies DemoMark));
  return summary;
}
