import type { LedgerEntry, PointsProjection, RuleSet } from '../../../src/core/points';
import type { Sql } from '../sql';

// Village points documents (src/core/points.ts): one row per sheet or rules document, kept
// by every push that changes it. The row carries the document's entries (or rule sets) as
// JSON, bounded by the document's own limits, so the board and the reports fold rows
// without opening a CRDT. Households are numbers only: nothing here names a person.

export const POINTS_COLUMNS = ['id', 'village', 'town', 'kind', 'created_by', 'by_name', 'created_at', 'meeting_id', 'body', 'received_at', 'last_seq'] as const;
/** What a later push may change: only the body grows. */
export const POINTS_UPDATED = 'body = excluded.body';

export function pointsValues(p: PointsProjection, lastSeq: number, receivedAt: number): unknown[] {
  const body = JSON.stringify(p.kind === 'rules' ? p.ruleSets : p.entries);
  return [p.id, p.village, p.town, p.kind, p.createdBy, p.by, p.createdAt, p.meetingId, body, receivedAt, lastSeq];
}

export function pointsFromRow(r: Record<string, unknown>): PointsProjection {
  const kind = r.kind === 'rules' ? 'rules' : 'sheet';
  const body = JSON.parse(String(r.body ?? '[]')) as unknown[];
  return {
    id: String(r.id),
    kind,
    village: String(r.village),
    town: String(r.town),
    createdBy: String(r.created_by),
    by: String(r.by_name ?? ''),
    createdAt: Number(r.created_at),
    meetingId: r.meeting_id === null || r.meeting_id === undefined ? null : String(r.meeting_id),
    entries: kind === 'sheet' ? (body as LedgerEntry[]) : [],
    ruleSets: kind === 'rules' ? (body as RuleSet[]) : [],
  };
}

/** The points documents of villages under any of `prefixes` (region-code prefixes). */
export async function pointsRows(sql: Sql, prefixes: readonly string[]): Promise<PointsProjection[]> {
  if (prefixes.length === 0) return [];
  const scope = sql.dialect.scope(prefixes, undefined);
  const rows = await sql.all<Record<string, unknown>>(`SELECT * FROM points_docs WHERE ${scope.sql} ORDER BY created_at, id`, scope.args);
  return rows.map(pointsFromRow);
}
