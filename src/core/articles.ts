import * as v from 'valibot';
import { codePrefix, isRegionCode, levelOf } from './regions';
import type { Role, Scope } from './roles';

// Policy information (为您服务, after Lanling's): officials publish short plain-text articles —
// policies, industry techniques, livelihood notices — for a county, a town or a village.
// Citizens read them on the public pages; field workers' phones keep the ones for their area,
// so a grid worker can show a policy in a village with no signal.

export const ARTICLE_CATEGORIES = ['policy', 'technique', 'notice'] as const;
export type ArticleCategory = (typeof ARTICLE_CATEGORIES)[number];

/** Who publishes, edits and withdraws articles: town officials and the county's roles (a department for its trade). */
export const ARTICLE_ROLES: readonly Role[] = ['town_official', 'dept_handler', 'county_dispatcher', 'city_dispatcher', 'leader'];

export const TITLE_MAX = 60;
/** Short enough that the public page of one article stays under 10 KB in Chinese (3 bytes a character). */
export const BODY_MAX = 2000;

export type ArticleStatus = 'published' | 'withdrawn';

export interface Article {
  id: string;
  title: string;
  /** Plain text; paragraphs are separated by a blank line. */
  body: string;
  category: ArticleCategory;
  /** A county, town or village as its 12-digit code. */
  area: string;
  authorId: string;
  status: ArticleStatus;
  publishedAt: number;
  updatedAt: number;
}

export const isArticleCategory = (c: unknown): c is ArticleCategory => typeof c === 'string' && (ARTICLE_CATEGORIES as readonly string[]).includes(c);

/** Whether `code` is an area an article may address: a county, town or village (not a whole city). */
export function isArticleArea(code: unknown): code is string {
  return isRegionCode(code) && levelOf(code) !== 'city';
}

/** Line breaks as \n, no trailing blanks on a line, at most one blank line between paragraphs. */
export function normalizeBody(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t\u3000]+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The body's paragraphs, in order (a single line break stays inside its paragraph). */
export function paragraphs(body: string): string[] {
  return normalizeBody(body)
    .split('\n\n')
    .filter((p) => p.length > 0);
}

/** Anything that reads as markup: a tag, a comment or a declaration. Articles are plain text. */
const MARKUP = /<\s*[a-zA-Z!/?]|&[a-zA-Z]+;|&#\d+;/;

const plain = (what: string) => v.check((s: string) => !MARKUP.test(s), `${what}: plain text only, no HTML`);
/** No control characters but the line breaks and tabs a pasted text has. */
const noControls = (what: string) => v.check((s: string) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s), `${what}: contains control characters`);

export const ArticleInputSchema = v.strictObject({
  title: v.pipe(v.string(), v.transform((s) => s.replace(/\s+/g, ' ').trim()), v.minLength(2, 'title: at least 2 characters'), v.maxLength(TITLE_MAX, `title: at most ${TITLE_MAX} characters`), plain('title'), noControls('title')),
  body: v.pipe(v.string(), v.transform(normalizeBody), v.minLength(2, 'body: at least 2 characters'), v.maxLength(BODY_MAX, `body: at most ${BODY_MAX} characters`), plain('body'), noControls('body')),
  category: v.picklist(ARTICLE_CATEGORIES, 'category: policy, technique or notice'),
  area: v.pipe(v.string(), v.check((s: string) => isArticleArea(s), 'area: a county, town or village code (12 digits)')),
});
export type ArticleInput = v.InferOutput<typeof ArticleInputSchema>;

/** An edit sends only what changes. */
export const ArticleChangeSchema = v.pipe(
  v.partial(ArticleInputSchema),
  v.check((c) => Object.keys(c).length > 0, 'nothing to change'),
);
export type ArticleChange = v.InferOutput<typeof ArticleChangeSchema>;

/** Whether an article for `area` concerns someone whose scope (or filter) is `prefixes`: one lies within the other. */
export function areaOverlaps(area: string, prefixes: readonly string[]): boolean {
  const own = codePrefix(area);
  return prefixes.some((p) => own.startsWith(p) || p.startsWith(own));
}

/** Whether `user` may publish for `area`, or edit and withdraw an article there: their role, and the whole area inside their scope. */
export function mayPublishArticle(user: { role: Role; scope: Scope }, area: string): boolean {
  if (!ARTICLE_ROLES.includes(user.role) || !isArticleArea(area)) return false;
  const own = codePrefix(area);
  return user.scope.regions.some((p) => own.startsWith(p));
}

/** Whether the article matches a search: every word of `query` in its title or body, ignoring case. */
export function articleMatches(article: Pick<Article, 'title' | 'body'>, query: string): boolean {
  const words = searchWords(query);
  const text = `${article.title}\n${article.body}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

/** A search box's words, lower-cased; at most five, each at most 20 characters. */
export function searchWords(query: string): string[] {
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .slice(0, 5)
    .map((w) => w.slice(0, 20));
}

/** The first characters of the body, on one line, for a list. */
export function excerpt(body: string, max = 60): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return [...flat].length <= max ? flat : `${[...flat].slice(0, max).join('')}…`;
}

/** Newest first (by publishing, then id): the order every list shows. */
export function byNewest(a: Pick<Article, 'publishedAt' | 'id'>, b: Pick<Article, 'publishedAt' | 'id'>): number {
  return b.publishedAt - a.publishedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** An article as sent to devices and kept there: validated again on the way in, so a bad copy never shows. */
export const StoredArticleSchema = v.object({
  id: v.string(),
  title: v.string(),
  body: v.string(),
  category: v.picklist(ARTICLE_CATEGORIES),
  area: v.pipe(v.string(), v.check((s: string) => isArticleArea(s))),
  authorId: v.string(),
  status: v.picklist(['published', 'withdrawn']),
  publishedAt: v.number(),
  updatedAt: v.number(),
});
