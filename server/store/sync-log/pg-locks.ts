import type pg from 'pg';

// Advisory-lock keys of push transactions on PostgreSQL. Each deployment (schema) has a
// namespace, so several on one database do not meet in pg_locks. Keys are built in SQL
// (bigint arithmetic), never as JS numbers, which lose bits above 2^53.

/** A schema's namespace, 20 bits (FNV-1a of its name); a collision only delays a safe head. */
export function namespaceOf(schema: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < schema.length; i++) h = Math.imul(h ^ schema.charCodeAt(i), 0x01000193) >>> 0;
  return h & 0xfffff;
}

/**
 * The in-flight marker's key: a push holds it (shared) from just before it takes its first
 * sequence number until its commit has been announced (or it rolled back), keyed with a lower
 * bound of every number it takes. 2^60 + ns·2^40 + seq.
 *
 * It is a session lock, not a transaction lock, because the announcement (NOTIFY) goes in a
 * transaction of its own after the push's COMMIT: a transaction that notifies holds one lock
 * for the whole database from its commit until its WAL is on disk, so notifying inside the
 * push made every push's disk flush wait in one line. Held past the COMMIT, the marker keeps
 * the safe head from passing a commit whose announcement is not queued yet.
 */
const markerBase = (ns: number) => `((1::bigint << 60) + (${ns}::bigint << 40))`;

const LAST_SEQ = "coalesce(pg_sequence_last_value(pg_get_serial_sequence('updates', 'seq')), 0)";

/** The marker, taken in a statement before the push's first nextval. */
export const markInFlight = (ns: number) => `SELECT pg_advisory_lock_shared(${markerBase(ns)} + ${LAST_SEQ} + 1)`;

/**
 * Lets go of the marker, after the push's commit is announced or after its rollback. Every
 * session lock: a failure between taking the marker and learning it was taken leaves nothing
 * behind, and a pooled connection holds no other session lock (the migration lock has a
 * connection of its own).
 */
export const RELEASE_MARKERS = 'SELECT pg_advisory_unlock_all()';

/**
 * The safe head: the largest sequence number such that every one up to it is committed or
 * abandoned. The sequence's last value is read before the markers (the lateral join makes
 * it so): a transaction that took a number by then already held its marker.
 */
export function safeHeadSql(ns: number): string {
  const classLo = 2 ** 28 + ns * 256;
  return `SELECT CASE WHEN m.lo IS NULL THEN l.v ELSE LEAST(l.v, m.lo - 1) END AS h
    FROM (SELECT ${LAST_SEQ} AS v OFFSET 0) l,
    LATERAL (SELECT min((classid::bigint << 32) + objid::bigint - ${markerBase(ns)}) AS lo FROM pg_locks
      WHERE l.v IS NOT NULL AND locktype = 'advisory' AND objsubid = 1 AND classid::bigint BETWEEN ${classLo} AND ${classLo + 255}
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) m`;
}

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * A document's lock (2^61 + ns·2^32 + hash), as a decimal string for a bigint parameter. One key
 * per document, not a few hundred buckets: with 1,024 buckets, ten phones pushing twenty new
 * appeals each almost always shared a bucket with another push and waited for its commit.
 * A push locks at most its own documents (`MAX_PUSH_ITEMS`), so the lock table stays bounded.
 */
export const docLockKey = (ns: number, docId: string): string => ((2n << 60n) + (BigInt(ns) << 32n) + BigInt(hash32(docId))).toString();
/** A device's lock, for server-side writers numbering their own updates (3·2^60 + ns·2^32 + hash). */
export const deviceLockKey = (ns: number, deviceId: string): string => ((3n << 60n) + (BigInt(ns) << 32n) + BigInt(hash32(deviceId))).toString();

/**
 * Takes the locks of `keys` this transaction does not hold yet, in ascending order, in one
 * round trip: two transactions locking overlapping sets this way never wait on each other in a cycle.
 */
export async function lockKeys(c: Pick<pg.PoolClient, 'query'>, held: Set<string>, keys: string[]): Promise<void> {
  const fresh = [...new Set(keys)].filter((k) => !held.has(k)).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  if (fresh.length === 0) return;
  await c.query('SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k', [fresh]);
  for (const k of fresh) held.add(k);
}
