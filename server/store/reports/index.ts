import { OPEN_STATUSES } from '../../../src/core/fold';
import type { Tally, TallyFilter, TallyLevel } from '../../../src/core/geo';
import type { UnitTally } from '../../../src/core/metrics';
import { appealFromRow, rankFromRow, RANK_COLUMNS } from '../rows';
import type { TrendCount } from '../../../src/core/trends';
import type { WallRow } from '../../../src/core/wallboard';
import type { Fragment, Sql } from '../sql';
import type { RankGroup, ReportStore } from './contract';

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

/** What a ranking unit is made of (src/core/units.ts decides which unit a group counts for). */
const RANK_GROUP = `a.town, a.dept, CASE WHEN a.tier = 'city' THEN 1 ELSE 0 END AS city`;
const groupOf = (r: Record<string, unknown>): RankGroup => ({ town: r.town as string, dept: (r.dept as string | null) ?? null, city: Number(r.city) === 1 });

/** Counted aggregates as numbers (PostgreSQL's BIGINT and NUMERIC arrive as strings). */
function numbers(r: Record<string, unknown>, keys: readonly string[]): Record<string, number> {
  return Object.fromEntries(keys.map((k) => [k, Number(r[k] ?? 0)]));
}

/**
 * The rankings' tallies, as src/core/metrics.ts's `rowTally` defines them, added up by the
 * database: a city's month is hundreds of thousands of appeals, too many to read one by one.
 * Repeats and re-complaints are read from each appeal's gaps (problem-gaps.ts), judged
 * against every appeal; a department's, against its own appeals only (`other`), as `repeats`
 * and `recomplained` judge against the rows they are given.
 */
async function rankTallies(sql: Sql, scope: Fragment, other: Fragment | null, period: { from: number; to: number }, windowMs: number, fair: boolean) {
  const problem = `b.village = a.village AND b.category = a.category`;
  // A repeat and a re-complaint from the appeal's stored gaps; a department's reports count
  // only its own appeals as the earlier or later ones, and search them.
  const repeated: Fragment = other
    ? { sql: `EXISTS (SELECT 1 FROM appeals b WHERE ${problem} AND b.created_at >= a.created_at - ? AND b.created_at < a.created_at AND ${other.sql})`, args: [windowMs, ...other.args] }
    : { sql: 'a.repeat_gap <= ?', args: [windowMs] };
  const cameBack: Fragment = other
    ? {
        sql: `EXISTS (SELECT 1 FROM appeals b WHERE ${problem} AND b.created_at > a.replied_at AND b.created_at <= a.replied_at + ? AND b.id <> a.id AND ${other.sql})
          OR EXISTS (SELECT 1 FROM appeals b WHERE b.merged_into = a.id AND b.created_at > a.replied_at AND b.created_at <= a.replied_at + ? AND ${other.sql})`,
        args: [windowMs, ...other.args, windowMs, ...other.args],
      }
    : { sql: 'a.comeback_gap <= ? OR a.merge_gap <= ?', args: [windowMs, windowMs] };
  const received = await sql.all<Record<string, unknown>>(
    `SELECT ${RANK_GROUP}, count(*) AS received,
       count(*) FILTER (WHERE a.merged_into IS NOT NULL OR ${repeated.sql}) AS repeated,
       sum(a.returns) AS returns, sum(a.reassigns) AS reassigns, count(a.dispatch_minutes) AS dispatched, sum(a.dispatch_minutes) AS "dispatchMinutes",
       count(*) FILTER (WHERE a.received_at > 0) AS synced, sum(a.received_at - a.created_at) FILTER (WHERE a.received_at > a.created_at) AS "syncWaitMs"
     FROM appeals a WHERE a.created_at >= ? AND a.created_at < ? AND ${scope.sql} GROUP BY a.town, a.dept, city`,
    [...repeated.args, period.from, period.to, ...scope.args],
  );
  // Rows written before they kept their own handling minutes come as rows, for the calendar.
  const answered = await sql.all<Record<string, unknown>>(
    `SELECT ${RANK_GROUP}, count(*) AS answered, count(a.on_time) AS judged, count(*) FILTER (WHERE a.on_time = 1) AS "onTime",
       count(a.handling_minutes) AS timed, sum(a.handling_minutes) AS "handlingMinutes", ${fair ? 'sum(a.own_minutes)' : '0'} AS "ownMinutes",
       count(*) FILTER (WHERE a.reopen_count > 0 OR a.satisfaction IS NOT NULL) AS rated,
       count(*) FILTER (WHERE a.reopen_count = 0 AND a.satisfaction IS NOT NULL AND a.satisfaction <> 'unsatisfied') AS satisfied,
       count(*) FILTER (WHERE a.reopen_count > 0) AS reopened,
       count(*) FILTER (WHERE a.quality IS NOT NULL OR coalesce(a.redo_count, 0) > 0) AS reviewed,
       count(*) FILTER (WHERE a.quality = 'passed' AND coalesce(a.redo_count, 0) = 0) AS passed,
       ${fair ? `count(*) FILTER (WHERE ${cameBack.sql})` : '0'} AS recomplained
     FROM appeals a WHERE a.replied_at >= ? AND a.replied_at < ? AND ${scope.sql} GROUP BY a.town, a.dept, city`,
    [...(fair ? cameBack.args : []), period.from, period.to, ...scope.args],
  );
  const unkept = !fair ? [] : await sql.all<Record<string, unknown>>(
    `SELECT ${RANK_GROUP}, a.created_at, a.received_at, a.replied_at, a.handling_minutes FROM appeals a
     WHERE a.replied_at >= ? AND a.replied_at < ? AND a.handling_minutes IS NOT NULL AND a.own_minutes IS NULL AND ${scope.sql}`,
    [period.from, period.to, ...scope.args],
  );
  const RECEIVED: (keyof UnitTally)[] = ['received', 'repeated', 'returns', 'reassigns', 'dispatched', 'dispatchMinutes', 'synced', 'syncWaitMs'];
  const ANSWERED: (keyof UnitTally)[] = ['answered', 'judged', 'onTime', 'timed', 'handlingMinutes', 'ownMinutes', 'rated', 'satisfied', 'reopened', 'reviewed', 'passed', 'recomplained'];
  return {
    groups: [...received.map((r) => ({ ...groupOf(r), tally: numbers(r, RECEIVED) })), ...answered.map((r) => ({ ...groupOf(r), tally: numbers(r, ANSWERED) }))],
    unkept: unkept.map((r) => ({
      ...groupOf(r),
      createdAt: Number(r.created_at),
      receivedAt: Number(r.received_at),
      repliedAt: Number(r.replied_at),
      handlingMinutes: Number(r.handling_minutes),
    })),
  };
}

export function reportStore(sql: Sql): ReportStore {
  return {
    rankRows: async (prefixes, departments, since) => {
      const scope = scoped(sql, prefixes, departments);
      if (!scope) return [];
      return (await sql.all<Record<string, unknown>>(`SELECT ${RANK_COLUMNS} FROM appeals WHERE (created_at >= ? OR replied_at >= ?) AND ${scope.sql}`, [since, since, ...scope.args])).map(rankFromRow);
    },
    rankTallies: async (prefixes, departments, period, windowMs, fair) => {
      if (!scoped(sql, prefixes, departments)) return { groups: [], unkept: [] };
      const other = departments ? sql.dialect.scope(prefixes, departments, 'b.') : null;
      return rankTallies(sql, sql.dialect.scope(prefixes, departments, 'a.'), other, period, windowMs, fair);
    },
    ownMinutesToFill: async (after, limit) =>
      (
        await sql.all<Record<string, unknown>>(
          'SELECT id, village, created_at, received_at, replied_at, handling_minutes FROM appeals WHERE id > ? AND handling_minutes IS NOT NULL AND own_minutes IS NULL ORDER BY id LIMIT ?',
          [after, limit],
        )
      ).map((r) => ({
        id: r.id as string,
        village: r.village as string,
        createdAt: Number(r.created_at),
        receivedAt: r.received_at === null ? null : Number(r.received_at),
        repliedAt: r.replied_at === null ? null : Number(r.replied_at),
        handlingMinutes: Number(r.handling_minutes),
      })),
    fillOwnMinutes: async (values) => {
      if (values.length === 0) return;
      // VALUES names its columns column1, column2 in both databases.
      await sql.run(
        `UPDATE appeals SET own_minutes = CAST(v.column2 AS DOUBLE PRECISION) FROM (VALUES ${values.map(() => '(?, ?)').join(', ')}) AS v
         WHERE appeals.id = v.column1 AND appeals.own_minutes IS NULL`,
        values.flat(),
      );
    },
    trendCounts: async (prefixes, departments, from, to, weekMs) => {
      const scope = scoped(sql, prefixes, departments);
      if (!scope) return [];
      // Counted by the database: a city's twelve weeks are a million appeals, too many to read.
      const rows = await sql.all<{ week: number | string; category: string; town: string; n: number | string }>(
        `SELECT CAST((created_at - ?) / ? AS INTEGER) AS week, category, town, count(*) AS n FROM appeals
         WHERE created_at >= ? AND created_at < ? AND ${scope.sql} GROUP BY week, category, town`,
        [from, weekMs, from, to, ...scope.args],
      );
      // The cast: SQLite binds the numbers as reals, and would group by fractions of a week.
      // PostgreSQL's BIGINT arrives as a string.
      return rows.map((r): TrendCount => ({ week: Number(r.week), category: r.category, town: r.town, n: Number(r.n) }));
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
