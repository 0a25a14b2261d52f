import { OPEN_STATUSES } from '../../../src/core/fold';
import type { Tally } from '../../../src/core/geo';
import { appealFromRow, rankFromRow, RANK_COLUMNS } from '../rows';
import type { Fragment, Sql } from '../sql';
import type { ReportStore } from './contract';

const OPEN = `status IN (${OPEN_STATUSES.map((st) => `'${st}'`).join(', ')})`;

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
    mapTally: async (level, prefixes, departments, now) => {
      const scope = scoped(sql, prefixes, departments);
      if (!scope) return [];
      const rows = await sql.all<{ code: string } & Tally>(
        `SELECT ${level === 'town' ? 'town' : 'village'} AS code, count(*) AS total, count(*) FILTER (WHERE ${OPEN}) AS open,
           count(*) FILTER (WHERE ${OPEN} AND due_at IS NOT NULL AND due_at < ?) AS overdue,
           count(*) FILTER (WHERE ${OPEN} AND urgency = 'red') AS red, count(*) FILTER (WHERE ${OPEN} AND urgency = 'orange') AS orange,
           count(*) FILTER (WHERE ${OPEN} AND urgency = 'yellow') AS yellow
         FROM appeals WHERE ${scope.sql} GROUP BY code ORDER BY code`,
        [now, ...scope.args],
      );
      return rows;
    },
  };
}
