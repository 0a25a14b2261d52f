import { codePrefix } from './regions';

export const ROLES = [
  'grid_worker',
  'bench_facilitator',
  'village_station',
  'town_official',
  'dept_handler',
  /** A county platform's dispatcher (县级调度): its scope is a county (6 digits), or an area sub-center's towns of one county (9 digits each). */
  'county_dispatcher',
  /** The city center's dispatcher (市级调度): its scope is a city (4 digits). */
  'city_dispatcher',
  'leader',
  /** 质检员: reviews replies at a county or city (its scope's width) and sends weak ones back for redo. */
  'quality_reviewer',
  /** 调解员 (老苗调解): settles disputes sent to them, in the field and offline; scope is their area (a town or villages). */
  'mediator',
  /** 人大代表 / 政协委员: posts in the deputies' columns (deputy.ts) and follows only their own posts. */
  'deputy',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

/** What a user may see and touch: region-code prefixes (4/6/9/12 digits: city, county, town, village) and departments. */
export interface Scope {
  regions: string[];
  departments: string[];
}

export interface SessionUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  scope: Scope;
}

/** Roles that take in appeals: in the field, at the station or the hotline, and leaders on reception days. */
export const RECORDING_ROLES: readonly Role[] = ['grid_worker', 'bench_facilitator', 'village_station', 'town_official', 'county_dispatcher', 'city_dispatcher', 'leader', 'admin'];
/** Who reads the governance reports: the dispatch centers, leaders, and towns and departments for their own rows. */
export const REPORT_ROLES: readonly Role[] = ['town_official', 'dept_handler', 'county_dispatcher', 'city_dispatcher', 'leader', 'quality_reviewer', 'admin'];
/** Who speaks for the government in public: publishes on the board and moderates citizens' comments. */
export const PUBLISH_ROLES: readonly Role[] = ['town_official', 'county_dispatcher', 'city_dispatcher'];
/** Who walks a grid on patrol (patrol.ts): the village's own recorders. */
export const PATROL_ROLES: readonly Role[] = ['grid_worker', 'bench_facilitator', 'village_station'];
/** Who reads patrol coverage of the villages in their scope (their devices hold the patrols). */
export const PATROL_VIEWERS: readonly Role[] = ['town_official', 'leader', 'admin'];
/** Who dispatches (派单): each at its own tier's desk. */
export const DISPATCH_ROLES: readonly Role[] = ['village_station', 'town_official', 'county_dispatcher', 'city_dispatcher'];

export function isRole(s: unknown): s is Role {
  return typeof s === 'string' && (ROLES as readonly string[]).includes(s);
}

/** True when a region code (12 digits) falls under one of the scope's prefixes. */
export function regionInScope(scope: Scope, code: string): boolean {
  return scope.regions.some((prefix) => code.startsWith(prefix));
}

/** The scope prefix that covers exactly one region. */
export function scopeFor(code: string): string {
  return codePrefix(code);
}

/** Whether every region prefix and department of `inner` lies within `outer`: an admin manages only users inside their own scope. */
export function scopeCovers(outer: Scope, inner: Scope): boolean {
  return inner.regions.every((p) => outer.regions.some((o) => p.startsWith(o))) && (outer.departments.length === 0 || inner.departments.every((d) => outer.departments.includes(d)));
}

/**
 * Whether an appeal lies within what a user may see and touch: their regions, and for a
 * department handler only what is assigned to one of their departments. A deputy sees only
 * their own posts: a caller that does not say who recorded the appeal gets false for them.
 */
export function appealInScope(user: Pick<SessionUser, 'role' | 'scope'> & { id?: string }, appeal: { villageCode: string; dept: string | null; createdBy?: string }): boolean {
  if (!regionInScope(user.scope, appeal.villageCode)) return false;
  if (user.role === 'deputy') return user.id !== undefined && appeal.createdBy === user.id;
  return user.role !== 'dept_handler' || (appeal.dept !== null && user.scope.departments.includes(appeal.dept));
}
