import type { IncomingMessage, ServerResponse } from 'node:http';
import * as Y from 'yjs';
import type { DeadlinePolicy } from '../../src/core/deadline';
import { appendEvent, docFromUpdates, readAppeal } from '../../src/core/doc';
import { readEvalCode, showEvalCode } from '../../src/core/evalcode';
import { CITIZEN, SATISFACTION, type AppealEvent, type Satisfaction } from '../../src/core/events';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import type { AppealProjection } from '../../src/core/projection';
import { shortVillageName } from '../../src/core/regions';
import { en } from '../../src/i18n/en';
import { zhCN } from '../../src/i18n/zh-CN';
import type { Store } from '../store/types';
import { storeUpdate, type CommitBus } from '../sync/bus';
import { clientIp } from './api';
import { createWindowCounter } from './ratelimit';

// The public side, for citizens on cheap phones over 2G: server-rendered pages of a few
// kilobytes, no script, no login. An appeal is found only by its evaluation code, and shows
// only what its category, place, dates and status say: never a name, a phone or free text.

const PREFIX = '/p/';
const MAX_NOTE = 200;
const CITIZEN_DEVICE = 'public-rating';

/** Unknown codes an address may try per window before it must wait: guessing 50 bits at this pace is hopeless. */
export const CODE_MISSES = { max: 10, windowMs: 10 * 60_000 };

const STYLE = `body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1f1f1f;background:#f6f7f9}
header{background:#b3261e;color:#fff;padding:.6rem 1rem;font-weight:700}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.3rem;margin:.2rem 0 1rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem .9rem;background:#fff;border:1px solid #e2e5e9;border-radius:10px;padding:.8rem}
dt{color:#555}dd{margin:0}
form{display:grid;gap:.6rem;margin:1rem 0;background:#fff;border:1px solid #e2e5e9;border-radius:10px;padding:.8rem}
label{display:flex;gap:.5rem;align-items:center;min-height:44px}
input[type=text],textarea{font:inherit;padding:.5rem;border:1px solid #888;border-radius:6px;width:100%;box-sizing:border-box}
button{font:inherit;min-height:44px;border:0;border-radius:8px;background:#b3261e;color:#fff;padding:0 1rem}
.note{background:#e6f4ea;border-radius:8px;padding:.6rem .8rem}.error{background:#fce8e6;border-radius:8px;padding:.6rem .8rem}
footer{font-size:.8rem;color:#555;text-align:center;padding:1rem}a{color:#0b57d0}`;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const day = (ms: number | null) => (ms === null ? null : new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' '));

interface PublicDeps {
  store: Store;
  bus: CommitBus;
  policy: DeadlinePolicy;
}

/** What anyone holding the code may see of an appeal: no contact, no description, no reply text. */
export interface PublicAppeal {
  code: string;
  category: string;
  town: string;
  village: string;
  status: string;
  recordedAt: number;
  repliedAt: number | null;
  closedAt: number | null;
  dept: string | null;
  satisfaction: Satisfaction | null;
  /** Whether the citizen may rate now: the appeal was answered and awaits its return visit. */
  mayRate: boolean;
}

export function createPublicPages({ store, bus, policy }: PublicDeps) {
  const misses = createWindowCounter(CODE_MISSES);

  async function placeNames(a: AppealProjection): Promise<{ town: string; village: string }> {
    const names = new Map((await store.regionsUnder([a.town.slice(0, 9)])).map((r) => [r.code, r.name]));
    return { town: names.get(a.town) ?? a.town, village: shortVillageName(names.get(a.village) ?? a.village) };
  }

  async function publicAppeal(code: string, a: AppealProjection): Promise<PublicAppeal> {
    return { code, category: a.category, ...(await placeNames(a)), status: a.status, recordedAt: a.createdAt, repliedAt: a.repliedAt, closedAt: a.closedAt, dept: a.dept, satisfaction: a.satisfaction, mayRate: a.status === 'replied' };
  }

  /** The appeal behind a typed code; counts a miss against the address, and refuses once it has too many. */
  async function find(req: IncomingMessage, typed: string): Promise<{ code: string; appeal: AppealProjection } | { status: number; retryAfter?: number }> {
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
  }

  /** Appends the citizen's rating as the return visit, if the appeal still awaits one. */
  async function rate(appealId: string, satisfaction: Satisfaction, note: string): Promise<boolean> {
    const committed = await store.inPushTx(async (tx) => {
      const doc = docFromUpdates(await tx.docParts(appealId));
      try {
        const state = fold(readAppeal(doc, appealId).events, appealId);
        if (state.status !== 'replied') return null;
        const sv = Y.encodeStateVector(doc);
        const event = { id: newId(), type: 'visited', satisfaction, actor: CITIZEN, role: CITIZEN, at: Date.now(), ...(state.lastAppliedId && { basis: state.lastAppliedId }), ...(note && { note }) } as AppealEvent;
        appendEvent(doc, event);
        const update = { docId: appealId, deviceId: CITIZEN_DEVICE, clientSeq: await tx.nextClientSeq(CITIZEN_DEVICE), userId: CITIZEN, bytes: Y.encodeStateAsUpdate(doc, sv) };
        return storeUpdate(tx, update, readAppeal(doc, appealId), Date.now(), policy);
      } finally {
        doc.destroy();
      }
    });
    if (committed) bus.publish([committed], null);
    return committed !== null;
  }

  function page(res: ServerResponse, status: number, lang: 'zh-CN' | 'en', title: string, body: string, extra: Record<string, string> = {}): void {
    const w: Record<string, string> = lang === 'en' ? en : zhCN;
    const other = lang === 'en' ? `<a href="?">中文</a>` : `<a href="?lang=en">English</a>`;
    const html = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escape(title)} · ${escape(w['app.name']!)}</title><link rel="stylesheet" href="${PREFIX}style.css"></head><body><header>${escape(w['app.name']!)} · ${escape(w['public.title']!)}</header><main>${body}</main><footer>${other}</footer></body></html>`;
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...extra }).end(html);
  }

  function lookupForm(lang: 'zh-CN' | 'en', message = ''): string {
    const w: Record<string, string> = lang === 'en' ? en : zhCN;
    return `<h1>${escape(w['public.lookup']!)}</h1>${message}<form method="get" action="${PREFIX}c"><label for="code">${escape(w['public.codeLabel']!)}</label><input type="text" id="code" name="code" autocomplete="off" autocapitalize="characters" maxlength="16" required>${lang === 'en' ? '<input type="hidden" name="lang" value="en">' : ''}<button type="submit">${escape(w['public.find']!)}</button></form>`;
  }

  function appealPage(p: PublicAppeal, lang: 'zh-CN' | 'en', notice: string): string {
    const w: Record<string, string> = lang === 'en' ? en : zhCN;
    const rows: [string, string | null][] = [
      [w['public.category']!, w[`category.${p.category}`] ?? p.category],
      [w['public.place']!, `${p.town} ${p.village}`],
      [w['public.recorded']!, day(p.recordedAt)],
      [w['public.status']!, w[`status.${p.status}`] ?? p.status],
      [w['public.dept']!, p.dept ? (w[`dept.${p.dept}`] ?? p.dept) : null],
      [w['public.replied']!, day(p.repliedAt)],
      [w['public.closed']!, day(p.closedAt)],
      [w['public.satisfaction']!, p.satisfaction ? (w[`satisfaction.${p.satisfaction}`] ?? null) : null],
    ];
    const list = rows.filter(([, v]) => v !== null).map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v!)}</dd>`).join('');
    const form = p.mayRate
      ? `<form method="post" action="${PREFIX}c/${p.code}/rate${lang === 'en' ? '?lang=en' : ''}"><strong>${escape(w['public.rateTitle']!)}</strong>${SATISFACTION.map((s) => `<label><input type="radio" name="satisfaction" value="${s}" required>${escape(w[`satisfaction.${s}`]!)}</label>`).join('')}<label for="note">${escape(w['public.rateNote']!)}</label><textarea id="note" name="note" rows="3" maxlength="${MAX_NOTE}"></textarea><button type="submit">${escape(w['public.rateSubmit']!)}</button></form>`
      : '';
    return `<h1>${escape(w['public.appeal']!)} ${showEvalCode(p.code)}</h1>${notice}<dl>${list}</dl>${form}<p><a href="${PREFIX}${lang === 'en' ? '?lang=en' : ''}">${escape(w['public.another']!)}</a></p>`;
  }

  async function readForm(req: IncomingMessage): Promise<URLSearchParams | null> {
    let text = '';
    for await (const chunk of req as AsyncIterable<Buffer>) {
      text += chunk.toString('utf8');
      if (text.length > 8 * 1024) return null;
    }
    return new URLSearchParams(text);
  }

  /** Answers `/p/…` and `/api/public/…`; false for any other path. */
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname;
    const lang = url.searchParams.get('lang') === 'en' ? 'en' : 'zh-CN';
    const w: Record<string, string> = lang === 'en' ? en : zhCN;
    const problem = (text: string) => `<p class="error" role="alert">${escape(text)}</p>`;
    const refused = (res: ServerResponse, found: { status: number; retryAfter?: number }, json: boolean) => {
      const message = found.status === 429 ? w['public.tooMany']! : w['public.notFound']!;
      const extra: Record<string, string> = found.retryAfter ? { 'retry-after': String(found.retryAfter) } : {};
      if (json) res.writeHead(found.status, { 'content-type': 'application/json', ...extra }).end(JSON.stringify({ error: found.status === 429 ? 'too_many_attempts' : 'not_found', message }));
      else page(res, found.status, lang, w['public.lookup']!, lookupForm(lang, problem(message)), extra);
    };

    if (req.method === 'GET' && path === `${PREFIX}style.css`) {
      res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=86400' }).end(STYLE);
      return true;
    }
    if (req.method === 'GET' && (path === PREFIX || path === '/p')) {
      page(res, 200, lang, w['public.lookup']!, lookupForm(lang));
      return true;
    }
    if (req.method === 'GET' && path === `${PREFIX}c`) {
      // The lookup form's answer: on to the code's own address (what the QR code holds).
      const code = readEvalCode(url.searchParams.get('code') ?? '');
      if (!code) refused(res, { status: 404 }, false);
      else res.writeHead(303, { location: `${PREFIX}c/${code}${lang === 'en' ? '?lang=en' : ''}` }).end();
      return true;
    }
    const m = /^\/(?:p\/c|api\/public\/code)\/([^/]{1,32})(\/rate)?$/.exec(path);
    if (!m) return false;
    const json = path.startsWith('/api/');
    const found = await find(req, decodeURIComponent(m[1]!));
    if ('status' in found) {
      refused(res, found, json);
      return true;
    }
    if (req.method === 'POST' && m[2]) {
      const form = await readForm(req);
      const satisfaction = form?.get('satisfaction');
      const note = (form?.get('note') ?? '').trim().slice(0, MAX_NOTE);
      if (!SATISFACTION.includes(satisfaction as Satisfaction)) {
        page(res, 400, lang, w['public.appeal']!, appealPage(await publicAppeal(found.code, found.appeal), lang, problem(w['public.rateMissing']!)));
        return true;
      }
      const done = await rate(found.appeal.id, satisfaction as Satisfaction, note);
      res.writeHead(303, { location: `${PREFIX}c/${found.code}?${done ? 'rated=1' : 'rated=0'}${lang === 'en' ? '&lang=en' : ''}` }).end();
      return true;
    }
    if (req.method !== 'GET') return false;
    const view = await publicAppeal(found.code, found.appeal);
    if (json) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(view));
      return true;
    }
    const rated = url.searchParams.get('rated');
    const notice = rated === '1' ? `<p class="note" role="status">${escape(w['public.thanks']!)}</p>` : rated === '0' ? problem(w['public.rateClosed']!) : '';
    page(res, 200, lang, w['public.appeal']!, appealPage(view, lang, notice));
    return true;
  };
}
