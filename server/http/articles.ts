import type { IncomingMessage } from 'node:http';
import * as v from 'valibot';
import { ArticleChangeSchema, ArticleInputSchema, ARTICLE_ROLES, areaOverlaps, isArticleCategory, mayPublishArticle, searchWords, type Article } from '../../src/core/articles';
import { parseWorkPhone } from '../../src/core/contact-cards';
import { isUuidV7, newId } from '../../src/core/id';
import { scopeCovers } from '../../src/core/roles';
import { clientIp } from '../net/address';
import type { Store, UserRecord } from '../store/types';
import { HttpError, parse, readJson, searchParams, type Route } from './plumbing';

// Policy information (为您服务) for the staff side: officials publish, edit and withdraw
// articles for an area inside their scope; every signed-in device reads the published ones
// that concern its scope and keeps them for offline use. And the work number each user
// chose to publish on the contact cards (干群连心卡), set by themselves or an administrator.

/** What a device keeps: every published article that concerns its scope (a county has few). */
export const DEVICE_ARTICLES = 500;

const PhoneBody = v.strictObject({ phone: v.nullable(v.pipe(v.string(), v.maxLength(32))) });

interface ArticleDeps {
  store: Store;
  authed: (req: IncomingMessage) => Promise<{ user: UserRecord }>;
}

export function createArticleRoutes(deps: ArticleDeps): (method: string, path: string) => Route | undefined {
  return (method, path) => {
    if (path === '/api/articles') return method === 'GET' ? (req) => list(deps, req) : method === 'POST' ? (req) => publish(deps, req) : undefined;
    const m = /^\/api\/articles\/([^/]+)(\/withdraw)?$/.exec(path);
    if (m && !m[2] && method === 'GET') return (req) => one(deps, req, m[1]!);
    if (m && !m[2] && method === 'PATCH') return (req) => edit(deps, req, m[1]!);
    if (m && m[2] && method === 'POST') return (req) => withdraw(deps, req, m[1]!);
    if (path === '/api/me/work-phone') return method === 'GET' ? (req) => ownPhone(deps, req) : method === 'PUT' ? (req) => setOwnPhone(deps, req) : undefined;
    if (path === '/api/admin/work-phones' && method === 'GET') return (req) => listPhones(deps, req);
    const u = /^\/api\/admin\/users\/([^/]+)\/work-phone$/.exec(path);
    if (u && method === 'PUT') return (req) => setUserPhone(deps, req, u[1]!);
    return undefined;
  };
}

/** The published articles that concern the user's scope, newest first; `category` and `q` narrow them. */
async function list({ store, authed }: ArticleDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { user } = await authed(req);
  const q = searchParams(req);
  const category = q.get('category');
  if (category !== null && !isArticleCategory(category)) throw new HttpError(400, 'invalid_query', 'category: policy, technique or notice');
  const articles = await store.articles({ status: 'published', overlapping: user.scope.regions, limit: DEVICE_ARTICLES, words: searchWords(q.get('q') ?? ''), ...(category && { category }) });
  return [200, { articles, at: Date.now() }];
}

/** An article the user may manage (published or withdrawn), else 404 without saying which. */
async function managed(store: Store, user: UserRecord, id: string, req: IncomingMessage): Promise<Article> {
  const found = isUuidV7(id) ? await store.article(id) : null;
  if (!found) throw new HttpError(404, 'not_found', 'No such article');
  if (!mayPublishArticle(user, found.area)) {
    await store.insertAudit({ at: Date.now(), actor: user.id, action: 'permission_refused', target: id, ip: clientIp(req), detail: { what: 'article', area: found.area } });
    throw new HttpError(403, 'out_of_scope', 'The article is for an area outside your own');
  }
  return found;
}

async function one({ store, authed }: ArticleDeps, req: IncomingMessage, id: string): Promise<[number, unknown]> {
  const { user } = await authed(req);
  const found = isUuidV7(id) ? await store.article(id) : null;
  // Withdrawn articles stay visible to those who may publish them again; for everyone else they are gone.
  if (!found || !areaOverlaps(found.area, user.scope.regions) || (found.status !== 'published' && !mayPublishArticle(user, found.area))) throw new HttpError(404, 'not_found', 'No such article');
  return [200, { article: found }];
}

async function asPublisher(store: Store, authed: ArticleDeps['authed'], req: IncomingMessage): Promise<UserRecord> {
  const { user } = await authed(req);
  if (!ARTICLE_ROLES.includes(user.role)) {
    await store.insertAudit({ at: Date.now(), actor: user.id, action: 'permission_refused', target: 'articles', ip: clientIp(req), detail: { what: 'article', role: user.role } });
    throw new HttpError(403, 'forbidden', 'Articles are published by town officials and the county’s offices');
  }
  return user;
}

async function publish({ store, authed }: ArticleDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const user = await asPublisher(store, authed, req);
  const body = parse(ArticleInputSchema, await readJson(req));
  if (!mayPublishArticle(user, body.area)) throw new HttpError(403, 'out_of_scope', 'The article must address an area inside your own');
  const now = Date.now();
  const article: Article = { id: newId(), ...body, authorId: user.id, status: 'published', publishedAt: now, updatedAt: now };
  await store.insertArticle(article);
  await store.insertAudit({ at: now, actor: user.id, action: 'article_published', target: article.id, ip: clientIp(req), detail: { area: article.area, category: article.category } });
  return [201, { article }];
}

async function edit({ store, authed }: ArticleDeps, req: IncomingMessage, id: string): Promise<[number, unknown]> {
  const user = await asPublisher(store, authed, req);
  const change = parse(ArticleChangeSchema, await readJson(req));
  const found = await managed(store, user, id, req);
  if (change.area && !mayPublishArticle(user, change.area)) throw new HttpError(403, 'out_of_scope', 'The article must address an area inside your own');
  // Editing a withdrawn article publishes it again, as it now reads.
  const article: Article = { ...found, ...change, status: 'published', updatedAt: Date.now() };
  await store.saveArticle(article);
  await store.insertAudit({ at: article.updatedAt, actor: user.id, action: 'article_edited', target: id, ip: clientIp(req), detail: { fields: Object.keys(change) } });
  return [200, { article }];
}

async function withdraw({ store, authed }: ArticleDeps, req: IncomingMessage, id: string): Promise<[number, unknown]> {
  const user = await asPublisher(store, authed, req);
  const found = await managed(store, user, id, req);
  const article: Article = { ...found, status: 'withdrawn', updatedAt: Date.now() };
  if (found.status !== 'withdrawn') {
    await store.saveArticle(article);
    await store.insertAudit({ at: article.updatedAt, actor: user.id, action: 'article_withdrawn', target: id, ip: clientIp(req) });
  }
  return [200, { article: found.status === 'withdrawn' ? found : article }];
}

/** The body's number, checked and written as printed; null takes it off the cards. */
function phoneFrom(body: unknown): string | null {
  const { phone } = parse(PhoneBody, body);
  if (phone === null || phone.trim() === '') return null;
  const parsed = parseWorkPhone(phone);
  if (!parsed) throw new HttpError(400, 'invalid_body', 'phone: a mobile (13812345678) or a landline with its area code (0539-5211234)');
  return parsed;
}

async function ownPhone({ store, authed }: ArticleDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { user } = await authed(req);
  return [200, { phone: await store.workPhone(user.id) }];
}

async function setOwnPhone({ store, authed }: ArticleDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { user } = await authed(req);
  const phone = phoneFrom(await readJson(req));
  await store.setWorkPhone(user.id, phone, Date.now());
  await store.insertAudit({ at: Date.now(), actor: user.id, action: phone ? 'work_phone_published' : 'work_phone_withdrawn', target: user.id, ip: clientIp(req) });
  return [200, { phone }];
}

async function setUserPhone({ store, authed }: ArticleDeps, req: IncomingMessage, id: string): Promise<[number, unknown]> {
  const { user: admin } = await authed(req);
  if (admin.role !== 'admin') throw new HttpError(403, 'forbidden', 'Administrators only');
  const target = isUuidV7(id) || /^[0-9a-f-]{36}$/.test(id) ? await store.userById(id) : null;
  if (!target || !scopeCovers(admin.scope, target.scope)) throw new HttpError(404, 'not_found', 'No such user in your area');
  const phone = phoneFrom(await readJson(req));
  await store.setWorkPhone(target.id, phone, Date.now());
  await store.insertAudit({ at: Date.now(), actor: admin.id, action: phone ? 'work_phone_published' : 'work_phone_withdrawn', target: target.username, ip: clientIp(req) });
  return [200, { phone }];
}

/** The published numbers of the users inside the administrator's scope, for the admin page. */
async function listPhones({ store, authed }: ArticleDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { user: admin } = await authed(req);
  if (admin.role !== 'admin') throw new HttpError(403, 'forbidden', 'Administrators only');
  const [users, phones] = await Promise.all([store.users(), store.workPhones()]);
  return [200, { phones: users.filter((u) => scopeCovers(admin.scope, u.scope) && phones.has(u.id)).map((u) => ({ userId: u.id, phone: phones.get(u.id)! })) }];
}
