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

export function createBoard({ store, places }: { store: Store; places: ReadonlyMap<string, string> }) {
  const posted = createWindowCounter(COMMENT_LIMIT);
  const nameOf = (code: string) => places.get(code) ?? code;

  /** One appeal as the board shows it; `contact` is the citizen's, masked wherever it slipped into the text. */
  function article(a: AppealProjection, lang: Lang, link: boolean, contact: Contact | null): string {
    const w = wordsFor(lang);
    const clean = (text: string) => escape(scrubPublicText(text, contact));
    const end = a.closedAt ?? a.repliedAt;
    const days = Math.max(1, Math.round(((end ?? Date.now()) - a.createdAt) / DAY));
    const meta = [
      w[`category.${a.category}`] ?? a.category,
      `${nameOf(a.town)} ${shortVillageName(nameOf(a.village))}`,
      (w['board.recorded'] ?? '').replace('{date}', when(a.createdAt)!.slice(0, 10)),
      w[`status.${a.status}`] ?? a.status,
      (w[end === null ? 'board.ongoing' : 'board.took'] ?? '').replace('{days}', String(days)),
      ...(a.dept ? [w[`dept.${a.dept}`] ?? a.dept] : []),
    ].map(escape);
    const q = lang === 'en' ? '?lang=en' : '';
    const title = link ? `<a href="${PREFIX}board/${a.id}${q}">${clean(a.publicSummary ?? '')}</a>` : clean(a.publicSummary ?? '');
    return `<article><h2>${title}</h2><p class="meta">${meta.join(' · ')}</p>${a.publicReply ? `<p class="reply"><b>${escape(w['board.reply']!)}</b>${clean(a.publicReply)}</p>` : ''}${a.satisfaction ? `<p class="meta">${escape(w['board.rating']!)}${escape(w[`satisfaction.${a.satisfaction}`]!)}</p>` : ''}</article>`;
  }

  async function list(res: ServerResponse, lang: Lang, before: number | null): Promise<void> {
    const w = wordsFor(lang);
    const appeals = await store.publishedAppeals(PAGE_SIZE, before);
    const contacts = await store.contacts(appeals.map((a) => a.id));
    const items = appeals.map((a) => article(a, lang, true, contacts.get(a.id) ?? null)).join('');
    const last = appeals.at(-1);
    const more = appeals.length === PAGE_SIZE && last ? `<p><a href="${PREFIX}board?before=${last.publishedAt}${lang === 'en' ? '&lang=en' : ''}">${escape(w['board.more']!)}</a></p>` : '';
    sendPage(res, 200, lang, w['board.title']!, `<h1>${escape(w['board.title']!)}</h1><p class="meta">${escape(w['board.intro']!)}</p>${items || `<p>${escape(w['board.empty']!)}</p>`}${more}`);
  }

  async function item(res: ServerResponse, lang: Lang, a: AppealProjection, notice: string, status = 200): Promise<void> {
    const w = wordsFor(lang);
    const contact = (await store.contacts([a.id])).get(a.id) ?? null;
    const comments = await store.comments({ appealId: a.id, status: 'approved', limit: 100 });
    const shown = comments.map((c) => `<p class="comment"><span class="meta">${escape(when(c.createdAt)!)}</span><br>${escape(scrubPublicText(c.body, contact))}</p>`).join('');
    const q = lang === 'en' ? '?lang=en' : '';
    const form = `<form method="post" action="${PREFIX}board/${a.id}/comment${q}"><label for="comment">${escape(w['board.commentLabel']!)}</label><textarea id="comment" name="comment" rows="3" maxlength="${MAX_COMMENT}" required></textarea><span class="meta">${escape(w['board.commentHint']!)}</span><button type="submit">${escape(w['board.commentSubmit']!)}</button></form>`;
    sendPage(res, status, lang, scrubPublicText(a.publicSummary ?? w['board.title']!, contact), `${notice}${article(a, lang, false, contact)}<h2>${escape(w['board.comments']!)}</h2>${shown || `<p class="meta">${escape(w['board.noComments']!)}</p>`}${form}<p><a href="${PREFIX}board${q}">${escape(w['board.back']!)}</a></p>`);
  }

  async function readComment(req: IncomingMessage): Promise<string | null> {
    const body = ((await readForm(req))?.get('comment') ?? '').trim();
    return body && [...body].length <= MAX_COMMENT ? body : null;
  }

  /** Answers `/p/board…`; false for any other path. */
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://local');
    const lang: Lang = url.searchParams.get('lang') === 'en' ? 'en' : 'zh-CN';
    const w = wordsFor(lang);
    if (req.method === 'GET' && url.pathname === `${PREFIX}board`) {
      const before = Number(url.searchParams.get('before'));
      await list(res, lang, Number.isSafeInteger(before) && before > 0 ? before : null);
      return true;
    }
    const m = /^\/p\/board\/([0-9a-f-]{36})(\/comment)?$/.exec(url.pathname);
    if (!m) return false;
    const [appeal] = await store.appealsById([m[1]!]);
    if (!appeal || appeal.publishedAt === null) {
      sendPage(res, 404, lang, w['board.title']!, `<p class="error">${escape(w['board.notFound']!)}</p><p><a href="${PREFIX}board">${escape(w['board.back']!)}</a></p>`);
      return true;
    }
    const problem = (key: string) => `<p class="error" role="alert">${escape(w[key]!)}</p>`;
    if (req.method === 'POST' && m[2]) {
      const ip = clientIp(req);
      const wait = posted.blockedFor(ip);
      if (wait > 0) {
        await item(res, lang, appeal, problem('board.tooMany'), 429);
        return true;
      }
      const body = await readComment(req);
      if (!body) {
        await item(res, lang, appeal, problem('board.commentMissing'), 400);
        return true;
      }
      posted.hit(ip);
      await store.addComment({ id: newId(), appealId: appeal.id, body, createdAt: Date.now() });
      res.writeHead(303, { location: `${PREFIX}board/${appeal.id}?commented=1${lang === 'en' ? '&lang=en' : ''}` }).end();
      return true;
    }
    if (req.method !== 'GET' || m[2]) return false;
    await item(res, lang, appeal, url.searchParams.get('commented') === '1' ? `<p class="note" role="status">${escape(w['board.commented']!)}</p>` : '');
    return true;
  };
}
