import type { IncomingMessage, ServerResponse } from 'node:http';
import * as v from 'valibot';
import { longDate } from '../../src/core/calendar';
import { currentAnswer } from '../../src/core/citizen-view';
import { isColumn, COLUMNS, DEPUTY_BODIES, deputyTitleKey, type Column, type DeputyBody } from '../../src/core/deputy';
import { deputyTallies, postOverdue } from '../../src/core/deputy-report';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { isOpen } from '../../src/core/fold';
import { isUuidV7 } from '../../src/core/id';
import { scrubPublicText } from '../../src/core/privacy';
import type { AppealProjection } from '../../src/core/projection';
import { townOf } from '../../src/core/regions';
import { REPORT_ROLES, scopeCovers } from '../../src/core/roles';
import { scopeTier } from '../../src/core/tiers';
import { clientIp } from '../net/address';
import { deputyBodies, setDeputyBody } from '../services/deputies';
import type { Store, UserRecord } from '../store/types';
import { HttpError, parse, readJson, searchParams, type Route } from './plumbing';
import { escape, PREFIX, sendPage, when, wordsFor, type Lang } from './public-page';
import { departmentsOf, periodFrom, regionsParam } from './reports';

// Deputies' columns (人大监督 / 政协参政, src/core/deputy.ts) outside the app: the public pages
// `/p/deputies` (posts by column) and `/p/deputies/<id>` (one post, its department, deadline,
// status and public answer), the report of posts per department, and the administrator's
// setting of which body a deputy sits in. A post shows its deputy by public title and the name
// they chose to show; a linked appeal only by its category, town and status: never a citizen's
// name, number, own words, or evaluation code (the code is the citizen's key to rate).

interface DeputyDeps {
  store: Store;
  /** The deployment's region prefix: the public pages show its posts. */
  region: string;
  places: ReadonlyMap<string, string>;
  authed: (req: IncomingMessage) => Promise<{ user: UserRecord }>;
}

/** Posts on the list page: enough for a county's current columns, small enough for 2G (< 10 KB). */
const LIST_POSTS = 20;
const TITLE_CHARS = 40;
const POST_PATH = /^\/p\/deputies\/([^/]{1,64})$/;

export function createDeputies(deps: DeputyDeps): { pages: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>; routes: Record<string, Route> } {
  return {
    pages: (req, res) => handlePage(deps, req, res),
    routes: {
      'GET /api/reports/deputies': (req) => report(deps, req),
      'GET /api/admin/deputies': (req) => listBodies(deps, req),
      'PUT /api/admin/deputies': (req) => setBody(deps, req),
    },
  };
}

/** What a public page shows of a post: nothing a citizen gave. */
export interface PublicPost {
  id: string;
  column: Column;
  title: string;
  text: string;
  /** The deputy's public title (a message key) and the name they chose to show, if any. */
  titleKey: string;
  shownAs: string | null;
  postedAt: number;
  status: string;
  dept: string | null;
  dueAt: number | null;
  overdue: boolean;
  answer: string | null;
  repliedAt: number | null;
  supports: { category: string; town: string; status: string }[];
}

async function handlePage(deps: DeputyDeps, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://local');
  const path = url.pathname;
  if (path !== '/p/deputies' && !POST_PATH.test(path)) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const lang: Lang = url.searchParams.get('lang') === 'en' ? 'en' : 'zh-CN';
  const w = wordsFor(lang);
  const m = POST_PATH.exec(path);
  if (!m) {
    const rows = await deps.store.deputyPosts([deps.region], LIST_POSTS);
    const posts = await Promise.all(rows.map((r) => publicPost(deps, r, false)));
    sendPage(res, 200, lang, w['deputy.public.title']!, listHtml(posts, lang));
    return true;
  }
  const id = m[1]!;
  const [row] = isUuidV7(id) ? await deps.store.appealsById([id]) : [];
  if (!row || row.channel !== 'deputy' || !row.village.startsWith(deps.region)) {
    sendPage(res, 404, lang, w['deputy.public.title']!, `<h1>${escape(w['deputy.public.title']!)}</h1><p class="error" role="alert">${escape(w['deputy.public.notFound']!)}</p>${allLink(lang)}`);
    return true;
  }
  sendPage(res, 200, lang, w['deputy.public.title']!, postHtml(await publicPost(deps, row, true), lang));
  return true;
}

/** A post as the public sees it, read from its document; `whole` adds the answer and the linked appeals. */
export async function publicPost({ store, places }: DeputyDeps, a: AppealProjection, whole: boolean): Promise<PublicPost> {
  const doc = docFromUpdates(await store.docParts(a.id));
  let snapshot;
  try {
    snapshot = readAppeal(doc, a.id);
  } finally {
    doc.destroy();
  }
  const f = snapshot.fields;
  const author = await store.userById(a.createdBy);
  const body = author ? ((await deputyBodies(store))[author.id] ?? null) : null;
  const answered = a.repliedAt !== null && a.status !== 'merged';
  const answerText = whole && answered ? currentAnswer(snapshot.events, a.id) : null;
  const supportIds = Array.isArray(f.supports) ? (f.supports as unknown[]).filter(isUuidV7) : [];
  // The deputy's words and the answer are public, but may name the citizens behind the linked
  // appeals: their names are masked, as every number is.
  const contacts = [...(supportIds.length > 0 ? (await store.contacts(supportIds)).values() : [])];
  const scrub = (s: string) => contacts.reduce((out, c) => scrubPublicText(out, c), scrubPublicText(s, null));
  const text = scrub(snapshot.description.trim());
  const linked = whole && supportIds.length > 0 ? await store.appealsById(supportIds) : [];
  return {
    id: a.id,
    column: isColumn(f.column) ? f.column : 'voice',
    title: scrub(a.title).slice(0, TITLE_CHARS),
    text,
    titleKey: deputyTitleKey(body, author ? scopeTier(author.scope) : 'county'),
    shownAs: typeof f.shownAs === 'string' ? scrub(f.shownAs) : null,
    postedAt: a.createdAt,
    status: a.status,
    dept: a.dept,
    // The deadline while the answer is awaited; once answered, the answer's date says it.
    dueAt: isOpen(a.status) && a.repliedAt === null ? a.dueAt : null,
    overdue: postOverdue(a, Date.now()),
    answer: answerText === null ? null : scrub(answerText),
    repliedAt: a.repliedAt,
    // Only appeals of this deployment, by what any board shows of them.
    supports: linked.filter((s) => s.channel !== 'deputy').map((s) => ({ category: s.category, town: places.get(townOf(s.village)) ?? '', status: s.status })),
  };
}

const q = (lang: Lang) => (lang === 'en' ? '?lang=en' : '');
const allLink = (lang: Lang) => `<p><a href="${PREFIX}deputies${q(lang)}">${escape(wordsFor(lang)['deputy.public.all']!)}</a></p>`;

function who(p: PublicPost, lang: Lang): string {
  const w = wordsFor(lang);
  return `${w[p.titleKey] ?? w['deputy.title.any']!}${p.shownAs ? ` ${p.shownAs}` : ''}`;
}

function statusLine(p: PublicPost, lang: Lang): string {
  const w = wordsFor(lang);
  const dept = p.dept ? (w[`dept.${p.dept}`] ?? p.dept) : w['deputy.public.waiting']!;
  return `${dept} · ${w[`status.${p.status}`] ?? p.status}${p.overdue ? ` · ${w['deputy.public.overdue']!}` : ''}`;
}

function listHtml(posts: PublicPost[], lang: Lang): string {
  const w = wordsFor(lang);
  const sections = COLUMNS.map((c) => {
    const mine = posts.filter((p) => p.column === c);
    const items = mine.map((p) => `<article><h3><a href="${PREFIX}deputies/${p.id}${q(lang)}">${escape(p.title)}</a></h3><p class="meta">${escape(who(p, lang))} · ${escape(longDate(p.postedAt, lang))}<br>${escape(statusLine(p, lang))}</p></article>`).join('');
    return `<section><h2>${escape(w[`deputy.column.${c}`]!)}</h2>${items || `<p>${escape(w['deputy.public.none']!)}</p>`}</section>`;
  }).join('');
  return `<h1>${escape(w['deputy.public.title']!)}</h1><p>${escape(w['deputy.public.intro']!)}</p>${sections}`;
}

function postHtml(p: PublicPost, lang: Lang): string {
  const w = wordsFor(lang);
  const rows: [string, string | null][] = [
    [w['deputy.form.column']!, w[`deputy.column.${p.column}`]!],
    [w['deputy.public.posted']!, longDate(p.postedAt, lang)],
    [w['deputy.public.dept']!, p.dept ? (w[`dept.${p.dept}`] ?? p.dept) : w['deputy.public.waiting']!],
    [w['deputy.public.due']!, p.dueAt === null ? null : longDate(p.dueAt, lang)],
    [w['deputy.public.status']!, `${w[`status.${p.status}`] ?? p.status}${p.overdue ? ` · ${w['deputy.public.overdue']!}` : ''}`],
  ];
  const list = rows.filter(([, x]) => x !== null).map(([k, x]) => `<dt>${escape(k)}</dt><dd>${escape(x!)}</dd>`).join('');
  const answer = p.answer ? `<section class="answer"><h2>${escape(w['deputy.public.answer']!)}</h2><p>${escape(p.answer)}</p><p class="meta">${escape(when(p.repliedAt, lang) ?? '')}</p></section>` : '';
  const supports = p.supports.length > 0 ? `<h2>${escape(w['deputy.public.supports']!)}</h2><ul>${p.supports.map((s) => `<li>${escape(w[`category.${s.category}`] ?? s.category)} · ${escape(s.town)} · ${escape(w[`status.${s.status}`] ?? s.status)}</li>`).join('')}</ul>` : '';
  // A one-line post is its own title: not said twice.
  const text = p.text !== p.title ? `<article><p class="reply">${escape(p.text)}</p></article>` : '';
  return `<h1>${escape(p.title)}</h1><p class="meta">${escape(who(p, lang))}</p>${text}<dl>${list}</dl>${answer}${supports}${allLink(lang)}`;
}

/**
 * `?period=week|month&at=YYYY-MM-DD[&county=NNNNNN]`: deputies' posts recorded in the period,
 * per department (received, answered, on time, overdue); '' is what still waits for dispatch.
 */
async function report(deps: DeputyDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { user } = await deps.authed(req);
  if (!REPORT_ROLES.includes(user.role)) throw new HttpError(403, 'forbidden', 'Reports are for town, department, county and city staff');
  const params = searchParams(req);
  const now = Date.now();
  const period = periodFrom(params, now);
  const { regions } = regionsParam(user, params);
  const rows = await deps.store.exportRows(regions, departmentsOf(user), period.from, period.to);
  return [200, { period: { from: period.from, to: period.to, label: period.label }, byDept: deputyTallies(rows, now) }];
}

const BodySchema = v.strictObject({ id: v.pipe(v.string(), v.maxLength(64)), body: v.nullable(v.picklist(DEPUTY_BODIES)) });

/** `PUT /api/admin/deputies {"id": <user id>, "body": "npc" | "cppcc" | null}`: which body a deputy of the admin's scope sits in. */
async function setBody(deps: DeputyDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { store } = deps;
  const { user: admin } = await deps.authed(req);
  if (admin.role !== 'admin') throw new HttpError(403, 'forbidden', 'Only an administrator may do this');
  const { id, body } = parse(BodySchema, await readJson(req));
  const target = await store.userById(id);
  if (!target || target.role !== 'deputy' || !scopeCovers(admin.scope, target.scope)) throw new HttpError(404, 'not_found', 'No such deputy in your scope');
  await setDeputyBody(store, id, body as DeputyBody | null);
  await store.insertAudit({ at: Date.now(), actor: admin.id, action: 'deputy_body_set', target: id, ip: clientIp(req), detail: { body } });
  return [200, { id, body }];
}

/** `GET /api/admin/deputies`: the body each deputy of the admin's scope sits in, by user id. */
async function listBodies({ store, authed }: DeputyDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { user: admin } = await authed(req);
  if (admin.role !== 'admin') throw new HttpError(403, 'forbidden', 'Only an administrator may do this');
  const inScope = new Set((await store.users()).filter((u) => u.role === 'deputy' && scopeCovers(admin.scope, u.scope)).map((u) => u.id));
  return [200, { bodies: Object.fromEntries(Object.entries(await deputyBodies(store)).filter(([id]) => inScope.has(id))) }];
}
