import type { IncomingMessage, ServerResponse } from 'node:http';
import qrcode from 'qrcode-generator';
import { ARTICLE_CATEGORIES, excerpt, isArticleArea, isArticleCategory, paragraphs, searchWords, type Article, type ArticleCategory } from '../../src/core/articles';
import { cardContacts, CARD_TIERS, type CardContact } from '../../src/core/contact-cards';
import { isUuidV7 } from '../../src/core/id';
import { codePrefix, countyOf, levelOf, shortVillageName, townOf } from '../../src/core/regions';
import type { Store } from '../store/types';
import { escape, PREFIX, sendPage, when, wordsFor, type Lang } from './public-page';

// The public side of policy information (为您服务) and the contact cards (干群连心卡).
// Articles: a list by category with a search box and an area filter that work as a plain GET
// form, and one page per article; withdrawn articles are gone. Cards: an A4 sheet of eight
// identical cards for a village, cut along the dashed lines, with the village's, the town's
// and the county's contacts who chose to publish a work number, and a QR code to the public
// intake and evaluation-code lookup. Both are built from the current data on each request.

/** Articles per page: ten, with their excerpts, keep the list under 10 KB. */
export const INFO_PAGE_SIZE = 10;
const EXCERPT = 40;
export const CARDS_PER_SHEET = 8;

/** The cards' own print sheet (the shared one has no print layout); cached a day like it. */
export const CARD_STYLE = `@page{size:A4;margin:0}
.sheet{display:grid;grid-template-columns:1fr 1fr;gap:0;background:#fff;max-width:210mm;margin:0 auto}
.card{border:1px dashed #777;padding:3mm 4mm;box-sizing:border-box;min-height:74mm;display:grid;grid-template-columns:1fr 24mm;gap:2mm;align-content:start;font-size:10.5pt;line-height:1.3}
svg[aria-hidden]{position:absolute}
.card h2{grid-column:1/-1;font-size:12pt;margin:0;color:#b3261e}.card ul{list-style:none;margin:0;padding:0}.card li{margin:0 0 .6mm}
.card h3{font-size:9pt;margin:1mm 0 .3mm;color:#555}.card li b{white-space:nowrap}.card svg{width:24mm;height:24mm}
.card .qr p{font-size:7.5pt;margin:.5mm 0 0;word-break:break-all}
@media screen and (max-width:30rem){.sheet{grid-template-columns:1fr}}
@media print{header,footer,.noprint{display:none}main{max-width:none;padding:0}body{background:#fff}.sheet{width:210mm;grid-auto-rows:74mm}.card{min-height:0;height:74mm;break-inside:avoid}}`;

interface InfoDeps {
  store: Store;
  places: ReadonlyMap<string, string>;
  villages: ReadonlySet<string>;
}

export function createInfoPages(deps: InfoDeps) {
  /** Answers `/p/info…` and `/p/cards…`; false for any other path. */
  return (req: IncomingMessage, res: ServerResponse): Promise<boolean> => handleInfoPage(deps, req, res);
}

async function handleInfoPage(deps: InfoDeps, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://local');
  const path = url.pathname;
  if (req.method !== 'GET') return false;
  const lang: Lang = url.searchParams.get('lang') === 'en' ? 'en' : 'zh-CN';
  if (path === `${PREFIX}info`) return listPage(deps, res, lang, url.searchParams).then(() => true);
  let m = /^\/p\/info\/([^/]+)$/.exec(path);
  if (m) return articlePage(deps, res, lang, m[1]!).then(() => true);
  if (path === `${PREFIX}cards.css`) {
    res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=86400' }).end(CARD_STYLE);
    return true;
  }
  m = /^\/p\/cards\/([^/]+)$/.exec(path);
  if (m) return cardSheet(deps, req, res, lang, m[1]!).then(() => true);
  return false;
}

const withLang = (lang: Lang, sep = '?') => (lang === 'en' ? `${sep}lang=en` : '');
const name = ({ places }: InfoDeps, code: string) => places.get(code) ?? code;

/** The areas the filter offers: the county (or each county of a city) and, under one county, its towns. */
function filterAreas({ places }: InfoDeps, chosen: string | null): string[] {
  const counties = [...places.keys()].filter((c) => levelOf(c) === 'county');
  const county = chosen ? countyOf(chosen) : counties.length === 1 ? counties[0]! : null;
  const towns = county ? [...places.keys()].filter((c) => levelOf(c) === 'town' && c.startsWith(codePrefix(county))) : [];
  return [...counties, ...towns].sort();
}

async function listPage(deps: InfoDeps, res: ServerResponse, lang: Lang, params: URLSearchParams): Promise<void> {
  const w = wordsFor(lang);
  const cat = params.get('cat');
  const category: ArticleCategory | undefined = isArticleCategory(cat) ? cat : undefined;
  const areaParam = params.get('area') ?? '';
  const area = isArticleArea(areaParam) && deps.places.has(areaParam) ? areaParam : null;
  const q = (params.get('q') ?? '').slice(0, 100);
  const before = Number(params.get('before'));
  const found = await deps.store.articles({
    status: 'published', limit: INFO_PAGE_SIZE + 1, words: searchWords(q),
    ...(category && { category }), ...(area && { overlapping: [codePrefix(area)] }), ...(Number.isSafeInteger(before) && before > 0 && { before }),
  });
  const shown = found.slice(0, INFO_PAGE_SIZE);
  const option = (value: string, label: string, selected: boolean) => `<option value="${value}"${selected ? ' selected' : ''}>${escape(label)}</option>`;
  const form = `<form method="get" action="${PREFIX}info" role="search"><label for="q">${escape(w['info.search']!)}</label><input type="text" id="q" name="q" value="${escape(q)}" maxlength="100">`
    + `<label for="cat">${escape(w['info.category']!)}</label><select id="cat" name="cat">${option('', w['info.all']!, !category)}${ARTICLE_CATEGORIES.map((c) => option(c, w[`info.cat.${c}`]!, c === category)).join('')}</select>`
    + `<label for="area">${escape(w['info.area']!)}</label><select id="area" name="area">${option('', w['info.allAreas']!, !area)}${filterAreas(deps, area).map((c) => option(c, name(deps, c), c === area)).join('')}</select>`
    + `${lang === 'en' ? '<input type="hidden" name="lang" value="en">' : ''}<button type="submit">${escape(w['info.find']!)}</button></form>`;
  const items = shown.map((a) => `<article><h2><a href="${PREFIX}info/${a.id}${withLang(lang)}">${escape(a.title)}</a></h2><p class="meta">${escape(w[`info.cat.${a.category}`]!)} · ${escape(name(deps, a.area))} · ${escape(when(a.publishedAt, lang)!)}</p><p>${escape(excerpt(a.body, EXCERPT))}</p></article>`).join('');
  const empty = shown.length === 0 ? `<p class="note" role="status">${escape(w['info.none']!)}</p>` : '';
  let more = '';
  if (found.length > INFO_PAGE_SIZE) {
    const next = new URLSearchParams({ ...(q && { q }), ...(category && { cat: category }), ...(area && { area }), before: String(shown[shown.length - 1]!.publishedAt), ...(lang === 'en' && { lang: 'en' }) });
    more = `<p><a href="${PREFIX}info?${escape(next.toString())}">${escape(w['info.older']!)}</a></p>`;
  }
  sendPage(res, 200, lang, w['info.title']!, `<h1>${escape(w['info.title']!)}</h1>${form}${empty}${items}${more}`);
}

async function articlePage(deps: InfoDeps, res: ServerResponse, lang: Lang, id: string): Promise<void> {
  const w = wordsFor(lang);
  const a: Article | null = isUuidV7(id) ? await deps.store.article(id) : null;
  const back = `<p><a href="${PREFIX}info${withLang(lang)}">${escape(w['info.back']!)}</a></p>`;
  // Withdrawn is gone, to the public as if it had never been.
  if (!a || a.status !== 'published') {
    sendPage(res, 404, lang, w['info.title']!, `<h1>${escape(w['info.title']!)}</h1><p class="error" role="alert">${escape(w['info.notFound']!)}</p>${back}`);
    return;
  }
  const updated = a.updatedAt > a.publishedAt + 60_000 ? `<dt>${escape(w['info.updated']!)}</dt><dd>${escape(when(a.updatedAt, lang)!)}</dd>` : '';
  const facts = `<dl><dt>${escape(w['info.category']!)}</dt><dd>${escape(w[`info.cat.${a.category}`]!)}</dd><dt>${escape(w['info.area']!)}</dt><dd>${escape(name(deps, a.area))}</dd><dt>${escape(w['info.published']!)}</dt><dd>${escape(when(a.publishedAt, lang)!)}</dd>${updated}</dl>`;
  const body = paragraphs(a.body).map((p) => `<p>${escape(p).replace(/\n/g, '<br>')}</p>`).join('');
  sendPage(res, 200, lang, a.title, `<h1>${escape(a.title)}</h1>${facts}<article>${body}</article>${back}`);
}

/** This server as the phone reached it (host characters only: it goes into the QR code). */
function origin(req: IncomingMessage): string {
  const host = String(req.headers.host ?? 'localhost').replace(/[^A-Za-z0-9.:[\]-]/g, '');
  return `${req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http'}://${host}`;
}

/** A QR code as one SVG path of its dark runs, row by row: a few hundred bytes, drawn once and used on every card. */
export function qrSymbol(text: string, id: string): string {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; ) {
      if (!qr.isDark(r, c)) {
        c++;
        continue;
      }
      let end = c;
      while (end < n && qr.isDark(r, end)) end++;
      d += `M${c + 4} ${r + 4}h${end - c}v1h-${end - c}z`;
      c = end;
    }
  }
  // A quiet zone of four modules all round, as scanners expect.
  return `<symbol id="${id}" viewBox="0 0 ${n + 8} ${n + 8}"><rect width="${n + 8}" height="${n + 8}" fill="#fff"/><path d="${d}" fill="#000"/></symbol>`;
}

function contactLine(w: Record<string, string>, c: CardContact): string {
  const title = c.role === 'dept_handler' && c.departments.length > 0 ? c.departments.map((d) => w[`dept.${d}`] ?? d).join('、') : w[`role.${c.role}`]!;
  return `<li>${escape(title)} ${escape(c.name)} <b>${escape(c.phone)}</b></li>`;
}

async function cardSheet(deps: InfoDeps, req: IncomingMessage, res: ServerResponse, lang: Lang, village: string): Promise<void> {
  const w = wordsFor(lang);
  if (!deps.villages.has(village)) {
    sendPage(res, 404, lang, w['cards.title']!, `<h1>${escape(w['cards.title']!)}</h1><p class="error" role="alert">${escape(w['cards.noVillage']!)}</p>`);
    return;
  }
  const [users, phones] = await Promise.all([deps.store.users(), deps.store.workPhones()]);
  const contacts = cardContacts(users.map((u) => ({ ...u, workPhone: phones.get(u.id) ?? null })), village);
  const town = townOf(village);
  const county = countyOf(village);
  const tierName = { village: shortVillageName(name(deps, village)), town: name(deps, town), county: name(deps, county) };
  const sections = CARD_TIERS.map((tier) => {
    const here = contacts.filter((c) => c.tier === tier);
    return here.length ? `<h3>${escape(tierName[tier])}</h3><ul>${here.map((c) => contactLine(w, c)).join('')}</ul>` : '';
  }).join('');
  const target = `${origin(req)}${PREFIX}`;
  const none = contacts.length === 0 ? `<p>${escape(w['cards.noneYet']!)}</p>` : '';
  const card = `<div class="card"><h2>${escape(w['cards.title']!)} · ${escape(tierName.village)}</h2><div>${sections}${none}</div><div class="qr"><svg role="img" aria-label="${escape(w['cards.qr']!)}"><use href="#qr"/></svg><p>${escape(w['cards.foot']!)} ${escape(target)}</p></div></div>`;
  const intro = `<div class="noprint"><h1>${escape(w['cards.title']!)} · ${escape(name(deps, town))} ${escape(tierName.village)}</h1><p>${escape(w['cards.howto']!)}</p></div>`;
  const defs = `<svg width="0" height="0" aria-hidden="true" focusable="false">${qrSymbol(target, 'qr')}</svg>`;
  // The print sheet is linked from the body (a stylesheet link is allowed there), so the shared page frame stays as it is.
  sendPage(res, 200, lang, `${w['cards.title']!} · ${tierName.village}`, `<link rel="stylesheet" href="${PREFIX}cards.css">${intro}${defs}<div class="sheet">${card.repeat(CARDS_PER_SHEET)}</div>`);
}
