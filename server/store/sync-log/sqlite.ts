import { appealScope } from '../documents';
import { attachmentFacts, vouchAttachment } from '../files';
import { APPEAL_COLUMNS, APPEAL_REPLACED, appealValues, ownMinutesOf, PATROL_COLUMNS, patrolValues } from '../rows';
import { factsOf, maintainGaps, storedFacts, touchedBy } from '../reports/problem-gaps';
import { valueRows, type Sql } from '../sql';
import { POINTS_COLUMNS, POINTS_UPDATED, pointsValues } from '../points';
import type { PushTx, SyncLog } from './contract';
import { docParts, NEXT_CLIENT_SEQ, sharedSyncLog } from './index';

// SQLite's push transaction: one connection, so every statement runs at once and reads
// see the batch's writes without buffering.

const UPSERT_APPEAL = `INSERT INTO appeals (${APPEAL_COLUMNS.join(', ')}) VALUES ${valueRows(1, APPEAL_COLUMNS.length)}
  ON CONFLICT (id) DO UPDATE SET ${APPEAL_REPLACED}, changed_at = max(changed_at, excluded.changed_at), last_seq = max(last_seq, excluded.last_seq)`;
const UPSERT_MEETING = `INSERT INTO meetings (id, village, town, held_on, place, attendees, topics, created_by, created_at, ideas, adopted, received_at, last_seq)
  VALUES ${valueRows(1, 13)}
  ON CONFLICT (id) DO UPDATE SET village = excluded.village, town = excluded.town, held_on = excluded.held_on,
    place = excluded.place, attendees = excluded.attendees, topics = excluded.topics, ideas = excluded.ideas,
    adopted = excluded.adopted, last_seq = max(last_seq, excluded.last_seq)`;

const UPSERT_PATROL = `INSERT INTO patrols (${PATROL_COLUMNS.join(', ')}) VALUES ${valueRows(1, PATROL_COLUMNS.length)}
  ON CONFLICT (id) DO UPDATE SET ended_at = excluded.ended_at, points = excluded.points, checkins = excluded.checkins,
    distance_m = excluded.distance_m, last_seq = max(last_seq, excluded.last_seq)`;

const UPSERT_POINTS = `INSERT INTO points_docs (${POINTS_COLUMNS.join(', ')}) VALUES ${valueRows(1, POINTS_COLUMNS.length)}
  ON CONFLICT (id) DO UPDATE SET ${POINTS_UPDATED}, last_seq = max(last_seq, excluded.last_seq)`;

function sqlitePushTx(tx: Sql): PushTx {
  return {
    seen: async (deviceId, clientSeq, userId) => (await tx.get('SELECT 1 AS x FROM receipts WHERE device_id = ? AND client_seq = ? AND user_id = ?', [deviceId, clientSeq, userId])) !== undefined,
    docParts: (docId) => docParts(tx, docId),
    insertUpdate: async (u, receivedAt) => {
      const { seq } = (await tx.get<{ seq: number }>('INSERT INTO updates (doc_id, device_id, client_seq, user_id, bytes, received_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq', [
        u.docId, u.deviceId, u.clientSeq, u.userId, Buffer.from(u.bytes), receivedAt,
      ]))!;
      await tx.run('INSERT INTO receipts (device_id, client_seq, user_id, seq) VALUES (?, ?, ?, ?)', [u.deviceId, u.clientSeq, u.userId, seq]);
      return seq;
    },
    putContact: async (appealId, c, userId, now) =>
      void (await tx.run(
        `INSERT INTO contacts (appeal_id, name, phone, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (appeal_id) DO UPDATE SET name = excluded.name, phone = excluded.phone, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
        [appealId, c.name ?? null, c.phone ?? null, userId, now],
      )),
    nextClientSeq: async (deviceId) => (await tx.get<{ n: number }>(NEXT_CLIENT_SEQ, [deviceId]))!.n,
    upsertProjection: async (p, lastSeq, receivedAt, hours) => {
      const before = (await storedFacts(tx, [p.id])).get(p.id);
      await tx.run(UPSERT_APPEAL, appealValues(p, lastSeq, receivedAt, ownMinutesOf(p, before, receivedAt, hours)));
      const touched = touchedBy(p.id, before, factsOf(p, before));
      if (touched) await maintainGaps(tx, [touched]);
    },
    upsertMeeting: async (m, lastSeq, receivedAt) =>
      void (await tx.run(UPSERT_MEETING, [m.id, m.village, m.town, m.heldOn, m.place, m.attendees, m.topics, m.createdBy, m.createdAt, m.ideas, m.adopted, receivedAt, lastSeq])),
    upsertPatrol: async (p, lastSeq, receivedAt) => void (await tx.run(UPSERT_PATROL, patrolValues(p, lastSeq, receivedAt))),
    upsertPoints: async (p, lastSeq, receivedAt) => void (await tx.run(UPSERT_POINTS, pointsValues(p, lastSeq, receivedAt))),
    linkAttachments: async (docId, hashes) => {
      await tx.run('DELETE FROM attachment_refs WHERE doc_id = ?', [docId]);
      for (const h of new Set(hashes)) await tx.run('INSERT INTO attachment_refs (hash, doc_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [h, docId]);
    },
    appealScope: (docId) => appealScope(tx, docId),
    vouchAttachment: (docId, hash, backers) => vouchAttachment(tx, docId, hash, backers),
    attachmentFacts: (hash, userId) => attachmentFacts(tx, hash, userId),
  };
}

export function sqliteSyncLog(sql: Sql): SyncLog {
  return {
    ...sharedSyncLog(sql),
    // SQLite runs one transaction at a time: the sequence is the commit order.
    inPushTx: (fn) => sql.transaction((tx) => fn(sqlitePushTx(tx))),
    head: async () => (await sql.get<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'updates'"))?.seq ?? 0,
  };
}
