import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Policies } from '../../src/core/policy-book';
import { currentAnswer, expectedAnswerBy } from '../../src/core/citizen-view';
import { longDate } from '../../src/core/calendar';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { readEvalCode, showEvalCode } from '../../src/core/evalcode';
import { CITIZEN, SATISFACTION, type AppealEvent, type Satisfaction, type Tier } from '../../src/core/events';
import type { Status } from '../../src/core/fold';
import { policyFor } from '../../src/core/policy-book';
import { scrubPublicText } from '../../src/core/privacy';
import { newId } from '../../src/core/id';
import type { AppealProjection } from '../../src/core/projection';
import { cityOf, countyOf, shortVillageName, townOf } from '../../src/core/regions';
import type { Store } from '../store/types';
import { appendOnServer } from '../services/intake';
import type { CommitBus } from '../sync/bus';
import { clientIp } from '../net/address';
import { createWindowCounter } from '../net/ratelimit';
import { escape, PREFIX, readForm, sendPage, sendStyle, when, wordsFor, type Lang } from './public-page';

// The public side, for citizens on cheap phones over 2G: server-rendered pages of a few
// kilobytes, no script, no login. An appeal is found only by its evaluation code, and shows
// what its category, place, dates and status say, who handles it and by when, and the answer
// the citizen is asked to rate, scrubbed of names and numbers: never a contact, never the
// citizen's own description.

const MAX_NOTE = 200;
/** Statuses of an appeal whose answer is still to come. */
const AWAITING_ANSWER: readonly Status[] = ['new', 'accepted', 'assigned', 'in_progress'];
const CITIZEN_DEVICE = 'public-rating';

/** Unknown codes an address may try per window before it must wait: guessing 50 bits at this pace is hopeless. */
export const CODE_MISSES = { max: 10, windowMs: 10 * 60_000 };

interface PublicDeps {
  store: Store;
  bus: CommitBus;
  /** The deployment's policies: a rating is projected by its appeal's county's. */
  policy: Policies;
  find: CodeFinder;
  places: ReadonlyMap<string, string>;
}

/** What anyone holding the code may see of an appeal: no contact, no description; the answer scrubbed. */
export interface PublicAppeal {
  code: string;
  category: string;
  town: string;
  village: string;
  status: string;
  /** Where it is now: its tier, and `dept` below when a department has it. */
  tier: Tier;
  /** The desk or department handling an open appeal, by name ("向城镇便民服务中心"); null once answered or closed. */
  handledBy: string | null;
  /** While open: when the answer is due (Unix ms), by the county's deadline policy. */
  expectedBy: number | null;
  /** The answer given (the handler's reply or the on-spot answer), names and numbers masked. */
  answer: string | null;
  recordedAt: number;
  repliedAt: number | null;
  closedAt: number | null;
  dept: string | null;
  satisfaction: Satisfaction | null;
  /** Whether the citizen may rate now: the appeal was answered and awaits its return visit. */
  mayRate: boolean;
}

export type CodeFinder = (req: IncomingMessage, typed: string) => Promise<{ code: string; appeal: AppealProjection } | { status: number; retryAfter?: number }>;

/**
 * Finds the appeal behind a typed code; each unknown code counts against the address, which
 * is refused once it has too many. One per server: every page that takes a code shares it.
 */
export function createCodeFinder(store: Store): CodeFinder {
  const misses = createWindowCounter(CODE_MISSES);
  return async (req, typed) => {
    const ip = clientIp(req);
    const wait = misses.blockedFor(ip);
    if (wait > 0) return { status: 429, retryAfter: Math.ceil(wait / 1000) };
    const code = readEvalCode(typed);
    const appeal = code ? await store.appealByEvalCode(code) : null;
    if (!code || !appeal) {
      misses.hit(ip);
      return { status: 404 };
    }
    return { code, appeal };
  };
}

export function createPublicPages(deps: PublicDeps) {
  /** Answers `/p/…` and `/api/public/…`; false for any other path. */
  return (req: IncomingMessage, res: ServerResponse): Promise<boolean> => handlePublicPage(deps, req, res);
}

async function handlePublicPage(deps: PublicDeps, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://local');
  const path = url.pathname;
  const lang: Lang = url.searchParams.get('lang') === 'en' ? 'en' : 'zh-CN';
  if (req.method === 'GET' && path === `${PREFIX}style.css`) {
    sendStyle(res);
    return true;
  }
  if (req.method === 'GET' && (path === PREFIX || path === '/p')) {
    sendPage(res, 200, lang, wordsFor(lang)['public.lookup']!, lookupForm(lang));
    return true;
  }
  if (req.method === 'GET' && path === `${PREFIX}c`) {
    // The lookup form's answer: on to the code's own address (what the QR code holds).
    const code = readEvalCode(url.searchParams.get('code') ?? '');
    if (!code) refuse(res, lang, { status: 404 }, false);
    else res.writeHead(303, { location: `${PREFIX}c/${code}${lang === 'en' ? '?lang=en' : ''}` }).end();
    return true;
  }
  const m = /^\/(?:p\/c|api\/public\/code)\/([^/]{1,32})(\/rate)?$/.exec(path);
  if (!m) return false;
  const json = path.startsWith('/api/');
  let typed = m[1]!;
  try {
    typed = decodeURIComponent(typed);
  } catch {
    // Not valid percent-encoding: read as typed, which is no code.
  }
  const found = await deps.find(req, typed);
  if ('status' in found) {
    refuse(res, lang, found, json);
    return true;
  }
  if (req.method === 'POST' && m[2]) {
    await rateFromForm(deps, req, res, lang, found);
    return true;
  }
  if (req.method !== 'GET') return false;
  showAppeal(res, lang, await publicAppeal(deps, lang, found.code, found.appeal), json, url.searchParams.get('rated'));
  return true;
}

/** A page's error notice. */
const problem = (text: string) => `<p class="error" role="alert">${escape(text)}</p>`;

/** A code that finds nothing, or an address that has guessed too often: as JSON, or the lookup form again. */
function refuse(res: ServerResponse, lang: Lang, found: { status: number; retryAfter?: number }, json: boolean): void {
  const w = wordsFor(lang);
  const message = found.status === 429 ? w['public.tooMany']! : w['public.notFound']!;
  const extra: Record<string, string> = found.retryAfter ? { 'retry-after': String(found.retryAfter) } : {};
  if (json) res.writeHead(found.status, { 'content-type': 'application/json', ...extra }).end(JSON.stringify({ error: found.status === 429 ? 'too_many_attempts' : 'not_found', message }));
  else sendPage(res, found.status, lang, w['public.lookup']!, lookupForm(lang, problem(message)), extra);
}

/** The appeal's page (or JSON), with word of the rating just sent when `rated` says so. */
function showAppeal(res: ServerResponse, lang: Lang, view: PublicAppeal, json: boolean, rated: string | null): void {
  if (json) {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(view));
    return;
  }
  const w = wordsFor(lang);
  const notice = rated === '1' ? `<p class="note" role="status">${escape(w['public.thanks']!)}</p>` : rated === '0' ? problem(w['public.rateClosed']!) : '';
  sendPage(res, 200, lang, w['public.appeal']!, appealPage(view, lang, notice));
}

/** The rating form's answer: back to the appeal's page, which says whether the rating counted. */
async function rateFromForm(deps: PublicDeps, req: IncomingMessage, res: ServerResponse, lang: Lang, found: { code: string; appeal: AppealProjection }): Promise<void> {
  const form = await readForm(req);
  const satisfaction = form?.get('satisfaction');
  const note = (form?.get('note') ?? '').trim().slice(0, MAX_NOTE);
  if (!SATISFACTION.includes(satisfaction as Satisfaction)) {
    const w = wordsFor(lang);
    sendPage(res, 400, lang, w['public.appeal']!, appealPage(await publicAppeal(deps, lang, found.code, found.appeal), lang, problem(w['public.rateMissing']!)));
    return;
  }
  const done = await rate(deps, found.appeal.id, satisfaction as Satisfaction, note);
  res.writeHead(303, { location: `${PREFIX}c/${found.code}?${done ? 'rated=1' : 'rated=0'}${lang === 'en' ? '&lang=en' : ''}` }).end();
}

/** The appeal as the citizen sees it; its answer is read from the stored document, and scrubbed. */
async function publicAppeal({ store, places, policy }: PublicDeps, lang: Lang, code: string, a: AppealProjection): Promise<PublicAppeal> {
  const town = places.get(a.town) ?? a.town;
  const village = shortVillageName(places.get(a.village) ?? a.village);
  // Awaiting its answer (a reopened appeal again too); merged ones show neither.
  const open = AWAITING_ANSWER.includes(a.status);
  const answered = a.repliedAt !== null && !open && a.status !== 'merged';
  let answer: string | null = null;
  if (answered) {
    const doc = docFromUpdates(await store.docParts(a.id));
    try {
      const text = currentAnswer(readAppeal(doc, a.id).events, a.id);
      answer = text === null ? null : scrubPublicText(text, await store.contact(a.id));
    } finally {
      doc.destroy();
    }
  }
  return {
    code, category: a.category, town, village, status: a.status, tier: a.tier,
    handledBy: open ? handlerName(places, lang, a) : null,
    expectedBy: open ? expectedAnswerBy(a, policyFor(policy, a.village)) : null,
    answer,
    recordedAt: a.createdAt, repliedAt: a.repliedAt, closedAt: a.closedAt, dept: a.dept, satisfaction: a.satisfaction, mayRate: a.status === 'replied',
  };
}

/** Who has an open appeal, in words a villager knows: "兰陵县水务局", "向城镇便民服务中心". */
function handlerName(places: PublicDeps['places'], lang: Lang, a: AppealProjection): string {
  const w = wordsFor(lang);
  const region = a.tier === 'village' ? a.village : a.tier === 'town' ? townOf(a.village) : a.tier === 'county' ? countyOf(a.village) : cityOf(a.village);
  const place = region ? places.get(region) : undefined;
  const named = (key: string, params: Record<string, string>) => (w[key] ?? key).replace(/\{(\w+)\}/g, (_, k: string) => params[k] ?? '');
  if (a.dept) {
    const dept = a.dept === 'government' && (a.tier === 'county' || a.tier === 'city') ? w[`dept.government.${a.tier}`] : w[`dept.${a.dept}`];
    return place && a.dept !== 'government' ? named('desk.dept', { place, dept: dept ?? a.dept }) : place ? named('desk.government', { place }) : (dept ?? a.dept);
  }
  const name = a.tier === 'village' && place ? shortVillageName(place) : place;
  return name ? named(`desk.${a.tier}`, { name }) : (w[`desk.${a.tier}.any`] ?? a.tier);
}

/** Appends the citizen's rating as the return visit, if the appeal still awaits one. */
function rate({ store, bus, policy }: PublicDeps, appealId: string, satisfaction: Satisfaction, note: string): Promise<boolean> {
  return appendOnServer(store, bus, policy, appealId, CITIZEN_DEVICE, (state) =>
    state.status !== 'replied' ? null : ({ id: newId(), type: 'visited', satisfaction, actor: CITIZEN, role: CITIZEN, at: Date.now(), ...(state.lastAppliedId && { basis: state.lastAppliedId }), ...(note && { note }) } as AppealEvent),
  );
}

function lookupForm(lang: Lang, message = ''): string {
  const w = wordsFor(lang);
  return `<h1>${escape(w['public.lookup']!)}</h1>${message}<form method="get" action="${PREFIX}c"><label for="code">${escape(w['public.codeLabel']!)}</label><input type="text" id="code" name="code" autocomplete="off" autocapitalize="characters" maxlength="16" required>${lang === 'en' ? '<input type="hidden" name="lang" value="en">' : ''}<button type="submit">${escape(w['public.find']!)}</button></form>`;
}

function appealPage(p: PublicAppeal, lang: Lang, notice: string): string {
  const w = wordsFor(lang);
  const rows: [string, string | null][] = [
    [w['public.category']!, w[`category.${p.category}`] ?? p.category],
    [w['public.place']!, `${p.town} ${p.village}`],
    [w['public.recorded']!, when(p.recordedAt, lang)],
    [w['public.status']!, w[`status.${p.status}`] ?? p.status],
    // While open: who has it and when its answer is due, not only "已受理".
    [w['public.handledBy']!, p.handledBy],
    [w['public.expected']!, p.expectedBy === null ? null : longDate(p.expectedBy, lang)],
    [w['public.dept']!, p.dept && !p.handledBy ? (w[`dept.${p.dept}`] ?? p.dept) : null],
    [w['public.replied']!, when(p.repliedAt, lang)],
    [w['public.closed']!, when(p.closedAt, lang)],
    [w['public.satisfaction']!, p.satisfaction ? (w[`satisfaction.${p.satisfaction}`] ?? null) : null],
  ];
  const list = rows.filter(([, v]) => v !== null).map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v!)}</dd>`).join('');
  const form = p.mayRate
    ? `<form method="post" action="${PREFIX}c/${p.code}/rate${lang === 'en' ? '?lang=en' : ''}"><strong>${escape(w['public.rateTitle']!)}</strong>${SATISFACTION.map((s) => `<label><input type="radio" name="satisfaction" value="${s}" required>${escape(w[`satisfaction.${s}`]!)}</label>`).join('')}<label for="note">${escape(w['public.rateNote']!)}</label><textarea id="note" name="note" rows="3" maxlength="${MAX_NOTE}"></textarea><button type="submit">${escape(w['public.rateSubmit']!)}</button></form>`
    : '';
  // The answer comes before the form that asks how satisfied the citizen is with it.
  const answer = p.answer ? `<section class="answer"><h2>${escape(w['public.answer']!)}</h2><p>${escape(p.answer)}</p></section>` : '';
  return `<h1>${escape(w['public.appeal']!)} ${showEvalCode(p.code)}</h1>${notice}<dl>${list}</dl>${answer}${form}<p><a href="${PREFIX}${lang === 'en' ? '?lang=en' : ''}">${escape(w['public.another']!)}</a></p>`;
}
