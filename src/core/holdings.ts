import { TIERS, type Tier } from './events';
import { isOpen, OPEN_STATUSES, TIER_RANK, type Status } from './fold';
import type { AppealProjection } from './projection';
import type { Role, SessionUser } from './roles';
import { scopeTier, userTier } from './tiers';

// What a device keeps of its user's scope. Village and town roles and department handlers
// hold all of it, as a grid worker must work offline on everything in their villages. A
// county or a city holds too much for a phone (a city: millions of appeals), so roles that
// work there hold what needs their action plus a short recent window, and browse the rest
// through the server (paged, cached after viewing). The server filters catch-up and fan-out
// with this rule; the device drops what falls out of it. One rule, both sides.

/**
 * What the rule reads of an appeal: projection columns, and `changedAt`, when its latest
 * change reached the holder (the server's commit time; on a device, the change's own time).
 */
export type HoldingRow = Pick<AppealProjection, 'status' | 'tier' | 'reached' | 'supervisionLevel' | 'unreasonable'> & { changedAt: number } & Partial<Pick<AppealProjection, 'createdBy'>>;

/** An appeal's holding row as of a change that reached the holder at `changedAt`. */
export function holdingOf(p: AppealProjection, changedAt: number): HoldingRow {
  return { status: p.status, tier: p.tier, reached: p.reached, supervisionLevel: p.supervisionLevel, unreasonable: p.unreasonable, createdBy: p.createdBy, changedAt };
}

/** Days an appeal a desk has had stays on its device after its last change. */
export const RECENT_DAYS = 7;
export const RECENT_MS = RECENT_DAYS * 24 * 60 * 60_000;

/**
 * The supervision rung from which a desk holds an overdue appeal anywhere in its scope: a
 * county follows every overdue case of its county, the city only those the counties have
 * let climb the ladder (the upper rungs), or a city's phone would hold every late case.
 */
export const SUPERVISION_HELD_FROM: Record<'county' | 'city', number> = { county: 1, city: 3 };

const BOUNDED_ROLES: readonly Role[] = ['county_dispatcher', 'city_dispatcher', 'leader', 'quality_reviewer', 'admin'];

/** The tier whose share a bounded role holds, or null when the device holds the whole scope. */
export function boundedTier(user: Pick<SessionUser, 'role' | 'scope'>): 'county' | 'city' | null {
  if (!BOUNDED_ROLES.includes(user.role) || user.scope.regions.length === 0) return null;
  // Admins have no desk; their scope's width says where they work.
  const tier = userTier(user) ?? scopeTier(user.scope);
  return tier === 'county' || tier === 'city' ? tier : null;
}

/**
 * Whether a desk at `tier` has had a part in the appeal. A county platform answers for
 * everything in its county, so every appeal there is its own. The city only for what reached
 * it, climbed to its supervision rung, or carried an unreasonable label. Each of these only
 * ever becomes true, which keeps a device's copy from going stale: whatever a device holds
 * stays touched on the server, so the server sends it the appeal's next change.
 */
export function touched(tier: 'county' | 'city', row: HoldingRow): boolean {
  return tier === 'county' || TIER_RANK[row.reached] >= TIER_RANK[tier] || row.supervisionLevel >= SUPERVISION_HELD_FROM[tier] || row.unreasonable !== null;
}

/**
 * The rule for a desk at `tier`: of what it has touched, the open appeals that need it (at its
 * desk: waiting for dispatch, escalated, returned, under review; on its supervision rung; asking
 * for a ruling on a label), and anything changed since `recentSince`. What it leads (首接负责)
 * but others are working stays on the server until it changes or climbs the ladder: holding it
 * would put a city center's every open hotline case on its phone.
 */
export function holdsAt(tier: 'county' | 'city', row: HoldingRow, recentSince: number): boolean {
  if (!touched(tier, row)) return false;
  const action = row.tier === tier || row.supervisionLevel >= SUPERVISION_HELD_FROM[tier] || row.unreasonable === 'requested';
  return (isOpen(row.status) && action) || row.changedAt >= recentSince;
}

/** Whether an appeal the user may see (scope already checked) is kept on their device. */
export function holds(user: Pick<SessionUser, 'role' | 'scope'> & { id?: string }, row: HoldingRow, recentSince: number): boolean {
  // A deputy (deputy.ts) follows their own posts and nothing else of their area.
  if (user.role === 'deputy') return user.id !== undefined && row.createdBy === user.id;
  const tier = boundedTier(user);
  return tier === null || holdsAt(tier, row, recentSince);
}

/** The server's pre-filter for a bounded role: `holdsAt` as column bounds (it narrows; the rule decides). */
export interface HoldingBounds {
  tier: 'county' | 'city';
  /** Every appeal in scope counts as touched (a county); else `reached` in one of `reachedAny`. */
  touchesAll: boolean;
  reachedAny: readonly Tier[];
  supervisedFrom: number;
  recentSince: number;
  openStatuses: readonly Status[];
}

export function holdingBounds(tier: 'county' | 'city', recentSince: number): HoldingBounds {
  const reachedAny = TIERS.filter((t) => TIER_RANK[t] >= TIER_RANK[tier]);
  return { tier, touchesAll: tier === 'county', reachedAny, supervisedFrom: SUPERVISION_HELD_FROM[tier], recentSince, openStatuses: OPEN_STATUSES };
}

/** `holds` for any document: a meeting (no holding row) stays only where the whole scope does. */
export function holdsDoc(user: Pick<SessionUser, 'role' | 'scope'> & { id?: string }, row: HoldingRow | null, recentSince: number): boolean {
  return row ? holds(user, row, recentSince) : boundedTier(user) === null && user.role !== 'deputy';
}

/**
 * Whether the user's share of their scope depends on an appeal's state (a department's
 * assignments, a desk's holdings). Such a device may lack a document's earlier history when
 * it enters that share, so the server sends it whole documents, never just the latest changes.
 */
export function receivesWholeDocs(user: Pick<SessionUser, 'role' | 'scope'>): boolean {
  return user.role === 'dept_handler' || boundedTier(user) !== null;
}
