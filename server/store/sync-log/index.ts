import { bytesOf } from '../rows';
import type { Sql } from '../sql';
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

export const NEXT_CLIENT_SEQ = 'SELECT coalesce(max(client_seq), 0) + 1 AS n FROM receipts WHERE device_id = ?';

export type SharedSyncLog = Omit<SyncLog, 'inPushTx' | 'head' | 'subscribeCommits' | 'commitsBySeq'>;

export function sharedSyncLog(sql: Sql): SharedSyncLog {
  return {
    changedDocs: async (cursor, prefixes, limit, departments) => {
      if (prefixes.length === 0 || departments?.length === 0) return [];
      const scope = sql.dialect.scope(prefixes, departments);
      // Meetings belong to a village, never to a department: handlers do not receive them.
      const rows = await sql.all<{ id: string; village: string; dept: string | null; anonymous: number; last_seq: number }>(
        departments
          ? `SELECT id, village, dept, anonymous, last_seq FROM appeals WHERE last_seq > ? AND ${scope.sql} ORDER BY last_seq LIMIT ?`
          : `SELECT id, village, dept, anonymous, last_seq FROM appeals WHERE last_seq > ? AND ${scope.sql}
             UNION ALL SELECT id, village, NULL, 1, last_seq FROM meetings WHERE last_seq > ? AND ${scope.sql} ORDER BY last_seq LIMIT ?`,
        departments ? [cursor, ...scope.args, limit] : [cursor, ...scope.args, cursor, ...scope.args, limit],
      );
      return rows.map((r) => ({ docId: r.id, village: r.village, dept: r.dept, anonymous: r.anonymous === 1, lastSeq: r.last_seq }));
    },
    docPartsSince: async (docId, cursor) => {
      const snap = await sql.get<{ upto_seq: number }>('SELECT upto_seq FROM snapshots WHERE doc_id = ?', [docId]);
      if (snap && snap.upto_seq > cursor) return docParts(sql, docId);
      return (await sql.all<{ bytes: Buffer }>('SELECT bytes FROM updates WHERE doc_id = ? AND seq > ? ORDER BY seq', [docId, cursor])).map((r) => bytesOf(r.bytes));
    },
    docParts: (docId) => docParts(sql, docId),
    // Ordered with pushes: a snapshot and the rows it folds change together.
    compact: (docId, minRows, merge) =>
      sql.transaction(
        async (tx) => {
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
