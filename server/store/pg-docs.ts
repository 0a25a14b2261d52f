import type pg from 'pg';
import { bytesOf } from './rows';

// Reads both PostgreSQL paths share: the pool outside a push, the push's own connection inside one.

type Queryable = Pick<pg.PoolClient, 'query'>;

/** Everything stored of a document in one round trip: the snapshot (ordered first), then later rows. */
export async function pgDocParts(db: Queryable, docId: string): Promise<Uint8Array[]> {
  const res = await db.query<{ bytes: Buffer }>(
    'SELECT bytes FROM (SELECT state AS bytes, -1 AS seq FROM snapshots WHERE doc_id = $1 UNION ALL SELECT bytes, seq FROM updates WHERE doc_id = $1) p ORDER BY seq',
    [docId],
  );
  return res.rows.map((r) => bytesOf(r.bytes));
}

/** What decides who may see a stored appeal or meeting, or null when there is none. */
export async function pgAppealScope(db: Queryable, docId: string): Promise<{ villageCode: string; dept: string | null } | null> {
  const r = (await db.query<{ village: string; dept: string | null }>('SELECT village, dept FROM appeals WHERE id = $1 UNION ALL SELECT village, NULL FROM meetings WHERE id = $1', [docId])).rows[0];
  return r ? { villageCode: r.village, dept: r.dept } : null;
}
