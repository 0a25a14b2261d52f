import { QA_DDL } from '../qa/ddl';
import { recomputeGaps } from '../reports/problem-gaps';
import { ARTICLES_DDL } from '../articles/ddl';
import { SHARED_DDL } from '../shared-ddl';
import { SMS_DDL } from '../sms/ddl';
import { POINTS_DDL } from '../points/ddl';
import { HANDOVER_DDL } from '../handover/ddl';

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
  // The city tier: a county is stored as a county (it was 'city' when one deployment was one
  // county), that county's dispatchers become county dispatchers, and the dispatch loop's
  // ledger gets its columns. Projections are re-derived at start (server/jobs/reproject.ts).
  `
  ALTER TABLE appeals ADD COLUMN returns INTEGER NOT NULL DEFAULT 0, ADD COLUMN reassigns INTEGER NOT NULL DEFAULT 0, ADD COLUMN review TEXT,
    ADD COLUMN unreasonable TEXT, ADD COLUMN lead_tier TEXT, ADD COLUMN dispatch_minutes BIGINT;
  UPDATE regions SET level = 'county' WHERE level = 'city';
  UPDATE users SET role = 'county_dispatcher' WHERE role = 'city_dispatcher';
  `,
  // What a county or city desk's device holds, and browsing the rest by latest change, as in SQLite's migrations.
  `
  ALTER TABLE appeals ADD COLUMN reached TEXT, ADD COLUMN changed_at BIGINT NOT NULL DEFAULT 0;
  UPDATE appeals SET changed_at = GREATEST(received_at, updated_at);
  CREATE INDEX appeals_updated ON appeals(updated_at, id);
  `,
  // County servers' uplink keys, as in SQLite's migrations.
  `
  ${SHARED_DDL.relayKeys}
  `,
  // The weekly and monthly reports as issued, as in SQLite's migrations.
  `
  ${SHARED_DDL.issuedReports}
  `,
  // Reply quality checks and mediation, as in SQLite's migrations.
  `
  ALTER TABLE appeals ADD COLUMN quality_flags TEXT NOT NULL DEFAULT '', ADD COLUMN reply_id TEXT, ADD COLUMN quality TEXT,
    ADD COLUMN redo_count INTEGER NOT NULL DEFAULT 0, ADD COLUMN mediator TEXT, ADD COLUMN mediation_sessions INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN mediation_outcome TEXT;
  `,
  // Grid patrols, as in SQLite's migrations.
  `
  CREATE TABLE patrols (
    id TEXT PRIMARY KEY, village TEXT NOT NULL, town TEXT NOT NULL, created_by TEXT NOT NULL, by_name TEXT NOT NULL,
    started_at BIGINT NOT NULL, ended_at BIGINT, day TEXT NOT NULL, points INTEGER NOT NULL, checkins INTEGER NOT NULL,
    distance_m BIGINT NOT NULL, received_at BIGINT NOT NULL, last_seq BIGINT NOT NULL
  );
  CREATE INDEX patrols_town_day ON patrols(town, day);
  CREATE INDEX patrols_last_seq ON patrols(last_seq);
  `,
  // Online Q&A sessions, as in SQLite's migrations.
  `
  ${QA_DDL}
  `,
  // Policy articles and published work numbers, as in SQLite's migrations.
  `
  ${ARTICLES_DDL}
  `,
  // Village points, as in SQLite's migrations.
  `
  ${POINTS_DDL}
  `,
  // The SMS gateway's outbox, parts and opt-outs, as in SQLite's migrations.
  `
  ${SMS_DDL}
  `,
  // Hand-over device keys, digests and relays, as in SQLite's migrations.
  `
  ${HANDOVER_DDL}
  `,
  // The recorder's repeat link, as in SQLite's migrations.
  `
  ALTER TABLE appeals ADD COLUMN repeat_of TEXT;
  `,
  // A town desk's catch-up index, as in SQLite's migrations.
  `
  CREATE INDEX appeals_town_seq ON appeals(town, last_seq);
  `,
  // The rankings' repeat and re-complaint indexes, as in SQLite's migrations.
  `
  CREATE INDEX appeals_problem ON appeals(village, category, created_at);
  CREATE INDEX appeals_merged_into ON appeals(merged_into) WHERE merged_into IS NOT NULL;
  `,
  // The gaps behind repeats and re-complaints, as in SQLite's migrations.
  `
  ALTER TABLE appeals ADD COLUMN repeat_gap BIGINT;
  ALTER TABLE appeals ADD COLUMN comeback_gap BIGINT;
  ALTER TABLE appeals ADD COLUMN merge_gap BIGINT;
  ${recomputeGaps('1 = 1')};
  `,
  // An appeal's own handling minutes, as in SQLite's migrations.
  `
  ALTER TABLE appeals ADD COLUMN own_minutes DOUBLE PRECISION;
  `,
  // The reports' covering indexes, as in SQLite's migrations (the counted columns included, not keys).
  `
  DROP INDEX appeals_created;
  CREATE INDEX appeals_created ON appeals(created_at) INCLUDE (village, town, dept, tier, category, merged_into, repeat_gap, returns, reassigns, dispatch_minutes, received_at);
  DROP INDEX appeals_replied;
  CREATE INDEX appeals_replied ON appeals(replied_at) INCLUDE (village, town, dept, tier, on_time, handling_minutes, own_minutes, reopen_count, satisfaction, quality, redo_count, comeback_gap, merge_gap);
  `,
];
