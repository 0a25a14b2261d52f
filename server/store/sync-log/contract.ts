import type { HoldingBounds, HoldingRow } from '../../../src/core/holdings';
import type { Contact } from '../../../src/core/appeal';
import type { MeetingProjection } from '../../../src/core/meeting';
import type { PatrolSummary } from '../../../src/core/patrol';
import type { PointsProjection } from '../../../src/core/points';
import type { WorkingHours } from '../../../src/core/calendar';
import type { AppealProjection } from '../../../src/core/projection';
import type { DocScope } from '../documents/contract';
import type { AttachmentFacts } from '../files/contract';

/**
 * The log every device syncs through. Each stored update gets the next number of one
 * global sequence; a client's catch-up cursor is a number in it.
 *
 * - Ordering: a cursor never steps over an update that commits later. SQLite commits push
 *   transactions one at a time, so its sequence is the commit order; PostgreSQL runs pushes of
 *   different documents side by side and serves nothing past the safe head (`head`).
 * - Idempotency: an update is keyed by (device, client seq, user); a resend of a stored key
 *   is acknowledged again, never stored twice. Keys outlive the rows compaction folds away.
 * - Durability: what a push transaction wrote is committed (SQLite synchronous=FULL) before
 *   the caller acknowledges it.
 * - Resume: `changedDocs(cursor)` lists documents changed after the cursor by their last
 *   change; `docPartsSince` gives what a client at the cursor lacks of one of them.
 */
export interface SyncLog {
  /** Runs `fn` in one push transaction that commits when its promise resolves and rolls back when it rejects. */
  inPushTx<T>(fn: (tx: PushTx) => Promise<T>): Promise<T>;
  /**
   * The safe head (0 when none): every sequence number up to it is committed or abandoned, so a
   * cursor may go that far and no further. Catch-up reads it before the documents it lists.
   */
  head(): Promise<number>;
  /**
   * Documents in scope changed after `cursor`, in commit order of their last change.
   * `departments`, when given, keeps only appeals assigned to one of them (department handlers);
   * `holding` only appeals a county or city desk holds (src/core/holdings.ts), and no meetings.
   */
  changedDocs(cursor: number, regionPrefixes: string[], limit: number, narrow?: ChangedDocsFilter): Promise<ChangedDoc[]>;
  /** When the change at `cursor` was committed, or a little earlier (null when nothing is stored at or below it). */
  committedAt(cursor: number): Promise<number | null>;
  /**
   * What a client at `cursor` lacks of one document: the snapshot if it holds newer changes, then
   * later updates; without those `exceptDevice` stored (a county's uplink skips what came from its city).
   */
  docPartsSince(docId: string, cursor: number, exceptDevice?: string): Promise<Uint8Array[]>;
  /** Everything stored of a document: its snapshot (if any), then later updates (V1). */
  docParts(docId: string): Promise<Uint8Array[]>;
  /**
   * Folds a document's update rows into its snapshot once there are at least `minRows`.
   * `merge` builds the compacted state; idempotency receipts are kept.
   */
  compact(docId: string, minRows: number, merge: (parts: Uint8Array[]) => Uint8Array): Promise<boolean>;
  /** Update rows still stored (compaction removes folded ones). */
  updateCount(): Promise<number>;
  receiptCount(): Promise<number>;
  /**
   * Only where several instances share the store (PostgreSQL): calls `fn` with the updates
   * of each committed push transaction, from every instance, in sequence order, each once every
   * smaller number is settled (a transaction split by another's numbers comes in pieces).
   * Resolves to a stop function.
   */
  subscribeCommits?(fn: (commits: { seq: number; docId: string }[]) => void): Promise<() => Promise<void>>;
  /** The rows behind notified commits, in the order given. */
  commitsBySeq?(commits: { seq: number; docId: string }[]): Promise<CommitRow[]>;
}

export interface ChangedDocsFilter {
  departments?: string[];
  holding?: HoldingBounds;
}

export interface ChangedDoc {
  docId: string;
  village: string;
  dept: string | null;
  anonymous: boolean;
  lastSeq: number;
  /** The server's first receipt of an appeal (null for other documents). */
  receivedAt?: number | null;
  /** What the holding rule reads; null for a meeting. */
  holding: HoldingRow | null;
}

export interface StoredUpdate {
  docId: string;
  deviceId: string;
  clientSeq: number;
  userId: string;
  bytes: Uint8Array;
}

/** What fan-out needs of a committed update; `update` is null where compaction folded its row into the snapshot. */
export interface CommitRow {
  seq: number;
  docId: string;
  update: Uint8Array | null;
  village: string;
  dept: string | null;
  anonymous: boolean;
  holding: HoldingRow | null;
  /** The appeal's first receipt, when this commit was stored with it. */
  receivedAt?: number;
}

/**
 * Work done inside one push transaction while a batch is validated. Everything a batch
 * writes commits together, and reads see the batch's own writes.
 */
export interface PushTx {
  /**
   * Optional: what a push batch will ask about, read in one go before its items are checked
   * (a store that pays per round trip uses it; the others need not).
   */
  prefetch?(deviceId: string, clientSeqs: number[], docIds: string[], userId: string): Promise<void>;
  /**
   * True when this user already stored this (device, seq): a resend to acknowledge again.
   * The user is part of the key, so another user's push under a colliding pair is stored.
   */
  seen(deviceId: string, clientSeq: number, userId: string): Promise<boolean>;
  /** Everything stored of a document: its snapshot (if any), then later updates (V1). */
  docParts(docId: string): Promise<Uint8Array[]>;
  insertUpdate(u: StoredUpdate, receivedAt: number): Promise<number>;
  putContact(appealId: string, contact: Contact, userId: string, now: number): Promise<void>;
  /** The next unused idempotency seq of a server-side writer (the deadline scanner). */
  nextClientSeq(deviceId: string): Promise<number>;
  /**
   * Writes an appeal's projection. With `hours` (its county's working hours), the row also keeps
   * its own handling minutes (src/core/metrics.ts), worked out from the stored first receipt;
   * without, they are left for the start-up job to fill (server/jobs/own-minutes.ts).
   */
  upsertProjection(p: AppealProjection, lastSeq: number, receivedAt: number, hours?: WorkingHours): Promise<void>;
  upsertMeeting(m: MeetingProjection, lastSeq: number, receivedAt: number): Promise<void>;
  upsertPatrol(p: PatrolSummary, lastSeq: number, receivedAt: number): Promise<void>;
  /** A village points sheet or rules document (core/points.ts). */
  upsertPoints(p: PointsProjection, lastSeq: number, receivedAt: number): Promise<void>;
  /** Replaces the list of files a document references (read access to a file follows it). */
  linkAttachments(docId: string, hashes: string[]): Promise<void>;
  /** As `DocumentStore.appealScope`, seeing this transaction's own writes. */
  appealScope(docId: string): Promise<DocScope | null>;
  /** Replaces who vouches for `hash` in document `docId` (server/sync/attachments.ts). */
  vouchAttachment(docId: string, hash: string, backers: string[]): Promise<void>;
  /** What decides whether `userId` may attach `hash`, seeing this transaction's own writes. */
  attachmentFacts(hash: string, userId: string): Promise<AttachmentFacts>;
}
