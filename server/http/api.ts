import type { IncomingMessage, ServerResponse } from 'node:http';
import * as v from 'valibot';
import { countyOf, townOf, type Region } from '../../src/core/regions';
import type { SessionUser } from '../../src/core/roles';
import { verifyPassword } from '../services/auth';
import type { Config } from '../config';
import type { Revocations } from '../services/revocations';
import type { Store, UserRecord } from '../store/types';
import type { IssuedSession, TokenService } from '../services/tokens';
import { createAdminRoutes } from './admin';
import { createBrowseRoutes } from './browse';
import { createRelayRoutes } from './relays';
import type { Uplink } from '../uplink/client';
import type { RelayLinks } from '../sync/relay-links';
import { createCivicRoutes } from './civic';
import { createArticleRoutes } from './articles';
import { createModerationRoutes } from './moderation';
import { createReportRoutes } from './reports';
import { createWeeklyReportRoutes } from './weekly-report';
import { createWallRoutes } from './wall';
import { withInitials } from '../services/initials';
import { keywordsOf, placeCorrections } from '../services/settings';
import { rosterFor } from '../services/mediators';
import { publicUser } from '../services/users';
import { clientIp } from '../net/address';
import { storeTrouble, TROUBLE_HTTP } from '../store/trouble';
import { errorSeen } from '../ops/journal';
import { createLoginThrottle, type LoginLimits, type LoginThrottle } from '../net/ratelimit';
import type { Tickets } from '../sync/tickets';
import { isUuidV7 } from '../../src/core/id';
import { appealInScope } from '../../src/core/roles';
import { bearerAuth, HttpError, parse, readJson, send, type Route } from './plumbing';
import { mapTallyQuery, narrowScope } from './map';
import { log } from '../log';

const TicketBody = v.object({ docId: v.pipe(v.string(), v.check((s: string) => isUuidV7(s), 'docId must be a UUIDv7')) });

const RefreshBody = v.object({ refreshToken: v.pipe(v.string(), v.minLength(1), v.maxLength(128)) });

const LoginBody = v.object({
  username: v.pipe(v.string(), v.trim(), v.minLength(1, 'username is required'), v.maxLength(64)),
  password: v.pipe(v.string(), v.minLength(1, 'password is required'), v.maxLength(256)),
});

/**
 * Failed logins allowed before a pause (rules in `createLoginThrottle`): per account from one
 * address, per address, and per account from everywhere, past which only addresses that have
 * not yet failed on it may try.
 */
export const LOGIN_LIMITS: LoginLimits = {
  pair: { max: 5, windowMs: 15 * 60_000 },
  address: { max: 30, windowMs: 15 * 60_000 },
  account: { max: 20, windowMs: 15 * 60_000 },
};

/** The regions a user sees: everything under their scope, plus the ancestors needed to name it. */
export async function regionsForUser(store: Store, user: SessionUser): Promise<Region[]> {
  const scoped = await store.regionsUnder(user.scope.regions);
  const have = new Set(scoped.map((r) => r.code));
  const ancestors = new Set<string>();
  for (const r of scoped) {
    if (r.level !== 'city') ancestors.add(countyOf(r.code));
    if (r.level === 'village') ancestors.add(townOf(r.code));
  }
  const missing = [...ancestors].filter((c) => !have.has(c));
  return [...(await store.regionsUnder(missing)), ...scoped].sort((a, b) => (a.code < b.code ? -1 : 1));
}

export interface ApiDeps {
  store: Store;
  config: Config;
  tickets: Tickets;
  tokens: TokenService;
  revocations: Revocations;
  /** A county server's uplink to its city, when it has one. */
  uplink?: Pick<Uplink, 'status'> | null;
  /** County servers' uplinks connected here (a city server). */
  relayLinks?: RelayLinks;
  /** Routes built beside the API, with what it does not hold (online Q&A needs the commit bus). */
  routes?: Record<string, Route>;
}

/** What the API's own handlers share, built once by createApi. */
interface ApiContext extends ApiDeps {
  throttle: LoginThrottle;
  authed: ReturnType<typeof bearerAuth>;
}

export function createApi(deps: ApiDeps) {
  const ctx: ApiContext = { ...deps, throttle: createLoginThrottle(LOGIN_LIMITS), authed: bearerAuth(deps.tokens) };
  const { store, config, revocations, throttle, authed } = ctx;
  const routes: Record<string, Route> = apiRoutes(ctx);
  const users = createAdminRoutes({ store, revocations, authed, readJson, parse, passwordReset: (username) => throttle.forgive(username) });
  const relays = createRelayRoutes({ store, revocations, authed, readJson, parse, uplink: deps.uplink ?? null, links: deps.relayLinks ?? null });
  const articles = createArticleRoutes({ store, authed });
  const admin = (method: string, path: string) => users(method, path) ?? relays(method, path) ?? articles(method, path);
  Object.assign(routes, createModerationRoutes({ store, authed }), createCivicRoutes({ store, authed }));
  Object.assign(routes, createReportRoutes({ store, policy: config.policy, scorecard: config.scorecard, authed }));
  Object.assign(routes, createWeeklyReportRoutes({ store, policy: config.policy, scorecard: config.scorecard, authed }));
  Object.assign(routes, createBrowseRoutes({ store, authed }));
  Object.assign(routes, createWallRoutes({ store, policy: config.policy, authed }));
  Object.assign(routes, deps.routes ?? {});

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const route = routes[`${req.method} ${path}`] ?? admin(req.method ?? 'GET', path);
    try {
      if (!route) throw new HttpError(404, 'not_found', `No route ${req.method} ${path}`);
      const [status, body] = await route(req);
      send(res, status, body);
    } catch (err) {
      if (err instanceof HttpError) return send(res, err.status, { error: err.code, message: err.message }, err.headers);
      const trouble = storeTrouble(err);
      if (trouble) {
        const { status, retryAfter, message } = TROUBLE_HTTP[trouble];
        log.warn({ trouble }, 'API refused: store in trouble');
        errorSeen(`store ${trouble}`);
        return send(res, status, { error: `store_${trouble}`, message }, { 'retry-after': String(retryAfter) });
      }
      log.error({ err }, 'API error');
      errorSeen('api');
      send(res, 500, { error: 'server_error', message: 'Internal error' });
    }
  };
}

/** The routes of sessions, the user's own data and the county's settings; admin, moderation, civic and reports add theirs. */
function apiRoutes(ctx: ApiContext): Record<string, Route> {
  const { store, config, authed } = ctx;
  return {
    'GET /api/health': async () => [200, { ok: true, county: await store.getMeta('county') }],
    'POST /api/login': (req) => login(ctx, req),
    'POST /api/refresh': (req) => refresh(ctx, req),
    'POST /api/logout': (req) => logout(ctx, req),
    'GET /api/me': async (req) => [200, { user: publicUser((await authed(req)).user) }],
    'GET /api/regions': async (req) => [200, { regions: withInitials(await regionsForUser(store, (await authed(req)).user)) }],
    /** The county's deadline policy, so devices compute the same due dates offline. */
    'GET /api/policy': async (req) => (await authed(req), [200, { policy: config.policy }]),
    'GET /api/map/tally': (req) => mapTally(ctx, req),
    /** Points administrators corrected and the configured tile source, for every device's map. */
    'GET /api/places': async (req) => (await authed(req), [200, { corrections: await placeCorrections(store), tiles: config.tiles && { url: config.tiles.url, attribution: config.tiles.attribution } }]),
    /** The county's keyword library for category suggestions; devices keep a copy for offline use. */
    'GET /api/keywords': async (req) => (await authed(req), [200, { rules: await keywordsOf(store) }]),
    /** The mediators (调解员) serving the user's area, with their grades; devices keep a copy to send disputes offline. */
    'GET /api/mediators': async (req) => {
      const { user } = await authed(req);
      return [200, { mediators: await rosterFor(store, user.scope) }];
    },
    // Area sub-centers (MINSHENG_SUBCENTERS), for devices to name a town's county-tier desk; kept offline like the keywords.
    'GET /api/subcenters': async (req) => (await authed(req), [200, { subcenters: config.subcenters }]),
    'POST /api/room-ticket': (req) => roomTicket(ctx, req),
  };
}

const sessionBody = ({ config }: ApiContext, user: UserRecord, issued: IssuedSession) => ({ ...issued, user: publicUser(user), policy: config.policy });

async function login(ctx: ApiContext, req: IncomingMessage): Promise<[number, unknown]> {
  const { store, throttle } = ctx;
  const { username, password } = parse(LoginBody, await readJson(req));
  const ip = clientIp(req);
  const refused = throttle.refusal(username, ip);
  if (refused) {
    const seconds = Math.max(1, Math.ceil(refused.waitMs / 1000));
    await store.insertAudit({ at: Date.now(), action: 'login_throttled', target: username, ip, detail: { why: refused.why, seconds } });
    const from = refused.why === 'address' ? 'from this address' : 'for this account from this address';
    throw new HttpError(429, 'too_many_attempts', `Too many failed logins ${from}: try again in ${seconds} s, or ask an administrator to set a new password`, { 'retry-after': String(seconds) });
  }
  const user = await store.userByUsername(username);
  // Verify even for unknown users so timing does not reveal which names exist.
  const ok = await verifyPassword(password, user?.passwordHash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  if (!user || !ok || user.disabled) {
    throttle.failed(username, ip);
    await store.insertAudit({ at: Date.now(), actor: user?.id ?? null, action: 'login_failed', target: username, ip, detail: { reason: !user ? 'unknown_user' : user.disabled ? 'disabled' : 'bad_password' } });
    throw new HttpError(401, 'bad_credentials', 'Wrong username or password');
  }
  throttle.succeeded(username, ip);
  await store.insertAudit({ at: Date.now(), actor: user.id, action: 'login', target: user.username, ip });
  return [200, sessionBody(ctx, user, await ctx.tokens.open(user))];
}

async function refresh(ctx: ApiContext, req: IncomingMessage): Promise<[number, unknown]> {
  const { refreshToken } = parse(RefreshBody, await readJson(req));
  const renewed = await ctx.tokens.refresh(refreshToken);
  if (!renewed) throw new HttpError(401, 'unauthorized', 'Session ended: log in again');
  const { user, ...issued } = renewed;
  return [200, sessionBody(ctx, user, issued)];
}

async function logout({ store, tokens, revocations, authed }: ApiContext, req: IncomingMessage): Promise<[number, unknown]> {
  const { user, sid } = await authed(req);
  await tokens.close(sid);
  // The session's open sockets (sync, live rooms) close with it: nothing pushed after
  // this answer is acknowledged or stored.
  revocations.endSession(sid);

  await store.insertAudit({ at: Date.now(), actor: user.id, action: 'logout', target: user.username, ip: clientIp(req) });
  return [200, { ok: true }];
}

/**
 * The map's county, town or village counts over everything in the user's scope (or the part
 * of it `within` names), filtered as the map is: a device may hold only part of its scope.
 */
async function mapTally({ store, authed }: ApiContext, req: IncomingMessage): Promise<[number, unknown]> {
  const { user } = await authed(req);
  const { level, within, filter } = mapTallyQuery(new URL(req.url ?? '/', 'http://local').searchParams);
  const now = Date.now();
  return [200, { level, within, at: now, tallies: await store.mapTally(level, narrowScope(user.scope.regions, within), user.role === 'dept_handler' ? user.scope.departments : undefined, now, filter) }];
}

/** A one-time ticket to join an appeal's live room (see server/sync/tickets.ts). */
async function roomTicket({ store, tickets, authed }: ApiContext, req: IncomingMessage): Promise<[number, unknown]> {
  const { user, sid } = await authed(req);
  const { docId } = parse(TicketBody, await readJson(req));
  const appeal = await store.appealScope(docId);
  if (!appeal || !appealInScope(user, appeal)) {
    if (appeal) await store.insertAudit({ at: Date.now(), actor: user.id, action: 'permission_refused', target: docId, ip: clientIp(req), detail: { what: 'room', ...appeal } });
    throw new HttpError(404, 'not_found', 'No such appeal in your area');
  }
  return [200, { ticket: tickets.issue(user.id, docId, sid) }];
}
