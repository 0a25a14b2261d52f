import { OPEN_STATUSES } from '../../../src/core/fold';
import type { Tally, TallyFilter, TallyLevel } from '../../../src/core/geo';
import { appealFromRow, rankFromRow, RANK_COLUMNS } from '../rows';
import type { WallRow } from '../../../src/core/wallboard';
import type { Fragment, Sql } from '../sql';
import type { ReportStore } from './contract';

const OPEN = `status IN (${OPEN_STATUSES.map((st) => `'${st}'`).join(', ')})`;

/** What the map's counts group by: a county is its villages' first six digits, padded back to a 12-digit code. */
const TALLY_CODE: Record<TallyLevel, string> = { county: "substr(village, 1, 6) || '000000'", town: 'town', village: 'village' };

/** The map's filters as SQL (the category is a class code, checked by the caller: no wildcards reach LIKE). */
function filtered(f: TallyFilter = {}): Fragment {
  const parts: [string, unknown][] = [];
  if (f.category) parts.push(['category LIKE ?', `${f.category}.%`]);
  if (f.urgency) parts.push(['urgency = ?', f.urgency]);
  if (f.from !== undefined) parts.push(['created_at >= ?', f.from]);
  if (f.to !== undefined) parts.push(['created_at < ?', f.to]);
  return { sql: parts.map(([p]) => ` AND ${p}`).join(''), args: parts.map(([, a]) => a) };
}

/** The reader's scope as a filter, or null when it covers nothing. */
function scoped(sql: Sql, prefixes: string[], departments: string[] | undefined): Fragment | null {
  return prefixes.length === 0 || departments?.length === 0 ? null : sql.dialect.scope(prefixes, departments);
}

export function reportStore(sql: Sql): ReportStore {
  return {
    rankRows: async (prefixes, departments, since) => {
      const scope = scoped(sql, prefixes, departments);
      if (!scope) return [];
      return (await sql.all<Record<string, unknown>>(`SELECT ${RANK_COLUMNS} FROM appeals WHERE (created_at >= ? OR replied_at >= ?) AND ${scope.sql}`, [since, since, ...scope.args])).map(rankFromRow);
    },
    exportRows: async (prefixes, departments, from, to) => {
      const scope = scoped(sql, prefixes, departments);
      if (!scope) return [];
      return (await sql.all<Record<string, unknown>>(`SELECT * FROM appeals WHERE created_at >= ? AND created_at < ? AND ${scope.sql} ORDER BY created_at, id`, [from, to, ...scope.args])).map(appealFromRow);
    },
    mapTally: async (level, prefixes, departments, now, filter) => {
      const scope = scoped(sql, prefixes, departments);
      if (!scope) return [];
      const only = filtered(filter);
      const rows = await sql.all<{ code: string } & Tally>(
        `SELECT ${TALLY_CODE[level]} AS code, count(*) AS total, count(*) FILTER (WHERE ${OPEN}) AS open,
           count(*) FILTER (WHERE ${OPEN} AND due_at IS NOT NULL AND due_at < ?) AS overdue,
           count(*) FILTER (WHERE ${OPEN} AND urgency = 'red') AS red, count(*) FILTER (WHERE ${OPEN} AND urgency = 'orange') AS orange,
           count(*) FILTER (WHERE ${OPEN} AND urgency = 'yellow') AS yellow
         FROM appeals WHERE ${scope.sql}${only.sql} GROUP BY code ORDER BY code`,
        [now, ...scope.args, ...only.args],
      );
      return rows;
    },
    wallRows: async (prefixes, since) => {
      const scope = scoped(sql, prefixes, undefined);
      if (!scope) return [];
      const rows = await sql.all<Record<string, unknown>>(
        `SELECT id, status, tier, village, town, dept, channel, urgency, created_at, due_at, supervision_level FROM appeals WHERE (${OPEN} OR created_at >= ?) AND ${scope.sql}`,
        [since, ...scope.args],
      );
      return rows.map(wallFromRow);
    },
  };
}

function wallFromRow(r: Record<string, unknown>): WallRow {
  return {
    id: r.id as string,
    status: r.status as WallRow['status'],
    tier: r.tier as WallRow['tier'],
    village: r.village as string,
    town: r.town as string,
    dept: (r.dept as string | null) ?? null,
    channel: r.channel as WallRow['channel'],
    urgency: r.urgency as WallRow['urgency'],
    // PostgreSQL's BIGINT arrives as a string.
    createdAt: Number(r.created_at),
    dueAt: r.due_at === null || r.due_at === undefined ? null : Number(r.due_at),
    supervisionLevel: Number(r.supervision_level ?? 0),
  };
}
