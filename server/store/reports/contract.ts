import type { Tally, TallyFilter, TallyLevel } from '../../../src/core/geo';
import type { RankRow } from '../../../src/core/metrics';
import type { AppealProjection } from '../../../src/core/projection';
import type { WallRow } from '../../../src/core/wallboard';

/**
 * The reads behind rankings, exports and the map, over the appeals' projections. Each takes
 * the reader's scope: region-code prefixes, and for a department handler its departments
 * (`undefined` means any department; an empty list means none, and reads nothing).
 */
export interface ReportStore {
  /** What the rankings read of the appeals in scope recorded or first answered at or after `since`. */
  rankRows(regionPrefixes: string[], departments: string[] | undefined, since: number): Promise<RankRow[]>;
  /** Appeals in scope recorded in [from, to), oldest first, for exports. */
  exportRows(regionPrefixes: string[], departments: string[] | undefined, from: number, to: number): Promise<AppealProjection[]>;
  /**
   * Counts per county, town or village (12-digit codes, in code order) for the map: totals,
   * open, overdue at `now`, open by urgency; only appeals passing `filter` when given.
   */
  mapTally(level: TallyLevel, regionPrefixes: string[], departments: string[] | undefined, now: number, filter?: TallyFilter): Promise<({ code: string } & Tally)[]>;
  /** What the command-center wall reads (src/core/wallboard.ts): every open appeal in scope, and those recorded at or after `since`. */
  wallRows(regionPrefixes: string[], since: number): Promise<WallRow[]>;
}
