import type { Tier } from './events';
import { TIER_RANK } from './fold';
import type { Role, Scope, SessionUser } from './roles';

// Which tier a user works at. Stations, towns and the two dispatch desks have theirs by role;
// leaders and department handlers by the widest region their scope lists (a city's 4 digits,
// a county's 6), so a county's water bureau and the city's are the same role at two tiers.
// A county dispatcher whose scope lists a few towns is an area sub-center (subcenters.ts):
// still the county tier, for those towns only.

/** The tier of the widest region prefix in a scope (none: the village tier). */
export function scopeTier(scope: Scope): Tier {
  const widest = Math.min(...scope.regions.map((p) => p.length));
  return widest <= 4 ? 'city' : widest <= 6 ? 'county' : widest <= 9 ? 'town' : 'village';
}

const FIXED: Partial<Record<Role, Tier>> = { village_station: 'village', town_official: 'town', county_dispatcher: 'county', city_dispatcher: 'city' };
const BY_SCOPE: readonly Role[] = ['leader', 'dept_handler'];

/** The tier whose desk `user` works at, or null for roles that dispatch and handle nothing (field workers, admins). */
export function userTier(user: Pick<SessionUser, 'role' | 'scope'>): Tier | null {
  const fixed = FIXED[user.role];
  if (fixed) return fixed;
  return BY_SCOPE.includes(user.role) ? scopeTier(user.scope) : null;
}

/** Whether `user` works at `tier` or above it (a town official may act on a village's appeal). */
export function worksAtTier(user: Pick<SessionUser, 'role' | 'scope'>, tier: Tier): boolean {
  const own = userTier(user);
  return own !== null && TIER_RANK[tier] <= TIER_RANK[own];
}

/** A tier one above another, or equal: `a` is at least `b`. */
export function atLeast(a: Tier, b: Tier): boolean {
  return TIER_RANK[a] >= TIER_RANK[b];
}

/**
 * What scope a role must have, so a dispatcher's desk covers a whole area: a city dispatcher
 * the city; a county dispatcher its county, or (an area sub-center) towns of one county.
 */
export function scopeFitsRole(role: Role, scope: Scope): string | null {
  const regions = scope.regions;
  if (role === 'county_dispatcher') {
    const county = regions.length === 1 && regions[0]!.length === 6;
    const towns = regions.length > 0 && regions.every((p) => p.length === 9 && p.startsWith(regions[0]!.slice(0, 6)));
    if (!county && !towns) return 'a county dispatcher’s scope is one county (6 digits), or for an area sub-center towns of one county (9 digits each)';
  }
  if (role === 'city_dispatcher' && !(regions.length === 1 && regions[0]!.length === 4)) return 'a city dispatcher’s scope is the city (4 digits)';
  return null;
}
