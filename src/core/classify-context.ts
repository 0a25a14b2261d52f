import type { Department } from './departments';

// Context rules on top of the county's keyword library (issue 26, item 9). A keyword alone
// misleads: 过期 is an expired ID card at the permit window but spoiled food at the village
// shop; 宅基地 is a building permit until the neighbours come to blows over its edge. A rule
// fires when every one of its word groups is found in the text (and not negated), adds its
// weight to its category, and may take over keywords it explains, so that the same word does
// not also vote for its usual category. Each rule names the words that made it fire, which
// the form shows as the reason, like a keyword.
//
// The rules are part of the code, not of the editable library: a county's stored library
// (a copy of an older default) keeps working and still gets them.

export interface ContextRule {
  /** Stable name, reported with the suggestion (`rules`) for tests and the keyword editor's trial. */
  id: string;
  /** Every group must have at least one of its words in the text, not negated. */
  all: readonly (readonly string[])[];
  category: string;
  dept?: Department;
  weight: number;
  /** Library phrases this rule explains: their keyword hits no longer vote for other categories. */
  takes?: readonly string[];
  /** Rules (by id) that do not fire when this one does: a more specific reading of the same words. */
  outranks?: readonly string[];
}

const words = (s: string): readonly string[] => s.split(' ');

/** Quarrel, fight or a request to mediate: what makes a matter a dispute. */
export const DISPUTE_CUES = words(
  '吵架 吵起来 吵了 吵过 争吵 大吵 天天吵 就吵 吵翻 闹翻 闹僵 闹得 闹矛盾 矛盾 纠纷 扯皮 翻脸 打架 打起来 动手 动了手 调解 评理 评评理 说理 各说各的 不认账 互不相让',
);
/** What a land dispute is about. */
const LAND_OBJECTS = words('宅基地 地界 界桩 界线 边界 承包地 责任田 自留地 耕地 林地 山林 荒地 地头 分地 田埂');
/** What neighbours quarrel about: the things between two houses, and within a family. */
const NEIGHBOUR_OBJECTS = words('院墙 围墙 排水沟 排水管 滴水 过道 胡同 巷子 窗户 挡光 遮光 猪圈 鸡 狗 树 老宅 分家 赡养 老人 遗产 婆媳 兄弟 邻居 隔壁 对门');
/** Spoiled, fake or dirty: what is wrong with food (and medicines, also market regulation's). */
const FOOD_FAULTS = words('过期 变质 发霉 霉点 长毛 馊 三无 病死 死猪肉 注水 药水 吃坏 拉肚子 上吐下泻 食物中毒 不干净 脏 苍蝇 地沟油');
/** Food and where it is sold or cooked. */
const FOOD_OBJECTS = words(
  '食品 食物 零食 辣条 牛奶 奶粉 饮料 月饼 面包 猪肉 牛肉 羊肉 豆芽 蔬菜 饭菜 的菜 熟食 小卖部 超市 商店 小摊 摊贩 饭馆 饭店 餐馆 后厨 食堂 早市 集上 菜市场 吃了 药品 药店 药房',
);
/** Documents that expire. */
const DOCUMENTS = words('证件 身份证 驾驶证 护照 户口本 执照 许可证 准迁证 居住证 社保卡');
/** Asking what the rules are, rather than complaining that something went wrong. */
const INQUIRY_CUES = words('想问 问一下 问问 咨询 想了解 了解一下 是什么 是真的吗 有没有 能不能申请 怎么申请 能领 可以领 能享受 什么待遇 怎么规定 有啥影响 啥政策 什么政策 是多少 标准是 还能不能');
const BENEFITS = words('补贴 补助 政策 待遇 扶持 帮扶 奖励 优待 条件 标准 规定 限制 计划 加分 贷款');
/** Owing someone for their work. */
const OWED = words('欠 拖了 没给 没发 不给 不发 要不回来 没拿到 结不了 扣了 克扣');
const PAY = words('工钱 工资 血汗钱 劳务费 辛苦钱 干活的钱 的钱');

export const CONTEXT_RULES: readonly ContextRule[] = [
  // 宅基地/地界 fought over is a land dispute, not a housing matter, even between neighbours.
  { id: 'dispute-land', all: [DISPUTE_CUES, LAND_OBJECTS], category: 'disputes.land', dept: 'agriculture', weight: 7, takes: ['宅基地', '土地', '承包'], outranks: ['dispute-neighbour'] },
  // A wall, a drain or an old parent between two households is a neighbours' (or family) dispute.
  { id: 'dispute-neighbour', all: [DISPUTE_CUES, NEIGHBOUR_OBJECTS], category: 'disputes.neighbour', weight: 6, takes: ['排水', '院墙', '老宅'] },
  // A quarrel with nothing else said is still a dispute: the neighbours' class is the usual one.
  { id: 'dispute', all: [DISPUTE_CUES], category: 'disputes.neighbour', weight: 2 },
  // Spoiled or dirty food is food safety, for market regulation (filed under 医疗卫生: public health).
  { id: 'food-safety', all: [FOOD_FAULTS, FOOD_OBJECTS], category: 'livelihood.medical', dept: 'market', weight: 8, takes: ['过期', '卫生', '食品安全', '价格', '假货', '苍蝇', '臭'] },
  { id: 'food-safety', all: [words('食品安全 食物中毒 食品卫生')], category: 'livelihood.medical', dept: 'market', weight: 6, takes: ['食品安全'] },
  // An expired document is a matter for the permit window.
  { id: 'expired-document', all: [words('过期 到期'), DOCUMENTS], category: 'services.approval', weight: 4, takes: ['过期'] },
  // Money owed, with work in the text or not, is most often pay: weaker than a word about land or rent.
  { id: 'owed-pay', all: [OWED, PAY], category: 'disputes.wages', dept: 'human_resources', weight: 3 },
  // "Is there a subsidy for…?" asks about a policy; "the subsidy was not paid" does not.
  { id: 'inquiry', all: [INQUIRY_CUES, BENEFITS], category: 'services.policy', weight: 5 },
];

/**
 * Words that only say how the villager asks (希望, 建议, 反映): they never outweigh a word
 * about the matter itself, whichever category a library gives them. Alone, they leave the
 * appeal under its own library category (其他 by default) at the lowest score.
 */
export const WEAK_WORDS: ReadonlySet<string> = new Set(words('希望 建议 反映 意见 其他 麻烦 请求 要求 帮忙 问题 情况 想问 一下'));

/**
 * What turns a term's meaning around when it stands just before it ("不是停水，是水太浑").
 * Plain 不/没/没有 are not among them: "没信号", "没有路灯", "不给工钱" are the complaint itself;
 * nor is the question 是不是 ("是不是假种子").
 */
export const NEGATORS: readonly string[] = words('不是 并不是 并非 倒不是 而不是 不属于 不算 不涉及');

/** What a weak word weighs at most: less than any word about the matter (a single character weighs 1). */
export const WEAK_WEIGHT = 0.5;

/** Negated terms count this much of their weight: lowered, still shown. */
export const NEGATED_FACTOR = 0.2;
