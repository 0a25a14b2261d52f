import type { Article, ArticleCategory, ArticleStatus } from '../../../src/core/articles';

/**
 * Policy information (为您服务): officials' short articles, and the work numbers people chose
 * to publish on the contact cards (干群连心卡). Nothing else about a person is kept here.
 */
export interface ArticleStore {
  /** Stores a new article; throws when its id is taken. */
  insertArticle(a: Article): Promise<void>;
  /** Overwrites an article's content, status and updated time; false when there is none with that id. */
  saveArticle(a: Article): Promise<boolean>;
  article(id: string): Promise<Article | null>;
  /** Articles, newest first (published time, then id), filtered as `q` says. */
  articles(q: ArticleQuery): Promise<Article[]>;

  /** Publishes a user's work number, or (null) takes it off every card. */
  setWorkPhone(userId: string, phone: string | null, at: number): Promise<void>;
  /** The user's published work number, or null. */
  workPhone(userId: string): Promise<string | null>;
  /** Every published work number, by user id. */
  workPhones(): Promise<Map<string, string>>;
}

export interface ArticleQuery {
  status?: ArticleStatus;
  category?: ArticleCategory;
  /** Region prefixes (4–12 digits): only articles whose area contains one of them or lies within one. An empty list matches nothing. */
  overlapping?: readonly string[];
  /** Every word in the title or the body, ignoring case (core/articles.ts `searchWords`). */
  words?: readonly string[];
  /** Published strictly before this time (for paging). */
  before?: number;
  limit: number;
}
