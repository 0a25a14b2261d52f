import { classify } from '../src/core/classify';
import { accuracy, type Labelled } from '../src/core/classify-eval';
import { FRESH_APPEALS, LABELLED_APPEALS } from '../tests/fixtures/labelled-appeals';
import type { BenchRow } from './table';

// Classification suggestions on the labelled set of 368 appeals (tests/fixtures/labelled-
// appeals.ts): top-1 and top-3 accuracy on the whole set, on its held-out fifth and on the
// appeals written after the rules were finished (the fairest figure: wording never seen), and the
// time to classify one appeal, beside the keyword-only classifier the app had before issue 26
// (its library and its scoring, kept here only as the peer), measured in the same run.

/** The previous seeded library, as it was: phrase lists by category. */
const OLD_LIBRARY: [category: string, phrases: string][] = [
  ['infra.roads', '道路 路面 坑洼 修路 硬化 桥 桥梁 塌陷 村道 路灯 红绿灯 积水 公交 客车 班车'],
  ['infra.water', '自来水 停水 水管 饮水 吃水 水井 水压 水质 灌溉 水渠 沟渠 排水 下水道 浇地 抗旱'],
  ['infra.power', '停电 电压 电线 电线杆 变压器 电表 电费 断电 网络 信号 宽带 光纤'],
  ['infra.environment', '垃圾 污水 臭味 异味 粉尘 噪音 噪声 焚烧 秸秆 养殖场 排污 污染 厕所 河道 卫生'],
  ['livelihood.social_security', '养老保险 医保 社保 退休金 养老金 参保 缴费 低保 五保 特困 残疾人 补贴 救助 临时救助 高龄'],
  ['livelihood.medical', '看病 医院 卫生室 村医 诊所 药 报销 大病 疫苗 体检 住院'],
  ['livelihood.education', '学校 上学 入学 老师 教师 学生 幼儿园 校车 辍学 学费 转学'],
  ['livelihood.housing', '危房 房屋 漏雨 改造 安置 拆迁 宅基地 建房 房子 裂缝'],
  ['disputes.neighbour', '邻居 邻里 吵架 纠纷 排水沟 院墙 堵路 赡养 家庭矛盾 争吵'],
  ['disputes.land', '土地 承包 流转 耕地 地界 占地 确权 征地 地租 林地'],
  ['disputes.wages', '工资 欠薪 拖欠 讨薪 包工头 工钱 劳务费 农民工'],
  ['disputes.public_order', '偷 被盗 盗窃 打架 赌博 诈骗 醉酒 治安 斗殴 安全隐患 报警'],
  ['services.approval', '办证 审批 营业执照 证明 盖章 手续 户口 身份证 不动产 食品安全 假货 价格 过期'],
  ['services.conduct', '村干部 作风 推诿 态度 吃拿卡要 优亲厚友 不作为 乱收费 办事难'],
  ['services.policy', '政策 咨询 怎么办理 标准 是否符合 申请条件 文件'],
  ['services.other', '建议 意见 希望 其他'],
];
const OLD_RULES = OLD_LIBRARY.flatMap(([category, phrases]) => phrases.split(' ').map((phrase) => ({ phrase, category })));

/** The previous scoring: every library phrase found scores its length; a phrase inside a longer found one does not count. */
export function keywordOnly(text: string): { category: string; score: number }[] {
  const hits = OLD_RULES.filter((k) => text.includes(k.phrase));
  const kept = hits.filter((k) => !hits.some((o) => o.phrase.length > k.phrase.length && o.phrase.includes(k.phrase)));
  const score = new Map<string, number>();
  for (const k of kept) score.set(k.category, (score.get(k.category) ?? 0) + k.phrase.length);
  return [...score.entries()]
    .map(([category, s]) => ({ category, score: s }))
    .sort((a, b) => b.score - a.score || (a.category < b.category ? -1 : 1))
    .slice(0, 3);
}

/** Microseconds per appeal: the whole set classified repeatedly, best of 5 rounds. */
function perAppeal(set: readonly Labelled[], suggest: (text: string) => unknown): number {
  const rounds = 20;
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < rounds; i++) for (const a of set) suggest(a.text);
    best = Math.min(best, performance.now() - t);
  }
  return (best * 1000) / (rounds * set.length);
}

export async function classifyBench(): Promise<BenchRow[]> {
  const held = LABELLED_APPEALS.filter((a) => a.heldOut);
  const now = (set: readonly Labelled[]) => accuracy(set, (t) => classify(t));
  const old = (set: readonly Labelled[]) => accuracy(set, keywordOnly);
  const all = { now: now(LABELLED_APPEALS), old: old(LABELLED_APPEALS) };
  const out = { now: now(held), old: old(held) };
  const fresh = { now: now(FRESH_APPEALS), old: old(FRESH_APPEALS) };
  const pct = (x: number) => Math.round(x * 1000) / 10;
  const against = 'keyword-only classifier (before issue 26)';
  console.log(`classify: ${LABELLED_APPEALS.length} labelled appeals (${held.length} held out); ${all.now.misses.length} first suggestions wrong (${all.old.misses.length} before)`);
  return [
    { figure: `top-1 accuracy, all ${LABELLED_APPEALS.length} appeals`, minsheng: pct(all.now.top1), comparison: pct(all.old.top1), against, kind: 'peer', unit: '%' },
    { figure: 'top-3 accuracy, all appeals', minsheng: pct(all.now.top3), comparison: pct(all.old.top3), against, kind: 'peer', unit: '%' },
    { figure: `top-1 accuracy, ${held.length} held out`, minsheng: pct(out.now.top1), comparison: pct(out.old.top1), against, kind: 'peer', unit: '%' },
    { figure: 'top-3 accuracy, held out', minsheng: pct(out.now.top3), comparison: pct(out.old.top3), against, kind: 'peer', unit: '%' },
    { figure: `top-1 accuracy, ${FRESH_APPEALS.length} written after the rules`, minsheng: pct(fresh.now.top1), comparison: pct(fresh.old.top1), against, kind: 'peer', unit: '%' },
    { figure: 'top-3 accuracy, written after the rules', minsheng: pct(fresh.now.top3), comparison: pct(fresh.old.top3), against, kind: 'peer', unit: '%' },
    { figure: 'time to classify one appeal', minsheng: perAppeal(LABELLED_APPEALS, (t) => classify(t)), comparison: perAppeal(LABELLED_APPEALS, keywordOnly), against, kind: 'peer', unit: 'µs' },
  ];
}
