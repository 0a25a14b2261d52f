import { QA_DDL } from '../qa/ddl';
import { recomputeGaps } from '../reports/problem-gaps';
import { ARTICLES_DDL } from '../articles/ddl';
import { SHARED_DDL } from '../shared-ddl';
import { SMS_DDL } from '../sms/ddl';
import { POINTS_DDL } from '../points/ddl';
import { HANDOVER_DDL } from '../handover/ddl';

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
  // The city tier: a county is stored as a county (it was 'city' when one deployment was one
  // county), that county's dispatchers become county dispatchers, and the dispatch loop's
  // ledger gets its columns. Projections are re-derived at start (server/jobs/reproject.ts).
  `
  ALTER TABLE appeals ADD COLUMN returns INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE appeals ADD COLUMN reassigns INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE appeals ADD COLUMN review TEXT;
  ALTER TABLE appeals ADD COLUMN unreasonable TEXT;
  ALTER TABLE appeals ADD COLUMN lead_tier TEXT;
  ALTER TABLE appeals ADD COLUMN dispatch_minutes INTEGER;
  UPDATE regions SET level = 'county' WHERE level = 'city';
  UPDATE users SET role = 'county_dispatcher' WHERE role = 'city_dispatcher';
  `,
  // What a county or city desk's device holds (src/core/holdings.ts): the highest tier an
  // appeal has reached and when its latest change was committed. Older rows get the tier from
  // the re-derivation at start and, for the time, their later of first receipt and last event.
  // Desks browse what they do not hold by latest change.
  `
  ALTER TABLE appeals ADD COLUMN reached TEXT;
  ALTER TABLE appeals ADD COLUMN changed_at INTEGER NOT NULL DEFAULT 0;
  UPDATE appeals SET changed_at = max(received_at, updated_at);
  CREATE INDEX appeals_updated ON appeals(updated_at, id);
  `,
  // County servers' uplink keys (issue 25): registered by the city's admin, revocable.
  `
  ${SHARED_DDL.relayKeys}
  `,
  // The weekly and monthly reports as issued when their period closed (issue 28).
  `
  ${SHARED_DDL.issuedReports}
  `,
  // Reply quality checks (质检): the rules the standing reply trips, the reply itself, the
  // reviewer's verdict and the redo count; mediation (调解): the mediator, sessions, outcome.
  // Filled by the re-derivation at start.
  `
  ALTER TABLE appeals ADD COLUMN quality_flags TEXT NOT NULL DEFAULT '';
  ALTER TABLE appeals ADD COLUMN reply_id TEXT;
  ALTER TABLE appeals ADD COLUMN quality TEXT;
  ALTER TABLE appeals ADD COLUMN redo_count INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE appeals ADD COLUMN mediator TEXT;
  ALTER TABLE appeals ADD COLUMN mediation_sessions INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE appeals ADD COLUMN mediation_outcome TEXT;
  `,
  // Grid patrols (一日双巡, core/patrol.ts): their own documents; the row keeps the counts the
  // town's coverage reads, the trail stays in the document.
  `
  CREATE TABLE patrols (
    id TEXT PRIMARY KEY, village TEXT NOT NULL, town TEXT NOT NULL, created_by TEXT NOT NULL, by_name TEXT NOT NULL,
    started_at INTEGER NOT NULL, ended_at INTEGER, day TEXT NOT NULL, points INTEGER NOT NULL, checkins INTEGER NOT NULL,
    distance_m INTEGER NOT NULL, received_at INTEGER NOT NULL, last_seq INTEGER NOT NULL
  );
  CREATE INDEX patrols_town_day ON patrols(town, day);
  CREATE INDEX patrols_last_seq ON patrols(last_seq);
  `,
  // Online Q&A sessions (在线访谈, issue 29): sessions and the questions citizens post to them.
  `
  ${QA_DDL}
  `,
  // Policy information (为您服务, issue 29): officials' articles; work numbers published on the contact cards (干群连心卡).
  `
  ${ARTICLES_DDL}
  `,
  // Village points (积分, issue 29): one row per points sheet or rules document (server/store/points).
  `
  ${POINTS_DDL}
  `,
  // Replies by SMS (issue 29): the gateway's durable outbox, the parts the SMSC accepted, the opt-out list (server/store/sms).
  `
  ${SMS_DDL}
  `,
  // Hand-over without a network (issue 30, item 2): device keys, applied records' digests, relays (server/store/handover).
  `
  ${HANDOVER_DDL}
  `,
  // Duplicate hints (issue 30, item 4): the recorder's link to the earlier appeal a new one repeats;
  // special governance follows it (src/core/repeats.ts). Null on every appeal recorded before.
  `
  ALTER TABLE appeals ADD COLUMN repeat_of TEXT;
  `,
  // A town desk's catch-up reads its appeals in sequence order off this index (sync-log's
  // seekableScope) instead of walking the whole city's sequence.
  `
  CREATE INDEX appeals_town_seq ON appeals(town, last_seq);
  `,
  // The rankings judge repeats and re-complaints in the database (server/store/reports): the
  // same village and category around an appeal's recording or reply, and the duplicates merged into it.
  `
  CREATE INDEX appeals_problem ON appeals(village, category, created_at);
  CREATE INDEX appeals_merged_into ON appeals(merged_into) WHERE merged_into IS NOT NULL;
  `,
  // Each appeal keeps the gaps that decide whether it repeats an earlier problem and whether
  // its problem came back after its reply (reports/problem-gaps.ts), worked out here once.
  `
  ALTER TABLE appeals ADD COLUMN repeat_gap INTEGER;
  ALTER TABLE appeals ADD COLUMN comeback_gap INTEGER;
  ALTER TABLE appeals ADD COLUMN merge_gap INTEGER;
  ${recomputeGaps('1 = 1')};
  `,
  // An appeal's own handling minutes (its handling less its wait to sync, src/core/metrics.ts),
  // kept as it is written; the rows before are filled at start (server/jobs/own-minutes.ts).
  `
  ALTER TABLE appeals ADD COLUMN own_minutes REAL;
  `,
  // The reports' reads by recording and by reply time carry what the rankings and trends count,
  // so a city's month is read from the index alone, without a visit to each appeal's row.
  `
  DROP INDEX appeals_created;
  CREATE INDEX appeals_created ON appeals(created_at, village, town, dept, tier, category, merged_into, repeat_gap, returns, reassigns, dispatch_minutes, received_at);
  DROP INDEX appeals_replied;
  CREATE INDEX appeals_replied ON appeals(replied_at, village, town, dept, tier, on_time, handling_minutes, own_minutes, reopen_count, satisfaction, quality, redo_count, comeback_gap, merge_gap);
  `,
];
