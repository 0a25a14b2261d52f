import type { IncomingMessage } from 'node:http';
import type { DeadlinePolicy } from '../../src/core/deadline';
import ExcelJS from 'exceljs';
import { csvLines, EXPORT_COLUMNS, geoJson } from '../../src/core/export';
import { monthOf, rankUnits, weekOf, type Period } from '../../src/core/metrics';
import { en } from '../../src/i18n/en';
import { zhCN } from '../../src/i18n/zh-CN';
import { REPORT_ROLES } from '../../src/core/roles';
import type { Store, UserRecord } from '../store/types';
import { FileBody, HttpError, type Route } from './api';

// Governance reports, computed on the server from the relational projection over the
// user's whole scope (a device holds only part of it).

const DAY = 86_400_000;

interface ReportDeps {
  store: Store;
  policy: DeadlinePolicy;
  authed: (req: IncomingMessage) => Promise<{ user: UserRecord }>;
}

/** `period=week|month` and `at=YYYY-MM-DD` (a day in it, China time; default today). */
export function periodFrom(params: URLSearchParams, now: number): Period {
  const kind = params.get('period') ?? 'week';
  if (kind !== 'week' && kind !== 'month') throw new HttpError(400, 'invalid_query', 'period must be week or month');
  const at = params.get('at');
  let instant = now;
  if (at !== null) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(at) || Number.isNaN(Date.parse(`${at}T12:00:00+08:00`))) throw new HttpError(400, 'invalid_query', 'at must be a date, YYYY-MM-DD');
    instant = Date.parse(`${at}T12:00:00+08:00`);
  }
  return kind === 'week' ? weekOf(instant) : monthOf(instant);
}

const FORMATS = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  geojson: 'application/geo+json',
} as const;

export function createReportRoutes({ store, policy, authed }: ReportDeps): Record<string, Route> {
  const reader = async (req: IncomingMessage): Promise<UserRecord> => {
    const { user } = await authed(req);
    if (!REPORT_ROLES.includes(user.role)) throw new HttpError(403, 'forbidden', 'Reports are for town, department and county staff');
    return user;
  };
  return {
    /**
     * `?format=csv|xlsx|geojson&period=week|month&at=YYYY-MM-DD&lang=zh-CN|en`: the appeals in
     * the user's scope recorded in the period, in words, without any citizen's name or phone.
     */
    'GET /api/reports/export': async (req) => {
      const user = await reader(req);
      const params = new URL(req.url ?? '/', 'http://local').searchParams;
      const format = params.get('format') ?? 'csv';
      if (!(format in FORMATS)) throw new HttpError(400, 'invalid_query', 'format must be csv, xlsx or geojson');
      const period = periodFrom(params, Date.now());
      const words: Record<string, string> = params.get('lang') === 'en' ? en : zhCN;
      const label = (key: string) => words[key] ?? key;
      const names = new Map((await store.regionsUnder(user.scope.regions.map((r) => r.slice(0, 6)))).map((r) => [r.code, r.name]));
      const place = (code: string) => names.get(code) ?? code;
      const appeals = await store.exportRows(user.scope.regions, user.role === 'dept_handler' ? user.scope.departments : undefined, period.from, period.to);
      const header = EXPORT_COLUMNS.map((c) => label(`export.col.${c.key}`));
      const table = appeals.map((a) => EXPORT_COLUMNS.map((c) => c.value(a, label, place)));
      const name = `minsheng-${period.label}.${format}`;
      if (format === 'csv') return [200, new FileBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csvLines([header, ...table]))]), FORMATS.csv, name)];
      if (format === 'geojson') {
        const properties = (a: (typeof appeals)[number]) => Object.fromEntries(EXPORT_COLUMNS.filter((c) => c.key !== 'lat' && c.key !== 'lng').map((c) => [c.key, c.value(a, label, place)]));
        return [200, new FileBody(Buffer.from(JSON.stringify(geoJson(appeals, properties))), FORMATS.geojson, name)];
      }
      const book = new ExcelJS.Workbook();
      const sheet = book.addWorksheet(period.label);
      sheet.addRow(header).font = { bold: true };
      for (const row of table) sheet.addRow(row);
      sheet.views = [{ state: 'frozen', ySplit: 1 }];
      return [200, new FileBody(Buffer.from(await book.xlsx.writeBuffer()), FORMATS.xlsx, name)];
    },
    /** `?by=town|dept&period=week|month&at=YYYY-MM-DD`: the ranking figures per town or department. */
    'GET /api/reports/ranking': async (req) => {
      const user = await reader(req);
      const params = new URL(req.url ?? '/', 'http://local').searchParams;
      const by = params.get('by') ?? 'town';
      if (by !== 'town' && by !== 'dept') throw new HttpError(400, 'invalid_query', 'by must be town or dept');
      const period = periodFrom(params, Date.now());
      // Earlier appeals count too: a repeat is judged against the repeat window before it.
      const rows = await store.rankRows(user.scope.regions, user.role === 'dept_handler' ? user.scope.departments : undefined, period.from - policy.repeat.windowDays * DAY);
      const units = rankUnits(rows, by === 'town' ? (r) => r.town : (r) => r.dept, period, policy.hours, policy.repeat.windowDays);
      return [200, { by, period, units: units.sort((a, b) => b.received - a.received || (a.unit < b.unit ? -1 : 1)) }];
    },
  };
}
