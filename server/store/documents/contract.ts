import type { Contact } from '../../../src/core/appeal';
import type { MeetingProjection } from '../../../src/core/meeting';
import type { PatrolSummary } from '../../../src/core/patrol';
import type { PointsProjection } from '../../../src/core/points';
import type { AppealProjection } from '../../../src/core/projection';

/**
 * What the server reads of stored documents through their projections: one row per appeal
 * and per meeting, rewritten by every push that changes the document (see SyncLog), and the
 * citizens' contacts kept beside appeals, never inside them. Reads are by id, never scoped:
 * the caller decides who may see what (src/core/roles.ts).
 */
export interface DocumentStore {
  appealRows(): Promise<AppealProjection[]>;
  meetingRows(): Promise<MeetingProjection[]>;
  /** Grid patrols (core/patrol.ts), by start. */
  patrolRows(): Promise<PatrolSummary[]>;
  /** Village points sheets and rules documents (core/points.ts) of villages under `prefixes`. */
  pointsRows(prefixes: readonly string[]): Promise<PointsProjection[]>;
  /** The stored appeals among `ids` (any order; unknown ids are left out). */
  appealsById(ids: string[]): Promise<AppealProjection[]>;
  /** The appeal with this evaluation code, or null. */
  appealByEvalCode(code: string): Promise<AppealProjection | null>;
  /** What decides who may see a stored appeal or meeting, or null when the server does not have it. */
  appealScope(docId: string): Promise<DocScope | null>;
  /** Open appeals whose running deadline falls at or before `instant`, soonest first. */
  dueBy(instant: number): Promise<string[]>;
  /** A citizen's name and phone for an appeal, kept beside its document. */
  contact(appealId: string): Promise<Contact | null>;
  /** The contacts kept for those of `appealIds` that have one. */
  contacts(appealIds: string[]): Promise<Map<string, Contact>>;
  /** A page of appeals under `prefixes` (and `departments`), latest change first, after `before`. */
  browseAppeals(q: BrowseQuery): Promise<AppealProjection[]>;
}

/** One page of a desk's browsing: what it does not hold on its device. */
export interface BrowseQuery {
  prefixes: string[];
  departments?: string[];
  statuses?: readonly string[];
  urgency?: string;
  /** Keyset position: the last row of the previous page. */
  before?: { updatedAt: number; id: string };
  limit: number;
}

export interface DocScope {
  villageCode: string;
  dept: string | null;
  /** Who recorded an appeal (absent for meetings and the like). */
  createdBy?: string;
}
