import { CATEGORY_CODES } from './categories';
import { isDepartment, type Department } from './departments';

// Explainable classification: a keyword library maps phrases found in the description to
// a category (and sometimes a department). No model: phrases are matched directly in the
// Chinese text, so every suggestion can show the words that produced it.

export interface KeywordRule {
  phrase: string;
  category: string;
  /** A department more specific than the category's own (e.g. 低保 → civil affairs). */
  dept?: Department;
  /** Defaults to the phrase's length: longer phrases are more specific. */
  weight?: number;
}

/** The department that usually handles each category; null when it depends on the case. */
export const CATEGORY_DEPARTMENT: Record<string, Department | null> = {
  'infra.roads': 'transport',
  'infra.water': 'water',
  'infra.power': 'power',
  'infra.environment': 'ecology',
  'livelihood.social_security': 'human_resources',
  'livelihood.medical': 'health',
  'livelihood.education': 'education',
  'livelihood.housing': 'housing',
  'disputes.neighbour': 'justice',
  'disputes.land': 'agriculture',
  'disputes.wages': 'human_resources',
  'disputes.public_order': 'public_security',
  'services.approval': 'market',
  'services.conduct': null,
  'services.policy': null,
  'services.other': null,
};

const r = (category: string, phrases: string, dept?: Department): KeywordRule[] =>
  phrases.split(' ').map((phrase) => ({ phrase, category, ...(dept && { dept }) }));

/** The seeded library for rural appeals; a county edits its own copy. */
export const DEFAULT_KEYWORDS: readonly KeywordRule[] = [
  ...r('infra.roads', '道路 路面 坑洼 修路 硬化 桥 桥梁 塌陷 村道 路灯 红绿灯 积水 公交 客车 班车'),
  ...r('infra.water', '自来水 停水 水管 饮水 吃水 水井 水压 水质 灌溉 水渠 沟渠 排水 下水道 浇地 抗旱'),
  ...r('infra.power', '停电 电压 电线 电线杆 变压器 电表 电费 断电 网络 信号 宽带 光纤'),
  ...r('infra.environment', '垃圾 污水 臭味 异味 粉尘 噪音 噪声 焚烧 秸秆 养殖场 排污 污染 厕所 河道 卫生'),
  ...r('livelihood.social_security', '养老保险 医保 社保 退休金 养老金 参保 缴费'),
  ...r('livelihood.social_security', '低保 五保 特困 残疾人 补贴 救助 临时救助 高龄', 'civil_affairs'),
  ...r('livelihood.medical', '看病 医院 卫生室 村医 诊所 药 报销 大病 疫苗 体检 住院'),
  ...r('livelihood.education', '学校 上学 入学 老师 教师 学生 幼儿园 校车 辍学 学费 转学'),
  ...r('livelihood.housing', '危房 房屋 漏雨 改造 安置 拆迁 宅基地 建房 房子 裂缝'),
  ...r('disputes.neighbour', '邻居 邻里 吵架 纠纷 排水沟 院墙 堵路 赡养 家庭矛盾 争吵'),
  ...r('disputes.land', '土地 承包 流转 耕地 地界 占地 确权 征地 地租 林地', 'agriculture'),
  ...r('disputes.wages', '工资 欠薪 拖欠 讨薪 包工头 工钱 劳务费 农民工'),
  ...r('disputes.public_order', '偷 被盗 盗窃 打架 赌博 诈骗 醉酒 治安 斗殴 安全隐患 报警'),
  ...r('services.approval', '办证 审批 营业执照 证明 盖章 手续 户口 身份证 不动产'),
  ...r('services.approval', '食品安全 假货 价格 过期', 'market'),
  ...r('services.conduct', '村干部 作风 推诿 态度 吃拿卡要 优亲厚友 不作为 乱收费 办事难'),
  ...r('services.policy', '政策 咨询 怎么办理 标准 是否符合 申请条件 文件'),
  ...r('services.other', '建议 意见 希望 其他'),
];

export interface Suggestion {
  category: string;
  dept: Department | null;
  score: number;
  /** The library phrases found in the text, best first: why this was suggested. */
  matched: string[];
}

/** Drops rules that name unknown categories or departments (a county's edited library is configuration). */
export function validRules(rules: readonly KeywordRule[]): KeywordRule[] {
  return rules.filter((k) => k.phrase.trim().length > 0 && CATEGORY_CODES.includes(k.category) && (k.dept === undefined || isDepartment(k.dept)));
}

/**
 * Categories suggested for `text`, best first (at most `limit`). A phrase inside a longer
 * matched phrase does not count twice (排水沟 is not also 排水).
 */
export function classify(text: string, rules: readonly KeywordRule[] = DEFAULT_KEYWORDS, limit = 3): Suggestion[] {
  const hay = text.toLowerCase();
  const hits = rules.filter((k) => hay.includes(k.phrase.toLowerCase()));
  const kept = hits.filter((k) => !hits.some((o) => o !== k && o.phrase.length > k.phrase.length && o.phrase.includes(k.phrase)));
  const byCategory = new Map<string, Suggestion & { deptVotes: Map<Department, number> }>();
  for (const k of kept) {
    const s = byCategory.get(k.category) ?? { category: k.category, dept: null, score: 0, matched: [] as string[], deptVotes: new Map<Department, number>() };
    const w = k.weight ?? [...k.phrase].length;
    s.score += w;
    if (!s.matched.includes(k.phrase)) s.matched.push(k.phrase);
    if (k.dept) s.deptVotes.set(k.dept, (s.deptVotes.get(k.dept) ?? 0) + w);
    byCategory.set(k.category, s);
  }
  return [...byCategory.values()]
    .map(({ deptVotes, ...s }) => {
      const voted = [...deptVotes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
      return { ...s, dept: voted ?? CATEGORY_DEPARTMENT[s.category] ?? null, matched: s.matched.sort((a, b) => b.length - a.length) };
    })
    .sort((a, b) => b.score - a.score || (a.category < b.category ? -1 : 1))
    .slice(0, limit);
}

export const MAX_KEYWORD_RULES = 2000;
export const MAX_PHRASE_CHARS = 20;

/**
 * Checks a library an administrator submits. Unlike `validRules` it refuses rather than
 * drops: an edit that loses rules silently would be worse than one refused with a reason.
 */
export function parseKeywords(raw: unknown): { ok: true; rules: KeywordRule[] } | { ok: false; error: string } {
  if (!Array.isArray(raw)) return { ok: false, error: 'rules must be a list' };
  if (raw.length > MAX_KEYWORD_RULES) return { ok: false, error: `at most ${MAX_KEYWORD_RULES} rules` };
  const rules: KeywordRule[] = [];
  const seen = new Set<string>();
  for (const [i, r] of raw.entries()) {
    const at = `rule ${i + 1}`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return { ok: false, error: `${at}: not an object` };
    const { phrase, category, dept, weight, ...rest } = r as Record<string, unknown>;
    if (Object.keys(rest).length > 0) return { ok: false, error: `${at}: unknown field ${Object.keys(rest)[0]}` };
    const p = typeof phrase === 'string' ? phrase.trim() : '';
    if (!p || [...p].length > MAX_PHRASE_CHARS) return { ok: false, error: `${at}: phrase must be 1–${MAX_PHRASE_CHARS} characters` };
    if (typeof category !== 'string' || !CATEGORY_CODES.includes(category)) return { ok: false, error: `${at} (${p}): unknown category` };
    if (dept !== undefined && !isDepartment(dept)) return { ok: false, error: `${at} (${p}): unknown department` };
    if (weight !== undefined && (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > 20)) return { ok: false, error: `${at} (${p}): weight must be 1–20` };
    const key = `${p}\u0000${category}`;
    if (seen.has(key)) return { ok: false, error: `${at}: "${p}" is listed twice for the same category` };
    seen.add(key);
    rules.push({ phrase: p, category, ...(dept !== undefined && { dept: dept as Department }), ...(weight !== undefined && { weight: weight as number }) });
  }
  return { ok: true, rules };
}
