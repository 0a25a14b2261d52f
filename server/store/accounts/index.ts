import type { Role, Scope } from '../../../src/core/roles';
import { byDialect, type Sql } from '../sql';
import type { AccountStore, UserRecord } from './contract';

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: string;
  scope: string;
  password_hash: string;
  disabled: number;
  token_version: number;
}

function toUser(r: UserRow | undefined): UserRecord | null {
  if (!r) return null;
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role as Role,
    scope: JSON.parse(r.scope) as Scope,
    passwordHash: r.password_hash,
    disabled: r.disabled !== 0,
    tokenVersion: r.token_version,
  };
}

const BY_ID = 'SELECT * FROM users WHERE id = ?';

export function accountStore(sql: Sql): AccountStore {
  const user = async (text: string, args: unknown[]) => toUser(await sql.get<UserRow>(text, args));
  return {
    userCount: async () => (await sql.get<{ n: number }>('SELECT count(*) AS n FROM users'))!.n,
    insertUser: async (u, now) =>
      void (await sql.run('INSERT INTO users (id, username, display_name, role, scope, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        u.id, u.username, u.displayName, u.role, JSON.stringify(u.scope), u.passwordHash, now,
      ])),
    userByUsername: (username) => user('SELECT * FROM users WHERE username = ?', [username]),
    userById: (id) => user(BY_ID, [id]),
    // Creation order: SQLite's rowid, PostgreSQL's serial column.
    users: async () => (await sql.all<UserRow>(byDialect(sql, { sqlite: 'SELECT * FROM users ORDER BY rowid', postgres: 'SELECT * FROM users ORDER BY ord' }))).map((r) => toUser(r)!),
    updateUser: (id, change) =>
      sql.transaction(async (tx) => {
        const current = toUser(await tx.get<UserRow>(BY_ID + tx.dialect.forUpdate, [id]));
        if (!current) return null;
        const next = { ...current, ...change };
        // Anything that changes what a token stands for ends every session of the user.
        const revoke = change.passwordHash !== undefined || change.disabled === true || change.role !== undefined || change.scope !== undefined;
        await tx.run('UPDATE users SET display_name = ?, role = ?, scope = ?, password_hash = ?, disabled = ?, token_version = token_version + ? WHERE id = ?', [
          next.displayName, next.role, JSON.stringify(next.scope), next.passwordHash, next.disabled ? 1 : 0, revoke ? 1 : 0, id,
        ]);
        if (revoke) await tx.run('DELETE FROM sessions WHERE user_id = ?', [id]);
        return { user: toUser(await tx.get<UserRow>(BY_ID, [id]))!, revoked: revoke };
      }),

    createSession: async (sid, refreshHash, userId, now, expiresAt) =>
      void (await sql.run('INSERT INTO sessions (sid, token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [sid, refreshHash, userId, now, expiresAt])),
    sessionByRefresh: async (hash, now) => {
      const row = await sql.get<UserRow & { sid: string }>('SELECT s.sid, u.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ?', [hash, now]);
      return row ? { sid: row.sid, user: toUser(row)! } : null;
    },
    rotateRefresh: async (sid, hash, expiresAt) => void (await sql.run('UPDATE sessions SET token_hash = ?, expires_at = ? WHERE sid = ?', [hash, expiresAt, sid])),
    sessionAlive: async (sid, now) => (await sql.get('SELECT 1 AS x FROM sessions WHERE sid = ? AND expires_at > ?', [sid, now])) !== undefined,
    deleteSession: async (sid) => void (await sql.run('DELETE FROM sessions WHERE sid = ?', [sid])),
    deleteUserSessions: async (userId) => void (await sql.run('DELETE FROM sessions WHERE user_id = ?', [userId])),
  };
}
