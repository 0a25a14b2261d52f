import type pg from 'pg';
import type { AttachmentFacts, AttachmentListing } from './types';

// Who may attach and download a file, on PostgreSQL: read through the pool outside a push,
// through the push's own connection inside one.

type Queryable = Pick<pg.PoolClient, 'query'>;

/** Every document listing `hash`, each with its backers and whether one of them makes it valid. */
export async function pgAttachmentListings(db: Queryable, hash: string): Promise<AttachmentListing[]> {
  const res = await db.query<{ doc_id: string; village: string; dept: string | null; backer: string | null; ok: boolean | null }>(
    `SELECT d.doc_id, d.village, d.dept, b.backer,
       (b.backer = '' OR EXISTS (SELECT 1 FROM file_uploads u WHERE u.hash = b.hash AND u.user_id = b.backer AND u.done_at IS NOT NULL)) AS ok
     FROM (SELECT r.doc_id, a.village, a.dept FROM attachment_refs r JOIN appeals a ON a.id = r.doc_id WHERE r.hash = $1
           UNION ALL SELECT r.doc_id, m.village, NULL FROM attachment_refs r JOIN meetings m ON m.id = r.doc_id WHERE r.hash = $1) d
     LEFT JOIN attachment_backers b ON b.doc_id = d.doc_id AND b.hash = $1
     ORDER BY d.doc_id`,
    [hash],
  );
  const listings = new Map<string, AttachmentListing>();
  for (const r of res.rows) {
    const l = listings.get(r.doc_id) ?? { docId: r.doc_id, villageCode: r.village, dept: r.dept, backers: [], valid: false };
    if (r.backer !== null) l.backers.push(r.backer);
    l.valid ||= r.ok === true;
    listings.set(r.doc_id, l);
  }
  return [...listings.values()];
}

export async function pgFileUpload(db: Queryable, hash: string, userId: string): Promise<{ size: number; startedAt: number; done: boolean } | null> {
  const r = (await db.query<{ size: number; started_at: number; done_at: number | null }>('SELECT size, started_at, done_at FROM file_uploads WHERE hash = $1 AND user_id = $2', [hash, userId])).rows[0];
  return r ? { size: Number(r.size), startedAt: Number(r.started_at), done: r.done_at !== null } : null;
}

export async function pgAttachmentFacts(db: Queryable, hash: string, userId: string): Promise<AttachmentFacts> {
  // One after another: a push's connection runs one query at a time.
  const stored = await db.query('SELECT 1 FROM files WHERE hash = $1', [hash]);
  const upload = await pgFileUpload(db, hash, userId);
  const listings = await pgAttachmentListings(db, hash);
  return { stored: stored.rowCount! > 0, upload: upload ? (upload.done ? 'done' : 'open') : null, listings };
}

/** Replaces the backers of one listing. */
export async function pgVouchAttachment(db: Queryable, docId: string, hash: string, backers: string[]): Promise<void> {
  await db.query('DELETE FROM attachment_backers WHERE doc_id = $1 AND hash = $2', [docId, hash]);
  const unique = [...new Set(backers)];
  if (unique.length > 0) {
    await db.query('INSERT INTO attachment_backers (doc_id, hash, backer) SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING', [docId, hash, unique]);
  }
}
