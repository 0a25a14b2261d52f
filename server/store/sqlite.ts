import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { OPEN_STATUSES } from '../../src/core/fold';
import type { Tally } from '../../src/core/geo';
import type { MeetingProjection } from '../../src/core/meeting';
import type { AppealProjection } from '../../src/core/projection';
import type { Region, RegionLevel } from '../../src/core/regions';
import type { Role, Scope } from '../../src/core/roles';
import { APPEAL_COLUMNS, APPEAL_REPLACED, appealFromRow, appealValues, bytesOf, CAMPAIGN_STATEMENTS, SHARED_DDL, campaignFromRow, COMMENT_COLUMNS, slotFromRow, commentFromRow, contactFromRow, meetingFromRow, RANK_COLUMNS, rankFromRow, toUser, type ContactRow, type Synchronous, type UserRow } from './rows';
import type { AttachmentListing, NewUser, PushTx, Store, StoredUpdate } from './types';

// Versioned migrations, applied in order at start; never edit one that has shipped.
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE regions (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent TEXT
  );
  CREATE INDEX regions_parent ON regions(parent);
  CREATE TABLE users (
    id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
    role TEXT NOT NULL, scope TEXT NOT NULL, password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL
  );
  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
  );
  -- seq is the global sequence: clients' catch-up cursors point into it.
  CREATE TABLE updates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL, device_id TEXT NOT NULL, client_seq INTEGER NOT NULL,
    user_id TEXT NOT NULL, bytes BLOB NOT NULL, received_at INTEGER NOT NULL
  );
  CREATE INDEX updates_doc ON updates(doc_id, seq);
  -- Idempotency keys outlive the update rows that compaction folds into snapshots.
  CREATE TABLE receipts (
    device_id TEXT NOT NULL, client_seq INTEGER NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (device_id, client_seq)
  ) WITHOUT ROWID;
  CREATE TABLE snapshots (doc_id TEXT PRIMARY KEY, state BLOB NOT NULL, upto_seq INTEGER NOT NULL);
  CREATE TABLE appeals (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, tier TEXT NOT NULL,
    village TEXT NOT NULL, town TEXT NOT NULL, urgency TEXT NOT NULL,
    category TEXT NOT NULL, channel TEXT NOT NULL, kind TEXT NOT NULL, dept TEXT,
    created_by TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    due_at INTEGER, title TEXT NOT NULL, anonymous INTEGER NOT NULL,
    conflicts INTEGER NOT NULL, reopen_count INTEGER NOT NULL,
    received_at INTEGER NOT NULL, last_seq INTEGER NOT NULL
  );
  CREATE INDEX appeals_town_status ON appeals(town, status);
  CREATE INDEX appeals_village_status ON appeals(village, status);
  CREATE INDEX appeals_due ON appeals(due_at);
  CREATE INDEX appeals_last_seq ON appeals(last_seq);
  `,
  // The pipeline's columns: who holds it, which clock runs, how far supervision climbed.
  `
  ALTER TABLE appeals ADD COLUMN handler TEXT;
  ALTER TABLE appeals ADD COLUMN stage TEXT;
  ALTER TABLE appeals ADD COLUMN supervision_level INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE appeals ADD COLUMN satisfaction TEXT;
  ALTER TABLE appeals ADD COLUMN merged_into TEXT;
  CREATE INDEX appeals_dept_status ON appeals(dept, status);
  CREATE INDEX appeals_tier_status ON appeals(tier, status);
  `,
  // Signed access tokens name a session (sid) and the user's token version; refresh tokens
  // rotate within the session. Opaque tokens of the first version cannot carry over.
  `
  DELETE FROM sessions;
  ALTER TABLE sessions ADD COLUMN sid TEXT NOT NULL DEFAULT '';
  CREATE UNIQUE INDEX sessions_sid ON sessions(sid);
  CREATE INDEX sessions_user ON sessions(user_id);
  ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT, action TEXT NOT NULL,
    target TEXT, ip TEXT, detail TEXT NOT NULL
  );
  CREATE INDEX audit_at ON audit(at);
  `,
  // Citizens' names and phones, beside the documents: sent only to those who may see them.
  `
  CREATE TABLE contacts (
    appeal_id TEXT PRIMARY KEY, name TEXT, phone TEXT, updated_by TEXT NOT NULL, updated_at INTEGER NOT NULL
  );
  `,
  // Field capture: bench meetings (their own documents), appeals raised at them or solved on
  // the spot, and attachments: which documents list a file (for read access) and the files
  // whose bytes arrived whole.
  `
  ALTER TABLE appeals ADD COLUMN meeting_id TEXT;
  ALTER TABLE appeals ADD COLUMN on_spot INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE appeals ADD COLUMN attachments INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX appeals_meeting ON appeals(meeting_id) WHERE meeting_id IS NOT NULL;
  CREATE TABLE meetings (
    id TEXT PRIMARY KEY, village TEXT NOT NULL, town TEXT NOT NULL, held_on TEXT NOT NULL, place TEXT NOT NULL,
    attendees INTEGER NOT NULL, topics TEXT NOT NULL, created_by TEXT NOT NULL, created_at INTEGER NOT NULL,
    ideas INTEGER NOT NULL, adopted INTEGER NOT NULL, received_at INTEGER NOT NULL, last_seq INTEGER NOT NULL
  );
  CREATE INDEX meetings_town ON meetings(town, held_on);
  CREATE INDEX meetings_last_seq ON meetings(last_seq);
  CREATE TABLE attachment_refs (hash TEXT NOT NULL, doc_id TEXT NOT NULL, PRIMARY KEY (hash, doc_id)) WITHOUT ROWID;
  CREATE TABLE files (
    hash TEXT PRIMARY KEY, type TEXT NOT NULL, size INTEGER NOT NULL, uploaded_by TEXT NOT NULL, created_at INTEGER NOT NULL
  );
  `,
  // The map: where an appeal was recorded (WGS84), when the device had a fix.
  `
  ALTER TABLE appeals ADD COLUMN lat REAL;
  ALTER TABLE appeals ADD COLUMN lng REAL;
  `,
  // Rankings: when it was first answered and closed, whether every answer was in time, how long it took.
  `
  ALTER TABLE appeals ADD COLUMN replied_at INTEGER;
  ALTER TABLE appeals ADD COLUMN closed_at INTEGER;
  ALTER TABLE appeals ADD COLUMN on_time INTEGER;
  ALTER TABLE appeals ADD COLUMN handling_minutes INTEGER;
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
  ALTER TABLE appeals ADD COLUMN published_at INTEGER;
  ALTER TABLE appeals ADD COLUMN public_summary TEXT;
  ALTER TABLE appeals ADD COLUMN public_reply TEXT;
  CREATE INDEX appeals_published ON appeals(published_at) WHERE published_at IS NOT NULL;
  ${SHARED_DDL.comments}
  `,
  // Suggestion campaigns and reception days: which campaign an appeal answers, whether it was
  // adopted, which reception slot it booked; the campaigns and slots themselves.
  `
  ALTER TABLE appeals ADD COLUMN campaign_id TEXT;
  ALTER TABLE appeals ADD COLUMN adopted INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE appeals ADD COLUMN reception_slot TEXT;
  ${SHARED_DDL.civic}
  `,
  // Files: each user's own upload (open while its bytes arrive, done once they matched), and
  // who vouches for each listing of a file in a document. Files already stored count as their
  // uploader's; listings already made keep letting their documents' readers download.
  `
  ${SHARED_DDL.fileUploads}
  `,
  // Receipts name the user as well as (device, seq): another user's push under a colliding
  // pair is not a resend, so it must be stored, never acknowledged unstored. The user of an
  // existing receipt comes from its update row; where compaction folded that row away it is
  // unknown (''), which matches no one: such a resend is stored again, and applying a Yjs
  // update twice changes nothing.
  `
  CREATE TABLE receipts_by_user (
    device_id TEXT NOT NULL, client_seq INTEGER NOT NULL, user_id TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (device_id, client_seq, user_id)
  ) WITHOUT ROWID;
  INSERT INTO receipts_by_user (device_id, client_seq, user_id, seq)
    SELECT r.device_id, r.client_seq, coalesce(u.user_id, ''), r.seq FROM receipts r LEFT JOIN updates u ON u.seq = r.seq;
  DROP TABLE receipts;
  ALTER TABLE receipts_by_user RENAME TO receipts;
  `,
];

/** `WHERE` for "in one of these region prefixes (and departments)", with its arguments; `qualifier` names the table in a join ("a."). */
function scopeWhere(prefixes: string[], departments: string[] | undefined, qualifier = ''): { where: string; args: (string | number)[] } {
  let where = prefixes.map(() => `substr(${qualifier}village, 1, ?) = ?`).join(' OR ');
  const args: (string | number)[] = prefixes.flatMap((p) => [p.length, p]);
  if (departments) {
    where = `(${where}) AND ${qualifier}dept IN (${departments.map(() => '?').join(', ')})`;
    args.push(...departments);
  }
  return { where, args };
}

export function openSqliteStore(dataDir: string | ':memory:'): Store {
  let file = ':memory:';
  if (dataDir !== ':memory:') {
    mkdirSync(dataDir, { recursive: true });
    file = path.join(dataDir, 'minsheng.sqlite');
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // FULL: an ack promises the update survives power loss, not just a process crash.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');

  const migrate = () => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    const done = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
    MIGRATIONS.forEach((sql, i) => {
      const version = i + 1;
      if (done.has(version)) return;
      db.transaction(() => {
        db.exec(sql);
        db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Date.now());
      })();
    });
  };
  migrate();

  const q = {
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    claimMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING'),
    regionCount: db.prepare('SELECT count(*) AS n FROM regions'),
    insertRegion: db.prepare('INSERT INTO regions (code, name, level, parent) VALUES (@code, @name, @level, @parent)'),
    regionsLike: db.prepare('SELECT code, name, level, parent FROM regions WHERE code LIKE ? ORDER BY code'),
    isVillage: db.prepare("SELECT 1 FROM regions WHERE code = ? AND level = 'village'"),
    userCount: db.prepare('SELECT count(*) AS n FROM users'),
    insertUser: db.prepare(
      'INSERT INTO users (id, username, display_name, role, scope, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    userByName: db.prepare('SELECT * FROM users WHERE username = ?'),
    userById: db.prepare('SELECT * FROM users WHERE id = ?'),
    users: db.prepare('SELECT * FROM users ORDER BY rowid'),
    createSession: db.prepare('INSERT INTO sessions (sid, token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)'),
    sessionByRefresh: db.prepare('SELECT s.sid, u.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?'),
    rotateRefresh: db.prepare('UPDATE sessions SET token_hash = ?, expires_at = ? WHERE sid = ?'),
    sessionAlive: db.prepare('SELECT 1 FROM sessions WHERE sid = ? AND expires_at > ?'),
    deleteSession: db.prepare('DELETE FROM sessions WHERE sid = ?'),
    deleteUserSessions: db.prepare('DELETE FROM sessions WHERE user_id = ?'),
    updateUser: db.prepare(`UPDATE users SET display_name = @displayName, role = @role, scope = @scope, password_hash = @passwordHash,
      disabled = @disabled, token_version = token_version + @bump WHERE id = @id`),
    insertAudit: db.prepare('INSERT INTO audit (at, actor, action, target, ip, detail) VALUES (@at, @actor, @action, @target, @ip, @detail)'),
    auditBefore: db.prepare('SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?'),
    seen: db.prepare('SELECT 1 FROM receipts WHERE device_id = ? AND client_seq = ? AND user_id = ?'),
    docRows: db.prepare('SELECT seq, bytes FROM updates WHERE doc_id = ? ORDER BY seq'),
    docRowsAfter: db.prepare('SELECT seq, bytes FROM updates WHERE doc_id = ? AND seq > ? ORDER BY seq'),
    snapshot: db.prepare('SELECT state, upto_seq FROM snapshots WHERE doc_id = ?'),
    putSnapshot: db.prepare(
      'INSERT INTO snapshots (doc_id, state, upto_seq) VALUES (?, ?, ?) ON CONFLICT(doc_id) DO UPDATE SET state = excluded.state, upto_seq = excluded.upto_seq',
    ),
    deleteRowsUpTo: db.prepare('DELETE FROM updates WHERE doc_id = ? AND seq <= ?'),
    insertUpdate: db.prepare(
      'INSERT INTO updates (doc_id, device_id, client_seq, user_id, bytes, received_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insertReceipt: db.prepare('INSERT INTO receipts (device_id, client_seq, user_id, seq) VALUES (?, ?, ?, ?)'),
    head: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'updates'"),
    receiptCount: db.prepare('SELECT count(*) AS n FROM receipts'),
    upsertAppeal: db.prepare(`INSERT INTO appeals (${APPEAL_COLUMNS.join(', ')}) VALUES (${APPEAL_COLUMNS.map(() => '?').join(', ')})
      ON CONFLICT(id) DO UPDATE SET ${APPEAL_REPLACED}, last_seq = max(last_seq, excluded.last_seq)`),
    upsertMeeting: db.prepare(`
      INSERT INTO meetings (id, village, town, held_on, place, attendees, topics, created_by, created_at, ideas, adopted, received_at, last_seq)
      VALUES (@id, @village, @town, @heldOn, @place, @attendees, @topics, @createdBy, @createdAt, @ideas, @adopted, @receivedAt, @lastSeq)
      ON CONFLICT(id) DO UPDATE SET village = excluded.village, town = excluded.town, held_on = excluded.held_on,
        place = excluded.place, attendees = excluded.attendees, topics = excluded.topics, ideas = excluded.ideas,
        adopted = excluded.adopted, last_seq = max(last_seq, excluded.last_seq)`),
    meetingRows: db.prepare('SELECT * FROM meetings ORDER BY held_on, id'),
    meetingScope: db.prepare('SELECT village FROM meetings WHERE id = ?'),
    unlinkAttachments: db.prepare('DELETE FROM attachment_refs WHERE doc_id = ?'),
    linkAttachment: db.prepare('INSERT OR IGNORE INTO attachment_refs (hash, doc_id) VALUES (?, ?)'),
    attachmentScopes: db.prepare(`
      SELECT a.village AS village, a.dept AS dept FROM attachment_refs r JOIN appeals a ON a.id = r.doc_id WHERE r.hash = ?
      UNION ALL SELECT m.village, NULL FROM attachment_refs r JOIN meetings m ON m.id = r.doc_id WHERE r.hash = ?`),
    file: db.prepare('SELECT hash, type, size, uploaded_by FROM files WHERE hash = ?'),
    attachmentListings: db.prepare(`
      SELECT d.doc_id, d.village, d.dept, b.backer,
        (b.backer = '' OR EXISTS (SELECT 1 FROM file_uploads u WHERE u.hash = b.hash AND u.user_id = b.backer AND u.done_at IS NOT NULL)) AS ok
      FROM (SELECT r.doc_id, a.village, a.dept FROM attachment_refs r JOIN appeals a ON a.id = r.doc_id WHERE r.hash = @hash
            UNION ALL SELECT r.doc_id, m.village, NULL FROM attachment_refs r JOIN meetings m ON m.id = r.doc_id WHERE r.hash = @hash) d
      LEFT JOIN attachment_backers b ON b.doc_id = d.doc_id AND b.hash = @hash
      ORDER BY d.doc_id`),
    fileUpload: db.prepare('SELECT size, started_at, done_at FROM file_uploads WHERE hash = ? AND user_id = ?'),
    openFileUpload: db.prepare('INSERT OR IGNORE INTO file_uploads (hash, user_id, size, started_at) VALUES (?, ?, ?, ?)'),
    finishFileUpload: db.prepare(`INSERT INTO file_uploads (hash, user_id, size, started_at, done_at) VALUES (@hash, @user, @size, @now, @now)
      ON CONFLICT(hash, user_id) DO UPDATE SET size = excluded.size, done_at = coalesce(file_uploads.done_at, excluded.done_at)`),
    dropFileUpload: db.prepare('DELETE FROM file_uploads WHERE hash = ? AND user_id = ? AND done_at IS NULL'),
    openFileUploads: db.prepare('SELECT count(*) AS count, coalesce(sum(size), 0) AS bytes FROM file_uploads WHERE user_id = ? AND done_at IS NULL'),
    staleFileUploads: db.prepare('SELECT hash, user_id FROM file_uploads WHERE done_at IS NULL AND started_at < ? ORDER BY started_at LIMIT ?'),
    unvouch: db.prepare('DELETE FROM attachment_backers WHERE doc_id = ? AND hash = ?'),
    vouch: db.prepare('INSERT OR IGNORE INTO attachment_backers (doc_id, hash, backer) VALUES (?, ?, ?)'),
    putFile: db.prepare('INSERT OR IGNORE INTO files (hash, type, size, uploaded_by, created_at) VALUES (?, ?, ?, ?, ?)'),
    putContact: db.prepare(`INSERT INTO contacts (appeal_id, name, phone, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(appeal_id) DO UPDATE SET name = excluded.name, phone = excluded.phone, updated_by = excluded.updated_by, updated_at = excluded.updated_at`),
    contact: db.prepare('SELECT name, phone FROM contacts WHERE appeal_id = ?'),
    dueBy: db.prepare("SELECT id FROM appeals WHERE due_at IS NOT NULL AND due_at <= ? AND status NOT IN ('closed', 'merged') ORDER BY due_at"),
    nextClientSeq: db.prepare('SELECT coalesce(max(client_seq), 0) + 1 AS n FROM receipts WHERE device_id = ?'),
    appealRows: db.prepare('SELECT * FROM appeals ORDER BY id'),
    appealScope: db.prepare('SELECT village, dept FROM appeals WHERE id = ?'),
    updateCount: db.prepare('SELECT count(*) AS n FROM updates'),
  };

  type Row = { seq: number; bytes: Buffer };
  const snapshotOf = (docId: string) => q.snapshot.get(docId) as { state: Buffer; upto_seq: number } | undefined;
  const docParts = (docId: string): Uint8Array[] => {
    const snap = snapshotOf(docId);
    const rows = (q.docRows.all(docId) as Row[]).map((r) => bytesOf(r.bytes));
    return snap ? [bytesOf(snap.state), ...rows] : rows;
  };

  // Inside a push transaction the connection is held: its reads see the batch's own writes.
  const pushTx: PushTx = {
    seen: async (deviceId, clientSeq, userId) => q.seen.get(deviceId, clientSeq, userId) !== undefined,
    docParts: async (docId) => docParts(docId),
    insertUpdate: async (u: StoredUpdate, receivedAt) => {
      const seq = Number(q.insertUpdate.run(u.docId, u.deviceId, u.clientSeq, u.userId, Buffer.from(u.bytes), receivedAt).lastInsertRowid);
      q.insertReceipt.run(u.deviceId, u.clientSeq, u.userId, seq);
      return seq;
    },
    putContact: async (appealId, c, userId, now) => void q.putContact.run(appealId, c.name ?? null, c.phone ?? null, userId, now),
    nextClientSeq: async (deviceId) => (q.nextClientSeq.get(deviceId) as { n: number }).n,
    upsertProjection: async (p: AppealProjection, lastSeq, receivedAt) => {
      q.upsertAppeal.run(...appealValues(p, lastSeq, receivedAt));
    },
    upsertMeeting: async (m, lastSeq, receivedAt) => void q.upsertMeeting.run({ ...m, receivedAt, lastSeq }),
    linkAttachments: async (docId, hashes) => {
      q.unlinkAttachments.run(docId);
      for (const h of hashes) q.linkAttachment.run(h, docId);
    },
    appealScope: async (docId) => appealScope(docId),
    vouchAttachment: async (docId, hash, backers) => {
      q.unvouch.run(docId, hash);
      for (const b of new Set(backers)) q.vouch.run(docId, hash, b);
    },
    attachmentFacts: async (hash, userId) => {
      const upload = fileUpload(hash, userId);
      return { stored: q.file.get(hash) !== undefined, upload: upload ? (upload.done ? 'done' : 'open') : null, listings: attachmentListings(hash) };
    },
  };

  // One write transaction at a time on the one connection; everything else waits for it,
  // so no read outside a push ever sees that push's uncommitted rows.
  let busy: Promise<void> | null = null;
  const attachmentListings = (hash: string): AttachmentListing[] => {
    const listings = new Map<string, AttachmentListing>();
    for (const r of q.attachmentListings.all({ hash }) as { doc_id: string; village: string; dept: string | null; backer: string | null; ok: number | null }[]) {
      const l = listings.get(r.doc_id) ?? { docId: r.doc_id, villageCode: r.village, dept: r.dept, backers: [], valid: false };
      if (r.backer !== null) l.backers.push(r.backer);
      l.valid ||= r.ok === 1;
      listings.set(r.doc_id, l);
    }
    return [...listings.values()];
  };
  const fileUpload = (hash: string, userId: string) => {
    const r = q.fileUpload.get(hash, userId) as { size: number; started_at: number; done_at: number | null } | undefined;
    return r ? { size: r.size, startedAt: r.started_at, done: r.done_at !== null } : null;
  };
  const appealScope = (docId: string) => {
    const r = q.appealScope.get(docId) as { village: string; dept: string | null } | undefined;
    if (r) return { villageCode: r.village, dept: r.dept };
    const m = q.meetingScope.get(docId) as { village: string } | undefined;
    return m ? { villageCode: m.village, dept: null } : null;
  };


  const sync: Synchronous = {
    migrate,
    close: () => db.close(),
    getMeta: (key) => (q.getMeta.get(key) as { value: string } | undefined)?.value ?? null,
    setMeta: (key, value) => void q.setMeta.run(key, value),
    claimMeta: (key, value) => {
      q.claimMeta.run(key, value);
      return (q.getMeta.get(key) as { value: string }).value;
    },

    regionCount: () => (q.regionCount.get() as { n: number }).n,
    insertRegions: (regions) => db.transaction(() => regions.forEach((r) => q.insertRegion.run(r)))(),
    regionsUnder: (prefixes) => {
      const seen = new Map<string, Region>();
      for (const p of prefixes) {
        for (const r of q.regionsLike.all(`${p}%`) as { code: string; name: string; level: RegionLevel; parent: string | null }[]) {
          seen.set(r.code, r);
        }
      }
      return [...seen.values()].sort((a, b) => (a.code < b.code ? -1 : 1));
    },
    isVillage: (code) => q.isVillage.get(code) !== undefined,

    userCount: () => (q.userCount.get() as { n: number }).n,
    insertUser: (u: NewUser, now) => void q.insertUser.run(u.id, u.username, u.displayName, u.role, JSON.stringify(u.scope), u.passwordHash, now),
    userByUsername: (username) => toUser(q.userByName.get(username) as UserRow | undefined),
    userById: (id) => toUser(q.userById.get(id) as UserRow | undefined),
    users: () => (q.users.all() as UserRow[]).map((r) => toUser(r)!),

    createSession: (sid, refreshHash, userId, now, expiresAt) => void q.createSession.run(sid, refreshHash, userId, now, expiresAt),
    sessionByRefresh: (hash, now) => {
      const row = q.sessionByRefresh.get(hash, now) as (UserRow & { sid: string }) | undefined;
      return row ? { sid: row.sid, user: toUser(row)! } : null;
    },
    rotateRefresh: (sid, hash, expiresAt) => void q.rotateRefresh.run(hash, expiresAt, sid),
    sessionAlive: (sid, now) => q.sessionAlive.get(sid, now) !== undefined,
    deleteSession: (sid) => void q.deleteSession.run(sid),
    deleteUserSessions: (userId) => void q.deleteUserSessions.run(userId),
    updateUser: (id, change) =>
      db.transaction(() => {
        const current = toUser(q.userById.get(id) as UserRow | undefined);
        if (!current) return null;
        const next = { ...current, ...change };
        // Anything that changes what a token stands for ends every session of the user.
        const revoke = change.passwordHash !== undefined || change.disabled === true || change.role !== undefined || change.scope !== undefined;
        q.updateUser.run({ id, displayName: next.displayName, role: next.role, scope: JSON.stringify(next.scope), passwordHash: next.passwordHash, disabled: next.disabled ? 1 : 0, bump: revoke ? 1 : 0 });
        if (revoke) q.deleteUserSessions.run(id);
        return { user: toUser(q.userById.get(id) as UserRow)!, revoked: revoke };
      })(),
    insertAudit: (e) => void q.insertAudit.run({ target: null, ip: null, actor: null, ...e, detail: JSON.stringify(e.detail ?? {}) }),
    audit: (limit, before) =>
      (q.auditBefore.all(before ?? Number.MAX_SAFE_INTEGER, limit) as { id: number; at: number; actor: string | null; action: string; target: string | null; ip: string | null; detail: string }[]).map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> })),


    head: () => (q.head.get() as { seq: number } | undefined)?.seq ?? 0,
    changedDocs: (cursor, prefixes, limit, departments) => {
      if (prefixes.length === 0 || departments?.length === 0) return [];
      const { where, args } = scopeWhere(prefixes, departments);
      return (
        db
          .prepare(
            // Meetings belong to a village, never to a department: handlers do not receive them.
            departments
              ? `SELECT id, village, dept, anonymous, last_seq FROM appeals WHERE last_seq > ? AND (${where}) ORDER BY last_seq LIMIT ?`
              : `SELECT id, village, dept, anonymous, last_seq FROM appeals WHERE last_seq > ? AND (${where})
                 UNION ALL SELECT id, village, NULL, 1, last_seq FROM meetings WHERE last_seq > ? AND (${where}) ORDER BY last_seq LIMIT ?`,
          )
          .all(...(departments ? [cursor, ...args] : [cursor, ...args, cursor, ...args]), limit) as {
          id: string;
          village: string;
          dept: string | null;
          anonymous: number;
          last_seq: number;
        }[]
      ).map((r) => ({ docId: r.id, village: r.village, dept: r.dept, anonymous: r.anonymous === 1, lastSeq: r.last_seq }));
    },
    docPartsSince: (docId, cursor) => {
      const snap = snapshotOf(docId);
      if (snap && snap.upto_seq > cursor) return docParts(docId);
      return (q.docRowsAfter.all(docId, cursor) as Row[]).map((r) => bytesOf(r.bytes));
    },
    docParts,
    compact: (docId, minRows, merge) =>
      db.transaction(() => {
        const rows = q.docRows.all(docId) as Row[];
        if (rows.length < minRows) return false;
        const snap = snapshotOf(docId);
        const parts = [...(snap ? [bytesOf(snap.state)] : []), ...rows.map((r) => bytesOf(r.bytes))];
        const upto = rows[rows.length - 1]!.seq;
        q.putSnapshot.run(docId, Buffer.from(merge(parts)), upto);
        q.deleteRowsUpTo.run(docId, upto);
        return true;
      })(),

    appealRows: () => (q.appealRows.all() as Record<string, unknown>[]).map(appealFromRow),
    meetingRows: () => (q.meetingRows.all() as Record<string, unknown>[]).map(meetingFromRow),
    exportRows: (prefixes, departments, from, to) => {
      if (prefixes.length === 0 || departments?.length === 0) return [];
      const { where, args } = scopeWhere(prefixes, departments);
      return (db.prepare(`SELECT * FROM appeals WHERE created_at >= ? AND created_at < ? AND (${where}) ORDER BY created_at, id`).all(from, to, ...args) as Record<string, unknown>[]).map(appealFromRow);
    },
    rankRows: (prefixes, departments, since) => {
      if (prefixes.length === 0 || departments?.length === 0) return [];
      const { where, args } = scopeWhere(prefixes, departments);
      return (db.prepare(`SELECT ${RANK_COLUMNS} FROM appeals WHERE (created_at >= ? OR replied_at >= ?) AND (${where})`).all(since, since, ...args) as Record<string, unknown>[]).map(rankFromRow);
    },
    mapTally: (level, prefixes, departments, now) => {
      if (prefixes.length === 0 || departments?.length === 0) return [];
      const open = `status IN (${OPEN_STATUSES.map((st) => `'${st}'`).join(', ')})`;
      const { where, args } = scopeWhere(prefixes, departments);
      const rows = db
        .prepare(
          `SELECT ${level === 'town' ? 'town' : 'village'} AS code, count(*) AS total, sum(${open}) AS open,
             sum(${open} AND due_at IS NOT NULL AND due_at < ?) AS overdue,
             sum(${open} AND urgency = 'red') AS red, sum(${open} AND urgency = 'orange') AS orange, sum(${open} AND urgency = 'yellow') AS yellow
           FROM appeals WHERE ${where} GROUP BY code ORDER BY code`,
        )
        .all(now, ...args) as ({ code: string } & Tally)[];
      return rows;
    },
    attachmentScopes: (hash) => (q.attachmentScopes.all(hash, hash) as { village: string; dept: string | null }[]).map((r) => ({ villageCode: r.village, dept: r.dept })),
    file: (hash) => {
      const r = q.file.get(hash) as { hash: string; type: string; size: number; uploaded_by: string } | undefined;
      return r ? { hash: r.hash, type: r.type, size: r.size, uploadedBy: r.uploaded_by } : null;
    },
    putFile: (f, now) => void q.putFile.run(f.hash, f.type, f.size, f.uploadedBy, now),
    attachmentListings,
    fileUpload,
    openFileUpload: (hash, userId, size, now) => void q.openFileUpload.run(hash, userId, size, now),
    finishFileUpload: (hash, userId, size, now) => void q.finishFileUpload.run({ hash, user: userId, size, now }),
    dropFileUpload: (hash, userId) => void q.dropFileUpload.run(hash, userId),
    openFileUploads: (userId) => q.openFileUploads.get(userId) as { count: number; bytes: number },
    staleFileUploads: (before, limit) => (q.staleFileUploads.all(before, limit) as { hash: string; user_id: string }[]).map((r) => ({ hash: r.hash, userId: r.user_id })),
    contact: (appealId) => {
      const r = q.contact.get(appealId) as ContactRow | undefined;
      return r ? contactFromRow(r) : null;
    },
    // json_each takes any number of ids in one bound parameter.
    contacts: (appealIds) =>
      new Map((db.prepare('SELECT appeal_id, name, phone FROM contacts WHERE appeal_id IN (SELECT value FROM json_each(?))').all(JSON.stringify(appealIds)) as (ContactRow & { appeal_id: string })[]).map((r) => [r.appeal_id, contactFromRow(r)])),
    putCampaign: (c) =>
      void db.prepare('INSERT INTO campaigns (id, title, question, region, category, closes_on, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(c.id, c.title, c.question, c.region, c.category, c.closesOn, c.createdBy, c.createdAt),
    campaigns: () => (db.prepare(CAMPAIGN_STATEMENTS.list).all() as Record<string, unknown>[]).map(campaignFromRow),
    putSlot: (s, now) =>
      void db.prepare('INSERT INTO reception_slots (id, host, place, starts_at, ends_at, capacity, region, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(s.id, s.host, s.place, s.startsAt, s.endsAt, s.capacity, s.region, s.createdBy, now),
    slots: (from) => (db.prepare(CAMPAIGN_STATEMENTS.slots('?')).all(from) as Record<string, unknown>[]).map(slotFromRow),
    publishedAppeals: (limit, before) =>
      (db.prepare('SELECT * FROM appeals WHERE published_at IS NOT NULL AND published_at < ? ORDER BY published_at DESC, id LIMIT ?').all(before ?? Number.MAX_SAFE_INTEGER, limit) as Record<string, unknown>[]).map(appealFromRow),
    addComment: (c) => void db.prepare('INSERT INTO public_comments (id, appeal_id, body, created_at) VALUES (?, ?, ?, ?)').run(c.id, c.appealId, c.body, c.createdAt),
    comments: ({ id, appealId, status, regionPrefixes, limit }) => {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (id) {
        where.push('c.id = ?');
        args.push(id);
      }
      if (appealId) {
        where.push('c.appeal_id = ?');
        args.push(appealId);
      }
      if (status) {
        where.push('c.status = ?');
        args.push(status);
      }
      if (regionPrefixes) {
        if (regionPrefixes.length === 0) return [];
        const scope = scopeWhere(regionPrefixes, undefined, 'a.');
        where.push(`(${scope.where})`);
        args.push(...scope.args);
      }
      const sql = `SELECT ${COMMENT_COLUMNS} FROM public_comments c JOIN appeals a ON a.id = c.appeal_id ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.created_at DESC, c.id LIMIT ?`;
      return (db.prepare(sql).all(...args, limit) as Record<string, unknown>[]).map(commentFromRow);
    },
    moderateComment: (id, status, by, at) => db.prepare("UPDATE public_comments SET status = ?, moderated_by = ?, moderated_at = ? WHERE id = ? AND status = 'pending'").run(status, by, at, id).changes === 1,
    appealByEvalCode: (code) => {
      const r = db.prepare('SELECT * FROM appeals WHERE eval_code = ? LIMIT 1').get(code) as Record<string, unknown> | undefined;
      return r ? appealFromRow(r) : null;
    },
    appealsById: (ids) => (db.prepare('SELECT * FROM appeals WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(ids)) as Record<string, unknown>[]).map(appealFromRow),
    dueBy: (instant) => (q.dueBy.all(instant) as { id: string }[]).map((r) => r.id),
    appealScope,
    updateCount: () => (q.updateCount.get() as { n: number }).n,
    receiptCount: () => (q.receiptCount.get() as { n: number }).n,
  };

  const store = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(sync)) {
    store[name] = async (...args: unknown[]) => {
      // Runs in the same step the wait ends in, before another transaction can begin.
      while (busy) await busy;
      return (fn as (...a: unknown[]) => unknown)(...args);
    };
  }
  store.inPushTx = async <T>(fn: (tx: PushTx) => Promise<T>): Promise<T> => {
    // Checked and taken in one synchronous step: another waiter cannot slip in between.
    while (busy) await busy;
    let release!: () => void;
    busy = new Promise((r) => (release = r));
    try {
      db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(pushTx);
        db.exec('COMMIT');
        return out;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      busy = null;
      release();
    }
  };
  return store as unknown as Store;
}
