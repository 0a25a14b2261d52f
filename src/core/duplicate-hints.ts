// Duplicate hints (查重提示) while an appeal is recorded: appeals already on the device in the
// same village, of the same category, recorded within the repeat window, whose text is
// similar to what is being typed. Each hint says why it matches, so the worker can judge.
//
// Similarity of Chinese text written without spaces: the text's character bigrams (plus
// whole Latin/digit words), minus a small stop list of bigrams every appeal uses. The score
// is the overlap coefficient |A∩B| / min(|A|,|B|): symmetric, 1 when one text is contained
// in the other (a short title read from a list against a long description), and it needs
// `minShared` bigrams in common so one shared word alone never makes a match. The words
// shown as the reason are read from the query text (the one being typed): maximal runs of
// consecutive shared bigrams, so 自来 + 来水 read as 「自来水」.

import { DEFAULT_REPEAT_RULE } from './repeats';

const DAY = 86_400_000;

export interface HintRule {
  /** Only appeals recorded within this many days before `now` are hinted (the repeat window). */
  windowDays: number;
  /** Overlap coefficient at or above which two texts are similar. */
  minScore: number;
  /** Bigrams (or words) two texts must share, unless one text has fewer. */
  minShared: number;
  /** At most this many hints are returned; `count` still tells how many matched. */
  limit: number;
}

export const DEFAULT_HINT_RULE: HintRule = { windowDays: DEFAULT_REPEAT_RULE.windowDays, minScore: 0.3, minShared: 2, limit: 5 };

/** Below this many characters typed, nothing is hinted: a word or two says too little. */
export const MIN_QUERY_CHARS = 4;

/** Bigrams nearly every appeal uses; sharing them says nothing about the problem. */
const STOP_BIGRAMS = new Set([
  '村民', '反映', '问题', '希望', '要求', '我们', '没有', '一个', '这个', '那个', '已经', '现在', '解决', '情况', '群众',
  '诉求', '因为', '所以', '可以', '帮助', '时间', '村里', '家里', '附近', '目前', '一直', '今天', '昨天', '还是', '不能',
  '不是', '就是', '他们', '自己', '处理', '相关', '部门', '请求', '尽快', '多次', '经常', '非常', '严重', '影响',
]);

export interface HintCandidate {
  id: string;
  village: string;
  category: string;
  createdAt: number;
  /** The text compared: on the device, the projection's title (first line of the description). */
  title: string;
  status: string;
}

/** A candidate with its grams computed once, so typing only re-reads the query. */
export interface PreparedCandidate extends HintCandidate {
  grams: ReadonlySet<string>;
  norm: string;
}

export interface HintQuery {
  village: string;
  category: string;
  text: string;
  now: number;
}

export interface DuplicateHint {
  id: string;
  title: string;
  status: string;
  createdAt: number;
  /** Whole days between its recording and `now` (0 for today, or for a clock ahead). */
  daysAgo: number;
  score: number;
  /** Words in common, as they read in the query text, longest first. */
  words: string[];
}

export interface HintResult {
  /** How many appeals matched; `hints` holds the best `limit` of them. */
  count: number;
  hints: DuplicateHint[];
}

const HAN = /\p{Script=Han}/u;
const WORD = /[\p{L}\p{N}]/u;

/** Full-width to half-width, lower case, only letters and digits kept (spaces, punctuation and emoji go). */
export function normalize(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFKC').toLowerCase()) if (WORD.test(ch)) out += ch;
  return out;
}

/** The text as units in order: each Han character alone, each run of other letters/digits as one word. */
function units(norm: string): string[] {
  const out: string[] = [];
  let word = '';
  for (const ch of norm) {
    if (HAN.test(ch)) {
      if (word) out.push(word), (word = '');
      out.push(ch);
    } else word += ch;
  }
  if (word) out.push(word);
  return out;
}

const isHan = (u: string) => HAN.test(u);

/**
 * Each position's gram (or null): Han bigrams, Latin/digit words of 2+ chars. A character
 * inside a stop bigram is in no gram, so 村民反映 gives no 民反 bridging two stop words.
 */
function gramsInOrder(us: readonly string[]): (string | null)[] {
  const stopped = new Array<boolean>(us.length).fill(false);
  for (let i = 0; i + 1 < us.length; i++) if (STOP_BIGRAMS.has(us[i]! + us[i + 1]!)) stopped[i] = stopped[i + 1] = true;
  return us.map((u, i) => {
    if (!isHan(u)) return [...u].length >= 2 ? u : null;
    const next = us[i + 1];
    if (next === undefined || !isHan(next) || stopped[i] || stopped[i + 1]) return null;
    return u + next;
  });
}

export function gramsOf(text: string): Set<string> {
  const gs = new Set<string>();
  for (const g of gramsInOrder(units(normalize(text)))) if (g !== null) gs.add(g);
  return gs;
}

/** The overlap coefficient and the number of shared grams; symmetric in its arguments. */
export function overlap(a: ReadonlySet<string>, b: ReadonlySet<string>): { score: number; shared: number } {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const g of small) if (big.has(g)) shared++;
  return { score: small.size === 0 ? 0 : shared / small.size, shared };
}

/** Whether two texts are similar under the rule (symmetric). Identical non-empty texts always are. */
export function similar(a: { grams: ReadonlySet<string>; norm: string }, b: { grams: ReadonlySet<string>; norm: string }, rule: HintRule): number | null {
  if (a.norm !== '' && a.norm === b.norm) return 1;
  const { score, shared } = overlap(a.grams, b.grams);
  const need = Math.max(1, Math.min(rule.minShared, a.grams.size, b.grams.size));
  return shared >= need && score >= rule.minScore ? score : null;
}

export function prepare(c: HintCandidate): PreparedCandidate {
  return { ...c, grams: gramsOf(c.title), norm: normalize(c.title) };
}

/** The words the query shares with a candidate: maximal runs of shared grams, read from the query. */
function sharedWords(queryUnits: readonly string[], queryGrams: readonly (string | null)[], other: ReadonlySet<string>): string[] {
  const words = new Set<string>();
  let i = 0;
  while (i < queryGrams.length) {
    const g = queryGrams[i];
    if (g === null || g === undefined || !other.has(g)) {
      i++;
      continue;
    }
    if (!isHan(queryUnits[i]!)) {
      words.add(g);
      i++;
      continue;
    }
    // A run of Han bigrams i, i+1, … each shared: the characters from i to the run's end + 1.
    let end = i;
    while (end + 1 < queryGrams.length && queryGrams[end + 1] !== null && isHan(queryUnits[end + 1]!) && other.has(queryGrams[end + 1]!)) end++;
    words.add(queryUnits.slice(i, end + 2).join(''));
    i = end + 1;
  }
  return [...words].sort((x, y) => [...y].length - [...x].length || (x < y ? -1 : x > y ? 1 : 0));
}

/**
 * The appeals the one being recorded may repeat: same village, same category, recorded
 * within the window, similar text. Best first (score, then newest, then id), at most `limit`.
 */
export function duplicateHints(query: HintQuery, candidates: readonly PreparedCandidate[], rule: HintRule = DEFAULT_HINT_RULE): HintResult {
  const norm = normalize(query.text);
  if ([...norm].length < MIN_QUERY_CHARS || !query.village || !query.category) return { count: 0, hints: [] };
  const qUnits = units(norm);
  const qGramList = gramsInOrder(qUnits);
  const q = { norm, grams: new Set(qGramList.filter((g): g is string => g !== null)) };
  const since = query.now - rule.windowDays * DAY;
  const found: DuplicateHint[] = [];
  for (const c of candidates) {
    if (c.village !== query.village || c.category !== query.category || c.createdAt < since) continue;
    const score = similar(q, c, rule);
    if (score === null) continue;
    const words = c.norm === norm && q.grams.size === 0 ? [norm] : sharedWords(qUnits, qGramList, c.grams);
    found.push({ id: c.id, title: c.title, status: c.status, createdAt: c.createdAt, daysAgo: Math.max(0, Math.floor((query.now - c.createdAt) / DAY)), score, words });
  }
  found.sort((a, b) => b.score - a.score || b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { count: found.length, hints: found.slice(0, Math.max(0, rule.limit)) };
}
