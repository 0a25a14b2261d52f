import type { Contact } from '../../src/core/appeal';
import type { Tally } from '../../src/core/geo';
import type { MeetingProjection } from '../../src/core/meeting';
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
  /** True when this (device, seq) was already stored: a resend to acknowledge again. */
  seen(deviceId: string, clientSeq: number): boolean;
  /** Everything stored of a document: its snapshot (if any), then later updates (V1). */
  docParts(docId: string): Uint8Array[];
  insertUpdate(u: StoredUpdate, receivedAt: number): number;
  putContact(appealId: string, contact: Contact, userId: string, now: number): void;
  /** The next unused idempotency seq of a server-side writer (the deadline scanner). */
  nextClientSeq(deviceId: string): number;
  upsertProjection(p: AppealProjection, lastSeq: number, receivedAt: number): void;
  upsertMeeting(m: MeetingProjection, lastSeq: number, receivedAt: number): void;
  /** Replaces the list of files a document references (read access to a file follows it). */
  linkAttachments(docId: string, hashes: string[]): void;
}

/** A file whose bytes arrived whole and matched their hash. */
export interface StoredFile {
  hash: string;
  type: string;
  size: number;
  uploadedBy: string;
}

/** The server's storage. SQLite is the embedded default; PostgreSQL comes later behind the same shape. */
export interface Store {
  migrate(): void;
  close(): void;
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;

  regionCount(): number;
  insertRegions(regions: Region[]): void;
  regionsUnder(prefixes: string[]): Region[];
  isVillage(code: string): boolean;

  userCount(): number;
  insertUser(u: NewUser, now: number): void;
  userByUsername(username: string): UserRecord | null;
  userById(id: string): UserRecord | null;
  users(): UserRecord[];

  /** A login session: `sid` is stable, the refresh token (stored by hash) rotates. */
  createSession(sid: string, refreshHash: string, userId: string, now: number, expiresAt: number): void;
  sessionByRefresh(refreshHash: string, now: number): { sid: string; user: UserRecord } | null;
  rotateRefresh(sid: string, refreshHash: string, expiresAt: number): void;
  sessionAlive(sid: string, now: number): boolean;
  deleteSession(sid: string): void;
  deleteUserSessions(userId: string): void;
  /** Applies a change; `revoked` when it ended the user's sessions and tokens. */
  updateUser(id: string, change: UserChange): { user: UserRecord; revoked: boolean } | null;

  insertAudit(entry: Omit<AuditEntry, 'id' | 'detail' | 'target' | 'ip' | 'actor'> & Partial<Pick<AuditEntry, 'target' | 'ip' | 'actor' | 'detail'>>): void;
  /** Newest first, `limit` entries with id below `before`. */
  audit(limit: number, before?: number): AuditEntry[];

  /** Runs `fn` in one transaction; it commits when `fn` returns. */
  inPushTx<T>(fn: (tx: PushTx) => T): T;

  /** Global sequence of the last committed update (0 when none). */
  head(): number;
  /** Documents in scope changed after `cursor`, in commit order. */
  /** `departments`, when given, keeps only appeals assigned to one of them (department handlers). */
  changedDocs(cursor: number, regionPrefixes: string[], limit: number, departments?: string[]): { docId: string; village: string; dept: string | null; anonymous: boolean; lastSeq: number }[];
  /** A citizen's name and phone for an appeal, kept beside its document. */
  contact(appealId: string): Contact | null;
  /** What a client at `cursor` lacks of one document: the snapshot if it holds newer changes, then later updates. */
  docPartsSince(docId: string, cursor: number): Uint8Array[];
  docParts(docId: string): Uint8Array[];
  /**
   * Folds a document's update rows into its snapshot once there are at least `minRows`.
   * `merge` builds the compacted state; idempotency receipts are kept.
   */
  compact(docId: string, minRows: number, merge: (parts: Uint8Array[]) => Uint8Array): boolean;

  appealRows(): AppealProjection[];
  /**
   * Counts per town or village for the map, over the appeals in `regionPrefixes` (and, for a
   * department handler, `departments`): totals, open, overdue at `now`, open by urgency.
   */
  mapTally(level: 'town' | 'village', regionPrefixes: string[], departments: string[] | undefined, now: number): ({ code: string } & Tally)[];
  meetingRows(): MeetingProjection[];
  /** Where the documents that list a file lie: who may download it follows them. */
  attachmentScopes(hash: string): { villageCode: string; dept: string | null }[];
  file(hash: string): StoredFile | null;
  putFile(f: StoredFile, now: number): void;
  /** Open appeals whose running deadline falls at or before `instant`, soonest first. */
  dueBy(instant: number): string[];
  /** What decides who may see a stored appeal, or null when the server does not have it. */
  appealScope(docId: string): { villageCode: string; dept: string | null } | null;
  /** Update rows still stored (compaction removes folded ones). */
  updateCount(): number;
  receiptCount(): number;
}
