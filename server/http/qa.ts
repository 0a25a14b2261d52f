import type { IncomingMessage, ServerResponse } from 'node:http';
import { validateAppealInput } from '../../src/core/appeal';
import { cstTime } from '../../src/core/calendar';
import { classify } from '../../src/core/classify';
import { showEvalCode } from '../../src/core/evalcode';
import { newId } from '../../src/core/id';
import { defaultPolicy, type Policies } from '../../src/core/policy-book';
import { scrubPublicText } from '../../src/core/privacy';
import {
  AnswerSchema,
  LIVE_REFRESH_SECONDS,
  MAX_QUESTION_CHARS,
  NewQaSessionSchema,
  QA_ROLES,
  ToAppealSchema,
  VerdictSchema,
  acceptsAnswers,
  acceptsQuestions,
  checkQuestion,
  mayHost,
  mayManage,
  orderSessions,
  placeForAppeal,
  qaState,
  sessionTouches,
  type QaQuestion,
  type QaSession,
} from '../../src/core/qa';
import { topDeskRole } from '../../src/core/workflow';
import { clientIp } from '../net/address';
import { createWindowCounter } from '../net/ratelimit';
import { recordOnServer } from '../services/intake';
import type { Store, UserRecord } from '../store/types';
import type { CommitBus } from '../sync/bus';
import type { AuditAction } from '../../src/core/audit';
import { HttpError, parse, readJson, type Route } from './plumbing';
import { escape, PREFIX, readForm, sendPage, when, wordsFor, type Lang } from './public-page';

// Online Q&A sessions (在线访谈). The public side: a list of sessions (live, upcoming, the
// archive) and a page per session, where a citizen asks without an account or a script; the
// question shows only once the host's staff approve it, scrubbed of any number that looks like a
// phone or an ID. A live page reloads itself (a Refresh header, no script), so an answer typed in the
// app appears on the citizen's phone within half a minute; the form lives on its own page then,
// so the reload never eats what the citizen is typing. The staff side: REST under /api/qa.

/** Questions an address may post per window. */
export const QUESTION_LIMIT = { max: 5, windowMs: 10 * 60_000 };
/** What the questions on one page may weigh, in bytes of HTML: the page stays under 10 KB. */
const QUESTIONS_BUDGET = 6 * 1024;
const ARCHIVE_SIZE = 20;
const INTAKE_ID = 'public-qa';

interface QaDeps {
  store: Store;
  bus: CommitBus;
  policy: Policies;
  villages: ReadonlySet<string>;
  places: ReadonlyMap<string, string>;
  authed: (req: IncomingMessage) => Promise<{ user: UserRecord }>;
}

interface QaContext extends QaDeps {
  posted: ReturnType<typeof createWindowCounter>;
  /** Questions being turned into appeals right now: a double tap must not record two. */
  converting: Set<string>;
}

/** The public pages (`/p/qa…`) and the staff routes (`/api/qa/…`). */
export function createQa(deps: QaDeps): { pages: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>; routes: Record<string, Route> } {
  const ctx: QaContext = { ...deps, posted: createWindowCounter(QUESTION_LIMIT), converting: new Set() };
  return { pages: (req, res) => handlePage(ctx, req, res), routes: staffRoutes(ctx) };
}

// ---- public pages ----

const regionName = ({ places }: QaContext, region: string) => places.get(region.padEnd(12, '0')) ?? region;
const langQuery = (lang: Lang, first: '?' | '&') => (lang === 'en' ? `${first}lang=en` : '');

async function handlePage(ctx: QaContext, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://local');
  const lang: Lang = url.searchParams.get('lang') === 'en' ? 'en' : 'zh-CN';
  if (url.pathname === `${PREFIX}qa`) {
    if (req.method !== 'GET') return false;
    await sessionList(ctx, res, lang);
    return true;
  }
  const m = /^\/p\/qa\/([0-9a-f-]{36})(\/ask)?$/.exec(url.pathname);
  if (!m || (req.method !== 'GET' && req.method !== 'POST')) return false;
  const session = await ctx.store.qaSession(m[1]!);
  const w = wordsFor(lang);
  if (!session) {
    sendPage(res, 404, lang, w['qa.title']!, `<p class="error">${escape(w['qa.notFound']!)}</p><p><a href="${PREFIX}qa${langQuery(lang, '?')}">${escape(w['qa.back']!)}</a></p>`);
    return true;
  }
  if (req.method === 'POST') {
    if (!m[2]) return false;
    await postQuestion(ctx, req, res, lang, session);
    return true;
  }
  if (m[2]) await askPage(res, lang, session, '');
  else {
    const skip = Number(url.searchParams.get('skip'));
    const view = { asked: url.searchParams.get('asked') === '1', skip: Number.isSafeInteger(skip) && skip > 0 ? skip : 0, refresh: url.searchParams.get('refresh') !== '0' };
    await sessionPage(ctx, res, lang, session, view);
  }
  return true;
}

function stateLabel(w: Record<string, string>, s: QaSession, now: number): string {
  return w[`qa.state.${qaState(s, now)}`]!;
}

function sessionMeta(ctx: QaContext, lang: Lang, s: QaSession, now: number): string {
  const w = wordsFor(lang);
  return [stateLabel(w, s, now), s.host, regionName(ctx, s.region), `${when(s.startsAt, lang)}–${cstTime(s.endsAt)}`].map(escape).join(' · ');
}

async function sessionList(ctx: QaContext, res: ServerResponse, lang: Lang): Promise<void> {
  const w = wordsFor(lang);
  const now = Date.now();
  const { live, upcoming, ended } = orderSessions(await ctx.store.qaSessions(), now);
  const item = (s: QaSession) => `<article><h2><a href="${PREFIX}qa/${s.id}${langQuery(lang, '?')}">${escape(s.topic)}</a></h2><p class="meta">${sessionMeta(ctx, lang, s, now)}</p></article>`;
  const part = (key: string, list: QaSession[], none: string) => `<h2>${escape(w[key]!)}</h2>${list.map(item).join('') || `<p class="meta">${escape(w[none]!)}</p>`}`;
  sendPage(
    res,
    200,
    lang,
    w['qa.title']!,
    `<h1>${escape(w['qa.title']!)}</h1><p class="meta">${escape(w['qa.intro']!)}</p>${part('qa.live', live, 'qa.noLive')}${part('qa.upcoming', upcoming, 'qa.noUpcoming')}${part('qa.archive', ended.slice(0, ARCHIVE_SIZE), 'qa.noArchive')}`,
  );
}

function questionForm(lang: Lang, s: QaSession): string {
  const w = wordsFor(lang);
  return `<form method="post" action="${PREFIX}qa/${s.id}/ask${langQuery(lang, '?')}"><label for="question">${escape(w['qa.questionLabel']!)}</label><textarea id="question" name="question" rows="4" maxlength="${MAX_QUESTION_CHARS}" required></textarea><span class="meta">${escape(w['qa.questionHint']!)}</span><button type="submit">${escape(w['qa.ask']!)}</button></form>`;
}

/** The form on a page of its own: a live session's page reloads, this one never does. */
async function askPage(res: ServerResponse, lang: Lang, s: QaSession, notice: string, status = 200): Promise<void> {
  const w = wordsFor(lang);
  const open = acceptsQuestions(s, Date.now());
  const body = open ? questionForm(lang, s) : `<p class="note">${escape(w['qa.closed']!)}</p>`;
  sendPage(res, status, lang, s.topic, `<h1>${escape(s.topic)}</h1>${notice}${body}<p><a href="${PREFIX}qa/${s.id}${langQuery(lang, '?')}">${escape(w['qa.toSession']!)}</a></p>`);
}

function questionHtml(lang: Lang, q: QaQuestion): string {
  const w = wordsFor(lang);
  const answer = q.answer ? `<p class="reply"><b>${escape(w['qa.answer']!)}</b>${escape(scrubPublicText(q.answer, null))}</p>` : `<p class="meta">${escape(w['qa.awaiting']!)}</p>`;
  const appeal = q.evalCode ? `<p class="meta">${escape(w['qa.toAppeal']!)} <a href="${PREFIX}c/${q.evalCode}">${escape(showEvalCode(q.evalCode))}</a></p>` : '';
  return `<article><p class="meta">${escape(when(q.createdAt, lang)!)}</p><p>${escape(scrubPublicText(q.body, null))}</p>${answer}${appeal}</article>`;
}

/** `refresh`: whether a live page reloads itself (the reader may turn it off: WCAG 2.2.1). */
async function sessionPage(ctx: QaContext, res: ServerResponse, lang: Lang, s: QaSession, { asked, skip, refresh }: { asked: boolean; skip: number; refresh: boolean }): Promise<void> {
  const w = wordsFor(lang);
  const now = Date.now();
  const state = qaState(s, now);
  // Answered first, latest answer on top (what a live reader waits for), then those still waiting.
  const shown = (await ctx.store.qaQuestions(s.id, 'approved')).sort((a, b) => (b.answeredAt ?? -1) - (a.answeredAt ?? -1) || a.createdAt - b.createdAt);
  let html = '';
  let next = skip;
  for (const q of shown.slice(skip)) {
    const one = questionHtml(lang, q);
    if (next > skip && Buffer.byteLength(html + one) > QUESTIONS_BUDGET) break;
    html += one;
    next++;
  }
  const more = next < shown.length ? `<p><a href="${PREFIX}qa/${s.id}?skip=${next}${langQuery(lang, '&')}">${escape(w['qa.more']!)}</a></p>` : '';
  const notice = asked ? `<p class="note" role="status">${escape(w['qa.asked']!)}</p>` : '';
  // Live: a link to the ask page (this one reloads); upcoming: the form right here; ended: nothing to ask.
  const ask =
    state === 'live'
      ? `<p><a href="${PREFIX}qa/${s.id}/ask${langQuery(lang, '?')}">${escape(w['qa.askLink']!)}</a></p><p class="meta">${
          refresh
            ? `${escape(w['qa.refreshes']!.replace('{n}', String(LIVE_REFRESH_SECONDS)))} <a href="${PREFIX}qa/${s.id}?refresh=0${langQuery(lang, '&')}">${escape(w['qa.refreshOff']!)}</a>`
            : `<a href="${PREFIX}qa/${s.id}${langQuery(lang, '?')}">${escape(w['qa.refreshOn']!)}</a>`
        }</p>`
      : state === 'upcoming'
        ? questionForm(lang, s)
        : `<p class="note">${escape(w['qa.closed']!)}</p>`;
  // A Refresh header does what <meta http-equiv="refresh"> does, with no script; the page offers to turn it off.
  const reload: Record<string, string> = state === 'live' && skip === 0 && refresh ? { refresh: String(LIVE_REFRESH_SECONDS) } : {};
  sendPage(
    res,
    200,
    lang,
    s.topic,
    `<h1>${escape(s.topic)}</h1><p class="meta">${sessionMeta(ctx, lang, s, now)}</p>${notice}${ask}<h2>${escape(w['qa.questions']!)}</h2>${html || `<p class="meta">${escape(w['qa.noQuestions']!)}</p>`}${more}<p><a href="${PREFIX}qa${langQuery(lang, '?')}">${escape(w['qa.back']!)}</a></p>`,
    reload,
  );
}

async function postQuestion(ctx: QaContext, req: IncomingMessage, res: ServerResponse, lang: Lang, s: QaSession): Promise<void> {
  const w = wordsFor(lang);
  const problem = (key: string) => `<p class="error" role="alert">${escape(w[key]!)}</p>`;
  if (!acceptsQuestions(s, Date.now())) return askPage(res, lang, s, problem('qa.closed'), 409);
  const ip = clientIp(req);
  if (ctx.posted.blockedFor(ip) > 0) return askPage(res, lang, s, problem('qa.tooMany'), 429);
  const checked = checkQuestion((await readForm(req))?.get('question'));
  if (!checked.ok) return askPage(res, lang, s, problem(`qa.question.${checked.error}`), 400);
  ctx.posted.hit(ip);
  await ctx.store.addQaQuestion({ id: newId(), sessionId: s.id, body: checked.value, createdAt: Date.now() });
  res.writeHead(303, { location: `${PREFIX}qa/${s.id}?asked=1${langQuery(lang, '&')}` }).end();
}

// ---- staff routes ----

function staffRoutes(ctx: QaContext): Record<string, Route> {
  const { store, authed } = ctx;
  const official = async (req: IncomingMessage): Promise<UserRecord> => {
    const { user } = await authed(req);
    if (!QA_ROLES.includes(user.role)) throw new HttpError(403, 'forbidden', 'Online Q&A sessions are hosted by town officials, departments, dispatch centers and leaders');
    return user;
  };
  /** A session the user may run, or 404 (outside their area it does not exist for them). */
  const managed = async (user: UserRecord, sessionId: string): Promise<QaSession> => {
    const s = await store.qaSession(sessionId);
    if (!s || !mayManage(user, s)) throw new HttpError(404, 'not_found', 'No such session in your area');
    return s;
  };
  const question = async (user: UserRecord, id: string): Promise<{ q: QaQuestion; s: QaSession }> => {
    const q = await store.qaQuestion(id);
    if (!q) throw new HttpError(404, 'not_found', 'No such question in your area');
    return { q, s: await managed(user, q.sessionId) };
  };
  const stillOpen = (s: QaSession) => {
    if (!acceptsAnswers(s, Date.now())) throw new HttpError(409, 'session_over', 'The session ended more than a day ago');
  };
  const audit = (req: IncomingMessage, user: UserRecord, action: AuditAction, target: string, detail: Record<string, unknown>) =>
    store.insertAudit({ at: Date.now(), actor: user.id, action, target, ip: clientIp(req), detail });
  return {
    /** Sessions touching the user's area, each with its state, whether the user may run it, and its pending count. */
    'GET /api/qa/sessions': async (req) => {
      const user = await official(req);
      const now = Date.now();
      const sessions = (await store.qaSessions()).filter((s) => sessionTouches(user, s));
      const out = await Promise.all(
        sessions.map(async (s) => {
          const manage = mayManage(user, s);
          const pending = manage ? (await store.qaQuestions(s.id, 'pending')).length : 0;
          return { ...s, state: qaState(s, now), manage, pending };
        }),
      );
      return [200, { sessions: out }];
    },
    'POST /api/qa/sessions': async (req) => {
      const user = await official(req);
      const body = parse(NewQaSessionSchema, await readJson(req));
      const dept = body.dept ?? null;
      if (!mayHost(user, body.region, dept)) throw new HttpError(403, 'out_of_scope', 'The session must serve a region (and department) within your own');
      if (body.endsAt <= Date.now()) throw new HttpError(400, 'invalid_body', 'The session has already ended');
      const session: QaSession = { id: newId(), topic: body.topic, host: body.host, region: body.region, dept, startsAt: body.startsAt, endsAt: body.endsAt, createdBy: user.id, createdAt: Date.now() };
      await store.putQaSession(session);
      await audit(req, user, 'qa_session_created', session.id, { region: session.region });
      return [201, { session: { ...session, state: qaState(session, Date.now()), manage: true, pending: 0 } }];
    },
    /** `?session=<id>`: every question of a session the user runs (pending ones included), oldest first. */
    'GET /api/qa/questions': async (req) => {
      const user = await official(req);
      const id = new URL(req.url ?? '/', 'http://local').searchParams.get('session') ?? '';
      if (!/^[0-9a-f-]{36}$/.test(id)) throw new HttpError(400, 'invalid_query', 'session must be a session id');
      const s = await managed(user, id);
      return [200, { session: { ...s, state: qaState(s, Date.now()) }, questions: await store.qaQuestions(s.id) }];
    },
    'POST /api/qa/questions/verdict': async (req) => {
      const user = await official(req);
      const { id, verdict } = parse(VerdictSchema, await readJson(req));
      const { s } = await question(user, id);
      stillOpen(s);
      if (!(await store.moderateQaQuestion(id, verdict, user.id, Date.now()))) throw new HttpError(409, 'already_moderated', 'This question was already moderated');
      await audit(req, user, verdict === 'approved' ? 'qa_question_approved' : 'qa_question_rejected', id, { session: s.id });
      return [200, { question: await store.qaQuestion(id) }];
    },
    'POST /api/qa/questions/answer': async (req) => {
      const user = await official(req);
      const { id, answer } = parse(AnswerSchema, await readJson(req));
      const { s } = await question(user, id);
      stillOpen(s);
      if (!(await store.answerQaQuestion(id, answer, user.id, Date.now()))) throw new HttpError(409, 'not_approved', 'Approve the question before answering it');
      await audit(req, user, 'qa_question_answered', id, { session: s.id });
      return [200, { question: await store.qaQuestion(id) }];
    },
    /** Turns a question into an appeal on the online-opinion channel, as a citizen's suggestion online becomes one. */
    'POST /api/qa/questions/appeal': async (req) => {
      const user = await official(req);
      const { id, village } = parse(ToAppealSchema, await readJson(req));
      const { q, s } = await question(user, id);
      if (q.appealId || ctx.converting.has(id)) throw new HttpError(409, 'already_appeal', 'This question is already an appeal');
      if (q.status === 'rejected') throw new HttpError(409, 'rejected', 'A rejected question is not turned into an appeal');
      const place = placeForAppeal(s, ctx.villages, village);
      if (!place) throw new HttpError(409, 'no_village', 'The session’s area has no village to record the appeal in');
      const w = wordsFor('zh-CN');
      const description = `${w['qa.appealPrefix']!.replace('{topic}', s.topic)}${place.guessed ? w['qa.appealPlace']!.replace('{area}', regionName(ctx, s.region)) : ''}\n${q.body}`;
      const checked = validateAppealInput(
        {
          channel: 'online_opinion',
          category: classify(q.body)[0]?.category ?? 'services.other',
          kind: 'consultation',
          urgency: 'yellow',
          villageCode: place.village,
          description,
          citizen: { anonymous: true },
        },
        (code) => ctx.villages.has(code),
      );
      if (!checked.ok) throw new HttpError(400, 'invalid_appeal', `The appeal could not be made: ${Object.keys(checked.errors).join(', ')}`);
      // One instance records one appeal per question; instances sharing PostgreSQL could race, and the link below keeps only the first.
      ctx.converting.add(id);
      let made: { id: string; evalCode: string | null };
      try {
        made = await recordOnServer(store, ctx.bus, ctx.policy, checked.value, { id: INTAKE_ID, role: topDeskRole(defaultPolicy(ctx.policy)) });
        if (!(await store.linkQaAppeal(id, made.id, made.evalCode))) throw new HttpError(409, 'already_appeal', 'This question is already an appeal');
      } finally {
        ctx.converting.delete(id);
      }
      const { id: appealId, evalCode } = made;
      await audit(req, user, 'qa_question_to_appeal', id, { session: s.id, appeal: appealId });
      return [201, { question: await store.qaQuestion(id), appealId, evalCode }];
    },
  };
}
