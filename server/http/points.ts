import type { IncomingMessage, ServerResponse } from 'node:http';
import { longDate } from '../../src/core/calendar';
import { foldLedger, pointsReport, publicBoard, sheetEntries, type PublicPointsBoard } from '../../src/core/points';
import { scrubPublicText } from '../../src/core/privacy';
import { shortVillageName, townOf } from '../../src/core/regions';
import { REPORT_ROLES } from '../../src/core/roles';
import type { Store, UserRecord } from '../store/types';
import { HttpError, searchParams, type Route } from './plumbing';
import { escape, sendPage, wordsFor, type Lang } from './public-page';
import { periodFrom, regionsParam } from './reports';

// Village points (积分) leave the village two ways: a public board per village, where
// households show by number with their balance and recent awards by rule (nothing else of an
// entry: no notes, no goods, no recorder), and a report of points given and exchanged per
// village for the town and the county. Both fold the synced rows with core/points.ts.

interface PointsDeps {
  store: Store;
  villages: ReadonlySet<string>;
  places: ReadonlyMap<string, string>;
  authed: (req: IncomingMessage) => Promise<{ user: UserRecord }>;
}

const VILLAGE_PATH = /^\/p\/points\/(\d{12})$/;

export function createPointsPages(deps: PointsDeps): { pages: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>; routes: Record<string, Route> } {
  return {
    pages: (req, res) => handlePage(deps, req, res),
    routes: { 'GET /api/reports/points': (req) => report(deps, req) },
  };
}

async function handlePage(deps: PointsDeps, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (req.method !== 'GET') return false;
  const url = new URL(req.url ?? '/', 'http://local');
  const m = VILLAGE_PATH.exec(url.pathname);
  if (!m) return false;
  const lang: Lang = url.searchParams.get('lang') === 'en' ? 'en' : 'zh-CN';
  const w = wordsFor(lang);
  const village = m[1]!;
  if (!deps.villages.has(village)) {
    sendPage(res, 404, lang, w['points.title']!, `<h1>${escape(w['points.title']!)}</h1><p class="error">${escape(w['points.noVillage']!)}</p>`);
    return true;
  }
  const board = publicBoard(foldLedger(sheetEntries(await deps.store.pointsRows([village]))));
  const name = shortVillageName(deps.places.get(village) ?? village);
  const town = deps.places.get(townOf(village)) ?? '';
  sendPage(res, 200, lang, `${name} · ${w['points.title']!}`, boardHtml(board, `${town}${name}`, lang));
  return true;
}

const fill = (s: string, vars: Record<string, string | number>) => s.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

/** The board's HTML: standings, recent awards and totals by rule. Labels are officials' text, scrubbed anyway. */
export function boardHtml(board: PublicPointsBoard, place: string, lang: Lang): string {
  const w = wordsFor(lang);
  const label = (s: string) => escape(scrubPublicText(s, null));
  const parts = [`<h1>${escape(place)} · ${escape(w['points.title']!)}</h1>`, `<p class="meta">${escape(w['points.publicIntro']!)}</p>`];
  if (board.households === 0) return [...parts, `<p class="note">${escape(w['points.none']!)}</p>`].join('');
  parts.push(`<h2>${escape(w['points.standings']!)}</h2><p class="meta">${escape(fill(w['points.households']!, { n: board.households }))}</p><dl>`);
  for (const s of board.standings) {
    parts.push(`<dt>${escape(fill(w['points.rank']!, { n: s.rank }))} · ${escape(w['points.household']!)} ${escape(s.household)}</dt><dd>${escape(fill(w['points.balance']!, { n: s.balance }))}</dd>`);
  }
  parts.push('</dl>');
  if (board.recent.length > 0) {
    parts.push(`<h2>${escape(w['points.recent']!)}</h2><dl>`);
    for (const r of board.recent) parts.push(`<dt>${escape(r.household)} · ${label(r.label)}</dt><dd>${escape(signed(r.points))} · ${escape(longDate(r.at, lang))}</dd>`);
    parts.push('</dl>');
  }
  if (board.byRule.length > 0) {
    parts.push(`<h2>${escape(w['points.byRule']!)}</h2><dl>`);
    for (const r of board.byRule) parts.push(`<dt>${label(r.label)}</dt><dd>${escape(fill(w['points.ruleCount']!, { count: r.count, points: signed(r.points) }))}</dd>`);
    parts.push('</dl>');
  }
  return parts.join('');
}

/**
 * `?period=week|month&at=YYYY-MM-DD[&county=NNNNNN]`: per village in scope, households
 * reached, awards, points given and deducted, exchanges, points exchanged and exchanges that
 * overdrew (judged on the whole ledger), in the period.
 */
async function report(deps: PointsDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { user } = await deps.authed(req);
  // Points belong to villages, never to a department.
  if (!REPORT_ROLES.includes(user.role) || user.role === 'dept_handler') throw new HttpError(403, 'forbidden', 'Village points are reported to towns, counties and cities');
  const params = searchParams(req);
  const period = periodFrom(params, Date.now());
  const { regions } = regionsParam(user, params);
  const rows = pointsReport(await deps.store.pointsRows(regions), period.from, period.to);
  const villages = Object.fromEntries(rows.map((r) => [r.village, shortVillageName(deps.places.get(r.village) ?? r.village)]));
  return [200, { period: { from: period.from, to: period.to, label: period.label }, rows, villages }];
}

