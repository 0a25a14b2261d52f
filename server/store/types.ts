import type { AccountStore } from './accounts/contract';
import type { ArticleStore } from './articles/contract';
import type { AuditLog } from './audit/contract';
import type { DeputyStore } from './deputies/contract';
import type { CivicStore } from './civic/contract';
import type { DocumentStore } from './documents/contract';
import type { FileStore } from './files/contract';
import type { MetaStore } from './meta/contract';
import type { RegionStore } from './regions/contract';
import type { RelayKeyStore } from './relays/contract';
import type { IssuedReportStore } from './issued-reports/contract';
import type { ReportStore } from './reports/contract';
import type { QaStore } from './qa/contract';
import type { SyncLog } from './sync-log/contract';
import type { SmsStore } from './sms/contract';
import type { HandoverStore } from './handover/contract';

export type { AccountStore, NewUser, UserChange, UserRecord } from './accounts/contract';
export type { ArticleQuery, ArticleStore } from './articles/contract';
export type { AuditEntry, AuditLog, NewAuditEntry } from './audit/contract';
export type { CivicStore, CommentQuery, CommentStatus, NewComment, PublicComment } from './civic/contract';
export type { DocScope, DocumentStore } from './documents/contract';
export type { AttachmentFacts, AttachmentListing, FileStore, FileUpload, StoredFile } from './files/contract';
export type { MetaStore } from './meta/contract';
export type { RegionStore } from './regions/contract';
export type { NewRelayKey, RelayKey, RelayKeyStore } from './relays/contract';
export type { IssuedReport, IssuedReportStore, IssuedReportSummary } from './issued-reports/contract';
export type { ReportStore } from './reports/contract';
export type { QaStore } from './qa/contract';
export type { ChangedDoc, CommitRow, PushTx, StoredUpdate, SyncLog } from './sync-log/contract';
export type { NewSms, OutboxSms, SmsStore } from './sms/contract';
export type { DeviceKey, HandoverStore, NewDeviceKey, RelayRecord } from './handover/contract';

/**
 * The server's storage: SQLite (server/store/sqlite) by default, PostgreSQL (postgres/) with
 * DATABASE_URL. It is the sum of narrow capabilities, each with its contract in its own
 * folder and one implementation over `Sql` (sql.ts) that both dialects run, apart from the
 * push transaction, which each dialect writes its own way. A module that needs only one
 * capability should take that contract, not the whole store.
 */
export interface Store extends SmsStore, DeputyStore, MetaStore, RegionStore, AccountStore, AuditLog, SyncLog, DocumentStore, CivicStore, ReportStore, FileStore, RelayKeyStore, IssuedReportStore, QaStore, ArticleStore, HandoverStore {
  close(): Promise<void>;
  /** The database's size on disk, where the store can tell (PostgreSQL; SQLite's files are measured directly). */
  databaseBytes?(): Promise<number>;
}
