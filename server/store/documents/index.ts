import type { Contact } from '../../../src/core/appeal';
import { appealFromRow, meetingFromRow, patrolFromRow } from '../rows';
import type { Fragment, Sql } from '../sql';
import { pointsRows } from '../points';
import type { DocScope, DocumentStore } from './contract';

interface ContactRow {
  name: string | null;
  phone: string | null;
}

const contactFromRow = (r: ContactRow): Contact => ({ ...(r.name && { name: r.name }), ...(r.phone && { phone: r.phone }) });

/** Any runner: inside a push it sees the batch's own projections. Meetings and patrols belong to a village, never a department. */
export async function appealScope(sql: Sql, docId: string): Promise<DocScope | null> {
  const r = await sql.get<{ village: string; dept: string | null; created_by: string | null }>(
    'SELECT village, dept, created_by FROM appeals WHERE id = ? UNION ALL SELECT village, NULL, NULL FROM meetings WHERE id = ? UNION ALL SELECT village, NULL, NULL FROM patrols WHERE id = ? UNION ALL SELECT village, NULL, NULL FROM points_docs WHERE id = ?',
    [docId, docId, docId, docId],
  );
  // Who recorded it: a deputy reaches only their own posts (roles.ts).
  return r ? { villageCode: r.village, dept: r.dept, ...(r.created_by && { createdBy: r.created_by }) } : null;
}

export function documentStore(sql: Sql): DocumentStore {
  return {
    appealRows: async () => (await sql.all<Record<string, unknown>>('SELECT * FROM appeals ORDER BY id')).map(appealFromRow),
    meetingRows: async () => (await sql.all<Record<string, unknown>>('SELECT * FROM meetings ORDER BY held_on, id')).map(meetingFromRow),
    patrolRows: async () => (await sql.all<Record<string, unknown>>('SELECT * FROM patrols ORDER BY started_at, id')).map(patrolFromRow),
    pointsRows: (prefixes) => pointsRows(sql, prefixes),
    appealsById: async (ids) => {
      const list = sql.dialect.inList('id', ids);
      return (await sql.all<Record<string, unknown>>(`SELECT * FROM appeals WHERE ${list.sql}`, list.args)).map(appealFromRow);
    },
    appealByEvalCode: async (code) => {
      const r = await sql.get<Record<string, unknown>>('SELECT * FROM appeals WHERE eval_code = ? LIMIT 1', [code]);
      return r ? appealFromRow(r) : null;
    },
    appealScope: (docId) => appealScope(sql, docId),
    browseAppeals: async ({ prefixes, departments, statuses, urgency, before, limit }) => {
      if (prefixes.length === 0 || departments?.length === 0) return [];
      const where: Fragment[] = [sql.dialect.scope(prefixes, departments)];
      if (statuses) where.push(sql.dialect.inList('status', statuses));
      if (urgency) where.push({ sql: 'urgency = ?', args: [urgency] });
      if (before) where.push({ sql: '(updated_at < ? OR (updated_at = ? AND id < ?))', args: [before.updatedAt, before.updatedAt, before.id] });
      const rows = await sql.all<Record<string, unknown>>(
        `SELECT * FROM appeals WHERE ${where.map((w) => w.sql).join(' AND ')} ORDER BY updated_at DESC, id DESC LIMIT ?`,
        [...where.flatMap((w) => w.args), limit],
      );
      return rows.map(appealFromRow);
    },
    dueBy: async (instant) =>
      (await sql.all<{ id: string }>("SELECT id FROM appeals WHERE due_at IS NOT NULL AND due_at <= ? AND status NOT IN ('closed', 'merged') ORDER BY due_at", [instant])).map((r) => r.id),
    contact: async (appealId) => {
      const r = await sql.get<ContactRow>('SELECT name, phone FROM contacts WHERE appeal_id = ?', [appealId]);
      return r ? contactFromRow(r) : null;
    },
    contacts: async (appealIds) => {
      const list = sql.dialect.inList('appeal_id', appealIds);
      return new Map((await sql.all<ContactRow & { appeal_id: string }>(`SELECT appeal_id, name, phone FROM contacts WHERE ${list.sql}`, list.args)).map((r) => [r.appeal_id, contactFromRow(r)]));
    },
  };
}
