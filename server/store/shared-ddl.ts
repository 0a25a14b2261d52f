// Tables both dialects create with the same statement (their types agree).

export const SHARED_DDL = {
  comments: `CREATE TABLE public_comments (id TEXT PRIMARY KEY, appeal_id TEXT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', moderated_by TEXT, moderated_at BIGINT);
  CREATE INDEX public_comments_appeal ON public_comments(appeal_id, status);
  CREATE INDEX public_comments_status ON public_comments(status, created_at);`,
  civic: `CREATE INDEX appeals_campaign ON appeals(campaign_id) WHERE campaign_id IS NOT NULL;
  CREATE INDEX appeals_reception ON appeals(reception_slot) WHERE reception_slot IS NOT NULL;
  CREATE TABLE campaigns (id TEXT PRIMARY KEY, title TEXT NOT NULL, question TEXT NOT NULL, region TEXT NOT NULL, category TEXT NOT NULL,
    closes_on TEXT NOT NULL, created_by TEXT NOT NULL, created_at BIGINT NOT NULL);
  CREATE TABLE reception_slots (id TEXT PRIMARY KEY, host TEXT NOT NULL, place TEXT NOT NULL, starts_at BIGINT NOT NULL, ends_at BIGINT NOT NULL,
    capacity INTEGER NOT NULL, region TEXT NOT NULL, created_by TEXT NOT NULL, created_at BIGINT NOT NULL);
  CREATE INDEX reception_slots_starts ON reception_slots(starts_at);`,
  fileUploads: `CREATE TABLE file_uploads (hash TEXT NOT NULL, user_id TEXT NOT NULL, size BIGINT NOT NULL, started_at BIGINT NOT NULL, done_at BIGINT,
    PRIMARY KEY (hash, user_id));
  CREATE INDEX file_uploads_open ON file_uploads(user_id) WHERE done_at IS NULL;
  CREATE INDEX file_uploads_started ON file_uploads(started_at) WHERE done_at IS NULL;
  INSERT INTO file_uploads (hash, user_id, size, started_at, done_at) SELECT hash, uploaded_by, size, created_at, created_at FROM files;
  CREATE TABLE attachment_backers (doc_id TEXT NOT NULL, hash TEXT NOT NULL, backer TEXT NOT NULL, PRIMARY KEY (doc_id, hash, backer));
  INSERT INTO attachment_backers (doc_id, hash, backer) SELECT doc_id, hash, '' FROM attachment_refs;`,
  relayKeys: `CREATE TABLE relay_keys (id TEXT PRIMARY KEY, county TEXT NOT NULL, public_key TEXT NOT NULL, label TEXT NOT NULL,
    created_by TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT, last_seen_at BIGINT);`,
  issuedReports: `CREATE TABLE issued_reports (scope TEXT NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL, period_from BIGINT NOT NULL,
    period_to BIGINT NOT NULL, issued_at BIGINT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (scope, kind, label));`,
};
