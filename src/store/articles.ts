import { liveQuery, type Observable } from 'dexie';
import * as v from 'valibot';
import { byNewest, StoredArticleSchema, type Article } from '../core/articles';
import type { MinshengDB } from './db';
import { getMeta, setMeta } from './meta';

// Policy information kept on the device (为您服务): every published article that concerns the
// user's area, fetched whenever the link comes up and kept in IndexedDB, so a grid worker can
// open a policy in a village with no signal. The server's list replaces the kept one whole,
// so an article withdrawn since goes with the next refresh.

const KEY = 'articles';

export interface KeptArticles {
  articles: Article[];
  /** When the server's list was kept (the device's clock). */
  at: number;
}

/** Keeps the server's list; rows that fail validation are left out rather than shown wrong. */
export async function keepArticles(db: MinshengDB, list: unknown, at: number): Promise<number> {
  const rows = Array.isArray(list) ? list : [];
  const articles = rows.flatMap((row) => {
    const r = v.safeParse(StoredArticleSchema, row);
    return r.success && r.output.status === 'published' ? [r.output] : [];
  });
  await setMeta(db, KEY, { articles: articles.sort(byNewest), at } satisfies KeptArticles);
  return articles.length;
}

/** Fetches the articles for the user's area and keeps them; false when offline or refused (the kept copy serves). */
export async function refreshArticles(db: MinshengDB, get: (path: string) => Promise<Response>, now = Date.now()): Promise<boolean> {
  try {
    const res = await get('/api/articles');
    if (!res.ok) return false;
    await keepArticles(db, ((await res.json()) as { articles?: unknown }).articles, now);
    return true;
  } catch {
    return false;
  }
}

/** Puts one article (just published or edited here) into the kept list at once, or takes a withdrawn one out. */
export async function keepOne(db: MinshengDB, article: Article): Promise<void> {
  await db.transaction('rw', db.meta, async () => {
    const kept = (await getMeta<KeptArticles>(db, KEY)) ?? { articles: [], at: 0 };
    const others = kept.articles.filter((a) => a.id !== article.id);
    await setMeta(db, KEY, { ...kept, articles: (article.status === 'published' ? [...others, article] : others).sort(byNewest) });
  });
}

/** The kept articles (undefined before the first refresh). */
export function keptArticles(db: MinshengDB): Observable<KeptArticles | undefined> {
  return liveQuery(() => getMeta<KeptArticles>(db, KEY));
}
