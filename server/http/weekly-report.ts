import type { IncomingMessage } from 'node:http';
import ExcelJS from 'exceljs';
import type { DeadlinePolicy } from '../../src/core/deadline';
import type { Scorecard } from '../../src/core/scorecard';
import type { UnitKind } from '../../src/core/units';
import type { Change, WeeklyReport } from '../../src/core/weekly-report';
import { en } from '../../src/i18n/en';
import { zhCN } from '../../src/i18n/zh-CN';
import { weeklyReportFor, scopeKey, type ReportScope } from '../services/weekly-report';
import type { Store, UserRecord } from '../store/types';
import { FileBody, HttpError, searchParams, type Route } from './plumbing';
import { dayFrom, departmentsOf, reader, regionsParam } from './reports';

// The weekly and monthly report (民情数据排名周报 / 周会商 / 月考评), src/core/weekly-report.ts:
//   GET /api/reports/weekly?period=week|month&at=YYYY-MM-DD[&county=NNNNNN][&format=xlsx&lang=zh-CN|en]
//   GET /api/reports/weekly/list[?county=NNNNNN]
// Read by the same roles and within the same scope as the other reports; a closed period's
// report is served as issued (server/services/weekly-report.ts).

interface WeeklyDeps {
  store: Store;
  policy: DeadlinePolicy;
  scorecard: Scorecard;
  authed: (req: IncomingMessage) => Promise<{ user: UserRecord }>;
}

/** How many past reports the list gives: two years of weeks and their months. */
const LIST_LIMIT = 130;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function createWeeklyReportRoutes(deps: WeeklyDeps): Record<string, Route> {
  return {
    'GET /api/reports/weekly': (req) => weekly(deps, req),
    'GET /api/reports/weekly/list': (req) => list(deps, req),
  };
}

function scopeOf(user: UserRecord, params: URLSearchParams): ReportScope {
  return { regions: regionsParam(user, params).regions, departments: departmentsOf(user) };
}

async function weekly(deps: WeeklyDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const user = await reader(deps, req);
  const params = searchParams(req);
  const kind = params.get('period') ?? 'week';
  if (kind !== 'week' && kind !== 'month') throw new HttpError(400, 'invalid_query', 'period must be week or month');
  const format = params.get('format') ?? 'json';
  if (format !== 'json' && format !== 'xlsx') throw new HttpError(400, 'invalid_query', 'format must be json or xlsx');
  const now = Date.now();
  const answer = await weeklyReportFor(deps.store, deps, scopeOf(user, params), kind, dayFrom(params, now), now);
  if (format === 'json') return [200, answer];
  const words: Record<string, string> = params.get('lang') === 'en' ? en : zhCN;
  const book = await workbook(deps.store, answer.report, (key) => words[key] ?? key, scopeOf(user, params).regions);
  return [200, new FileBody(Buffer.from(await book.xlsx.writeBuffer()), XLSX, `minsheng-${kind}-${answer.report.period.label}.xlsx`)];
}

async function list(deps: WeeklyDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const user = await reader(deps, req);
  const scope = scopeKey(scopeOf(user, searchParams(req)));
  return [200, { scope, reports: await deps.store.issuedReports(scope, LIST_LIMIT) }];
}

/** The report's tables as a workbook, one sheet per section: the file kept for download. */
async function workbook(store: Store, report: WeeklyReport, label: (key: string) => string, regions: string[]): Promise<ExcelJS.Workbook> {
  const names = new Map((await store.regionsUnder(regions.map((r) => r.slice(0, 6)))).map((r) => [r.code, r.name]));
  const place = (code: string) => names.get(code) ?? code;
  const unit = (by: UnitKind, key: string) => (by === 'dept' ? label(`dept.${key}`) : place(key));
  const pct = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 10);
  const book = new ExcelJS.Workbook();
  const sheet = (name: string, header: string[], rows: unknown[][]) => {
    const s = book.addWorksheet(name.slice(0, 31));
    s.addRow(header).font = { bold: true };
    for (const r of rows) s.addRow(r);
    s.views = [{ state: 'frozen', ySplit: 1 }];
  };
  const h = report.headline;
  const line = (key: string, c: Change, rate: boolean) => [label(key), rate ? pct(c.current) : c.current, rate ? pct(c.previous) : c.previous, rate ? pct(c.delta) : c.delta];
  sheet(label('weekly.headline'), [label('weekly.figure'), report.period.label, report.previous.label, label('weekly.change')], [
    line('reports.received', h.received, false),
    line('reports.answered', h.answered, false),
    line('reports.onTimeRate', h.onTimeRate, true),
    line('reports.satisfactionRate', h.satisfactionRate, true),
    line('reports.handlingDays', h.handlingDays, false),
    line('reports.repeatRate', h.repeatRate, true),
  ]);
  for (const r of report.rankings) {
    const mark = (u: string) => (r.red.includes(u) ? label('redblack.red') : r.black.includes(u) ? label('redblack.black') : '');
    sheet(`${label('weekly.ranking')} ${label(`weekly.by.${r.by}`)}`, ['#', label(`weekly.by.${r.by}`), label('reports.received'), label('reports.answered'), label('reports.onTimeRate'), label('weekly.fairOnTime'), label('reports.satisfactionRate'), label('reports.handlingDays'), label('redblack.score'), label('weekly.list')],
      r.units.map((u, i) => [i + 1, unit(r.by, u.unit), u.received, u.answered, pct(u.onTimeRate), pct(u.onTimeShrunk), pct(u.satisfactionRate), u.handlingDays === null ? null : Math.round(u.handlingDays * 100) / 100, u.score === null ? null : Math.round(u.score * 10) / 10, mark(u.unit)]));
  }
  const areaBy: UnitKind = report.rising.areaKind;
  sheet(label('weekly.rising'), [label('weekly.what'), label('weekly.current'), label('weekly.baseline')], [
    ...report.rising.byCategory.map((r) => [label(`category.${r.key}`), r.current, Math.round(r.baseline * 10) / 10]),
    ...report.rising.byArea.map((r) => [unit(areaBy, r.key), r.current, Math.round(r.baseline * 10) / 10]),
  ]);
  sheet(label('weekly.special'), [label('reports.village'), label('export.col.category'), label('weekly.times'), label('weekly.inPeriod')], report.special.groups.map((g) => [place(g.village), label(`category.${g.category}`), g.count, g.inPeriod]));
  return book;
}
