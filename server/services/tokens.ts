import { randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { newSessionToken, tokenHash } from './auth';
import type { Store, UserRecord } from '../store/types';

// Access tokens are short-lived HS256 JWTs naming the user, their token version and the
// session; refresh tokens are opaque, stored by hash, and rotate on every use. Verifying
// an access token also checks the live user and session, so disabling a user, changing
// their password or scope, or logging out ends access at once, not at expiry.

const ISSUER = 'minsheng';
const ALG = 'HS256';

export interface TokenConfig {
  accessMinutes: number;
  sessionDays: number;
}

export interface IssuedSession {
  token: string;
  expiresAt: number;
  refreshToken: string;
  refreshExpiresAt: number;
}

export function createTokenService(store: Store, config: TokenConfig) {
  // One secret for every instance sharing the store: the first to start stores it.
  const secretOnce = store.claimMeta('jwt_secret', randomBytes(32).toString('base64url')).then((b64) => new Uint8Array(Buffer.from(b64, 'base64url')));

  async function access(user: UserRecord, sid: string, now: number): Promise<{ token: string; expiresAt: number }> {
    const expiresAt = now + config.accessMinutes * 60_000;
    const token = await new SignJWT({ ver: user.tokenVersion, sid })
      .setProtectedHeader({ alg: ALG })
      .setIssuer(ISSUER)
      .setSubject(user.id)
      .setJti(newSessionToken())
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(expiresAt / 1000))
      .sign(await secretOnce);
    return { token, expiresAt };
  }

  return {
    /** Starts a session for a user who just proved their password. */
    async open(user: UserRecord, now = Date.now()): Promise<IssuedSession> {
      const sid = newSessionToken();
      const refreshToken = newSessionToken();
      const refreshExpiresAt = now + config.sessionDays * 86_400_000;
      await store.createSession(sid, tokenHash(refreshToken), user.id, now, refreshExpiresAt);
      return { ...(await access(user, sid, now)), refreshToken, refreshExpiresAt };
    },

    /** Trades a refresh token for a new pair; the old refresh token stops working. */
    async refresh(refreshToken: string, now = Date.now()): Promise<(IssuedSession & { user: UserRecord }) | null> {
      const found = await store.sessionByRefresh(tokenHash(refreshToken), now);
      if (!found || found.user.disabled) return null;
      const next = newSessionToken();
      const refreshExpiresAt = now + config.sessionDays * 86_400_000;
      await store.rotateRefresh(found.sid, tokenHash(next), refreshExpiresAt);
      return { ...(await access(found.user, found.sid, now)), refreshToken: next, refreshExpiresAt, user: found.user };
    },

    /** The active user an access token stands for, or null (bad signature, expired, revoked). */
    async verify(token: string, now = Date.now()): Promise<{ user: UserRecord; sid: string } | null> {
      const secret = await secretOnce;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, secret, { issuer: ISSUER, algorithms: [ALG], currentDate: new Date(now) }));
      } catch {
        return null;
      }
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.ver !== 'number') return null;
      // A store that does not answer throws from here: that is not a bad token, and the client
      // must not be told to log in again (a restarting database would sign out every phone).
      const user = await store.userById(payload.sub);
      if (!user || user.disabled || user.tokenVersion !== payload.ver || !(await store.sessionAlive(payload.sid, now))) return null;
      return { user, sid: payload.sid };
    },

    close(sid: string): Promise<void> {
      return store.deleteSession(sid);
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
