// The tables of policy articles and published work numbers, the same statement in both
// dialects (their types agree). `area_prefix` is the area's significant prefix (6/9/12
// digits), what the overlap with a scope compares.

export const ARTICLES_DDL = `CREATE TABLE articles (id TEXT PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, category TEXT NOT NULL,
    area TEXT NOT NULL, area_prefix TEXT NOT NULL, author_id TEXT NOT NULL, status TEXT NOT NULL, published_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
  CREATE INDEX articles_status_published ON articles(status, published_at);
  CREATE TABLE work_phones (user_id TEXT PRIMARY KEY, phone TEXT NOT NULL, updated_at BIGINT NOT NULL);`;
