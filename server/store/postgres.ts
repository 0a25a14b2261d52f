import pg from 'pg';
import { OPEN_STATUSES } from '../../src/core/fold';
import type { Tally } from '../../src/core/geo';
import type { Region } from '../../src/core/regions';
import { appealFromRow, bytesOf, CAMPAIGN_STATEMENTS, SHARED_DDL, campaignFromRow, COMMENT_COLUMNS, slotFromRow, commentFromRow, contactFromRow, meetingFromRow, RANK_COLUMNS, rankFromRow, toUser, type ContactRow, type UserRow } from './rows';
import { pgAppealScope, pgDocParts } from './pg-docs';
import { pgAttachmentListings, pgFileUpload } from './pg-files';
import { bufferedPushTx } from './pg-push';
import type { CommitRow, Store } from './types';

// The scale-out store: several server instances share one PostgreSQL. Same tables and
// columns as SQLite (so rows read back alike), in PostgreSQL's types.

// Versioned migrations, applied in order at start under an advisory lock (instances starting
// together migrate once); never edit one that has shipped.
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE regions (code TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent TEXT);
  CREATE INDEX regions_parent ON regions(parent);
  CREATE TABLE users (
    id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
    role TEXT NOT NULL, scope TEXT NOT NULL, password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL,
    token_version INTEGER NOT NULL DEFAULT 0, ord BIGSERIAL
  );
  CREATE TABLE sessions (
    sid TEXT NOT NULL UNIQUE, token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL
  );
  CREATE INDEX sessions_user ON sessions(user_id);
  -- seq is the global sequence: clients' catch-up cursors point into it.
  CREATE TABLE updates (
    seq BIGSERIAL PRIMARY KEY, doc_id TEXT NOT NULL, device_id TEXT NOT NULL, client_seq BIGINT NOT NULL,
    user_id TEXT NOT NULL, bytes BYTEA NOT NULL, received_at BIGINT NOT NULL
  );
  CREATE INDEX updates_doc ON updates(doc_id, seq);
  -- Idempotency keys outlive the update rows that compaction folds into snapshots.
  CREATE TABLE receipts (device_id TEXT NOT NULL, client_seq BIGINT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (device_id, client_seq));
  CREATE TABLE snapshots (doc_id TEXT PRIMARY KEY, state BYTEA NOT NULL, upto_seq BIGINT NOT NULL);
  CREATE TABLE appeals (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, tier TEXT NOT NULL,
    village TEXT NOT NULL, town TEXT NOT NULL, urgency TEXT NOT NULL,
    category TEXT NOT NULL, channel TEXT NOT NULL, kind TEXT NOT NULL, dept TEXT, handler TEXT,
    created_by TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
    due_at BIGINT, stage TEXT, supervision_level INTEGER NOT NULL DEFAULT 0, satisfaction TEXT, merged_into TEXT,
    title TEXT NOT NULL, anonymous INTEGER NOT NULL, conflicts INTEGER NOT NULL, reopen_count INTEGER NOT NULL,
    meeting_id TEXT, on_spot INTEGER NOT NULL DEFAULT 0, attachments INTEGER NOT NULL DEFAULT 0,
    lat DOUBLE PRECISION, lng DOUBLE PRECISION,
    received_at BIGINT NOT NULL, last_seq BIGINT NOT NULL
  );
  CREATE INDEX appeals_town_status ON appeals(town, status);
  CREATE INDEX appeals_village_status ON appeals(village text_pattern_ops, status);
  CREATE INDEX appeals_due ON appeals(due_at);
  CREATE INDEX appeals_last_seq ON appeals(last_seq);
  CREATE INDEX appeals_dept_status ON appeals(dept, status);
  CREATE INDEX appeals_tier_status ON appeals(tier, status);
  CREATE INDEX appeals_meeting ON appeals(meeting_id) WHERE meeting_id IS NOT NULL;
  CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, actor TEXT, action TEXT NOT NULL, target TEXT, ip TEXT, detail TEXT NOT NULL
  );
  CREATE INDEX audit_at ON audit(at);
  CREATE TABLE contacts (appeal_id TEXT PRIMARY KEY, name TEXT, phone TEXT, updated_by TEXT NOT NULL, updated_at BIGINT NOT NULL);
  CREATE TABLE meetings (
    id TEXT PRIMARY KEY, village TEXT NOT NULL, town TEXT NOT NULL, held_on TEXT NOT NULL, place TEXT NOT NULL,
    attendees INTEGER NOT NULL, topics TEXT NOT NULL, created_by TEXT NOT NULL, created_at BIGINT NOT NULL,
    ideas INTEGER NOT NULL, adopted INTEGER NOT NULL, received_at BIGINT NOT NULL, last_seq BIGINT NOT NULL
  );
  CREATE INDEX meetings_town ON meetings(town, held_on);
  CREATE INDEX meetings_last_seq ON meetings(last_seq);
  CREATE TABLE attachment_refs (hash TEXT NOT NULL, doc_id TEXT NOT NULL, PRIMARY KEY (hash, doc_id));
  CREATE TABLE files (hash TEXT PRIMARY KEY, type TEXT NOT NULL, size BIGINT NOT NULL, uploaded_by TEXT NOT NULL, created_at BIGINT NOT NULL);
  `,
  // Rankings: when it was first answered and closed, whether every answer was in time, how long it took.
  `
  ALTER TABLE appeals ADD COLUMN replied_at BIGINT, ADD COLUMN closed_at BIGINT, ADD COLUMN on_time INTEGER, ADD COLUMN handling_minutes BIGINT;
  CREATE INDEX appeals_created ON appeals(created_at);
  CREATE INDEX appeals_replied ON appeals(replied_at);
  `,
  // The citizen's evaluation code, looked up from the public pages.
  `
  ALTER TABLE appeals ADD COLUMN eval_code TEXT;
  CREATE INDEX appeals_eval_code ON appeals(eval_code) WHERE eval_code IS NOT NULL;
  `,
  // The public board: what is shown and in whose words, and citizens' comments awaiting moderation.
  `
  ALTER TABLE appeals ADD COLUMN published_at BIGINT, ADD COLUMN public_summary TEXT, ADD COLUMN public_reply TEXT;
  CREATE INDEX appeals_published ON appeals(published_at) WHERE published_at IS NOT NULL;
  ${SHARED_DDL.comments}
  `,
  // Suggestion campaigns and reception days: which campaign an appeal answers, whether it was
  // adopted, which reception slot it booked; the campaigns and slots themselves.
  `
  ALTER TABLE appeals ADD COLUMN campaign_id TEXT, ADD COLUMN adopted INTEGER NOT NULL DEFAULT 0, ADD COLUMN reception_slot TEXT;
  ${SHARED_DDL.civic}
  `,
  // Files: each user's own upload and who vouches for each listing (as in SQLite's migrations).
  `
  ${SHARED_DDL.fileUploads}
  `,
  // Receipts name the user as well as (device, seq), as in SQLite's migrations: a user
  // folded away by compaction is unknown ('') and matches no one.
  `
  ALTER TABLE receipts ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
  UPDATE receipts r SET user_id = u.user_id FROM updates u WHERE u.seq = r.seq;
  ALTER TABLE receipts ALTER COLUMN user_id DROP DEFAULT;
  ALTER TABLE receipts DROP CONSTRAINT receipts_pkey, ADD PRIMARY KEY (device_id, client_seq, user_id);
  `,
];

/** The channel every instance listens on for commits, from any instance. */
const CHANNEL = 'minsheng_commits';
/** Commits per notification: a payload must stay under PostgreSQL's 8,000 bytes. */
const PER_NOTIFY = 100;

/** Any fixed number: the lock every push transaction takes, so commits follow the sequence. */
const PUSH_LOCK = 7_302_401;
const MIGRATE_LOCK = 7_302_402;

// Times, sequences and counts are BIGINT: read back as numbers (all stay below 2^53).
const NUMERIC_OIDS = new Set([20]);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    NUMERIC_OIDS.has(oid) ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

type Queryable = Pick<pg.PoolClient, 'query'>;
const open = `status IN (${OPEN_STATUSES.map((st) => `'${st}'`).join(', ')})`;

/** `WHERE` for "in one of these region prefixes (and departments)", from placeholder `$first` on; `qualifier` names the table in a join ("a."). */
function scopeFilter(prefixes: string[], departments: string[] | undefined, first: number, qualifier = ''): { sql: string; args: string[] } {
  const args = prefixes.map((p) => `${p}%`);
  let sql = `(${prefixes.map((_, i) => `${qualifier}village LIKE $${first + i}`).join(' OR ')})`;
  if (departments) {
    sql += ` AND ${qualifier}dept = ANY($${first + args.length})`;
    return { sql, args: [...args, departments as unknown as string] };
  }
  return { sql, args };
}

/**
 * Opens (and migrates) the store at `url`. `schema`, when given, is created if missing and
 * used for every table: tests run side by side in one database this way.
 */
export async function openPgStore(url: string, schema?: string): Promise<Store> {
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`schema must be a plain lower-case identifier, got "${schema}"`);
  const pool = new pg.Pool({ connectionString: url, max: 10, types, ...(schema && { options: `-c search_path=${schema}` }) });
  pool.on('error', (err) => console.error('postgres pool error', err));
  if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);

  const migrate = async () => {
    const c = await pool.connect();
    try {
      await c.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK]);
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      const done = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      for (const [i, sql] of MIGRATIONS.entries()) {
        if (done.has(i + 1)) continue;
        await c.query('BEGIN');
        try {
          await c.query(sql);
          await c.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [i + 1, Date.now()]);
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK');
          throw err;
        }
      }
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK]).catch(() => undefined);
      c.release();
    }
  };
  await migrate();

  const rows = async <T extends pg.QueryResultRow>(db: Queryable, sql: string, args: unknown[] = []) => (await db.query<T>(sql, args)).rows;
  const one = async <T extends pg.QueryResultRow>(db: Queryable, sql: string, args: unknown[] = []) => (await db.query<T>(sql, args)).rows[0];

  const userQuery = async (sql: string, args: unknown[]) => toUser((await one<UserRow>(pool, sql, args)) ?? undefined);

  return {
    migrate,
    close: () => pool.end(),
    getMeta: async (key) => (await one<{ value: string }>(pool, 'SELECT value FROM meta WHERE key = $1', [key]))?.value ?? null,
    setMeta: async (key, value) => void (await pool.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value])),
    claimMeta: async (key, value) => {
      await pool.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
      return (await one<{ value: string }>(pool, 'SELECT value FROM meta WHERE key = $1', [key]))!.value;
    },

    regionCount: async () => (await one<{ n: number }>(pool, 'SELECT count(*) AS n FROM regions'))!.n,
    insertRegions: async (regions) => {
      // One statement per thousand: a county has a few thousand villages.
      for (let i = 0; i < regions.length; i += 1000) {
        const part = regions.slice(i, i + 1000);
        await pool.query('INSERT INTO regions (code, name, level, parent) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])', [
          part.map((r) => r.code), part.map((r) => r.name), part.map((r) => r.level), part.map((r) => r.parent),
        ]);
      }
    },
    regionsUnder: async (prefixes) =>
      prefixes.length === 0 ? [] : rows<Region>(pool, 'SELECT code, name, level, parent FROM regions WHERE code LIKE ANY($1) ORDER BY code', [prefixes.map((p) => `${p}%`)]),
    isVillage: async (code) => (await one(pool, "SELECT 1 FROM regions WHERE code = $1 AND level = 'village'", [code])) !== undefined,

    userCount: async () => (await one<{ n: number }>(pool, 'SELECT count(*) AS n FROM users'))!.n,
    insertUser: async (u, now) =>
      void (await pool.query('INSERT INTO users (id, username, display_name, role, scope, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        u.id, u.username, u.displayName, u.role, JSON.stringify(u.scope), u.passwordHash, now,
      ])),
    userByUsername: (username) => userQuery('SELECT * FROM users WHERE username = $1', [username]),
    userById: (id) => userQuery('SELECT * FROM users WHERE id = $1', [id]),
    users: async () => (await rows<UserRow>(pool, 'SELECT * FROM users ORDER BY ord')).map((r) => toUser(r)!),

    createSession: async (sid, refreshHash, userId, now, expiresAt) =>
      void (await pool.query('INSERT INTO sessions (sid, token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [sid, refreshHash, userId, now, expiresAt])),
    sessionByRefresh: async (hash, now) => {
      const row = await one<UserRow & { sid: string }>(pool, 'SELECT s.sid, u.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2', [hash, now]);
      return row ? { sid: row.sid, user: toUser(row)! } : null;
    },
    rotateRefresh: async (sid, hash, expiresAt) => void (await pool.query('UPDATE sessions SET token_hash = $1, expires_at = $2 WHERE sid = $3', [hash, expiresAt, sid])),
    sessionAlive: async (sid, now) => (await one(pool, 'SELECT 1 FROM sessions WHERE sid = $1 AND expires_at > $2', [sid, now])) !== undefined,
    deleteSession: async (sid) => void (await pool.query('DELETE FROM sessions WHERE sid = $1', [sid])),
    deleteUserSessions: async (userId) => void (await pool.query('DELETE FROM sessions WHERE user_id = $1', [userId])),
    updateUser: async (id, change) => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const current = toUser((await one<UserRow>(c, 'SELECT * FROM users WHERE id = $1 FOR UPDATE', [id])) ?? undefined);
        if (!current) {
          await c.query('ROLLBACK');
          return null;
        }
        const next = { ...current, ...change };
        // Anything that changes what a token stands for ends every session of the user.
        const revoke = change.passwordHash !== undefined || change.disabled === true || change.role !== undefined || change.scope !== undefined;
        await c.query('UPDATE users SET display_name = $2, role = $3, scope = $4, password_hash = $5, disabled = $6, token_version = token_version + $7 WHERE id = $1', [
          id, next.displayName, next.role, JSON.stringify(next.scope), next.passwordHash, next.disabled ? 1 : 0, revoke ? 1 : 0,
        ]);
        if (revoke) await c.query('DELETE FROM sessions WHERE user_id = $1', [id]);
        const user = toUser((await one<UserRow>(c, 'SELECT * FROM users WHERE id = $1', [id]))!)!;
        await c.query('COMMIT');
        return { user, revoked: revoke };
      } catch (err) {
        await c.query('ROLLBACK');
        throw err;
      } finally {
        c.release();
      }
    },
    insertAudit: async (e) =>
      void (await pool.query('INSERT INTO audit (at, actor, action, target, ip, detail) VALUES ($1, $2, $3, $4, $5, $6)', [
        e.at, e.actor ?? null, e.action, e.target ?? null, e.ip ?? null, JSON.stringify(e.detail ?? {}),
      ])),
    audit: async (limit, before) =>
      (await rows<{ id: number; at: number; actor: string | null; action: string; target: string | null; ip: string | null; detail: string }>(
        pool,
        'SELECT * FROM audit WHERE id < $1 ORDER BY id DESC LIMIT $2',
        [before ?? Number.MAX_SAFE_INTEGER, limit],
      )).map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> })),

    inPushTx: async (fn) => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        // Pushes commit one at a time (across every instance): a sequence number is never
        // visible before a smaller one, so no client's cursor can step over an update.
        await c.query('SELECT pg_advisory_xact_lock($1)', [PUSH_LOCK]);
        const tx = bufferedPushTx(c);
        const out = await fn(tx);
        await tx.flush();
        // Delivered to every listening instance at COMMIT, in commit order, or never.
        for (let i = 0; i < tx.inserted.length; i += PER_NOTIFY) await c.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(tx.inserted.slice(i, i + PER_NOTIFY))]);
        await c.query('COMMIT');
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    },

    head: async () => (await one<{ n: number | null }>(pool, "SELECT pg_sequence_last_value(pg_get_serial_sequence('updates', 'seq')) AS n"))?.n ?? 0,
    changedDocs: async (cursor, prefixes, limit, departments) => {
      if (prefixes.length === 0 || departments?.length === 0) return [];
      const scope = scopeFilter(prefixes, departments, 2);
      const n = scope.args.length;
      // Meetings belong to a village, never to a department: handlers do not receive them.
      const sql = departments
        ? `SELECT id, village, dept, anonymous, last_seq FROM appeals WHERE last_seq > $1 AND ${scope.sql} ORDER BY last_seq LIMIT $${n + 2}`
        : `SELECT id, village, dept, anonymous, last_seq FROM appeals WHERE last_seq > $1 AND ${scope.sql}
           UNION ALL SELECT id, village, NULL, 1, last_seq FROM meetings WHERE last_seq > $1 AND ${scope.sql} ORDER BY last_seq LIMIT $${n + 2}`;
      return (await rows<{ id: string; village: string; dept: string | null; anonymous: number; last_seq: number }>(pool, sql, [cursor, ...scope.args, limit])).map((r) => ({
        docId: r.id,
        village: r.village,
        dept: r.dept,
        anonymous: r.anonymous === 1,
        lastSeq: r.last_seq,
      }));
    },
    contact: async (appealId) => {
      const r = await one<ContactRow>(pool, 'SELECT name, phone FROM contacts WHERE appeal_id = $1', [appealId]);
      return r ? contactFromRow(r) : null;
    },
    contacts: async (appealIds) =>
      new Map((await rows<ContactRow & { appeal_id: string }>(pool, 'SELECT appeal_id, name, phone FROM contacts WHERE appeal_id = ANY($1)', [appealIds])).map((r) => [r.appeal_id, contactFromRow(r)])),
    putCampaign: async (c) =>
      void (await pool.query('INSERT INTO campaigns (id, title, question, region, category, closes_on, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [c.id, c.title, c.question, c.region, c.category, c.closesOn, c.createdBy, c.createdAt])),
    campaigns: async () => (await rows(pool, CAMPAIGN_STATEMENTS.list, [])).map(campaignFromRow),
    putSlot: async (s, now) =>
      void (await pool.query('INSERT INTO reception_slots (id, host, place, starts_at, ends_at, capacity, region, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [s.id, s.host, s.place, s.startsAt, s.endsAt, s.capacity, s.region, s.createdBy, now])),
    slots: async (from) => (await rows(pool, CAMPAIGN_STATEMENTS.slots('$1'), [from])).map(slotFromRow),
    publishedAppeals: async (limit, before) =>
      (await rows(pool, 'SELECT * FROM appeals WHERE published_at IS NOT NULL AND published_at < $1 ORDER BY published_at DESC, id LIMIT $2', [before ?? Number.MAX_SAFE_INTEGER, limit])).map(appealFromRow),
    addComment: async (c) => void (await pool.query('INSERT INTO public_comments (id, appeal_id, body, created_at) VALUES ($1, $2, $3, $4)', [c.id, c.appealId, c.body, c.createdAt])),
    comments: async ({ id, appealId, status, regionPrefixes, limit }) => {
      const where: string[] = [];
      const args: unknown[] = [];
      if (id) where.push(`c.id = $${args.push(id)}`);
      if (appealId) where.push(`c.appeal_id = $${args.push(appealId)}`);
      if (status) where.push(`c.status = $${args.push(status)}`);
      if (regionPrefixes) {
        if (regionPrefixes.length === 0) return [];
        const scope = scopeFilter(regionPrefixes, undefined, args.length + 1, 'a.');
        where.push(scope.sql);
        args.push(...scope.args);
      }
      const sql = `SELECT ${COMMENT_COLUMNS} FROM public_comments c JOIN appeals a ON a.id = c.appeal_id ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.created_at DESC, c.id LIMIT $${args.push(limit)}`;
      return (await rows(pool, sql, args)).map(commentFromRow);
    },
    moderateComment: async (id, status, by, at) => ((await pool.query("UPDATE public_comments SET status = $1, moderated_by = $2, moderated_at = $3 WHERE id = $4 AND status = 'pending'", [status, by, at, id])).rowCount ?? 0) === 1,
    appealByEvalCode: async (code) => {
      const r = await one<Record<string, unknown>>(pool, 'SELECT * FROM appeals WHERE eval_code = $1 LIMIT 1', [code]);
      return r ? appealFromRow(r) : null;
    },
    appealsById: async (ids) => (await rows(pool, 'SELECT * FROM appeals WHERE id = ANY($1)', [ids])).map(appealFromRow),
    docPartsSince: async (docId, cursor) => {
      const snap = await one<{ upto_seq: number }>(pool, 'SELECT upto_seq FROM snapshots WHERE doc_id = $1', [docId]);
      if (snap && snap.upto_seq > cursor) return pgDocParts(pool, docId);
      return (await rows<{ bytes: Buffer }>(pool, 'SELECT bytes FROM updates WHERE doc_id = $1 AND seq > $2 ORDER BY seq', [docId, cursor])).map((r) => bytesOf(r.bytes));
    },
    docParts: (docId) => pgDocParts(pool, docId),
    compact: async (docId, minRows, merge) => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        // The same lock as pushes: a snapshot and the rows it folds change together.
        await c.query('SELECT pg_advisory_xact_lock($1)', [PUSH_LOCK]);
        const updates = await rows<{ seq: number; bytes: Buffer }>(c, 'SELECT seq, bytes FROM updates WHERE doc_id = $1 ORDER BY seq', [docId]);
        if (updates.length < minRows) {
          await c.query('ROLLBACK');
          return false;
        }
        const snap = await one<{ state: Buffer }>(c, 'SELECT state FROM snapshots WHERE doc_id = $1', [docId]);
        const parts = [...(snap ? [bytesOf(snap.state)] : []), ...updates.map((r) => bytesOf(r.bytes))];
        const upto = updates[updates.length - 1]!.seq;
        await c.query(
          'INSERT INTO snapshots (doc_id, state, upto_seq) VALUES ($1, $2, $3) ON CONFLICT (doc_id) DO UPDATE SET state = excluded.state, upto_seq = excluded.upto_seq',
          [docId, Buffer.from(merge(parts)), upto],
        );
        await c.query('DELETE FROM updates WHERE doc_id = $1 AND seq <= $2', [docId, upto]);
        await c.query('COMMIT');
        return true;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    },

    appealRows: async () => (await rows(pool, 'SELECT * FROM appeals ORDER BY id')).map(appealFromRow),
    meetingRows: async () => (await rows(pool, 'SELECT * FROM meetings ORDER BY held_on, id')).map(meetingFromRow),
    exportRows: async (prefixes, departments, from, to) => {
      if (prefixes.length === 0 || departments?.length === 0) return [];
      const scope = scopeFilter(prefixes, departments, 3);
      return (await rows(pool, `SELECT * FROM appeals WHERE created_at >= $1 AND created_at < $2 AND ${scope.sql} ORDER BY created_at, id`, [from, to, ...scope.args])).map(appealFromRow);
    },
    rankRows: async (prefixes, departments, since) => {
      if (prefixes.length === 0 || departments?.length === 0) return [];
      const scope = scopeFilter(prefixes, departments, 2);
      return (await rows(pool, `SELECT ${RANK_COLUMNS} FROM appeals WHERE (created_at >= $1 OR replied_at >= $1) AND ${scope.sql}`, [since, ...scope.args])).map(rankFromRow);
    },
    mapTally: async (level, prefixes, departments, now) => {
      if (prefixes.length === 0 || departments?.length === 0) return [];
      const scope = scopeFilter(prefixes, departments, 2);
      return rows<{ code: string } & Tally>(
        pool,
        `SELECT ${level === 'town' ? 'town' : 'village'} AS code, count(*) AS total, count(*) FILTER (WHERE ${open}) AS open,
           count(*) FILTER (WHERE ${open} AND due_at IS NOT NULL AND due_at < $1) AS overdue,
           count(*) FILTER (WHERE ${open} AND urgency = 'red') AS red, count(*) FILTER (WHERE ${open} AND urgency = 'orange') AS orange,
           count(*) FILTER (WHERE ${open} AND urgency = 'yellow') AS yellow
         FROM appeals WHERE ${scope.sql} GROUP BY code ORDER BY code`,
        [now, ...scope.args],
      );
    },
    attachmentScopes: async (hash) =>
      (
        await rows<{ village: string; dept: string | null }>(
          pool,
          `SELECT a.village, a.dept FROM attachment_refs r JOIN appeals a ON a.id = r.doc_id WHERE r.hash = $1
           UNION ALL SELECT m.village, NULL FROM attachment_refs r JOIN meetings m ON m.id = r.doc_id WHERE r.hash = $1`,
          [hash],
        )
      ).map((r) => ({ villageCode: r.village, dept: r.dept })),
    file: async (hash) => {
      const r = await one<{ hash: string; type: string; size: number; uploaded_by: string }>(pool, 'SELECT hash, type, size, uploaded_by FROM files WHERE hash = $1', [hash]);
      return r ? { hash: r.hash, type: r.type, size: r.size, uploadedBy: r.uploaded_by } : null;
    },
    putFile: async (f, now) =>
      void (await pool.query('INSERT INTO files (hash, type, size, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [f.hash, f.type, f.size, f.uploadedBy, now])),
    attachmentListings: (hash) => pgAttachmentListings(pool, hash),
    fileUpload: (hash, userId) => pgFileUpload(pool, hash, userId),
    openFileUpload: async (hash, userId, size, now) =>
      void (await pool.query('INSERT INTO file_uploads (hash, user_id, size, started_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [hash, userId, size, now])),
    finishFileUpload: async (hash, userId, size, now) =>
      void (await pool.query(
        `INSERT INTO file_uploads (hash, user_id, size, started_at, done_at) VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (hash, user_id) DO UPDATE SET size = excluded.size, done_at = coalesce(file_uploads.done_at, excluded.done_at)`,
        [hash, userId, size, now],
      )),
    dropFileUpload: async (hash, userId) => void (await pool.query('DELETE FROM file_uploads WHERE hash = $1 AND user_id = $2 AND done_at IS NULL', [hash, userId])),
    openFileUploads: async (userId) => {
      const r = (await one<{ count: number; bytes: number }>(pool, 'SELECT count(*) AS count, coalesce(sum(size), 0) AS bytes FROM file_uploads WHERE user_id = $1 AND done_at IS NULL', [userId]))!;
      return { count: Number(r.count), bytes: Number(r.bytes) };
    },
    staleFileUploads: async (before, limit) =>
      (await rows<{ hash: string; user_id: string }>(pool, 'SELECT hash, user_id FROM file_uploads WHERE done_at IS NULL AND started_at < $1 ORDER BY started_at LIMIT $2', [before, limit])).map((r) => ({ hash: r.hash, userId: r.user_id })),
    dueBy: async (instant) => (await rows<{ id: string }>(pool, "SELECT id FROM appeals WHERE due_at IS NOT NULL AND due_at <= $1 AND status NOT IN ('closed', 'merged') ORDER BY due_at", [instant])).map((r) => r.id),
    appealScope: (docId) => pgAppealScope(pool, docId),
    subscribeCommits: async (fn) => listen(url, schema, fn),
    commitsBySeq: async (commits) => {
      const found = new Map(
        (
          await rows<{ seq: number; bytes: Buffer }>(pool, 'SELECT seq, bytes FROM updates WHERE seq = ANY($1)', [commits.map((c) => c.seq)])
        ).map((r) => [r.seq, bytesOf(r.bytes)]),
      );
      const docIds = [...new Set(commits.map((c) => c.docId))];
      const scopes = new Map(
        (
          await rows<{ id: string; village: string; dept: string | null; anonymous: number }>(
            pool,
            `SELECT id, village, dept, anonymous FROM appeals WHERE id = ANY($1) UNION ALL SELECT id, village, NULL, 1 FROM meetings WHERE id = ANY($1)`,
            [docIds],
          )
        ).map((r) => [r.id, r]),
      );
      return commits.flatMap((c): CommitRow[] => {
        const scope = scopes.get(c.docId);
        return scope ? [{ seq: c.seq, docId: c.docId, update: found.get(c.seq) ?? null, village: scope.village, dept: scope.dept, anonymous: scope.anonymous === 1 }] : [];
      });
    },
    updateCount: async () => (await one<{ n: number }>(pool, 'SELECT count(*) AS n FROM updates'))!.n,
    receiptCount: async () => (await one<{ n: number }>(pool, 'SELECT count(*) AS n FROM receipts'))!.n,
  };
}

/**
 * One connection that LISTENs for commits, reconnecting with backoff if it drops. Commits
 * notified while it was down reach this instance's clients at their next catch-up.
 */
async function listen(url: string, schema: string | undefined, fn: (commits: { seq: number; docId: string }[]) => void): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  let wait = 250;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, types, ...(schema && { options: `-c search_path=${schema}` }) });
    c.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      try {
        fn((JSON.parse(n.payload) as [number, string][]).map(([seq, docId]) => ({ seq, docId })));
      } catch (err) {
        console.error('unreadable commit notification', err);
      }
    });
    c.on('error', (err) => console.error('commit listener lost its connection', err.message));
    c.on('end', () => {
      if (stopped) return;
      client = null;
      setTimeout(() => void connect().catch(() => undefined), wait);
      wait = Math.min(wait * 2, 10_000);
    });
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}`);
    wait = 250;
    client = c;
  };
  await connect();
  return async () => {
    stopped = true;
    await client?.end().catch(() => undefined);
  };
}

/** Drops a test's schema and everything in it. */
export async function dropPgSchema(url: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
