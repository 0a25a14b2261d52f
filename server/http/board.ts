import { longDate } from '../../src/core/calendar';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Contact } from '../../src/core/appeal';
import { newId } from '../../src/core/id';
import { scrubPublicText } from '../../src/core/privacy';
import type { AppealProjection } from '../../src/core/projection';
import { shortVillageName } from '../../src/core/regions';
import type { Store } from '../store/types';
import { clientIp } from '../net/address';
import { escape, PREFIX, readForm, sendPage, when, wordsFor, type Lang } from './public-page';
import { createWindowCounter } from '../net/ratelimit';

// The public board (晾晒): appeals a town official or the city center chose to show, in the
// publisher's own words, with how long they took and how the citizen rated them. Citizens may
// comment; a comment shows once a moderator lets it. Nothing here ever carries a citizen's
// name or phone, nor the citizen's own text: what the publisher approved is scrubbed again.

const PAGE_SIZE = 20;
const MAX_COMMENT = 300;
const DAY = 86_400_000;
/** Comments an address may post per window. */
export const COMMENT_LIMIT = { max: 5, windowMs: 10 * 60_000 };

/** What the board's pages share, built once by createBoard. */
interface BoardContext {
  store: Store;
  places: ReadonlyMap<string, string>;
  /** Comments posted per address, against COMMENT_LIMIT. */
  posted: ReturnType<typeof createWindowCounter>;
}

export function createBoard({ store, places }: { store: Store; places: ReadonlyMap<string, string> }) {
  const ctx: BoardContext = { store, places, posted: createWindowCounter(COMMENT_LIMIT) };
  /** Answers `/p/board…`; false for any other path. */
  return (req: IncomingMessage, res: ServerResponse): Promise<boolean> => handleBoardPage(ctx, req, res);
}

async function handleBoardPage(ctx: BoardContext, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://local');
  const lang: Lang = url.searchParams.get('lang') === 'en' ? 'en' : 'zh-CN';
  const w = wordsFor(lang);
  if (req.method === 'GET' && url.pathname === `${PREFIX}board`) {
    const before = Number(url.searchParams.get('before'));
    await list(ctx, res, lang, Number.isSafeInteger(before) && before > 0 ? before : null);
    return true;
  }
  const m = /^\/p\/board\/([0-9a-f-]{36})(\/comment)?$/.exec(url.pathname);
  if (!m) return false;
  const [appeal] = await ctx.store.appealsById([m[1]!]);
  if (!appeal || appeal.publishedAt === null) {
    sendPage(res, 404, lang, w['board.title']!, `<p class="error">${escape(w['board.notFound']!)}</p><p><a href="${PREFIX}board">${escape(w['board.back']!)}</a></p>`);
    return true;
  }
  if (req.method === 'POST' && m[2]) {
    await postComment(ctx, req, res, lang, appeal);
    return true;
  }
  if (req.method !== 'GET' || m[2]) return false;
  await item(ctx, res, lang, appeal, url.searchParams.get('commented') === '1' ? `<p class="note" role="status">${escape(w['board.commented']!)}</p>` : '');
  return true;
}

/** A citizen's comment, held for a moderator; the appeal's page again when it cannot be taken. */
async function postComment(ctx: BoardContext, req: IncomingMessage, res: ServerResponse, lang: Lang, appeal: AppealProjection): Promise<void> {
  const problem = (key: string) => `<p class="error" role="alert">${escape(wordsFor(lang)[key]!)}</p>`;
  const ip = clientIp(req);
  if (ctx.posted.blockedFor(ip) > 0) return item(ctx, res, lang, appeal, problem('board.tooMany'), 429);
  const body = await readComment(req);
  if (!body) return item(ctx, res, lang, appeal, problem('board.commentMissing'), 400);
  ctx.posted.hit(ip);
  await ctx.store.addComment({ id: newId(), appealId: appeal.id, body, createdAt: Date.now() });
  res.writeHead(303, { location: `${PREFIX}board/${appeal.id}?commented=1${lang === 'en' ? '&lang=en' : ''}` }).end();
}

/** One appeal as the board shows it; `contact` is the citizen's, masked wherever it slipped into the text. */
function article({ places }: BoardContext, a: AppealProjection, lang: Lang, link: boolean, contact: Contact | null): string {
  const w = wordsFor(lang);
  const nameOf = (code: string) => places.get(code) ?? code;
  const clean = (text: string) => escape(scrubPublicText(text, contact));
  const end = a.closedAt ?? a.repliedAt;
  const days = Math.max(1, Math.round(((end ?? Date.now()) - a.createdAt) / DAY));
  const meta = [
    w[`category.${a.category}`] ?? a.category,
    `${nameOf(a.town)} ${shortVillageName(nameOf(a.village))}`,
    (w['board.recorded'] ?? '').replace('{date}', longDate(a.createdAt, lang)),
    w[`status.${a.status}`] ?? a.status,
    (w[`${end === null ? 'board.ongoing' : 'board.took'}${days === 1 ? '.one' : ''}`] ?? '').replace('{days}', String(days)),
    ...(a.dept ? [w[`dept.${a.dept}`] ?? a.dept] : []),
  ].map(escape);
  const q = lang === 'en' ? '?lang=en' : '';
  const title = link ? `<a href="${PREFIX}board/${a.id}${q}">${clean(a.publicSummary ?? '')}</a>` : clean(a.publicSummary ?? '');
  return `<article><h2>${title}</h2><p class="meta">${meta.join(' · ')}</p>${a.publicReply ? `<p class="reply"><b>${escape(w['board.reply']!)}</b>${clean(a.publicReply)}</p>` : ''}${a.satisfaction ? `<p class="meta">${escape(w['board.rating']!)}${escape(w[`satisfaction.${a.satisfaction}`]!)}</p>` : ''}</article>`;
}

async function list(ctx: BoardContext, res: ServerResponse, lang: Lang, before: number | null): Promise<void> {
  const w = wordsFor(lang);
  const appeals = await ctx.store.publishedAppeals(PAGE_SIZE, before);
  const contacts = await ctx.store.contacts(appeals.map((a) => a.id));
  const items = appeals.map((a) => article(ctx, a, lang, true, contacts.get(a.id) ?? null)).join('');
  const last = appeals.at(-1);
  const more = appeals.length === PAGE_SIZE && last ? `<p><a href="${PREFIX}board?before=${last.publishedAt}${lang === 'en' ? '&lang=en' : ''}">${escape(w['board.more']!)}</a></p>` : '';
  sendPage(res, 200, lang, w['board.title']!, `<h1>${escape(w['board.title']!)}</h1><p class="meta">${escape(w['board.intro']!)}</p>${items || `<p>${escape(w['board.empty']!)}</p>`}${more}`);
}

async function item(ctx: BoardContext, res: ServerResponse, lang: Lang, a: AppealProjection, notice: string, status = 200): Promise<void> {
  const w = wordsFor(lang);
  const contact = (await ctx.store.contacts([a.id])).get(a.id) ?? null;
  const comments = await ctx.store.comments({ appealId: a.id, status: 'approved', limit: 100 });
  const shown = comments.map((c) => `<p class="comment"><span class="meta">${escape(when(c.createdAt, lang)!)}</span><br>${escape(scrubPublicText(c.body, contact))}</p>`).join('');
  const q = lang === 'en' ? '?lang=en' : '';
  const form = `<form method="post" action="${PREFIX}board/${a.id}/comment${q}"><label for="comment">${escape(w['board.commentLabel']!)}</label><textarea id="comment" name="comment" rows="3" maxlength="${MAX_COMMENT}" required></textarea><span class="meta">${escape(w['board.commentHint']!)}</span><button type="submit">${escape(w['board.commentSubmit']!)}</button></form>`;
  sendPage(res, status, lang, scrubPublicText(a.publicSummary ?? w['board.title']!, contact), `${notice}${article(ctx, a, lang, false, contact)}<h2>${escape(w['board.comments']!)}</h2>${shown || `<p class="meta">${escape(w['board.noComments']!)}</p>`}${form}<p><a href="${PREFIX}board${q}">${escape(w['board.back']!)}</a></p>`);
}

async function readComment(req: IncomingMessage): Promise<string | null> {
  const body = ((await readForm(req))?.get('comment') ?? '').trim();
  return body && [...body].length <= MAX_COMMENT ? body : null;
}
