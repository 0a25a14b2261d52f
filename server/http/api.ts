import type { IncomingMessage, ServerResponse } from 'node:http';
import * as v from 'valibot';
import { cityOf, townOf, type Region } from '../../src/core/regions';
import type { SessionUser } from '../../src/core/roles';
import { newSessionToken, tokenHash, verifyPassword } from '../auth';
import type { Config } from '../config';
import type { Store, UserRecord } from '../store/types';
import type { Tickets } from '../sync/tickets';
import { isUuidV7 } from '../../src/core/id';
import { regionInScope } from '../../src/core/roles';

const MAX_BODY_BYTES = 16 * 1024;

const TicketBody = v.object({ docId: v.pipe(v.string(), v.check((s: string) => isUuidV7(s), 'docId must be a UUIDv7')) });

const LoginBody = v.object({
  username: v.pipe(v.string(), v.trim(), v.minLength(1, 'username is required'), v.maxLength(64)),
  password: v.pipe(v.string(), v.minLength(1, 'password is required'), v.maxLength(256)),
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new HttpError(415, 'unsupported_media_type', 'Send JSON with content-type application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'too_large', `Body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'bad_json', 'Body is not valid JSON');
  }
}

function parse<S extends v.GenericSchema>(schema: S, body: unknown): v.InferOutput<S> {
  const r = v.safeParse(schema, body);
  if (!r.success) {
    const issue = r.issues[0];
    const at = issue.path?.map((p) => String(p.key)).join('.');
    throw new HttpError(400, 'invalid_body', at ? `${at}: ${issue.message}` : issue.message);
  }
  return r.output;
}

export function publicUser(u: UserRecord): SessionUser {
  return { id: u.id, username: u.username, displayName: u.displayName, role: u.role, scope: u.scope };
}

/** Resolves a bearer token to an active user, or null. Shared with the sync hub. */
export function userForToken(store: Store, token: string): UserRecord | null {
  const user = store.sessionUser(tokenHash(token), Date.now());
  return user && !user.disabled ? user : null;
}

/** The regions a user sees: everything under their scope, plus the ancestors needed to name it. */
export function regionsForUser(store: Store, user: SessionUser): Region[] {
  const scoped = store.regionsUnder(user.scope.regions);
  const have = new Set(scoped.map((r) => r.code));
  const ancestors = new Set<string>();
  for (const r of scoped) {
    ancestors.add(cityOf(r.code));
    if (r.level === 'village') ancestors.add(townOf(r.code));
  }
  const missing = [...ancestors].filter((c) => !have.has(c));
  return [...store.regionsUnder(missing), ...scoped].sort((a, b) => (a.code < b.code ? -1 : 1));
}

export function createApi(store: Store, config: Config, tickets: Tickets) {
  const authed = (req: IncomingMessage): UserRecord => {
    const m = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''));
    const user = m ? userForToken(store, m[1]!) : null;
    if (!user) throw new HttpError(401, 'unauthorized', 'Log in again');
    return user;
  };

  const routes: Record<string, (req: IncomingMessage) => Promise<[number, unknown]>> = {
    'GET /api/health': async () => [200, { ok: true, county: store.getMeta('county') }],
    'POST /api/login': async (req) => {
      const { username, password } = parse(LoginBody, await readJson(req));
      const user = store.userByUsername(username);
      // Verify even for unknown users so timing does not reveal which names exist.
      const ok = await verifyPassword(password, user?.passwordHash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      if (!user || !ok || user.disabled) throw new HttpError(401, 'bad_credentials', 'Wrong username or password');
      const token = newSessionToken();
      const now = Date.now();
      const expiresAt = now + config.sessionDays * 86_400_000;
      store.createSession(tokenHash(token), user.id, now, expiresAt);
      return [200, { token, expiresAt, user: publicUser(user), policy: config.policy }];
    },
    'POST /api/logout': async (req) => {
      authed(req);
      const token = String(req.headers.authorization).slice('Bearer '.length);
      store.deleteSession(tokenHash(token));
      return [200, { ok: true }];
    },
    'GET /api/me': async (req) => [200, { user: publicUser(authed(req)) }],
    'GET /api/regions': async (req) => [200, { regions: regionsForUser(store, authed(req)) }],
    /** The county's deadline policy, so devices compute the same due dates offline. */
    'GET /api/policy': async (req) => (authed(req), [200, { policy: config.policy }]),
    /** A one-time ticket to join an appeal's live room (see server/sync/tickets.ts). */
    'POST /api/room-ticket': async (req) => {
      const user = authed(req);
      const { docId } = parse(TicketBody, await readJson(req));
      const village = store.appealVillage(docId);
      if (!village || !regionInScope(user.scope, village)) throw new HttpError(404, 'not_found', 'No such appeal in your area');
      return [200, { ticket: tickets.issue(user.id, docId) }];
    },
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const route = routes[`${req.method} ${path}`];
    try {
      if (!route) throw new HttpError(404, 'not_found', `No route ${req.method} ${path}`);
      const [status, body] = await route(req);
      send(res, status, body);
    } catch (err) {
      if (err instanceof HttpError) return send(res, err.status, { error: err.code, message: err.message });
      console.error('API error', err);
      send(res, 500, { error: 'server_error', message: 'Internal error' });
    }
  };
}
