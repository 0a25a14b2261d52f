import type { Article, ArticleCategory, ArticleStatus } from '../../../src/core/articles';
import { codePrefix } from '../../../src/core/regions';
import type { Sql } from '../sql';
import type { ArticleStore } from './contract';

function articleFromRow(r: Record<string, unknown>): Article {
  return {
    id: r.id as string,
    title: r.title as string,
    body: r.body as string,
    category: r.category as ArticleCategory,
    area: r.area as string,
    authorId: r.author_id as string,
    status: r.status as ArticleStatus,
    publishedAt: Number(r.published_at),
    updatedAt: Number(r.updated_at),
  };
}

/** A word as a LIKE pattern that matches it literally anywhere. */
const containing = (word: string) => `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function articleStore(sql: Sql): ArticleStore {
  return {
    insertArticle: async (a) =>
      void (await sql.run('INSERT INTO articles (id, title, body, category, area, area_prefix, author_id, status, published_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        a.id, a.title, a.body, a.category, a.area, codePrefix(a.area), a.authorId, a.status, a.publishedAt, a.updatedAt,
      ])),
    saveArticle: async (a) =>
      (await sql.run('UPDATE articles SET title = ?, body = ?, category = ?, area = ?, area_prefix = ?, status = ?, updated_at = ? WHERE id = ?', [
        a.title, a.body, a.category, a.area, codePrefix(a.area), a.status, a.updatedAt, a.id,
      ])) === 1,
    article: async (id) => {
      const row = await sql.get<Record<string, unknown>>('SELECT * FROM articles WHERE id = ?', [id]);
      return row ? articleFromRow(row) : null;
    },
    articles: async ({ status, category, overlapping, words, before, limit }) => {
      if (overlapping?.length === 0) return [];
      const where: string[] = [];
      const args: unknown[] = [];
      const filter = (clause: string, ...values: unknown[]) => {
        where.push(clause);
        args.push(...values);
      };
      if (status) filter('status = ?', status);
      if (category) filter('category = ?', category);
      if (before !== undefined) filter('published_at < ?', before);
      if (overlapping) {
        // The area lies within a prefix, or contains it (a county-wide notice concerns each village).
        filter(`(${overlapping.map(() => "(area_prefix LIKE ? OR ? LIKE area_prefix || '%')").join(' OR ')})`, ...overlapping.flatMap((p) => [`${p}%`, p]));
      }
      for (const w of words ?? []) filter("(lower(title) LIKE ? ESCAPE '\\' OR lower(body) LIKE ? ESCAPE '\\')", containing(w), containing(w));
      const rows = await sql.all<Record<string, unknown>>(`SELECT * FROM articles ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY published_at DESC, id DESC LIMIT ?`, [...args, limit]);
      return rows.map(articleFromRow);
    },
    setWorkPhone: async (userId, phone, at) => {
      if (phone === null) await sql.run('DELETE FROM work_phones WHERE user_id = ?', [userId]);
      else await sql.run('INSERT INTO work_phones (user_id, phone, updated_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET phone = excluded.phone, updated_at = excluded.updated_at', [userId, phone, at]);
    },
    workPhone: async (userId) => (await sql.get<{ phone: string }>('SELECT phone FROM work_phones WHERE user_id = ?', [userId]))?.phone ?? null,
    workPhones: async () => new Map((await sql.all<{ user_id: string; phone: string }>('SELECT user_id, phone FROM work_phones')).map((r) => [r.user_id, r.phone])),
  };
}
