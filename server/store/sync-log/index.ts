import type { HoldingBounds } from '../../../src/core/holdings';
import { townOf } from '../../../src/core/regions';
import { bytesOf, HOLDING_COLUMNS, HOLDING_NULLS, holdingFromRow } from '../rows';
import type { Fragment, Sql } from '../sql';
import type { SyncLog } from './contract';

// The parts of the sync log both dialects share; each adds its push transaction and head.

/** A document's snapshot (ordered first) and the update rows after it, in one round trip. Any runner. */
export async function docParts(sql: Sql, docId: string): Promise<Uint8Array[]> {
  const rows = await sql.all<{ bytes: Buffer }>(
    'SELECT bytes FROM (SELECT state AS bytes, -1 AS seq FROM snapshots WHERE doc_id = ? UNION ALL SELECT bytes, seq FROM updates WHERE doc_id = ?) p ORDER BY seq',
    [docId, docId],
  );
  return rows.map((r) => bytesOf(r.bytes));
}

/** `holdsAt` (src/core/holdings.ts) as a WHERE clause: it narrows, the core rule decides. */
function holdingFilter(sql: Sql, b: HoldingBounds): Fragment {
  const open = sql.dialect.inList('status', b.openStatuses);
  const reached = sql.dialect.inList('reached', b.reachedAny);
  const touched = b.touchesAll ? { sql: '1 = 1', args: [] } : { sql: `(${reached.sql} OR supervision_level >= ? OR unreasonable IS NOT NULL)`, args: [...reached.args, b.supervisedFrom] };
  return {
    sql: `${touched.sql} AND ((${open.sql} AND (tier = ? OR supervision_level >= ? OR unreasonable = 'requested')) OR changed_at >= ?)`,
    args: [...touched.args, ...open.args, b.tier, b.supervisedFrom, b.recentSince],
  };
}

/**
 * A catch-up's scope on appeals in a form an index seeks, so that its cost follows the scope,
 * not the store: a town desk's (9-digit prefixes) as the town column, read in sequence order
 * off appeals(town, last_seq); a grid worker's (12 digits) as a range of village codes, which
 * holds exactly the codes starting with the prefix. Any other scope is the dialect's, which
 * walks the sequence and filters: a county's or a city's appeals are a large part of it anyway.
 */
export function seekableScope(sql: Sql, prefixes: readonly string[], departments: readonly string[] | undefined): Fragment {
  let terms: Fragment[];
  if (prefixes.every((p) => /^\d{9}$/.test(p))) terms = prefixes.map((p) => ({ sql: 'town = ?', args: [townOf(p)] }));
  else if (prefixes.every((p) => /^\d{12}$/.test(p))) terms = prefixes.map((p) => ({ sql: '(village >= ? AND village < ?)', args: [p, p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1)] }));
  else return sql.dialect.scope(prefixes, departments);
  const depts = departments ? sql.dialect.inList('dept', departments) : null;
  return {
    sql: `(${terms.map((t) => t.sql).join(' OR ')})${depts ? ` AND ${depts.sql}` : ''}`,
    args: [...terms.flatMap((t) => t.args), ...(depts?.args ?? [])],
  };
}

export const NEXT_CLIENT_SEQ = 'SELECT coalesce(max(client_seq), 0) + 1 AS n FROM receipts WHERE device_id = ?';

export type SharedSyncLog = Omit<SyncLog, 'inPushTx' | 'head' | 'subscribeCommits' | 'commitsBySeq'>;

export interface SharedHooks {
  /** Where pushes run side by side (PostgreSQL): makes `tx` wait for, then exclude, the document's pushes. */
  lockDoc?(tx: Sql, docId: string): Promise<void>;
}

export function sharedSyncLog(sql: Sql, { lockDoc }: SharedHooks = {}): SharedSyncLog {
  return {
    changedDocs: async (cursor, prefixes, limit, narrow = {}) => {
      const { departments, holding } = narrow;
      if (prefixes.length === 0 || departments?.length === 0) return [];
      const scope = sql.dialect.scope(prefixes, departments);
      const seek = seekableScope(sql, prefixes, departments);
      const held = holding ? holdingFilter(sql, holding) : null;
      const appeals = `SELECT id, village, dept, anonymous, last_seq, received_at, ${HOLDING_COLUMNS} FROM appeals WHERE last_seq > ? AND ${seek.sql}${held ? ` AND ${held.sql}` : ''}`;
      // Meetings and patrols belong to a village, never to a department, and no county or city desk holds them.
      const rows = await sql.all<Record<string, unknown> & { id: string; village: string; dept: string | null; anonymous: number; last_seq: number; received_at: number | null }>(
        departments || held
          ? `${appeals} ORDER BY last_seq LIMIT ?`
          : `${appeals} UNION ALL SELECT id, village, NULL, 1, last_seq, NULL, ${HOLDING_NULLS} FROM meetings WHERE last_seq > ? AND ${scope.sql}
             UNION ALL SELECT id, village, NULL, 1, last_seq, NULL, ${HOLDING_NULLS} FROM patrols WHERE last_seq > ? AND ${scope.sql}
             UNION ALL SELECT id, village, NULL, 1, last_seq, NULL, ${HOLDING_NULLS} FROM points_docs WHERE last_seq > ? AND ${scope.sql} ORDER BY last_seq LIMIT ?`,
        departments || held ? [cursor, ...seek.args, ...(held?.args ?? []), limit] : [cursor, ...seek.args, cursor, ...scope.args, cursor, ...scope.args, cursor, ...scope.args, limit],
      );
      return rows.map((r) => ({
        docId: r.id,
        village: r.village,
        dept: r.dept,
        anonymous: Number(r.anonymous) === 1,
        lastSeq: Number(r.last_seq),
        receivedAt: r.received_at === null || r.received_at === undefined ? null : Number(r.received_at),
        holding: r.status === null || r.status === undefined ? null : holdingFromRow(r),
      }));
    },
    // The update row itself, unless compaction folded it away; then the appeal changed last at or before it.
    committedAt: async (cursor) => {
      const row = await sql.get<{ t: number | null }>(
        `SELECT max(t) AS t FROM (
           SELECT t FROM (SELECT received_at AS t FROM updates WHERE seq <= ? ORDER BY seq DESC LIMIT 1) u
           UNION ALL SELECT t FROM (SELECT changed_at AS t FROM appeals WHERE last_seq <= ? ORDER BY last_seq DESC LIMIT 1) a
         ) b`,
        [cursor, cursor],
      );
      return row?.t === null || row?.t === undefined ? null : Number(row.t);
    },
    docPartsSince: async (docId, cursor, exceptDevice = '') => {
      const snap = await sql.get<{ upto_seq: number }>('SELECT upto_seq FROM snapshots WHERE doc_id = ?', [docId]);
      if (snap && snap.upto_seq > cursor) return docParts(sql, docId);
      return (await sql.all<{ bytes: Buffer }>('SELECT bytes FROM updates WHERE doc_id = ? AND seq > ? AND device_id <> ? ORDER BY seq', [docId, cursor, exceptDevice])).map((r) => bytesOf(r.bytes));
    },
    docParts: (docId) => docParts(sql, docId),
    // Ordered with pushes: a snapshot and the rows it folds change together. Most pushes leave
    // too few rows to fold, which a plain count says without a transaction (the fold counts again).
    compact: async (docId, minRows, merge) =>
      Number((await sql.get<{ n: number }>('SELECT count(*) AS n FROM updates WHERE doc_id = ?', [docId]))?.n ?? 0) >= minRows &&
      sql.transaction(
        async (tx) => {
          await lockDoc?.(tx, docId);
          const updates = await tx.all<{ seq: number; bytes: Buffer }>('SELECT seq, bytes FROM updates WHERE doc_id = ? ORDER BY seq', [docId]);
          if (updates.length < minRows) return false;
          const snap = await tx.get<{ state: Buffer }>('SELECT state FROM snapshots WHERE doc_id = ?', [docId]);
          const parts = [...(snap ? [bytesOf(snap.state)] : []), ...updates.map((r) => bytesOf(r.bytes))];
          const upto = updates[updates.length - 1]!.seq;
          await tx.run('INSERT INTO snapshots (doc_id, state, upto_seq) VALUES (?, ?, ?) ON CONFLICT (doc_id) DO UPDATE SET state = excluded.state, upto_seq = excluded.upto_seq', [
            docId, Buffer.from(merge(parts)), upto,
          ]);
          await tx.run('DELETE FROM updates WHERE doc_id = ? AND seq <= ?', [docId, upto]);
          return true;
        },
        { withPushes: true },
      ),
    updateCount: async () => (await sql.get<{ n: number }>('SELECT count(*) AS n FROM updates'))!.n,
    receiptCount: async () => (await sql.get<{ n: number }>('SELECT count(*) AS n FROM receipts'))!.n,
  };
}
