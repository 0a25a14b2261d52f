import type { Campaign, CampaignWithCounts } from '../../src/core/campaign';
import type { ReceptionSlot, SlotWithBookings } from '../../src/core/reception';
import type { Contact } from '../../src/core/appeal';
import type { Tally } from '../../src/core/geo';
import type { MeetingProjection } from '../../src/core/meeting';
import type { RankRow } from '../../src/core/metrics';
import type { AppealProjection } from '../../src/core/projection';
import type { Region } from '../../src/core/regions';
import type { Role, Scope, SessionUser } from '../../src/core/roles';

export interface UserRecord extends SessionUser {
  passwordHash: string;
  disabled: boolean;
  /** Bumped whenever access must end (password, role, scope, disabling): older tokens stop working. */
  tokenVersion: number;
}

export type UserChange = Partial<Pick<UserRecord, 'displayName' | 'role' | 'scope' | 'passwordHash' | 'disabled'>>;

export interface AuditEntry {
  id: number;
  at: number;
  /** The user who acted, or null (an unknown username at login). */
  actor: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
}

export type CommentStatus = 'pending' | 'approved' | 'rejected';

export interface NewComment {
  id: string;
  appealId: string;
  body: string;
  createdAt: number;
}

export interface PublicComment extends NewComment {
  status: CommentStatus;
  /** The appeal's village, so a moderator's scope can be checked. */
  village: string;
}

export interface NewUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  scope: Scope;
  passwordHash: string;
}

export interface StoredUpdate {
  docId: string;
  deviceId: string;
  clientSeq: number;
  userId: string;
  bytes: Uint8Array;
}

/**
 * Work done inside one database transaction while a push is validated. Everything a
 * batch writes commits together, and the ack is sent only after that commit.
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
  upsertProjection(p: AppealProjection, lastSeq: number, receivedAt: number): Promise<void>;
  upsertMeeting(m: MeetingProjection, lastSeq: number, receivedAt: number): Promise<void>;
  /** Replaces the list of files a document references (read access to a file follows it). */
  linkAttachments(docId: string, hashes: string[]): Promise<void>;
  /** As `Store.appealScope`, seeing this transaction's own writes. */
  appealScope(docId: string): Promise<{ villageCode: string; dept: string | null } | null>;
  /**
   * Replaces who vouches for `hash` in document `docId` (server/sync/attachments.ts): the
   * document's readers may download the file once one backer has finished uploading its
   * bytes; the backer '' vouches at once (someone who could already read the file listed it).
   */
  vouchAttachment(docId: string, hash: string, backers: string[]): Promise<void>;
  /** What decides whether `userId` may attach `hash`, seeing this transaction's own writes. */
  attachmentFacts(hash: string, userId: string): Promise<AttachmentFacts>;
}

/** What the server knows of a file when someone attaches it. */
export interface AttachmentFacts {
  /** Its bytes arrived whole (from anyone). */
  stored: boolean;
  /** This user's own upload of it: finished, under way, or never begun. */
  upload: 'done' | 'open' | null;
  listings: AttachmentListing[];
}

/** A document that lists a file: where it lies, who vouched for the listing, and whether it lets the document's readers download the file. */
export interface AttachmentListing {
  docId: string;
  villageCode: string;
  dept: string | null;
  backers: string[];
  valid: boolean;
}

/** A file whose bytes arrived whole and matched their hash. */
export interface StoredFile {
  hash: string;
  type: string;
  size: number;
  uploadedBy: string;
}

/** The server's storage: SQLite (server/store/sqlite.ts) by default, PostgreSQL (postgres.ts) with DATABASE_URL. */
export interface Store {
  migrate(): Promise<void>;
  close(): Promise<void>;
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  /** Stores `value` unless the key has one already; returns what is stored (instances racing at start agree). */
  claimMeta(key: string, value: string): Promise<string>;

  regionCount(): Promise<number>;
  insertRegions(regions: Region[]): Promise<void>;
  regionsUnder(prefixes: string[]): Promise<Region[]>;
  isVillage(code: string): Promise<boolean>;

  userCount(): Promise<number>;
  insertUser(u: NewUser, now: number): Promise<void>;
  userByUsername(username: string): Promise<UserRecord | null>;
  userById(id: string): Promise<UserRecord | null>;
  users(): Promise<UserRecord[]>;

  /** A login session: `sid` is stable, the refresh token (stored by hash) rotates. */
  createSession(sid: string, refreshHash: string, userId: string, now: number, expiresAt: number): Promise<void>;
  sessionByRefresh(refreshHash: string, now: number): Promise<{ sid: string; user: UserRecord } | null>;
  rotateRefresh(sid: string, refreshHash: string, expiresAt: number): Promise<void>;
  sessionAlive(sid: string, now: number): Promise<boolean>;
  deleteSession(sid: string): Promise<void>;
  deleteUserSessions(userId: string): Promise<void>;
  /** Applies a change; `revoked` when it ended the user's sessions and tokens. */
  updateUser(id: string, change: UserChange): Promise<{ user: UserRecord; revoked: boolean } | null>;

  insertAudit(entry: Omit<AuditEntry, 'id' | 'detail' | 'target' | 'ip' | 'actor'> & Partial<Pick<AuditEntry, 'target' | 'ip' | 'actor' | 'detail'>>): Promise<void>;
  /** Newest first, `limit` entries with id below `before`. */
  audit(limit: number, before?: number): Promise<AuditEntry[]>;

  /**
   * Runs `fn` in one transaction that commits when its promise resolves (and rolls back
   * when it rejects). Push transactions run one at a time, so the global sequence is also
   * the commit order: a client's cursor never skips an update that commits later.
   */
  inPushTx<T>(fn: (tx: PushTx) => Promise<T>): Promise<T>;

  /** Global sequence of the last committed update (0 when none). */
  head(): Promise<number>;
  /** Documents in scope changed after `cursor`, in commit order. */
  /** `departments`, when given, keeps only appeals assigned to one of them (department handlers). */
  changedDocs(cursor: number, regionPrefixes: string[], limit: number, departments?: string[]): Promise<{ docId: string; village: string; dept: string | null; anonymous: boolean; lastSeq: number }[]>;
  /** A citizen's name and phone for an appeal, kept beside its document. */
  contact(appealId: string): Promise<Contact | null>;
  /** The contacts kept for those of `appealIds` that have one. */
  contacts(appealIds: string[]): Promise<Map<string, Contact>>;
  putCampaign(c: Campaign): Promise<void>;
  /** Every campaign with how many suggestions answered it and how many were adopted, newest first. */
  campaigns(): Promise<CampaignWithCounts[]>;
  putSlot(s: ReceptionSlot, now: number): Promise<void>;
  /** Reception slots ending after `from`, soonest first, with the appeals booked on each. */
  slots(from: number): Promise<SlotWithBookings[]>;
  /** Appeals on the public board, latest published first, published before `before` when given. */
  publishedAppeals(limit: number, before: number | null): Promise<AppealProjection[]>;
  addComment(c: NewComment): Promise<void>;
  /** Comments, newest first, by appeal, status and (for moderators) the appeals' regions. */
  comments(q: { id?: string; appealId?: string; status?: CommentStatus; regionPrefixes?: string[]; limit: number }): Promise<PublicComment[]>;
  /** Sets a pending comment's verdict; false when it was not pending (or does not exist). */
  moderateComment(id: string, status: 'approved' | 'rejected', by: string, at: number): Promise<boolean>;
  /** The appeal with this evaluation code, or null. */
  appealByEvalCode(code: string): Promise<AppealProjection | null>;
  /** The stored appeals among `ids` (any order; unknown ids are left out). */
  appealsById(ids: string[]): Promise<AppealProjection[]>;
  /** What a client at `cursor` lacks of one document: the snapshot if it holds newer changes, then later updates. */
  docPartsSince(docId: string, cursor: number): Promise<Uint8Array[]>;
  docParts(docId: string): Promise<Uint8Array[]>;
  /**
   * Folds a document's update rows into its snapshot once there are at least `minRows`.
   * `merge` builds the compacted state; idempotency receipts are kept.
   */
  compact(docId: string, minRows: number, merge: (parts: Uint8Array[]) => Uint8Array): Promise<boolean>;

  appealRows(): Promise<AppealProjection[]>;
  /**
   * Counts per town or village for the map, over the appeals in `regionPrefixes` (and, for a
   * department handler, `departments`): totals, open, overdue at `now`, open by urgency.
   */
  mapTally(level: 'town' | 'village', regionPrefixes: string[], departments: string[] | undefined, now: number): Promise<({ code: string } & Tally)[]>;
  meetingRows(): Promise<MeetingProjection[]>;
  /** What the rankings read of the appeals in scope recorded or first answered at or after `since`. */
  rankRows(regionPrefixes: string[], departments: string[] | undefined, since: number): Promise<RankRow[]>;
  /** Appeals in scope recorded in [from, to), oldest first, for exports. */
  exportRows(regionPrefixes: string[], departments: string[] | undefined, from: number, to: number): Promise<AppealProjection[]>;
  /** Where the documents that list a file lie: who may download it follows them. */
  attachmentScopes(hash: string): Promise<{ villageCode: string; dept: string | null }[]>;
  file(hash: string): Promise<StoredFile | null>;
  putFile(f: StoredFile, now: number): Promise<void>;
  /** Every document listing `hash`, with the backers of each listing (who may download follows the valid ones). */
  attachmentListings(hash: string): Promise<AttachmentListing[]>;
  /**
   * One user's upload of a file, kept per (hash, user): opened at its first chunk, done once
   * that user's bytes matched the hash. Null when the user never sent any of it.
   */
  fileUpload(hash: string, userId: string): Promise<{ size: number; startedAt: number; done: boolean } | null>;
  /** Records an unfinished upload of `size` declared bytes (nothing when the user has one for this hash). */
  openFileUpload(hash: string, userId: string, size: number, now: number): Promise<void>;
  /** The user sent every byte of `hash` and they matched: they uploaded the file. */
  finishFileUpload(hash: string, userId: string, size: number, now: number): Promise<void>;
  /** Forgets an unfinished upload (its bytes were discarded or expired); a finished one stays. */
  dropFileUpload(hash: string, userId: string): Promise<void>;
  /** How many unfinished uploads a user holds and the bytes they declared. */
  openFileUploads(userId: string): Promise<{ count: number; bytes: number }>;
  /** Unfinished uploads started before `before`, oldest first, at most `limit`. */
  staleFileUploads(before: number, limit: number): Promise<{ hash: string; userId: string }[]>;
  /** Open appeals whose running deadline falls at or before `instant`, soonest first. */
  dueBy(instant: number): Promise<string[]>;
  /** What decides who may see a stored appeal, or null when the server does not have it. */
  appealScope(docId: string): Promise<{ villageCode: string; dept: string | null } | null>;
  /** Update rows still stored (compaction removes folded ones). */
  updateCount(): Promise<number>;
  receiptCount(): Promise<number>;

  /**
   * Only where several instances share the store (PostgreSQL): calls `fn` with the updates
   * of each committed push transaction, from every instance, in commit order. Resolves to a stop function.
   */
  subscribeCommits?(fn: (commits: { seq: number; docId: string }[]) => void): Promise<() => Promise<void>>;
  /** The rows behind notified commits, in the order given. */
  commitsBySeq?(commits: { seq: number; docId: string }[]): Promise<CommitRow[]>;
}

/** What fan-out needs of a committed update; `update` is null where compaction folded its row into the snapshot. */
export interface CommitRow {
  seq: number;
  docId: string;
  update: Uint8Array | null;
  village: string;
  dept: string | null;
  anonymous: boolean;
}
