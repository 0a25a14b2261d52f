// The Q&A tables, created alike by both dialects (BIGINT is an INTEGER to SQLite).
export const QA_DDL = `CREATE TABLE qa_sessions (id TEXT PRIMARY KEY, topic TEXT NOT NULL, host TEXT NOT NULL, region TEXT NOT NULL, dept TEXT,
    starts_at BIGINT NOT NULL, ends_at BIGINT NOT NULL, created_by TEXT NOT NULL, created_at BIGINT NOT NULL);
  CREATE INDEX qa_sessions_starts ON qa_sessions(starts_at);
  CREATE TABLE qa_questions (id TEXT PRIMARY KEY, session_id TEXT NOT NULL REFERENCES qa_sessions(id), body TEXT NOT NULL, created_at BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', moderated_by TEXT, moderated_at BIGINT, answer TEXT, answered_by TEXT, answered_at BIGINT,
    appeal_id TEXT, eval_code TEXT);
  CREATE INDEX qa_questions_session ON qa_questions(session_id, status, created_at);`;
