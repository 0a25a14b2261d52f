import { expect, it } from 'vitest';
import type { Article } from '../../../src/core/articles';
import { newId } from '../../../src/core/id';
import { eachStore } from './stores';

// Policy articles and published work numbers (server/store/articles/contract.ts) on both stores.

const COUNTY = '371324000000';
const TOWN = '371324101000';
const VILLAGE = '371324101201';
const OTHER_TOWN = '371324102000';

const article = (over: Partial<Article> = {}): Article => ({
  id: newId(), title: '小麦秋播技术要点', body: '一、适期播种。\n\n二、足墒下种。', category: 'technique', area: TOWN, authorId: 'u1', status: 'published', publishedAt: 1000, updatedAt: 1000, ...over,
});

eachStore('articles', (use) => {
  it('stores, reads back and overwrites an article; an id is taken once', () =>
    use(async (store) => {
      const a = article();
      await store.insertArticle(a);
      expect(await store.article(a.id)).toEqual(a);
      await expect(store.insertArticle(a)).rejects.toThrow();
      const edited = { ...a, title: '小麦秋播要点（修订）', area: VILLAGE, status: 'withdrawn' as const, updatedAt: 2000 };
      expect(await store.saveArticle(edited)).toBe(true);
      expect(await store.article(a.id)).toEqual(edited);
      expect(await store.saveArticle(article())).toBe(false);
      expect(await store.article(newId())).toBeNull();
    }));

  it('lists newest first, by status and category, and by areas that contain or lie within a scope', () =>
    use(async (store) => {
      const county = article({ area: COUNTY, category: 'policy', publishedAt: 3000 });
      const town = article({ publishedAt: 2000 });
      const village = article({ area: VILLAGE, category: 'notice', publishedAt: 4000 });
      const elsewhere = article({ area: OTHER_TOWN, publishedAt: 5000 });
      const gone = article({ status: 'withdrawn', publishedAt: 6000 });
      for (const a of [county, town, village, elsewhere, gone]) await store.insertArticle(a);
      const ids = async (q: Parameters<typeof store.articles>[0]) => (await store.articles(q)).map((a) => a.id);
      expect(await ids({ limit: 10 })).toEqual([gone.id, elsewhere.id, village.id, county.id, town.id]);
      expect(await ids({ status: 'published', limit: 10 })).toEqual([elsewhere.id, village.id, county.id, town.id]);
      expect(await ids({ status: 'published', category: 'technique', limit: 10 })).toEqual([elsewhere.id, town.id]);
      // A grid worker of the village: the county's, the town's and the village's own.
      expect(await ids({ status: 'published', overlapping: ['371324101201'], limit: 10 })).toEqual([village.id, county.id, town.id]);
      // The town's official: the county's above, the town's, and the villages' below.
      expect(await ids({ status: 'published', overlapping: ['371324101'], limit: 10 })).toEqual([village.id, county.id, town.id]);
      expect(await ids({ status: 'published', overlapping: ['371324102', '371324101201'], limit: 10 })).toEqual([elsewhere.id, village.id, county.id, town.id]);
      expect(await ids({ overlapping: [], limit: 10 })).toEqual([]);
      expect(await ids({ status: 'published', before: 4000, limit: 10 })).toEqual([county.id, town.id]);
      expect(await ids({ status: 'published', limit: 2 })).toEqual([elsewhere.id, village.id]);
    }));

  it('searches every word in title or body, ignoring case, with LIKE’s wildcards read literally', () =>
    use(async (store) => {
      const a = article({ title: 'PM2.5 防控通知', body: '秸秆禁烧，100% 覆盖' });
      const b = article({ title: '小麦秋播', body: '适期播种 a_b' });
      await store.insertArticle(a);
      await store.insertArticle(b);
      const ids = async (words: string[]) => (await store.articles({ words, limit: 10 })).map((x) => x.id).sort();
      expect(await ids(['pm2.5'])).toEqual([a.id]);
      expect(await ids(['秸秆', '通知'])).toEqual([a.id]);
      expect(await ids(['秸秆', '小麦'])).toEqual([]);
      expect(await ids(['%'])).toEqual([a.id]);
      expect(await ids(['_'])).toEqual([b.id]);
      expect(await ids(['播种'])).toEqual([b.id]);
    }));

  it('keeps one published work number per user, and forgets it when withdrawn', () =>
    use(async (store) => {
      expect(await store.workPhone('u1')).toBeNull();
      await store.setWorkPhone('u1', '0539-5211234', 1);
      await store.setWorkPhone('u2', '13812345678', 1);
      await store.setWorkPhone('u1', '13900001111', 2);
      expect(await store.workPhone('u1')).toBe('13900001111');
      expect([...(await store.workPhones())].sort()).toEqual([['u1', '13900001111'], ['u2', '13812345678']]);
      await store.setWorkPhone('u1', null, 3);
      expect(await store.workPhone('u1')).toBeNull();
      expect([...(await store.workPhones())]).toEqual([['u2', '13812345678']]);
    }));
});
