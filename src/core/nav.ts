import { PATROL_ROLES, PATROL_VIEWERS, PUBLISH_ROLES, RECORDING_ROLES, REPORT_ROLES, type Role } from './roles';
import { POINTS_RECORDERS, POINTS_RULE_EDITORS } from './points';

// The app's places and which of them each role keeps under the thumb. On a phone the first
// ones sit in the bottom tab bar and the rest in its 更多 sheet; on a wide screen all show in
// a top bar. The tab bar holds a role's daily work; settings and the account live in the
// header's menu.

export const NAV_ITEMS = ['home', 'list', 'new', 'meetings', 'patrol', 'points', 'map', 'reports', 'civic', 'info', 'board', 'admin'] as const;
export type NavItem = (typeof NAV_ITEMS)[number];

/** Roles that land on the key figures of their scope rather than on a work queue. */
export const HOME_ROLES: readonly Role[] = ['leader'];

/** Every place `role` may open, in the order a wide screen shows them. */
export function navItemsFor(role: Role): NavItem[] {
  return NAV_ITEMS.filter((item) => {
    switch (item) {
      case 'home':
        return HOME_ROLES.includes(role);
      case 'list':
      case 'map':
      case 'civic':
      // Policy information (为您服务): everyone reads it, a grid worker shows it in the village.
      case 'info':
        return true;
      case 'new':
        // A deputy's 新建 is a post in their columns (DeputyForm), not an appeal form.
        return RECORDING_ROLES.includes(role) || role === 'deputy';
      case 'meetings':
        return role !== 'dept_handler' && role !== 'quality_reviewer' && role !== 'mediator' && role !== 'deputy';
      case 'patrol':
        return PATROL_ROLES.includes(role) || PATROL_VIEWERS.includes(role);
      case 'points':
        return POINTS_RECORDERS.includes(role) || POINTS_RULE_EDITORS.includes(role);
      case 'reports':
        return REPORT_ROLES.includes(role);
      case 'board':
        return PUBLISH_ROLES.includes(role);
      case 'admin':
        return role === 'admin';
    }
  });
}

/** The phone's tab bar per role, at most four places (a fifth slot is 更多 when anything is left). */
const TABS: Record<Role, readonly NavItem[]> = {
  grid_worker: ['new', 'list', 'meetings', 'map'],
  bench_facilitator: ['new', 'list', 'meetings', 'map'],
  village_station: ['new', 'list', 'meetings', 'map'],
  town_official: ['list', 'new', 'map', 'reports'],
  dept_handler: ['list', 'map', 'reports', 'civic'],
  county_dispatcher: ['list', 'new', 'map', 'reports'],
  city_dispatcher: ['list', 'new', 'map', 'reports'],
  leader: ['home', 'list', 'map', 'reports'],
  quality_reviewer: ['list', 'reports', 'map', 'civic'],
  mediator: ['list', 'map', 'civic'],
  deputy: ['new', 'list', 'civic'],
  admin: ['list', 'admin', 'map', 'reports'],
};

/** The tab bar and the 更多 sheet for `role`: together every place it may open, each once. */
export function phoneNav(role: Role): { tabs: NavItem[]; more: NavItem[] } {
  const all = navItemsFor(role);
  const tabs = TABS[role].filter((item) => all.includes(item));
  return { tabs, more: all.filter((item) => !tabs.includes(item)) };
}
