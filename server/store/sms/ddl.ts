// Replies by SMS (server/sms): the durable outbox, the SMSC's ids of each part sent (to match
// delivery receipts), and the numbers that opted out, as keyed hashes. Both dialects run it.

export const SMS_DDL = `CREATE TABLE sms_outbox (id TEXT PRIMARY KEY, dedupe TEXT NOT NULL UNIQUE, appeal_id TEXT, purpose TEXT NOT NULL, body TEXT NOT NULL,
    phone TEXT, ref INTEGER NOT NULL, parts INTEGER NOT NULL DEFAULT 0, sent_parts INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL,
    reason TEXT, attempts INTEGER NOT NULL DEFAULT 0, next_at BIGINT NOT NULL, claimed_until BIGINT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
  CREATE INDEX sms_outbox_due ON sms_outbox(state, next_at);
  CREATE INDEX sms_outbox_appeal ON sms_outbox(appeal_id);
  CREATE TABLE sms_parts (smsc_id TEXT PRIMARY KEY, outbox_id TEXT NOT NULL, seq INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT, at BIGINT NOT NULL);
  CREATE INDEX sms_parts_outbox ON sms_parts(outbox_id);
  CREATE TABLE sms_optouts (number_hash TEXT PRIMARY KEY, created_at BIGINT NOT NULL);`;
