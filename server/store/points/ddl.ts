// Village points documents' rows (points/index.ts); the same statement in both dialects.
export const POINTS_DDL = `CREATE TABLE points_docs (id TEXT PRIMARY KEY, village TEXT NOT NULL, town TEXT NOT NULL, kind TEXT NOT NULL,
    created_by TEXT NOT NULL, by_name TEXT NOT NULL, created_at BIGINT NOT NULL, meeting_id TEXT, body TEXT NOT NULL,
    received_at BIGINT NOT NULL, last_seq BIGINT NOT NULL);
  CREATE INDEX points_docs_village ON points_docs(village);
  CREATE INDEX points_docs_last_seq ON points_docs(last_seq);`;
