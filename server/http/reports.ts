import type { IncomingMessage } from 'node:http';
import type { DeadlinePolicy } from '../../src/core/deadline';
import ExcelJS from 'exceljs';
import { fairFromTallies, PRIOR_STRENGTH } from '../../src/core/fair-ranking';
import { isOpen } from '../../src/core/fold';
import { CONTACT_COLUMNS, contactCells, csvLines, EXPORT_COLUMNS, geoJson } from '../../src/core/export';
import { metricsOf, monthOf, weekOf, type Period } from '../../src/core/metrics';
import { mayViewContact } from '../../src/core/privacy';
import type { AppealProjection } from '../../src/core/projection';
import { findRepeats } from '../../src/core/repeats';
import { countyOf, townOf } from '../../src/core/regions';
import { REPORT_ROLES } from '../../src/core/roles';
import { mediationTallies } from '../../src/core/mediation';
import { delayByUnit, WAITED_MS } from '../../src/core/sync-delay';
import { rosterFor } from '../services/mediators';
import { unitTallies } from '../services/rank-tallies';
import { redBlack, type Scorecard } from '../../src/core/scorecard';
import { DEFAULT_TREND_RULE, trendReport, trendWeeks, WEEK } from '../../src/core/trends';
import { reportLevel, reportRegions, unitKindsAt, unitOf, type ReportLevel, type UnitKind, type UnitRow } from '../../src/core/units';
import { en } from '../../src/i18n/en';
import { zhCN } from '../../src/i18n/zh-CN';
import type { Store, UserRecord } from '../store/types';
import { clientIp } from '../net/address';
import { FileBody, HttpError, searchParams, type Route } from './plumbing';

// Governance reports, computed on the server from the relational projection over the
// user's whole scope (a device holds only part of it).

const DAY = 86_400_000;

interface ReportDeps {
  store: Store;
  policy: DeadlinePolicy;
  scorecard: Scorecard;
  authed: (req: IncomingMessage) => Promise<{ user: UserRecord }>;
}

/** `at=YYYY-MM-DD` (China time) as the instant of its noon; now when absent. */
export function dayFrom(params: URLSearchParams, now: number): number {
  const at = params.get('at');
  if (at === null) return now;
  const instant = Date.parse(`${at}T12:00:00+08:00`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(at) || Number.isNaN(instant)) throw new HttpError(400, 'invalid_query', 'at must be a date, YYYY-MM-DD');
  return instant;
}

/** `period=week|month` and `at=YYYY-MM-DD` (a day in it, China time; default today). */
export function periodFrom(params: URLSearchParams, now: number): Period {
  const kind = params.get('period') ?? 'week';
  if (kind !== 'week' && kind !== 'month') throw new HttpError(400, 'invalid_query', 'period must be week or month');
  const instant = dayFrom(params, now);
  return kind === 'week' ? weekOf(instant) : monthOf(instant);
}

/** The period before `p`, of the same kind. */
function previous(p: Period): Period {
  return p.label.length === 7 ? monthOf(p.from - 1) : weekOf(p.from - 1);
}

/** A whole number in [min, max] from the query, or `fallback` when absent. */
function intParam(params: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, 'invalid_query', `${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/**
 * `county=NNNNNN`: the one county of a city's scope a report looks into (absent: the whole
 * scope). The report's level follows: a city's units, or a county's (src/core/units.ts).
 */
export function regionsParam(user: UserRecord, params: URLSearchParams): { regions: string[]; level: ReportLevel } {
  const regions = reportRegions(user.scope.regions, params.get('county'));
  if (!regions) throw new HttpError(403, 'forbidden', 'county must be a county (6 digits) within your scope');
  return { regions, level: reportLevel(regions) };
}

/** `by=county|town|dept`, the kinds the level ranks (a county's towns first, a city's counties). */
function unitParam(params: URLSearchParams, level: ReportLevel): { by: UnitKind; unitOf: (r: UnitRow) => string | null } {
  const kinds = unitKindsAt(level);
  const by = (params.get('by') ?? kinds[0]!) as UnitKind;
  if (!kinds.includes(by)) throw new HttpError(400, 'invalid_query', `by must be ${kinds.join(', ')} for a ${level}`);
  return { by, unitOf: unitOf(by, level) };
}

const FORMATS = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  geojson: 'application/geo+json',
} as const;

export function createReportRoutes(deps: ReportDeps): Record<string, Route> {
  return {
    'GET /api/reports/export': (req) => exportReport(deps, req),
    'GET /api/reports/ranking': (req) => ranking(deps, req),
    'GET /api/reports/redblack': (req) => redBlackLists(deps, req),
    'GET /api/reports/trends': (req) => trends(deps, req),
    'GET /api/reports/special': (req) => specialGovernance(deps, req),
    'GET /api/reports/mediation': (req) => mediation(deps, req),
    'GET /api/reports/delay': (req) => syncDelay(deps, req),
  };
}

/**
 * `?period=week|month&at=YYYY-MM-DD[&county=NNNNNN]`: mediations (调解) of the appeals in scope
 * recorded in the period, per mediator (named from the roster) and per town: sent, settled,
 * not settled, still open, sessions, and the settle rate of those that ended.
 */
async function mediation(deps: ReportDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const user = await reader(deps, req);
  const params = searchParams(req);
  const period = periodFrom(params, Date.now());
  const { regions } = regionsParam(user, params);
  const rows = await deps.store.exportRows(regions, departmentsOf(user), period.from, period.to);
  const roster = await rosterFor(deps.store, { regions, departments: [] });
  const names = Object.fromEntries(roster.map((m) => [m.id, { name: m.name, grade: m.grade }]));
  return [200, { period: { from: period.from, to: period.to, label: period.label }, byMediator: mediationTallies(rows, 'mediator'), byTown: mediationTallies(rows, 'town'), mediators: names }];
}

/**
 * `?by=town|village&period=week|month&at=YYYY-MM-DD[&county=NNNNNN]`: the time appeals recorded
 * in the period waited on a phone before the server had them, per town or village (how many
 * waited, the median and longest wait), beside the handling time counted from capture
 * (src/core/sync-delay.ts).
 */
async function syncDelay(deps: ReportDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const user = await reader(deps, req);
  const params = searchParams(req);
  const by = params.get('by') ?? 'town';
  if (by !== 'town' && by !== 'village') throw new HttpError(400, 'invalid_query', 'by must be town or village');
  const period = periodFrom(params, Date.now());
  const { regions, level } = regionsParam(user, params);
  const rows = await deps.store.rankRows(regions, departmentsOf(user), period.from);
  const units = delayByUnit(rows, by === 'town' ? (r) => r.town : (r) => r.village, period, deps.policy.hours);
  return [200, { by, level, period, waitedMinutes: WAITED_MS / 60_000, units }];
}

/** The signed-in user, when their role may read reports. */
export async function reader({ authed }: ReportDeps, req: IncomingMessage): Promise<UserRecord> {
  const { user } = await authed(req);
  if (!REPORT_ROLES.includes(user.role)) throw new HttpError(403, 'forbidden', 'Reports are for town, department, county and city staff');
  return user;
}

/** A department handler's reports cover their own departments only. */
export const departmentsOf = (user: UserRecord) => (user.role === 'dept_handler' ? user.scope.departments : undefined);

/**
 * `?format=csv|xlsx|geojson&period=week|month&at=YYYY-MM-DD&lang=zh-CN|en[&contacts=1][&county=NNNNNN]`:
 * the appeals in the user's scope (or the one county of it asked for) recorded in the period, in words. With `contacts=1` the
 * citizen's name and phone are added: in full where the user may see them (audited), masked elsewhere.
 */
async function exportReport(deps: ReportDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { store } = deps;
  const user = await reader(deps, req);
  const params = searchParams(req);
  const format = params.get('format') ?? 'csv';
  if (!(format in FORMATS)) throw new HttpError(400, 'invalid_query', 'format must be csv, xlsx or geojson');
  const withContacts = params.get('contacts') === '1';
  const period = periodFrom(params, Date.now());
  const words: Record<string, string> = params.get('lang') === 'en' ? en : zhCN;
  const label = (key: string) => words[key] ?? key;
  const { regions } = regionsParam(user, params);
  // Names down from each region's county (a town official's export names its county too).
  const names = new Map((await store.regionsUnder(regions.map((r) => r.slice(0, 6)))).map((r) => [r.code, r.name]));
  const place = (code: string) => names.get(code) ?? code;
  const appeals = await store.exportRows(regions, departmentsOf(user), period.from, period.to);

  const columns = [...EXPORT_COLUMNS.map((c) => c.key), ...(withContacts ? CONTACT_COLUMNS : [])];
  const contacts = withContacts ? await store.contacts(appeals.filter((a) => !a.anonymous).map((a) => a.id)) : new Map();
  let shownInFull = 0;
  const cellsOf = (a: AppealProjection) => {
    const cells = EXPORT_COLUMNS.map((c) => c.value(a, label, place));
    if (!withContacts) return cells;
    const full = mayViewContact(user, { villageCode: a.village, dept: a.dept, anonymous: a.anonymous });
    if (full && contacts.has(a.id)) shownInFull++;
    return [...cells, ...contactCells(contacts.get(a.id), full)];
  };
  const table = appeals.map(cellsOf);
  if (shownInFull > 0) await store.insertAudit({ at: Date.now(), actor: user.id, action: 'contacts_exported', target: period.label, ip: clientIp(req), detail: { format, appeals: shownInFull } });

  const header = columns.map((key) => label(`export.col.${key}`));
  const name = `minsheng-${params.has('county') ? `${regions[0]}-` : ''}${period.label}.${format}`;
  if (format === 'csv') return [200, new FileBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csvLines([header, ...table]))]), FORMATS.csv, name)];
  if (format === 'geojson') {
    const rowOf = new Map(appeals.map((a, i) => [a.id, table[i]!]));
    const properties = (a: AppealProjection) => Object.fromEntries(columns.map((key, i) => [key, rowOf.get(a.id)![i]!]).filter(([key]) => key !== 'lat' && key !== 'lng'));
    return [200, new FileBody(Buffer.from(JSON.stringify(geoJson(appeals, properties))), FORMATS.geojson, name)];
  }
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet(period.label);
  sheet.addRow(header).font = { bold: true };
  for (const row of table) sheet.addRow(row);
  sheet.views = [{ state: 'frozen', ySplit: 1 }];
  return [200, new FileBody(Buffer.from(await book.xlsx.writeBuffer()), FORMATS.xlsx, name)];
}

/**
 * `?by=county|town|dept&period=week|month&at=YYYY-MM-DD[&county=NNNNNN]`: the ranking figures
 * per unit, with the bounce-back ledger (returns, reassignments, dispatch minutes) and the fair
 * figures (src/core/fair-ranking.ts: shrunk rates with their intervals, sync wait apart,
 * re-complaints), best first by the shrunk on-time rate.
 */
async function ranking(deps: ReportDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { store, policy } = deps;
  const user = await reader(deps, req);
  const params = searchParams(req);
  const { regions, level } = regionsParam(user, params);
  const { by, unitOf } = unitParam(params, level);
  const period = periodFrom(params, Date.now());
  const units = fairFromTallies(await unitTallies(store, regions, departmentsOf(user), unitOf, period, policy), policy.hours);
  return [200, { by, level, period, priorStrength: PRIOR_STRENGTH, units }];
}

/**
 * `?by=county|town|dept&period=week|month&at=YYYY-MM-DD&history=1..26[&county=NNNNNN]`: the red and black lists of
 * the period and of the `history − 1` periods before it (newest first), with each unit's
 * scores and the scorecard they were computed by.
 */
async function redBlackLists(deps: ReportDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { store, policy, scorecard } = deps;
  const user = await reader(deps, req);
  const params = searchParams(req);
  const { regions, level } = regionsParam(user, params);
  const { by, unitOf } = unitParam(params, level);
  const count = intParam(params, 'history', 1, 26, 6);
  const periods = [periodFrom(params, Date.now())];
  while (periods.length < count) periods.push(previous(periods[periods.length - 1]!));
  const lists = [];
  for (const period of periods) {
    const tallies = await unitTallies(store, regions, departmentsOf(user), unitOf, period, policy, false);
    lists.push({ period, ...redBlack([...tallies].map(([unit, t]) => metricsOf(unit, t, policy.hours)), scorecard) });
  }
  return [200, { by, level, scorecard, periods: lists }];
}

/**
 * `?at=YYYY-MM-DD&weeks=5..52[&county=NNNNNN]`: weekly counts by category, by town and (for a
 * city) by county over the complete weeks up to `at`, what is rising, and next week's forecast
 * per area with its back-tested error.
 */
async function trends(deps: ReportDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const user = await reader(deps, req);
  const params = searchParams(req);
  const { regions, level } = regionsParam(user, params);
  const now = Date.now();
  const at = dayFrom(params, now);
  const count = intParam(params, 'weeks', DEFAULT_TREND_RULE.baseline + 1, 52, 12);
  const span = trendWeeks(at, now, count);
  const { weeks, next } = span;
  const counts = await deps.store.trendCounts(regions, departmentsOf(user), weeks[0]!.from, next.to, WEEK);
  return [200, { rule: DEFAULT_TREND_RULE, level, weeks, next, ...trendReport(counts, span, DEFAULT_TREND_RULE, level === 'city') }];
}

/**
 * Special governance (专项治理) over the whole scope: each problem raised `threshold` or more
 * times within the repeat window, with its appeals, their status and who owns them.
 */
async function specialGovernance(deps: ReportDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { store, policy } = deps;
  const user = await reader(deps, req);
  const { regions, level } = regionsParam(user, searchParams(req));
  const now = Date.now();
  const since = now - policy.repeat.windowDays * DAY;
  // Grouping needs only the ranking columns; whole rows are read for the grouped appeals alone.
  const candidates = (await store.rankRows(regions, departmentsOf(user), since)).filter((r) => r.createdAt >= since);
  const found = findRepeats(candidates, policy.repeat, now);
  const byId = new Map((await store.appealsById(found.flatMap((g) => g.appealIds))).map((a) => [a.id, a]));
  const groups = found.map((g) => ({
    ...g,
    county: countyOf(g.village),
    town: townOf(g.village),
    open: g.appealIds.filter((id) => isOpen(byId.get(id)!.status)).length,
    appeals: g.appealIds.map((id) => {
      const a = byId.get(id)!;
      return { id, title: a.title, status: a.status, tier: a.tier, dept: a.dept, createdAt: a.createdAt, dueAt: a.dueAt, supervisionLevel: a.supervisionLevel };
    }),
  }));
  return [200, { rule: policy.repeat, level, groups }];
}
