import type { Sql } from '../sql';
import type { AttachmentFacts, AttachmentListing, FileStore, FileUpload } from './contract';

// Reads here take any runner: the store's outside a push, the push transaction's inside
// one (so a batch sees the listings it made itself).

/** The documents (appeals and meetings) listing a file, with where each lies. */
const LISTING_DOCS = `SELECT r.doc_id, a.village, a.dept FROM attachment_refs r JOIN appeals a ON a.id = r.doc_id WHERE r.hash = ?
  UNION ALL SELECT r.doc_id, m.village, NULL FROM attachment_refs r JOIN meetings m ON m.id = r.doc_id WHERE r.hash = ?`;

export async function attachmentListings(sql: Sql, hash: string): Promise<AttachmentListing[]> {
  const rows = await sql.all<{ doc_id: string; village: string; dept: string | null; backer: string | null; ok: number }>(
    `SELECT d.doc_id, d.village, d.dept, b.backer,
       CASE WHEN b.backer = '' OR EXISTS (SELECT 1 FROM file_uploads u WHERE u.hash = b.hash AND u.user_id = b.backer AND u.done_at IS NOT NULL) THEN 1 ELSE 0 END AS ok
     FROM (${LISTING_DOCS}) d
     LEFT JOIN attachment_backers b ON b.doc_id = d.doc_id AND b.hash = ?
     ORDER BY d.doc_id`,
    [hash, hash, hash],
  );
  const listings = new Map<string, AttachmentListing>();
  for (const r of rows) {
    const l = listings.get(r.doc_id) ?? { docId: r.doc_id, villageCode: r.village, dept: r.dept, backers: [], valid: false };
    if (r.backer !== null) l.backers.push(r.backer);
    l.valid ||= r.ok === 1;
    listings.set(r.doc_id, l);
  }
  return [...listings.values()];
}

export async function fileUpload(sql: Sql, hash: string, userId: string): Promise<FileUpload | null> {
  const r = await sql.get<{ size: number; started_at: number; done_at: number | null }>('SELECT size, started_at, done_at FROM file_uploads WHERE hash = ? AND user_id = ?', [hash, userId]);
  return r ? { size: r.size, startedAt: r.started_at, done: r.done_at !== null } : null;
}

/** What decides whether `userId` may attach `hash`, read one query after another (a push's connection runs one at a time). */
export async function attachmentFacts(sql: Sql, hash: string, userId: string): Promise<AttachmentFacts> {
  const stored = await sql.get('SELECT 1 AS x FROM files WHERE hash = ?', [hash]);
  const upload = await fileUpload(sql, hash, userId);
  const listings = await attachmentListings(sql, hash);
  return { stored: stored !== undefined, upload: upload ? (upload.done ? 'done' : 'open') : null, listings };
}

/** Replaces who vouches for `hash` in document `docId`. */
export async function vouchAttachment(sql: Sql, docId: string, hash: string, backers: string[]): Promise<void> {
  await sql.run('DELETE FROM attachment_backers WHERE doc_id = ? AND hash = ?', [docId, hash]);
  const unique = [...new Set(backers)];
  if (unique.length === 0) return;
  await sql.run(`INSERT INTO attachment_backers (doc_id, hash, backer) VALUES ${unique.map(() => '(?, ?, ?)').join(', ')} ON CONFLICT DO NOTHING`, unique.flatMap((b) => [docId, hash, b]));
}

export function fileStore(sql: Sql): FileStore {
  return {
    file: async (hash) => {
      const r = await sql.get<{ hash: string; type: string; size: number; uploaded_by: string }>('SELECT hash, type, size, uploaded_by FROM files WHERE hash = ?', [hash]);
      return r ? { hash: r.hash, type: r.type, size: r.size, uploadedBy: r.uploaded_by } : null;
    },
    putFile: async (f, now) =>
      void (await sql.run('INSERT INTO files (hash, type, size, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [f.hash, f.type, f.size, f.uploadedBy, now])),
    attachmentScopes: async (hash) =>
      (await sql.all<{ village: string; dept: string | null }>(LISTING_DOCS, [hash, hash])).map((r) => ({ villageCode: r.village, dept: r.dept })),
    attachmentListings: (hash) => attachmentListings(sql, hash),
    fileUpload: (hash, userId) => fileUpload(sql, hash, userId),
    openFileUpload: async (hash, userId, size, now) =>
      void (await sql.run('INSERT INTO file_uploads (hash, user_id, size, started_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [hash, userId, size, now])),
    finishFileUpload: async (hash, userId, size, now) =>
      void (await sql.run(
        `INSERT INTO file_uploads (hash, user_id, size, started_at, done_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (hash, user_id) DO UPDATE SET size = excluded.size, done_at = coalesce(file_uploads.done_at, excluded.done_at)`,
        [hash, userId, size, now, now],
      )),
    dropFileUpload: async (hash, userId) => void (await sql.run('DELETE FROM file_uploads WHERE hash = ? AND user_id = ? AND done_at IS NULL', [hash, userId])),
    openFileUploads: async (userId) => {
      // PostgreSQL's sum of BIGINT is NUMERIC, read back as text.
      const r = (await sql.get<{ count: number; bytes: number | string }>('SELECT count(*) AS count, coalesce(sum(size), 0) AS bytes FROM file_uploads WHERE user_id = ? AND done_at IS NULL', [userId]))!;
      return { count: Number(r.count), bytes: Number(r.bytes) };
    },
    staleFileUploads: async (before, limit) =>
      (await sql.all<{ hash: string; user_id: string }>('SELECT hash, user_id FROM file_uploads WHERE done_at IS NULL AND started_at < ? ORDER BY started_at LIMIT ?', [before, limit])).map((r) => ({
        hash: r.hash,
        userId: r.user_id,
      })),
  };
}
