import type { Tally, TallyFilter, TallyLevel } from '../../../src/core/geo';
import type { Period, RankRow, UnitTally } from '../../../src/core/metrics';
import type { TrendCount } from '../../../src/core/trends';
import type { AppealProjection } from '../../../src/core/projection';
import type { WallRow } from '../../../src/core/wallboard';

/**
 * The reads behind rankings, exports and the map, over the appeals' projections. Each takes
 * the reader's scope: region-code prefixes, and for a department handler its departments
 * (`undefined` means any department; an empty list means none, and reads nothing).
 */
/** Appeals of one town, department and tier (the city's, or another) that a unit is made of. */
export interface RankGroup {
  town: string;
  dept: string | null;
  city: boolean;
}

/**
 * A period's tallies, added up by the database per group, but for the own handling minutes of
 * answered appeals whose rows do not keep them (written before they did, or without working
 * hours): those need the working calendar, and come as rows.
 */
export interface RankTallies {
  groups: (RankGroup & { tally: Partial<UnitTally> })[];
  unkept: (RankGroup & Pick<RankRow, 'createdAt' | 'receivedAt' | 'repliedAt' | 'handlingMinutes'>)[];
}

export interface ReportStore {
  /** What the rankings read of the appeals in scope recorded or first answered at or after `since`. */
  rankRows(regionPrefixes: string[], departments: string[] | undefined, since: number): Promise<RankRow[]>;
  /**
   * What the rankings count of the appeals in scope received or first answered in `period`:
   * the same figures `tallyUnits` (src/core/metrics.ts) adds up from `rankRows`, repeats and
   * re-complaints judged within `windowMs` among the appeals in scope. Without `fair`, the fair
   * figures' own parts (re-complaints, own handling minutes) are left at 0: the red and black
   * lists do not use them.
   */
  rankTallies(regionPrefixes: string[], departments: string[] | undefined, period: Period, windowMs: number, fair: boolean): Promise<RankTallies>;
  /** Up to `limit` appeals after `after` (by id) with a handling time but no own handling minutes kept. */
  ownMinutesToFill(after: string, limit: number): Promise<({ id: string; village: string } & Pick<RankRow, 'createdAt' | 'receivedAt' | 'repliedAt' | 'handlingMinutes'>)[]>;
  /** Keeps the own handling minutes of appeals that had none (a push's own value, written since, stays). */
  fillOwnMinutes(values: readonly (readonly [string, number])[]): Promise<void>;
  /**
   * The appeals in scope recorded in [from, to) counted per week (`weekMs` long, the first
   * starting at `from`), category and town: what the trends are built from.
   */
  trendCounts(regionPrefixes: string[], departments: string[] | undefined, from: number, to: number, weekMs: number): Promise<TrendCount[]>;
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
