import type pg from 'pg';
import type { Contact } from '../../../src/core/appeal';
import type { MeetingProjection } from '../../../src/core/meeting';
import type { PatrolSummary } from '../../../src/core/patrol';
import type { PointsProjection } from '../../../src/core/points';
import { POINTS_COLUMNS, POINTS_UPDATED, pointsValues } from '../points';
import type { AppealProjection } from '../../../src/core/projection';
import { appealScope } from '../documents';
import { attachmentFacts, vouchAttachment } from '../files';
import { pgRunner } from '../postgres/runner';
import type { WorkingHours } from '../../../src/core/calendar';
import { APPEAL_COLUMNS, APPEAL_REPLACED, appealValues, bytesOf, ownMinutesOf, PATROL_COLUMNS, patrolValues } from '../rows';
import { factsOf, maintainGaps, storedFacts, touchedBy } from '../reports/problem-gaps';
import { chunks } from '../sql';
import type { PushTx, StoredUpdate } from './contract';
import { docParts, NEXT_CLIENT_SEQ } from './index';
import { deviceLockKey, docLockKey, lockKeys, markInFlight } from './pg-locks';

// A push transaction on PostgreSQL that talks to the database a few times per batch, not
// several times per item: `prefetch` reads the batch's receipts and documents in two
// queries, writes are kept in order and sent as a handful of multi-row statements before
// COMMIT (or before any read that must see them). Round trips, not work, are what a batch
// of small updates costs on PostgreSQL. Pushes of other documents run alongside: a document
// is locked before it is first read or written, so its pushes still go one at a time.

interface Pending {
  updates: { seq: number; u: StoredUpdate; receivedAt: number }[];
  contacts: Map<string, [Contact, string, number]>;
  /** Projection, last seq, receipt, working hours; then its own handling minutes, once the stored receipt is read. */
  appeals: Map<string, [AppealProjection, number, number, WorkingHours | undefined, (number | null)?]>;
  meetings: Map<string, [MeetingProjection, number, number]>;
  patrols: Map<string, [PatrolSummary, number, number]>;
  points: Map<string, [PointsProjection, number, number]>;
  attachments: Map<string, string[]>;
}

const built = new Map<string, string>();
/** The same few lists of placeholders every push: built once each (a bound for the unusual ones). */
function once(key: string, build: () => string): string {
  let text = built.get(key);
  if (text === undefined) {
    if (built.size >= 2_000) built.clear();
    built.set(key, (text = build()));
  }
  return text;
}

/** `($n+1, $n+2, …), (…)` for `rows` rows of `width` values, after the `from` parameters before them. */
const placeholders = (rows: number, width: number, from: number) =>
  once(`${rows},${width},${from}`, () => Array.from({ length: rows }, (_, r) => `(${Array.from({ length: width }, (__, c) => `$${from + r * width + c + 1}`).join(', ')})`).join(', '));

export interface BufferedPushTx extends PushTx {
  /** Sends every write still held; called before COMMIT. */
  flush(): Promise<void>;
  /** The (seq, docId) of every update written, for the commit notification. */
  inserted: [number, string][];
  /** Update rows stored per document once this commits, where the transaction read them all. */
  rows: Map<string, number>;
}

interface Statement {
  /** Its text, numbering its parameters after the `from` of the statements packed before it. */
  sql: (from: number) => string;
  args: unknown[];
}

/** PostgreSQL's limit of parameters in one statement. */
const PARAMS_PER_STATEMENT = 65_535;

/**
 * Sends writes to different rows as few statements as the parameter limit allows, each group as
 * data-modifying CTEs of one statement (one round trip; they all see the same snapshot, so no
 * write of a group may depend on another of it).
 */
async function sendPacked(c: pg.PoolClient, statements: Statement[]): Promise<void> {
  let group: Statement[] = [];
  let params = 0;
  const send = async () => {
    if (group.length === 1) await c.query(group[0]!.sql(0), group[0]!.args);
    else if (group.length > 1) {
      let from = 0;
      const ctes = group.map((st, i) => {
        const text = `w${i} AS (${st.sql(from)})`;
        from += st.args.length;
        return text;
      });
      await c.query(`WITH ${ctes.join(', ')} SELECT 1`, group.flatMap((st) => st.args));
    }
    group = [];
    params = 0;
  };
  for (const st of statements) {
    if (params + st.args.length > PARAMS_PER_STATEMENT) await send();
    group.push(st);
    params += st.args.length;
  }
  await send();
}

/** Sends the held writes as multi-row statements, packed into as few round trips as the parameter limit allows. */
async function writePending(c: pg.PoolClient, pending: Pending): Promise<void> {
  const { updates, contacts, appeals, meetings, patrols, points, attachments } = pending;
  const writes: Statement[] = [];
  for (const part of chunks(updates)) {
    writes.push(
      {
        sql: (from) => `INSERT INTO updates (seq, doc_id, device_id, client_seq, user_id, bytes, received_at) VALUES ${placeholders(part.length, 7, from)}`,
        args: part.flatMap(({ seq, u, receivedAt }) => [seq, u.docId, u.deviceId, u.clientSeq, u.userId, Buffer.from(u.bytes), receivedAt]),
      },
      { sql: (from) => `INSERT INTO receipts (device_id, client_seq, user_id, seq) VALUES ${placeholders(part.length, 4, from)}`, args: part.flatMap(({ seq, u }) => [u.deviceId, u.clientSeq, u.userId, seq]) },
    );
  }
  for (const part of chunks([...contacts])) {
    writes.push({
      sql: (from) => `INSERT INTO contacts (appeal_id, name, phone, updated_by, updated_at) VALUES ${placeholders(part.length, 5, from)}
       ON CONFLICT (appeal_id) DO UPDATE SET name = excluded.name, phone = excluded.phone, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      args: part.flatMap(([id, [ct, by, at]]) => [id, ct.name ?? null, ct.phone ?? null, by, at]),
    });
  }
  for (const part of chunks([...appeals.values()])) {
    writes.push({
      sql: (from) => `INSERT INTO appeals (${APPEAL_COLUMNS.join(', ')}) VALUES ${placeholders(part.length, APPEAL_COLUMNS.length, from)}
       ON CONFLICT (id) DO UPDATE SET ${APPEAL_REPLACED},
         changed_at = GREATEST(appeals.changed_at, excluded.changed_at), last_seq = GREATEST(appeals.last_seq, excluded.last_seq)`,
      args: part.flatMap(([p, lastSeq, receivedAt, , own]) => appealValues(p, lastSeq, receivedAt, own ?? null)),
    });
  }
  for (const part of chunks([...meetings.values()])) {
    writes.push({
      sql: (from) => `INSERT INTO meetings (id, village, town, held_on, place, attendees, topics, created_by, created_at, ideas, adopted, received_at, last_seq)
       VALUES ${placeholders(part.length, 13, from)}
       ON CONFLICT (id) DO UPDATE SET village = excluded.village, town = excluded.town, held_on = excluded.held_on, place = excluded.place,
         attendees = excluded.attendees, topics = excluded.topics, ideas = excluded.ideas, adopted = excluded.adopted,
         last_seq = GREATEST(meetings.last_seq, excluded.last_seq)`,
      args: part.flatMap(([m, lastSeq, receivedAt]) => [m.id, m.village, m.town, m.heldOn, m.place, m.attendees, m.topics, m.createdBy, m.createdAt, m.ideas, m.adopted, receivedAt, lastSeq]),
    });
  }
  for (const part of chunks([...patrols.values()])) {
    writes.push({
      sql: (from) => `INSERT INTO patrols (${PATROL_COLUMNS.join(', ')}) VALUES ${placeholders(part.length, PATROL_COLUMNS.length, from)}
       ON CONFLICT (id) DO UPDATE SET ended_at = excluded.ended_at, points = excluded.points, checkins = excluded.checkins,
         distance_m = excluded.distance_m, last_seq = GREATEST(patrols.last_seq, excluded.last_seq)`,
      args: part.flatMap(([p, lastSeq, receivedAt]) => patrolValues(p, lastSeq, receivedAt)),
    });
  }
  for (const part of chunks([...points.values()])) {
    writes.push({
      sql: (from) => `INSERT INTO points_docs (${POINTS_COLUMNS.join(', ')}) VALUES ${placeholders(part.length, POINTS_COLUMNS.length, from)}
       ON CONFLICT (id) DO UPDATE SET ${POINTS_UPDATED}, last_seq = GREATEST(points_docs.last_seq, excluded.last_seq)`,
      args: part.flatMap(([p, lastSeq, receivedAt]) => pointsValues(p, lastSeq, receivedAt)),
    });
  }
  const pairs = [...attachments].flatMap(([doc, hashes]) => hashes.map((h) => [h, doc]));
  if (attachments.size > 0) writes.push({ sql: (from) => `DELETE FROM attachment_refs WHERE doc_id = ANY($${from + 1})`, args: [[...attachments.keys()]] });
  await sendPacked(c, writes);
  // After the DELETE's statement: within one, this insert would meet the rows it removes.
  if (pairs.length > 0) await c.query('INSERT INTO attachment_refs (hash, doc_id) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING', [pairs.map((p) => p[0]), pairs.map((p) => p[1])]);
}

/** What a batch already knows without asking the database again. */
interface Known {
  /** Idempotency keys (see `key`) and whether each is stored. */
  seenKeys: Map<string, boolean>;
  /** Stored parts of documents, as this transaction has written them so far. */
  stored: Map<string, Uint8Array[]>;
  /** Sequence numbers taken ahead, smallest first. */
  seqs: number[];
  /** Lock keys this transaction holds. */
  held: Set<string>;
  /** Whether it holds its in-flight marker. */
  marked: boolean;
  /** Update rows (not the snapshot) of each prefetched document, counting this transaction's. */
  rows: Map<string, number>;
}

const key = (deviceId: string, clientSeq: number, userId: string) => `${deviceId}\u0000${clientSeq}\u0000${userId}`;

/** Reads a batch's receipts and documents in two queries and takes its sequence numbers. */
async function readAhead(c: pg.PoolClient, ns: number, known: Known, deviceId: string, clientSeqs: number[], docIds: string[], userId: string): Promise<void> {
  // All of the batch's documents at once, in key order: two batches never wait on each other in a cycle.
  await lockKeys(c, known.held, docIds.map((id) => docLockKey(ns, id)));
  const [receipts, parts] = await Promise.all([
    c.query<{ client_seq: number }>('SELECT client_seq FROM receipts WHERE device_id = $1 AND client_seq = ANY($2) AND user_id = $3', [deviceId, clientSeqs, userId]),
    c.query<{ doc_id: string; bytes: Buffer; seq: number }>(
      `SELECT doc_id, bytes, seq FROM (SELECT doc_id, state AS bytes, -1 AS seq FROM snapshots WHERE doc_id = ANY($1)
         UNION ALL SELECT doc_id, bytes, seq FROM updates WHERE doc_id = ANY($1)) p ORDER BY doc_id, seq`,
      [docIds],
    ),
  ]);
  const found = new Set(receipts.rows.map((r) => r.client_seq));
  for (const s of clientSeqs) known.seenKeys.set(key(deviceId, s, userId), found.has(s));
  for (const id of docIds) {
    known.stored.set(id, []);
    known.rows.set(id, 0);
  }
  for (const r of parts.rows) {
    known.stored.get(r.doc_id)!.push(bytesOf(r.bytes));
    if (r.seq >= 0) known.rows.set(r.doc_id, known.rows.get(r.doc_id)! + 1);
  }
  known.seqs.push(...(await takeSeqs(c, ns, known, clientSeqs.length)));
}

/**
 * `n` sequence numbers, smallest first. The first call marks the push in flight (pg-locks.ts),
 * in the same round trip and before the numbers are taken: none of them is served until every
 * smaller one is settled.
 */
async function takeSeqs(c: pg.PoolClient, ns: number, known: Known, n: number): Promise<number[]> {
  if (!Number.isInteger(n) || n < 1) return [];
  const take = `SELECT nextval(pg_get_serial_sequence('updates', 'seq')) AS seq FROM generate_series(1, ${n})`;
  const got = (await c.query(known.marked ? take : `${markInFlight(ns)}; ${take}`)) as unknown as pg.QueryResult<{ seq: number }> | pg.QueryResult<{ seq: number }>[];
  known.marked = true;
  const rows = Array.isArray(got) ? got[got.length - 1]!.rows : got.rows;
  return rows.map((r) => r.seq).sort((a, b) => a - b);
}

/** `ns`: the deployment's lock namespace (pg-locks.ts). */
export function bufferedPushTx(c: pg.PoolClient, ns: number): BufferedPushTx {
  const pending: Pending = { updates: [], contacts: new Map(), appeals: new Map(), meetings: new Map(), patrols: new Map(), points: new Map(), attachments: new Map() };
  const known: Known = { seenKeys: new Map(), stored: new Map(), seqs: [], held: new Set(), marked: false, rows: new Map() };
  const { seenKeys, stored, seqs, held } = known;
  const lockDoc = (docId: string) => lockKeys(c, held, [docLockKey(ns, docId)]);
  const inserted: [number, string][] = [];
  // The same connection as a runner, for the reads both dialects share.
  const sql = pgRunner(c);
  async function flush(): Promise<void> {
    const ids = [...pending.appeals.keys()];
    // A document this batch found nothing stored of has no row yet: no need to ask.
    const before = await storedFacts(sql, ids.filter((id) => stored.get(id)?.length !== 0));
    for (const entry of pending.appeals.values()) entry[4] = ownMinutesOf(entry[0], before.get(entry[0].id), entry[2], entry[3]);
    await writePending(c, pending);
    const { updates, contacts, appeals, meetings, patrols, points, attachments } = pending;
    await maintainGaps(sql, ids.flatMap((id) => touchedBy(id, before.get(id), factsOf(appeals.get(id)![0], before.get(id))) ?? []));
    // What was sent is now part of the stored documents this transaction reads.
    for (const { u } of updates) stored.get(u.docId)?.push(u.bytes);
    pending.updates = [];
    contacts.clear();
    appeals.clear();
    meetings.clear();
    patrols.clear();
    points.clear();
    attachments.clear();
  }

  async function readDoc(docId: string): Promise<Uint8Array[]> {
    await lockDoc(docId);
    const parts = await docParts(sql, docId);
    stored.set(docId, parts);
    return parts;
  }

  return {
    inserted,
    rows: known.rows,
    flush,
    prefetch: (deviceId, clientSeqs, docIds, userId) => readAhead(c, ns, known, deviceId, clientSeqs, docIds, userId),
    seen: async (deviceId, clientSeq, userId) => {
      const known = seenKeys.get(key(deviceId, clientSeq, userId));
      if (known !== undefined) return known;
      const r = await c.query('SELECT 1 FROM receipts WHERE device_id = $1 AND client_seq = $2 AND user_id = $3', [deviceId, clientSeq, userId]);
      return r.rowCount! > 0;
    },
    docParts: async (docId) => {
      const base = stored.get(docId) ?? (await readDoc(docId));
      return [...base, ...pending.updates.filter((p) => p.u.docId === docId).map((p) => p.u.bytes)];
    },
    insertUpdate: async (u, receivedAt) => {
      await lockDoc(u.docId);
      const seq = seqs.shift() ?? (await takeSeqs(c, ns, known, 1))[0]!;
      pending.updates.push({ seq, u, receivedAt });
      seenKeys.set(key(u.deviceId, u.clientSeq, u.userId), true);
      inserted.push([seq, u.docId]);
      const rows = known.rows.get(u.docId);
      if (rows !== undefined) known.rows.set(u.docId, rows + 1);
      return seq;
    },
    putContact: async (appealId, contact, userId, now) => void pending.contacts.set(appealId, [contact, userId, now]),
    nextClientSeq: async (deviceId) => {
      // Two instances' scanners would otherwise both take the same number.
      await lockKeys(c, held, [deviceLockKey(ns, deviceId)]);
      await flush();
      return (await sql.get<{ n: number }>(NEXT_CLIENT_SEQ, [deviceId]))!.n;
    },
    upsertProjection: async (p, lastSeq, receivedAt, hours) => {
      // Within a batch the later change of a document wins; its last_seq is the higher.
      const before = pending.appeals.get(p.id);
      pending.appeals.set(p.id, [p, Math.max(lastSeq, before?.[1] ?? 0), before?.[2] ?? receivedAt, hours ?? before?.[3]]);
    },
    upsertMeeting: async (m, lastSeq, receivedAt) => {
      const before = pending.meetings.get(m.id);
      pending.meetings.set(m.id, [m, Math.max(lastSeq, before?.[1] ?? 0), before?.[2] ?? receivedAt]);
    },
    upsertPatrol: async (p, lastSeq, receivedAt) => {
      const before = pending.patrols.get(p.id);
      pending.patrols.set(p.id, [p, Math.max(lastSeq, before?.[1] ?? 0), before?.[2] ?? receivedAt]);
    },
    upsertPoints: async (p, lastSeq, receivedAt) => {
      const before = pending.points.get(p.id);
      pending.points.set(p.id, [p, Math.max(lastSeq, before?.[1] ?? 0), before?.[2] ?? receivedAt]);
    },
    linkAttachments: async (docId, hashes) => void pending.attachments.set(docId, [...new Set(hashes)]),
    appealScope: async (docId) => {
      await flush();
      return appealScope(sql, docId);
    },
    vouchAttachment: (docId, hash, backers) => vouchAttachment(sql, docId, hash, backers),
    attachmentFacts: async (hash, userId) => {
      // The listings this batch already made count.
      await flush();
      return attachmentFacts(sql, hash, userId);
    },
  };
}
