// Hand-over (issue 30, item 2), created alike by both dialects (BIGINT is an INTEGER to SQLite):
// each device's bundle-signing key, the digest of every record applied from a bundle (to tell a
// replay with changes), and what each relayed bundle came to (shown to its sender).
export const HANDOVER_DDL = `CREATE TABLE device_keys (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, device_id TEXT NOT NULL, public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL, revoked_at BIGINT);
  CREATE INDEX device_keys_user_device ON device_keys(user_id, device_id);
  CREATE TABLE handover_entries (device_id TEXT NOT NULL, seq BIGINT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (device_id, seq));
  CREATE TABLE handover_relays (digest TEXT PRIMARY KEY, key_id TEXT NOT NULL, carrier TEXT NOT NULL, at BIGINT NOT NULL, outcome TEXT NOT NULL);
  CREATE INDEX handover_relays_key ON handover_relays(key_id, at);`;
