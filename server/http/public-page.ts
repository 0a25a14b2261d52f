import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { longDateTime } from '../../src/core/calendar';
import { en } from '../../src/i18n/en';
import { zhCN } from '../../src/i18n/zh-CN';

// What every public page shares: a few kilobytes of server-rendered HTML, one small style
// sheet (the content security policy allows no inline style), no script, two languages.

export const PREFIX = '/p/';
export type Lang = 'zh-CN' | 'en';

export function wordsFor(lang: Lang): Record<string, string> {
  return lang === 'en' ? en : zhCN;
}

export const STYLE = `body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1f1f1f;background:#f6f7f9}
header{background:#b3261e;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
header nav{display:flex;flex-wrap:wrap;gap:0 1rem}header a{color:#fff;display:inline-block;min-height:44px;line-height:44px}
main{max-width:40rem;margin:0 auto;padding:1rem}
h1{font-size:1.3rem;margin:.2rem 0 1rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem .9rem;background:#fff;border:1px solid #e2e5e9;border-radius:10px;padding:.8rem}
dt{color:#555}dd{margin:0}
form{display:grid;gap:.6rem;margin:1rem 0;background:#fff;border:1px solid #e2e5e9;border-radius:10px;padding:.8rem}
label{display:flex;gap:.5rem;align-items:center;min-height:44px}
input[type=text],select,textarea{font:inherit;padding:.5rem;border:1px solid #888;border-radius:6px;width:100%;box-sizing:border-box;min-height:44px}
button{font:inherit;min-height:44px;border:0;border-radius:8px;background:#b3261e;color:#fff;padding:0 1rem}
.note{background:#e6f4ea;border-radius:8px;padding:.6rem .8rem}.error{background:#fce8e6;border-radius:8px;padding:.6rem .8rem}
footer{font-size:.8rem;color:#555;text-align:center;padding:1rem}a{color:#0b57d0}
article{background:#fff;border:1px solid #e2e5e9;border-radius:10px;padding:.7rem .9rem;margin:.7rem 0}
article h2{font-size:1.05rem;margin:0 0 .3rem}.meta{color:#555;font-size:.9rem}.reply{border-left:3px solid #188038;padding-left:.6rem}
.comment{border-top:1px solid #e2e5e9;padding:.4rem 0}
.answer{background:#fff;border:1px solid #e2e5e9;border-left:4px solid #188038;border-radius:10px;padding:.6rem .8rem;margin:1rem 0}.answer h2{font-size:1.05rem;margin:0 0 .3rem}.answer p{margin:0;white-space:pre-wrap}`;

export const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** A time on a public page, written as the app writes it (2026年11月30日 14:05). */
export const when = (ms: number | null, lang: Lang) => (ms === null ? null : longDateTime(ms, lang));

/** Sends a whole page: the header links to the board and the lookup, the footer to the other language. */
export function sendPage(res: ServerResponse, status: number, lang: Lang, title: string, body: string, extra: Record<string, string> = {}): void {
  const w = wordsFor(lang);
  const q = lang === 'en' ? '?lang=en' : '';
  const other = lang === 'en' ? `<a href="?">中文</a>` : `<a href="?lang=en">English</a>`;
  const html = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escape(title)} · ${escape(w['app.name']!)}</title><link rel="stylesheet" href="${PREFIX}style.css"></head><body><header><b>${escape(w['app.name']!)}</b><nav><a href="${PREFIX}board${q}">${escape(w['board.title']!)}</a><a href="${PREFIX}${q}">${escape(w['public.title']!)}</a><a href="${PREFIX}ask${q}">${escape(w['ask.title']!)}</a><a href="${PREFIX}reception${q}">${escape(w['reception.title']!)}</a><a href="${PREFIX}qa${q}">${escape(w['qa.title']!)}</a><a href="${PREFIX}info${q}">${escape(w['info.title']!)}</a><a href="${PREFIX}deputies${q}">${escape(w['deputy.public.title']!)}</a></nav></header><main>${body}</main><footer>${other}</footer></body></html>`;
  send(res, status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...extra }, html);
}

/** Gzipped where the phone accepts it: a third of the bytes over 2G. */
function send(res: ServerResponse, status: number, headers: Record<string, string>, text: string): void {
  const gzip = /\bgzip\b/.test(String(res.req.headers['accept-encoding'] ?? ''));
  res.writeHead(status, { ...headers, vary: 'accept-encoding', ...(gzip && { 'content-encoding': 'gzip' }) }).end(gzip ? gzipSync(text) : text);
}

/** The style sheet, cached a day. */
export function sendStyle(res: ServerResponse): void {
  send(res, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=86400' }, STYLE);
}

/** A posted form, or null when it is larger than `maxBytes` (a citizen's form never is). */
export async function readForm(req: IncomingMessage, maxBytes = 16 * 1024): Promise<URLSearchParams | null> {
  let text = '';
  for await (const chunk of req as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > maxBytes) return null;
  }
  return new URLSearchParams(text);
}
