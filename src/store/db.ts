import { Dexie, type EntityTable, type Table, type Transaction } from 'dexie';
import yDexie from 'y-dexie';
import type * as Y from 'yjs';
import type { AlertFeed } from '../core/alerts';
import type { Contact } from '../core/appeal';
import type { MeetingProjection } from '../core/meeting';
import type { PatrolProjection } from '../core/patrol';
import type { PointsProjection } from '../core/points';
import type { AppealProjection } from '../core/projection';
import type { Region } from '../core/regions';
import { MAP_DELTAS, mapIndexMiddleware, REBUILD, type MapDeltaRow, type MapPackRow } from './map-index';

/** A local appeal row: the indexed projection plus the CRDT, which y-dexie stores apart. */
export interface AppealRow extends AppealProjection {
  doc: Y.Doc;
  /** The document's alert-worthy events (core/alerts.ts), derived with the projection; absent on rows not re-derived since. Not indexed. */
  alertFeed?: AlertFeed;
  /** Originals someone working the appeal asked for (original_requested): this phone sends them first. Not indexed. */
  originalsRequested?: string[];
  /** When the server first received it (server clock, Unix ms); absent until the device is told (src/store/receipts.ts). Not indexed. */
  receivedAt?: number;
}

/** A local change not yet acknowledged by the server. `seq` only grows on this device. */
export interface OutboxRow {
  seq: number;
  docId: string;
  /** Yjs update, V1 encoding as on the wire. */
  update: Uint8Array;
  /** The citizen's contact, sent with the appeal's first update and never put in the document. */
  contact?: Contact;
  createdAt: number;
  /** Sent again after the server was restored (store-epoch.ts): when it was queued again. */
  replay?: number;
  /** A replay the server could not place yet (it needs someone else's change first): held until the next full catch-up. */
  deferred?: 1;
}

/** A push the server acknowledged, kept for JOURNAL_MS in case the server is restored from an older backup. */
export interface SentRow {
  seq: number;
  docId: string;
  update: Uint8Array;
  contact?: Contact;
  /** Server time (corrected clock) of the ack. */
  ackedAt: number;
}

/** A citizen's name and phone, kept beside the appeal; only devices allowed to see it have one. */
export interface ContactRow extends Contact {
  appealId: string;
}

/** A change the server refused: kept, with its reason, until the user deals with it. */
export interface QuarantineRow {
  seq: number;
  docId: string;
  update: Uint8Array;
  reason: string;
  detail: string;
  at: number;
}

/** A bench meeting's list columns; its document lives in the same updates table as appeals'. */
export type MeetingRow = MeetingProjection;
/** A grid patrol's columns with its trail and check-ins (bounded, see core/patrol.ts); its document likewise. */
export type PatrolRow = PatrolProjection;
/** A village points sheet or rules document with its entries (bounded, see core/points.ts); its document likewise. */
export type PointsRow = PointsProjection;

/**
 * An attachment's bytes, kept on the device as a Blob. `pending` is 1 until the server holds
 * the whole file; `failed` says why the server refused it, for the user to see.
 */
export interface FileRow {
  hash: string;
  type: string;
  size: number;
  blob: Blob;
  pending: 0 | 1;
  /** Bytes the server confirmed, for the sync badge and resuming. */
  sent: number;
  failed?: string;
  createdAt: number;
  /** When this phone finished uploading it (device clock): after a server restore, it is sent again if after the backup. */
  uploadedAt?: number;
  /** A photo's preview (media budget): sent before any original. */
  preview?: 1;
  /** An original with a preview: it waits for the link, the user or a request (src/core/media-budget.ts). */
  hold?: 1;
  /** The user asked for this original to go now (现在上传原图), whatever the link. */
  forced?: 1;
}

/**
 * A hand-over bundle this phone carries for another (src/store/handover.ts): kept, bytes and
 * all, from import until the server has answered; a refused one stays with its reason.
 */
export interface CarriedBundleRow {
  /** Hex SHA-256 of the bundle: the same file imported twice is one row. */
  id: string;
  bytes: Uint8Array;
  state: 'waiting' | 'relayed' | 'refused';
  receivedAt: number;
  /** From the bundle, when it could be read. */
  keyId?: string;
  authorId?: string;
  createdAt?: number;
  records: number;
  relayedAt?: number;
  accepted?: number;
  rejected?: { seq: number; docId: string; reason: string; detail: string }[];
  /** Why the whole bundle was refused (at import or by the server). */
  refused?: { reason: string; detail: string };
  /** The last relay attempt that did not reach the server (it stays waiting). */
  lastError?: string;
}

export interface MetaRow {
  key: string;
  value: unknown;
}

export type MinshengDB = Dexie & {
  appeals: EntityTable<AppealRow, 'id'>;
  outbox: EntityTable<OutboxRow, 'seq'>;
  mapPacks: EntityTable<MapPackRow, 'village'>;
  mapDeltas: EntityTable<MapDeltaRow, 'id'>;
  quarantine: EntityTable<QuarantineRow, 'seq'>;
  meta: EntityTable<MetaRow, 'key'>;
  regions: EntityTable<Region, 'code'>;
  contacts: EntityTable<ContactRow, 'appealId'>;
  meetings: EntityTable<MeetingRow, 'id'>;
  files: EntityTable<FileRow, 'hash'>;
  patrols: EntityTable<PatrolRow, 'id'>;
  points: EntityTable<PointsRow, 'id'>;
  carried: EntityTable<CarriedBundleRow, 'id'>;
  sent: EntityTable<SentRow, 'seq'>;
};

export const APPEAL_UPDATES_TABLE = '$appeals.doc_updates';

/**
 * Every schema version ever shipped, in order. Never edit a shipped entry: add one. Dexie
 * upgrades a device's database through each step it has not seen, keeping its data.
 */
const SCHEMA: Record<string, string>[] = [
  {
    appeals: 'id, status, village, town, urgency, updatedAt, dueAt, createdBy, doc: Y.Doc',
    outbox: '++seq, docId',
    quarantine: 'seq, docId',
    meta: 'key',
    regions: 'code, parent, level',
  },
  // Pipeline queues look appeals up by department and tier. Rows gain their new columns
  // when policy.ts re-derives them on the next boot.
  { appeals: 'id, status, village, town, urgency, updatedAt, dueAt, createdBy, dept, tier, doc: Y.Doc' },
  // Citizens' contacts move out of the documents. Older documents keep theirs until the
  // server's state replaces them; nothing here rewrites a CRDT in place.
  { contacts: 'appealId' },
  // Field capture: bench meetings, appeals listed by meeting, attachments' bytes. Existing
  // rows gain `meetingId` when the projection version bump re-derives them.
  {
    appeals: 'id, status, village, town, urgency, updatedAt, dueAt, createdBy, dept, tier, meetingId, doc: Y.Doc',
    meetings: 'id, village, town, heldOn',
    files: 'hash, pending',
  },
  // The city tier: a county was stored with level 'city'; it is a county now (see UPGRADES).
  {},
  // Grid patrols (一日双巡): the town's coverage per village and day, a worker's running patrol.
  { patrols: 'id, village, town, day, createdBy, startedAt' },
  // Village points (积分): sheets and rules documents per village; balances are folded from them.
  { points: 'id, village, kind, createdBy' },
  // Hand-over (issue 30, item 2): bundles this phone carries for others until it relays them.
  { carried: 'id, state, receivedAt' },
  // Restore-aware sync (issue 31): acknowledged pushes kept a while, to send again to a restored server.
  { sent: 'seq, ackedAt' },
  // The map's packs of appeals per village and the changes not yet folded in (map-index.ts).
  { mapPacks: 'village', mapDeltas: 'id' },
];
export const SCHEMA_VERSION = SCHEMA.length;

/** Data rewritten when a device first opens a version (by 1-based version number). */
const UPGRADES: Record<number, (tx: Transaction) => Promise<unknown>> = {
  5: (tx) => tx.table('regions').where('level').equals('city').modify({ level: 'county' }),
  // The device's appeals are packed for the map when it first opens.
  10: (tx) => tx.table(MAP_DELTAS).put({ id: REBUILD }),
};

/** Opens the device's database; `version` below the latest is for upgrade tests only. */
export function openDb(name = 'minsheng', version = SCHEMA_VERSION): MinshengDB {
  // No shared cache for live queries: in Dexie 4.4 it deep-clones every result row on each read,
  // which doubled the cost of a long queue or the map on a slow phone; queries re-run after a
  // write commits instead (the lists share their queries themselves, ui/lingering.ts).
  const db = new Dexie(name, { addons: [yDexie], cache: 'disabled' }) as MinshengDB;
  db.use(mapIndexMiddleware);
  SCHEMA.slice(0, version).forEach((stores, i) => {
    const step = db.version(i + 1).stores(stores);
    const upgrade = UPGRADES[i + 1];
    if (upgrade) step.upgrade(upgrade);
  });
  return db;
}

/** y-dexie's own table of document updates; writes that touch a doc must include it. */
export function updatesTable(db: MinshengDB): Table {
  return db.table(APPEAL_UPDATES_TABLE);
}
