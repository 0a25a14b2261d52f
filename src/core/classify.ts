import { CATEGORY_CODES } from './categories';
import { CONTEXT_RULES, NEGATED_FACTOR, NEGATORS, WEAK_WEIGHT, WEAK_WORDS } from './classify-context';
import { isDepartment, type Department } from './departments';

// Explainable classification: a keyword library maps phrases found in the description to
// a category (and sometimes a department), and context rules (classify-context.ts) read
// words together: co-occurrence, dispute cues, negation, weak words. No model: words are
// matched directly in the Chinese text, so every suggestion can show the words that produced it.

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
/** Phrases that say little alone: a single character, or a word used in many matters. */
const weak = (category: string, phrases: string, dept?: Department): KeywordRule[] => r(category, phrases, dept).map((k) => ({ ...k, weight: 1 }));

/**
 * The seeded library for rural appeals; a county edits its own copy. What the words mean
 * together (a quarrel over a 宅基地, spoiled food at a shop, an expired ID card, a question
 * about a subsidy) is in the context rules of classify-context.ts, which apply to every library.
 */
export const DEFAULT_KEYWORDS: readonly KeywordRule[] = [
  ...r('infra.roads', '道路 路面 坑洼 坑坑洼洼 修路 硬化 土路 泥路 水泥路 柏油路 村道 公路 国道 马路 路口 路段 路基 拓宽 会车 桥 桥梁 桥墩 护栏 栏杆 塌陷 塌方 落石 路灯 红绿灯 减速带 积水 公交 客车 班车 站牌 大货车 压坏 压烂 堵车 交通 事故 开裂 主干道 干道 街道 路况 泥泞 泥塘 烂路 过不去 漫水桥 照明 灯不亮 不亮 车站 停车 早班车 末班车'),
  ...weak('infra.roads', '路'),
  ...r('infra.water', '自来水 停水 供水 送水 来水 上水 通水 水管 管道 饮水 吃水 喝水 挑水 水井 机井 打井 水压 水质 水垢 铁锈 灌溉 水渠 沟渠 清淤 浇地 浇水 浇不上 抗旱 天旱 旱死 水泵 抽水 泵房 水费 水表 泉水 泉眼 蓄水池 河堤 汛期 防汛 水库 改水 插秧 水龙头 浑水 水浑 用水 没水 缺水 断水 水源 水塔 水窖 漏水 接不到水 供水管 管子 冻裂 冻住', 'water'),
  ...r('infra.power', '停电 来电 断电 供电 供电所 电力 电压 电线 电线杆 线路 变压器 电表 电费 跳闸 打火 火花 三相电 电箱 通电 光伏 网络 信号 宽带 光纤 网速 上网 信号塔 基站 网太慢 打不出去 打不通 联系不上 没信号 手机信号 烧坏 电器 停一次电 偷电'),
  ...r('infra.environment', '垃圾 垃圾池 垃圾桶 污水 粪水 废水 臭 臭味 异味 恶臭 刺鼻 粉尘 灰尘 一层灰 噪音 噪声 吵得 轰隆隆 打桩 焚烧 烧秸秆 秸秆 黑烟 冒烟 烟囱 养殖场 养猪场 养鸡场 鸡屎 排污 污染 厕所 旱厕 公厕 抽粪 河道 卫生 保洁 建筑垃圾 挖沙 采砂 农药瓶 农药 发绿 发臭 死猪 塑料袋 化工厂 石料厂 砖厂 废品 电瓶 粪 粪堆 牛场 羊场 猪场 畜禽 生活垃圾 乱倒 乱扔 乱堆 呛 窑 石灰 煤灰 臭水 黑水 环境 环保 白色垃圾 死鱼 油烟'),
  ...r('livelihood.social_security', '养老保险 医保 社保 退休金 养老金 养老钱 参保 缴费 断交 补交 新农合 居民医保 社保卡 满六十 养老 交上 医保卡'),
  ...r('livelihood.social_security', '低保 五保 五保户 特困 供养 残疾 残疾人 补贴 两项补贴 救助 临时救助 高龄 孤儿 困难户 生活费 抚恤 智障 精神残疾 救济 困难 生活困难 孤寡 留守老人 失能', 'civil_affairs'),
  ...r('livelihood.medical', '看病 医院 卫生室 卫生院 村医 医生 诊所 买药 开药 报销 大病 慢性病 疫苗 体检 住院 手术 吊针 输液 打针 家庭医生 护士 急救 保健品 医疗 发烧 值班 吃药 药店 药房 有效期 病 病人 生病 急诊 救护车 门诊 挂号 医药费 感冒'),
  ...weak('livelihood.medical', '药'),
  ...r('livelihood.medical', '食品安全 食品卫生 食物中毒', 'market'),
  ...r('livelihood.education', '学校 上学 入学 小学 初中 中学 高中 大学 大学生 老师 教师 学生 幼儿园 校车 辍学 学费 转学 学籍 补课 补习 教辅 营养午餐 助学金 助学贷款 宿舍 操场 教室 放学 特殊教育 读书 职校 体罚 报名 报不上名 名额 班主任 课本 考试 升学 中考 高考 上课 课 校长 娃上学 辅导班'),
  ...r('livelihood.housing', '危房 房屋 漏雨 房顶 屋顶 瓦 改造 危房改造 安置 安置房 搬迁 拆迁 宅基地 建房 盖房 翻盖 房子 裂缝 裂了 墙裂 土坯房 公租房 廉租房 房产证 楼顶 渗水 墙皮 滑坡 倒塌 老房子 老宅 鉴定 冲倒 墙倒 后墙 借住 老屋 屋 漏 发水 搬出来 住房 危改 住的地方 没地方住 塌了 房梁'),
  ...r('disputes.neighbour', '邻居 邻里 隔壁 对门 吵架 纠纷 排水沟 院墙 堵路 赡养 家庭矛盾 争吵 婆媳 分家 遗产 离婚 过道 挡光 滴水檐 猪圈 不拴 调解 评理 骂人 哥嫂 老娘 老爹 不管老人 兄弟姐妹 家务事 家里人 儿媳 女婿 不孝 吃我家 踩坏 啃'),
  ...r('disputes.land', '土地 承包 承包地 流转 土地流转 耕地 地界 界桩 边界 占地 确权 征地 地租 林地 山林 开荒 荒地 责任田 调整土地 分地 退耕还林 集体 大棚 界石 挪了 口粮田 田 垄 亩 种地 划给 还地 租地 收回 地块', 'agriculture'),
  ...r('disputes.wages', '工资 欠薪 拖欠 讨薪 包工头 工钱 劳务费 农民工 欠条 结账 工地 老板 干活 加班费 辞退 班组长 打零工 发工资 不给钱 押金 厂里 干完活 算钱 结钱 工期 用工 雇 拖着不给 血汗钱'),
  ...r('disputes.public_order', '偷 被偷 小偷 被盗 盗窃 撬 打架 打起来 打伤 赌博 诈骗 骗 被骗 骗子 醉酒 喝多 闹事 治安 斗殴 安全隐患 报警 飙车 高利贷 要账 砸 骚扰 冒充 拿刀 炸鱼 家暴 打老婆 传销 翻倍 算命 划了 锁 保护费 黑社会 恶势力 欺行霸市 听课 会销 非法集资 抢 抢劫 打人 威胁 恐吓 持刀 刀'),
  ...r('services.approval', '户口 上户口 销户 迁户口 身份证 驾驶证 准迁证', 'public_security'),
  ...r('services.approval', '办证 审批 营业执照 执照 许可证 证明 开证明 盖章 手续 换证 不动产 过户 登记 结婚登记 窗口 跑了三趟 来回跑 预约 激活 办不下来 环评'),
  ...r('services.approval', '假货 价格', 'market'),
  ...r('services.conduct', '村干部 干部 村支书 支书 村主任 村会计 作风 推诿 推来推去 态度 吃拿卡要 优亲厚友 不作为 乱收费 办事难 送礼 送烟送酒 拉票 贿选 账目 村务公开 刁难 吃吃喝喝 说话不算数 找不到人 没下文 网格员 公章 亲戚 书记 村书记 拍桌子 蛮横 横 不上班 张榜 公布 公示 不公开 私分 截留 挪用 贪 腐败 不管事 踢皮球 敷衍'),
  ...r('services.policy', '政策 咨询 怎么办理 标准 是否符合 申请条件 条件 文件 想了解 了解一下 待遇 规定 享受 扶持 是真的吗 照顾 补多少 怎么补 发多少 按什么标准 有什么 能不能享受 可以享受 怎么算'),
  ...r('services.other', '流浪狗 野猪 健身器材 活动室 图书室 快递 广场舞 培训 戏台 农技员 感谢 点赞 表扬 电影 文化 娱乐 广场 路演 捐 捐款 志愿者 文明 风俗 宣传'),
  ...r('services.other', '假化肥 假种子 假农药 是假的 假冒 秤不准 缺斤少两', 'market'),
  ...weak('services.other', '建议 意见 希望 其他'),
];

export interface Suggestion {
  category: string;
  dept: Department | null;
  score: number;
  /** The words found in the text, best first: why this was suggested. A negated term shows with its negation ("不是停电"). */
  matched: string[];
  /** The context rules that contributed (classify-context.ts), if any. */
  rules: string[];
}

/** Drops rules that name unknown categories or departments (a county's edited library is configuration). */
export function validRules(rules: readonly KeywordRule[]): KeywordRule[] {
  return rules.filter((k) => k.phrase.trim().length > 0 && CATEGORY_CODES.includes(k.category) && (k.dept === undefined || isDepartment(k.dept)));
}

const CLAUSE_END = /[，。！？；、,.!?;\s]/;

/**
 * Where `term` stands in `hay`: 'plain' when at least one occurrence is not negated; else the
 * negated span of the first one ("不是停水"); null when absent.
 */
function presence(hay: string, term: string): 'plain' | { negated: string } | null {
  let first: string | null = null;
  for (let at = hay.indexOf(term); at >= 0; at = hay.indexOf(term, at + 1)) {
    const span = negationBefore(hay, at);
    if (span === null) return 'plain';
    first ??= span + term;
  }
  return first === null ? null : { negated: first };
}

/** The negation (and what lies between it and the term) just before `at`, in the same clause. */
function negationBefore(hay: string, at: number): string | null {
  let from = Math.max(0, at - 6);
  for (let i = at - 1; i >= from; i--) if (CLAUSE_END.test(hay[i]!)) from = i + 1;
  const before = hay.slice(from, at);
  for (const n of NEGATORS) {
    const j = before.lastIndexOf(n);
    if (j < 0) continue;
    // "是不是…" asks; it does not deny.
    if (n === '不是' && (before[j - 1] ?? hay[from - 1]) === '是') continue;
    return before.slice(j);
  }
  return null;
}

/** Phrases in lower case, remembered by content: the form classifies on every keystroke. */
const LOWER = new Map<string, string>();
function lower(phrase: string): string {
  let out = LOWER.get(phrase);
  if (out === undefined) {
    if (LOWER.size >= 4 * MAX_KEYWORD_RULES) LOWER.clear();
    LOWER.set(phrase, (out = phrase.toLowerCase()));
  }
  return out;
}

interface Tally {
  score: number;
  matched: string[];
  rules: string[];
  deptVotes: Map<Department, number>;
}

/**
 * Categories suggested for `text`, best first (at most `limit`): the library's phrases found
 * in the text, weighed by length (a phrase inside a longer matched phrase does not count
 * twice: 排水沟 is not also 排水), plus the context rules that fire. Weak words (希望) never
 * outweigh a word about the matter, and a negated term ("不是停水") counts little.
 */
export function classify(text: string, rules: readonly KeywordRule[] = DEFAULT_KEYWORDS, limit = 3): Suggestion[] {
  const hay = text.toLowerCase();
  const tallies = new Map<string, Tally>();
  const add = (category: string, weight: number, word: string | null, dept: Department | undefined, rule?: string) => {
    const s = tallies.get(category) ?? { score: 0, matched: [], rules: [], deptVotes: new Map<Department, number>() };
    s.score += weight;
    if (word !== null && !s.matched.includes(word)) s.matched.push(word);
    if (rule && !s.rules.includes(rule)) s.rules.push(rule);
    if (dept) s.deptVotes.set(dept, (s.deptVotes.get(dept) ?? 0) + weight);
    tallies.set(category, s);
  };

  // Context rules first: what they explain is theirs.
  const taken = new Set<string>();
  const fired = new Set<string>();
  for (const rule of CONTEXT_RULES) {
    if (fired.has(rule.id) || !CATEGORY_CODES.includes(rule.category)) continue;
    const found = rule.all.map((group) => group.filter((w) => hay.includes(w) && presence(hay, w) === 'plain'));
    if (found.some((ws) => ws.length === 0)) continue;
    fired.add(rule.id);
    for (const id of rule.outranks ?? []) fired.add(id);
    for (const w of rule.takes ?? []) taken.add(w.toLowerCase());
    // Every word that made it fire, but not 吵 inside 吵架.
    const trigger = found.flat();
    add(rule.category, rule.weight, null, rule.dept, rule.id);
    for (const w of trigger) if (!trigger.some((o) => o.length > w.length && o.includes(w))) add(rule.category, 0, w, undefined);
  }

  const hits = rules.flatMap((k) => {
    const phrase = lower(k.phrase);
    const p = phrase && hay.includes(phrase) ? presence(hay, phrase) : null;
    return p === null ? [] : [{ k, phrase, negated: p === 'plain' ? null : p.negated }];
  });
  const kept = hits.filter((h) => !taken.has(h.phrase) && !hits.some((o) => o.phrase.length > h.phrase.length && o.phrase.includes(h.phrase)));
  for (const { k, phrase, negated } of kept) {
    let w = k.weight ?? [...phrase].length;
    if (WEAK_WORDS.has(phrase)) w = Math.min(w, WEAK_WEIGHT);
    if (negated !== null) w *= NEGATED_FACTOR;
    add(k.category, w, negated ?? k.phrase, k.dept);
  }

  return [...tallies.entries()]
    .map(([category, { deptVotes, ...s }]) => {
      const voted = [...deptVotes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
      return { category, ...s, score: Math.round(s.score * 100) / 100, dept: voted ?? CATEGORY_DEPARTMENT[category] ?? null, matched: s.matched.sort((a, b) => b.length - a.length) };
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
