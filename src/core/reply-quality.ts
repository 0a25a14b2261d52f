// Reply quality checks (全流程质检, issue 28 item 2): explainable rules run on every reply, on the
// device while the handler types and in the projection both device and server build. Each finding
// names the rule that fired and what in the text made it fire, so a handler can see why and fix it.
// The rules only warn: a reply is never refused for them.

export const QUALITY_RULES = ['boilerplate', 'too_short', 'no_action', 'copied', 'not_ours'] as const;
export type QualityRule = (typeof QUALITY_RULES)[number];

export interface QualityFinding {
  rule: QualityRule;
  /** What fired it, in the reply's own words or as figures (shown after the rule's message). */
  detail: string;
}

export interface ReplyContext {
  /** Recent replies of the same unit (other appeals), for the copy check. */
  recentReplies?: readonly string[];
  /** The boilerplate phrase library; the default one when absent (configurable like the keyword library). */
  phrases?: readonly string[];
}

/** Fewer meaningful characters than this (punctuation and spaces not counted) is too short to say what was done. */
export const MIN_REPLY_CHARS = 15;
/** Character-trigram Jaccard similarity at or above which a reply counts as copied from another. */
export const COPY_SIMILARITY = 0.8;
/** With this many distinct boilerplate phrases the reply is flagged even when it names an action. */
export const BOILERPLATE_MANY = 3;
/** Longer texts are cut before checking: bounded work on any input. */
const MAX_CHECKED_CHARS = 4000;

/** 官话套话: phrases that sound like action but promise nothing checkable. */
export const DEFAULT_BOILERPLATE: readonly string[] = [
  '高度重视', '认真研究', '积极协调', '妥善处理', '进一步加强', '尽快解决', '加大力度', '持续关注', '高度关注',
  '认真对待', '积极推进', '抓紧落实', '研究解决', '认真落实', '及时处理', '尽快处理', '尽力解决', '跟踪落实',
  '统筹考虑', '逐步解决', '引起重视', '积极对接', '认真核查', '进一步完善',
];

/** Words of a concrete thing done or arranged (a noun of who/what alone is not enough). */
const ACTION = new RegExp([
  '修复', '修好', '修补', '维修', '抢修', '更换', '换了', '补发', '发放', '安排', '派人', '派员', '清理', '清运', '疏通', '安装', '铺设',
  '硬化', '恢复', '退还', '补缴', '补办', '办结', '拆除', '整改', '赔偿', '兑付', '支付', '到账', '送达', '上门', '入户', '测量',
  '检测', '调解', '签订', '立案', '罚款', '补种', '封堵', '加固', '通水', '通电', '送电', '发还', '追回', '责令', '约谈', '处罚',
  '现场查看', '现场核实',
].join('|'));

/** A date or a span a citizen can hold the unit to. */
const DATE = /\d{1,4}\s*[年月日号]|\d+\s*(?:个)?(?:天|日|工作日|周|小时)内?|[一二三四五六七八九十两]+\s*(?:个)?(?:天|工作日|周|小时)内|本周|下周|本月|下月|月底|月内|年底|年前|节前|今天|明天|明日|后天|周[一二三四五六日天]|星期[一二三四五六日天]|\d{1,2}[:：]\d{2}|上午|下午/;

/** Telling the citizen who to turn to is an answer too. */
const REFERRAL = /转交|转办|移交|建议(?:您)?(?:向|到|拨打|联系)|请(?:您)?(?:向|到|拨打|联系)/;

/** 不属于我单位职责 and its variants. */
const NOT_OURS = /不属于(?:我|本)?(?:单位|部门|镇|乡|村|局|委)?(?:的)?(?:职责|管辖|受理|业务)|不归(?:我们|我单位|本单位|我镇|我局|我部门)?管|非(?:我|本)(?:单位|部门|镇|局)?(?:的)?职责|不在(?:我们|我单位|本单位|我镇|我局)?(?:的)?(?:职责|管辖|受理)范围/;
/** A reason (a rule cited, a cause given, whose duty it is) or a referral (who to turn to). */
const REASON_OR_REFERRAL = /根据|依据|按照|《|因为|由于|(?<!不)属于|(?<!不)归.{1,12}管|负责|转交|转办|移交|建议(?:您)?(?:向|到|拨打|联系)|联系|请(?:您)?(?:向|到|拨打)|咨询|拨打|\d{5,}/;

/** Spaces, punctuation and symbols carry no substance; width and case differences are not differences. */
export function normalizeReply(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, '');
}

function trigrams(s: string): Set<string> {
  const chars = Array.from(s);
  const out = new Set<string>();
  if (chars.length < 3) {
    if (chars.length > 0) out.add(chars.join(''));
    return out;
  }
  for (let i = 0; i + 3 <= chars.length; i++) out.add(chars[i]! + chars[i + 1]! + chars[i + 2]!);
  return out;
}

/** Jaccard similarity of the two texts' character trigrams after normalising (1 = same text). */
export function replySimilarity(a: string, b: string): number {
  const x = trigrams(normalizeReply(a.slice(0, MAX_CHECKED_CHARS)));
  const y = trigrams(normalizeReply(b.slice(0, MAX_CHECKED_CHARS)));
  if (x.size === 0 && y.size === 0) return 0;
  let both = 0;
  for (const g of x) if (y.has(g)) both++;
  return both / (x.size + y.size - both);
}

/** Share of unflagged replies a reviewer also checks (抽检), in percent. */
export const SAMPLE_PERCENT = 10;

/**
 * Whether a reply falls in the random sample: a hash of its event id, so every device and the
 * server draw the same sample without coordinating, and nobody can steer a reply out of it.
 */
export function inQualitySample(replyId: string): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < replyId.length; i++) h = Math.imul(h ^ replyId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % 100 < SAMPLE_PERCENT;
}

/** Whether a reply waits for a reviewer: not yet judged, and flagged by a rule, a redo of one sent back, or drawn in the sample. */
export function awaitsReview(row: { replyId: string | null; quality: string | null; qualityFlags: readonly string[]; redoCount: number }): boolean {
  return row.replyId !== null && row.quality === null && (row.qualityFlags.length > 0 || row.redoCount > 0 || inQualitySample(row.replyId));
}

/** Every rule that fires on a reply, in the fixed order of QUALITY_RULES; empty when the reply passes. */
export function checkReply(text: string, context: ReplyContext = {}): QualityFinding[] {
  const raw = String(text ?? '').slice(0, MAX_CHECKED_CHARS);
  const plain = raw.normalize('NFKC');
  const norm = normalizeReply(raw);
  const length = Array.from(norm).length;
  const concrete = ACTION.test(plain) || DATE.test(plain) || REFERRAL.test(plain);
  const found: QualityFinding[] = [];

  const library = context.phrases ?? DEFAULT_BOILERPLATE;
  const phrases = [...new Set(library.map((p) => normalizeReply(p)).filter((p) => p.length > 0 && norm.includes(p)))];
  if (phrases.length > 0 && (!concrete || phrases.length >= BOILERPLATE_MANY)) found.push({ rule: 'boilerplate', detail: phrases.join('、') });

  if (length < MIN_REPLY_CHARS) found.push({ rule: 'too_short', detail: `${length}/${MIN_REPLY_CHARS}` });

  if (!concrete && length > 0) found.push({ rule: 'no_action', detail: '' });

  let best = 0;
  for (const other of context.recentReplies ?? []) best = Math.max(best, replySimilarity(raw, other));
  if (length >= 3 && best >= COPY_SIMILARITY) found.push({ rule: 'copied', detail: `${Math.round(best * 100)}%` });

  const refusal = NOT_OURS.exec(plain);
  if (refusal && !REASON_OR_REFERRAL.test(plain)) found.push({ rule: 'not_ours', detail: refusal[0] });

  return found;
}
