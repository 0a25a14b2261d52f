import type { Role, Scope, SessionUser } from '../../../src/core/roles';

/**
 * Users and their login sessions. A session's `sid` is stable for its life while its
 * refresh token (stored only as a hash) rotates at every refresh. Whatever changes what a
 * token stands for (password, role, scope, disabling) ends every session of the user and
 * bumps `tokenVersion`, in the same transaction, so no older token works afterwards.
 */
export interface AccountStore {
  userCount(): Promise<number>;
  insertUser(u: NewUser, now: number): Promise<void>;
  userByUsername(username: string): Promise<UserRecord | null>;
  userById(id: string): Promise<UserRecord | null>;
  /** Every user, in the order they were created. */
  users(): Promise<UserRecord[]>;
  /** Applies a change; `revoked` when it ended the user's sessions and tokens. */
  updateUser(id: string, change: UserChange): Promise<{ user: UserRecord; revoked: boolean } | null>;

  createSession(sid: string, refreshHash: string, userId: string, now: number, expiresAt: number): Promise<void>;
  sessionByRefresh(refreshHash: string, now: number): Promise<{ sid: string; user: UserRecord } | null>;
  rotateRefresh(sid: string, refreshHash: string, expiresAt: number): Promise<void>;
  sessionAlive(sid: string, now: number): Promise<boolean>;
  deleteSession(sid: string): Promise<void>;
  deleteUserSessions(userId: string): Promise<void>;
}

export interface UserRecord extends SessionUser {
  passwordHash: string;
  disabled: boolean;
  /** Bumped whenever access must end (password, role, scope, disabling): older tokens stop working. */
  tokenVersion: number;
}

export type UserChange = Partial<Pick<UserRecord, 'displayName' | 'role' | 'scope' | 'passwordHash' | 'disabled'>>;

export interface NewUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  scope: Scope;
  passwordHash: string;
}
