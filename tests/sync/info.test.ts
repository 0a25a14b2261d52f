import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { INFO_PAGE_SIZE } from '../../server/http/info-public';
import { BODY_MAX, TITLE_MAX, type Article } from '../../src/core/articles';
import { openDb } from '../../src/store/db';
import { getMeta } from '../../src/store/meta';
import { refreshArticles, type KeptArticles } from '../../src/store/articles';
import { addUser, login, type Login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// Policy information and contact cards through the real server: a town official publishes for
// their town, a grid worker's device keeps what concerns its village, citizens read and search
// on the public pages; scope and validation refuse the rest; withdrawn articles disappear. A
// work number is on a village's card only once its owner (or an administrator) published it.

let server: RunningServer;
const logins: Record<string, Login> = {};
let village = '';
let town = '';
let otherTown = '';
let otherVillage = '';

const api = (who: string, path: string, body?: object, method = body ? 'POST' : 'GET') =>
  fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${logins[who]!.token}`, 'content-type': 'application/json' }, ...(body && { body: JSON.stringify(body) }) });
const page = async (path: string) => {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, html: await res.text() };
};
const articleOf = async (res: Response) => ((await res.json()) as { article: Article }).article;
const listed = async (who: string, query = '') => ((await (await api(who, `/api/articles${query}`)).json()) as { articles: Article[] }).articles.map((a) => a.id);

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  for (const u of ['town', 'grid', 'dispatcher', 'admin', 'leader']) logins[u] = await login(server, u);
  village = logins.grid!.user.scope.regions[0]!;
  town = `${village.slice(0, 9)}000`;
  const regions = await server.store.regionsUnder([village.slice(0, 6)]);
  otherVillage = regions.find((r) => r.level === 'village' && !r.code.startsWith(village.slice(0, 9)))!.code;
  otherTown = `${otherVillage.slice(0, 9)}000`;
  await addUser(server, 'othertown', 'town_official', [otherTown.slice(0, 9)]);
  await addUser(server, 'othergrid', 'grid_worker', [otherVillage]);
  logins.othertown = await login(server, 'othertown');
  logins.othergrid = await login(server, 'othergrid');
});
afterAll(() => server?.close());

describe('publishing articles', () => {
  let article: Article;
  const body = () => ({ title: '小麦秋播技术要点', body: '一、适期播种：10月上中旬。\n\n二、足墒下种，播后镇压。', category: 'technique', area: town });

  it('lets a town official publish for their own town, and refuses other roles, other areas and bad input', async () => {
    expect((await api('grid', '/api/articles', body())).status).toBe(403);
    expect((await api('town', '/api/articles', { ...body(), area: otherTown })).status).toBe(403);
    expect((await api('town', '/api/articles', { ...body(), area: `${village.slice(0, 6)}000000` })).status).toBe(403);
    const html = await api('town', '/api/articles', { ...body(), body: '详见<a href="http://x">链接</a>' });
    expect(html.status).toBe(400);
    expect(((await html.json()) as { message: string }).message).toMatch(/body: plain text only/);
    expect((await api('town', '/api/articles', { ...body(), category: 'news' })).status).toBe(400);
    expect((await api('town', '/api/articles', { ...body(), authorId: 'someone' })).status).toBe(400);
    expect((await api('town', '/api/articles', { ...body(), title: '长'.repeat(TITLE_MAX + 1) })).status).toBe(400);
    const res = await api('town', '/api/articles', body());
    expect(res.status).toBe(201);
    article = await articleOf(res);
    expect(article).toMatchObject({ ...body(), status: 'published', authorId: logins.town!.user.id });
    const audit = await server.store.audit(50);
    expect(audit.some((e) => e.action === 'article_published' && e.target === article.id)).toBe(true);
  });

  it('reaches the devices whose area it concerns, and a grid worker’s phone keeps it', async () => {
    expect(await listed('grid')).toEqual([article.id]);
    expect(await listed('dispatcher')).toEqual([article.id]);
    expect(await listed('othergrid')).toEqual([]);
    expect(await listed('grid', '?q=秋播')).toEqual([article.id]);
    expect(await listed('grid', '?q=玉米')).toEqual([]);
    expect((await api('grid', '/api/articles?category=news')).status).toBe(400);
    expect((await api('othergrid', `/api/articles/${article.id}`)).status).toBe(404);
    const db = openDb(`info-${Date.now()}`);
    expect(await refreshArticles(db, (path) => api('grid', path))).toBe(true);
    expect((await getMeta<KeptArticles>(db, 'articles'))!.articles.map((a) => [a.id, a.title])).toEqual([[article.id, article.title]]);
    db.close();
  });

  it('shows on the public list, its search, category and area filters, and its own page', async () => {
    const list = await page('/p/info');
    expect(list.status).toBe(200);
    expect(list.html).toContain(`/p/info/${article.id}`);
    expect(list.html).not.toContain('<script');
    expect((await page('/p/info?q=%E7%A7%8B%E6%92%AD')).html).toContain(article.id);
    expect((await page('/p/info?q=%E7%8E%89%E7%B1%B3')).html).not.toContain(article.id);
    expect((await page('/p/info?cat=technique')).html).toContain(article.id);
    expect((await page('/p/info?cat=policy')).html).not.toContain(article.id);
    expect((await page(`/p/info?area=${town}`)).html).toContain(article.id);
    expect((await page(`/p/info?area=${otherTown}`)).html).not.toContain(article.id);
    const one = await page(`/p/info/${article.id}`);
    expect(one.status).toBe(200);
    expect(one.html).toContain('<p>一、适期播种：10月上中旬。</p><p>二、足墒下种，播后镇压。</p>');
    expect(one.html).not.toContain(logins.town!.user.displayName);
    expect((await page(`/p/info/${article.id}?lang=en`)).html).toContain('Farming and industry techniques');
  });

  it('is edited by the town and by the county above it, not by another town', async () => {
    expect((await api('othertown', `/api/articles/${article.id}`, { title: '别人改的' }, 'PATCH')).status).toBe(403);
    expect((await api('town', `/api/articles/${article.id}`, { body: '<b>x</b>' }, 'PATCH')).status).toBe(400);
    expect((await api('town', `/api/articles/${article.id}`, {}, 'PATCH')).status).toBe(400);
    const edited = await api('dispatcher', `/api/articles/${article.id}`, { title: '小麦秋播技术要点（修订）' }, 'PATCH');
    expect(edited.status).toBe(200);
    expect(await articleOf(edited)).toMatchObject({ title: '小麦秋播技术要点（修订）', body: article.body, publishedAt: article.publishedAt });
    expect((await page(`/p/info/${article.id}`)).html).toContain('（修订）');
  });

  it('disappears everywhere once withdrawn', async () => {
    expect((await api('othertown', `/api/articles/${article.id}/withdraw`, {})).status).toBe(403);
    expect((await api('grid', `/api/articles/${article.id}/withdraw`, {})).status).toBe(403);
    const res = await api('town', `/api/articles/${article.id}/withdraw`, {});
    expect(res.status).toBe(200);
    expect((await articleOf(res)).status).toBe('withdrawn');
    expect((await page(`/p/info/${article.id}`)).status).toBe(404);
    expect((await page('/p/info')).html).not.toContain(article.id);
    expect((await page('/p/info?q=%E7%A7%8B%E6%92%AD')).html).not.toContain(article.id);
    expect(await listed('grid')).toEqual([]);
    expect((await api('grid', `/api/articles/${article.id}`)).status).toBe(404);
    // The office that withdrew it still finds it, to publish it again by editing.
    expect((await api('town', `/api/articles/${article.id}`)).status).toBe(200);
  });

  it('keeps both public pages under 10 KB at their fullest', async () => {
    const long = { title: '农'.repeat(TITLE_MAX), body: `${'政策解读，'.repeat(BODY_MAX / 5 - 40)}\n\n${'第二段。'.repeat(40)}`.slice(0, BODY_MAX), category: 'policy', area: town };
    let id = '';
    for (let i = 0; i <= INFO_PAGE_SIZE; i++) id = (await articleOf(await api('town', '/api/articles', long))).id;
    const list = await page('/p/info');
    expect(list.html).toContain('/p/info?before=');
    expect(Buffer.byteLength(list.html)).toBeLessThan(10 * 1024);
    const one = await page(`/p/info/${id}`);
    expect(Buffer.byteLength(one.html)).toBeLessThan(10 * 1024);
  });
});

describe('contact cards', () => {
  it('show only the numbers people chose to publish, and change at once when they do', async () => {
    const card = () => page(`/p/cards/${village}`);
    const grid = logins.grid!.user;
    const townUser = logins.town!.user;
    // Nothing is published by default: no one's name or number is on the card.
    let sheet = await card();
    expect(sheet.status).toBe(200);
    expect(sheet.html).not.toContain(grid.displayName);
    expect(sheet.html).not.toContain(townUser.displayName);
    expect(sheet.html).toContain('暂无公开的联系电话');

    expect((await api('town', '/api/me/work-phone', { phone: '12345' }, 'PUT')).status).toBe(400);
    expect((await api('town', '/api/me/work-phone', { phone: '0539 5211234' }, 'PUT')).status).toBe(200);
    expect(await (await api('town', '/api/me/work-phone')).json()).toEqual({ phone: '0539-5211234' });
    sheet = await card();
    expect(sheet.html).toContain('0539-5211234');
    expect(sheet.html).toContain(townUser.displayName);
    expect(sheet.html).not.toContain(grid.displayName);

    // An administrator sets the grid worker's number; another user may not.
    expect((await api('town', `/api/admin/users/${grid.id}/work-phone`, { phone: '13800001111' }, 'PUT')).status).toBe(403);
    expect((await api('admin', `/api/admin/users/${grid.id}/work-phone`, { phone: '13800001111' }, 'PUT')).status).toBe(200);
    expect((await api('admin', `/api/admin/users/${grid.id}/work-phone`, { phone: '0539-0211234' }, 'PUT')).status).toBe(400);
    expect((await api('town', '/api/admin/work-phones')).status).toBe(403);
    const listedPhones = ((await (await api('admin', '/api/admin/work-phones')).json()) as { phones: { userId: string; phone: string }[] }).phones;
    expect(listedPhones.sort((a, b) => a.phone.localeCompare(b.phone))).toEqual([{ userId: townUser.id, phone: '0539-5211234' }, { userId: grid.id, phone: '13800001111' }]);
    sheet = await card();
    expect(sheet.html).toContain(grid.displayName);
    expect(sheet.html).toContain('13800001111');
    expect(sheet.html.split('class="card"').length - 1).toBe(8);
    expect(sheet.html).toContain(`<symbol id="qr"`);
    expect(sheet.html).toContain(`${server.url}/p/`);
    expect(sheet.html).not.toContain('<script');
    expect(Buffer.byteLength(sheet.html)).toBeLessThan(10 * 1024);
    // Another town's card carries neither.
    const other = await page(`/p/cards/${otherVillage}`);
    expect(other.html).not.toContain('0539-5211234');
    expect(other.html).not.toContain('13800001111');

    // Taken back: gone from the card at once.
    expect((await api('town', '/api/me/work-phone', { phone: null }, 'PUT')).status).toBe(200);
    sheet = await card();
    expect(sheet.html).not.toContain('0539-5211234');
    expect(sheet.html).not.toContain(townUser.displayName);
    expect((await page('/p/cards/371324999999')).status).toBe(404);
    expect((await fetch(`${server.url}/p/cards.css`)).headers.get('content-type')).toContain('text/css');
  });
});

describe('a full contact card sheet', () => {
  it('stays under 10 KB with every tier full and the longest names and numbers', async () => {
    const county = village.slice(0, 6);
    // The grid worker's own number (published above) would take a village place.
    await server.store.setWorkPhone(logins.grid!.user.id, null, Date.now());
    const names: string[] = [];
    for (const [i, [role, region]] of ([['grid_worker', village], ['village_station', village], ['town_official', village.slice(0, 9)], ['mediator', village.slice(0, 9)], ['county_dispatcher', county], ['leader', county]] as const).entries()) {
      const username = `full${i}`;
      await addUser(server, username, role, [region]);
      const user = (await server.store.userByUsername(username))!;
      await server.store.updateUser(user.id, { displayName: `${'长'.repeat(40)}${i}` });
      await server.store.setWorkPhone(user.id, '0539-52112345-806', Date.now());
      names.push(user.id);
    }
    const { html } = await page(`/p/cards/${village}`);
    expect(html.split('0539-52112345-806').length - 1).toBe(6 * 8);
    expect(Buffer.byteLength(html)).toBeLessThan(10 * 1024);
    for (const id of names) await server.store.setWorkPhone(id, null, Date.now());
  });
});
