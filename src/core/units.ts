import type { Tier } from './events';
import { countyOf } from './regions';
import { scopeTier } from './tiers';

// Whom the rankings and red/black lists rank, by the level a report is read at:
//   county  (a county's staff, or a city's staff looking into one county: as before the city
//           tier) its towns, each with every appeal of its villages whoever handles it, and the
//           county's bureaus, each with the appeals it holds at the county tier or below;
//   city    (a city's staff) the county platforms, each with every appeal of its villages
//           that is not held at the city tier (waiting for the county, or with those it
//           dispatched to), and the city bureaus, each with the appeals it holds at the city
//           tier; towns across the city too, for a leader comparing them all.
// Appeals on the city center's own desk (city tier, no department) are no unit's: they wait
// for the center's dispatch, and the center is not ranked against those it dispatches to.

export const UNIT_KINDS = ['county', 'town', 'dept'] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];
export type ReportLevel = 'city' | 'county';

/** What a unit is found from. */
export interface UnitRow {
  village: string;
  town: string;
  dept: string | null;
  tier: Tier;
}

/** The level a report over these region prefixes is read at: city when one covers a whole city (4 digits). */
export function reportLevel(regions: readonly string[]): ReportLevel {
  return scopeTier({ regions: [...regions], departments: [] }) === 'city' ? 'city' : 'county';
}

/** The kinds of unit a report at `level` ranks, the usual first. */
export function unitKindsAt(level: ReportLevel): readonly UnitKind[] {
  return level === 'city' ? ['county', 'dept', 'town'] : ['town', 'dept'];
}

/** The unit an appeal counts for (null: none of this kind), as a key: a 12-digit region code or a department. */
export function unitOf(kind: UnitKind, level: ReportLevel): (r: UnitRow) => string | null {
  switch (kind) {
    case 'town':
      return (r) => r.town;
    case 'county':
      return (r) => (r.tier === 'city' ? null : countyOf(r.village));
    case 'dept':
      return level === 'city' ? (r) => (r.tier === 'city' ? r.dept : null) : (r) => (r.tier === 'city' ? null : r.dept);
  }
}

/**
 * The region prefixes a report covers: the user's scope, or one county of it (`county`, 6
 * digits) when a city's staff look into it. Null when that county is not within the scope.
 */
export function reportRegions(scope: readonly string[], county: string | null): string[] | null {
  if (county === null) return [...scope];
  if (!/^\d{6}$/.test(county) || county.endsWith('00')) return null;
  return scope.some((p) => county.startsWith(p)) ? [county] : null;
}

/** Linyi 12345's target for dispatch time, receipt to first assignment (派单用时), in minutes. */
export const DISPATCH_TARGET_MINUTES = 3;
