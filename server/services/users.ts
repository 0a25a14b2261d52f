import type { SessionUser } from '../../src/core/roles';
import type { UserRecord } from '../store/types';

/** What clients may know of a user (the REST session and the sync welcome): no password hash, no flags. */
export function publicUser(u: UserRecord): SessionUser {
  return { id: u.id, username: u.username, displayName: u.displayName, role: u.role, scope: u.scope };
}
