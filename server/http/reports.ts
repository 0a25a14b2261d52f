import type { IncomingMessage } from 'node:http';
import type { DeadlinePolicy } from '../../src/core/deadline';
import { monthOf, rankUnits, weekOf, type Period } from '../../src/core/metrics';
import { REPORT_ROLES } from '../../src/core/roles';
import type { Store, UserRecord } from '../store/types';
import { HttpError, type Route } from './api';

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

export function createReportRoutes({ store, policy, authed }: ReportDeps): Record<string, Route> {
  return {
    /** `?by=town|dept&period=week|month&at=YYYY-MM-DD`: the ranking figures per town or department. */
    'GET /api/reports/ranking': async (req) => {
      const { user } = await authed(req);
      if (!REPORT_ROLES.includes(user.role)) throw new HttpError(403, 'forbidden', 'Rankings are for town, department and county staff');
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
