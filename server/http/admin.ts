import type { IncomingMessage } from 'node:http';
import * as v from 'valibot';
import { DEPARTMENTS } from '../../src/core/departments';
import { isUuidV7, newId } from '../../src/core/id';
import { ROLES, scopeCovers, type Role, type Scope } from '../../src/core/roles';
import { scopeFitsRole } from '../../src/core/tiers';
import { hashPassword } from '../services/auth';
import type { Revocations } from '../services/revocations';
import type { Store, UserChange, UserRecord } from '../store/types';
import { parseKeywords } from '../../src/core/classify';
import { plausiblePoint } from '../../src/core/geo';
import { isRegionCode } from '../../src/core/regions';
import { regionInScope } from '../../src/core/roles';
import { clientIp } from '../net/address';
import { keywordsOf, placeCorrections } from '../services/settings';
import { demoMark } from '../services/demo/seed';
import { isMediatorGrade, MEDIATOR_GRADES } from '../../src/core/mediation';
import { rosterFor, setMediatorGrade } from '../services/mediators';
import { HttpError, type parse as parseFn, type readJson as readJsonFn, type Route } from './plumbing';

// The admin page's API: users within the admin's own scope, and the audit log. Every
// change is audited; changes that end access close the user's sockets at once.

const MIN_PASSWORD = 8;
const regionPrefix = v.pipe(v.string(), v.regex(/^\d{4}(\d{2}(\d{3}){0,2})?$/, 'a region prefix is 4, 6, 9 or 12 digits'));
const scopeFields = {
  regions: v.pipe(v.array(regionPrefix), v.minLength(1, 'at least one region'), v.maxLength(50)),
  departments: v.pipe(v.array(v.picklist(DEPARTMENTS)), v.maxLength(DEPARTMENTS.length)),
};
const password = v.pipe(v.string(), v.minLength(MIN_PASSWORD, `at least ${MIN_PASSWORD} characters`), v.maxLength(256));
const displayName = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(50));

const CreateBody = v.strictObject({
  username: v.pipe(v.string(), v.regex(/^[a-z0-9_.-]{2,32}$/, 'username: 2–32 of a-z 0-9 _ . -')),
  displayName,
  role: v.picklist(ROLES),
  password,
  ...scopeFields,
});
const UpdateBody = v.strictObject({
  displayName: v.optional(displayName),
  role: v.optional(v.picklist(ROLES)),
  password: v.optional(password),
  disabled: v.optional(v.boolean()),
  regions: v.optional(scopeFields.regions),
  departments: v.optional(scopeFields.departments),
});

interface AdminDeps {
  store: Store;
  revocations: Revocations;
  authed: (req: IncomingMessage) => Promise<{ user: UserRecord }>;
  readJson: typeof readJsonFn;
  parse: typeof parseFn;
  /** Told when an administrator sets a user's password: the login throttle forgives the account. */
  passwordReset?: (username: string) => void;
}

export function listedUser(u: UserRecord) {
  return { id: u.id, username: u.username, displayName: u.displayName, role: u.role, scope: u.scope, disabled: u.disabled };
}

export function createAdminRoutes(deps: AdminDeps): (method: string, path: string) => Route | undefined {
  const list: Route = (req) => listUsers(deps, req);
  const create: Route = (req) => createUser(deps, req);
  const audit: Route = (req) => readAudit(deps, req);
  const keywords: Route = (req) => setKeywords(deps, req);
  return (method, path) => {
    if (path === '/api/admin/keywords' && method === 'PUT') return keywords;
    const g = /^\/api\/admin\/mediators\/([0-9a-f-]{36})$/.exec(path);
    if (g && method === 'PUT') return (req) => gradeMediator(deps, req, g[1]!);
    const p = /^\/api\/admin\/places\/(\d{12})$/.exec(path);
    if (p && (method === 'PUT' || method === 'DELETE')) return (req) => correctPlace(deps, req, p[1]!, method === 'DELETE');
    if (path === '/api/admin/users') return method === 'GET' ? list : method === 'POST' ? create : undefined;
    if (path === '/api/admin/audit' && method === 'GET') return audit;
    // Whether the data is the demo county's (MINSHENG_DEMO), for the admin page to say so.
    if (path === '/api/admin/demo' && method === 'GET') return async (req) => (await asAdmin(deps, req), [200, { demo: await demoMark(deps.store) }]);
    const m = /^\/api\/admin\/users\/([0-9a-f-]{36})$/.exec(path);
    if (m && method === 'PATCH') return (req) => updateUser(deps, req, m[1]!);
    return undefined;
  };
}

/** The signed-in user, when an administrator; anyone else's attempt is audited and refused. */
async function asAdmin({ store, authed }: AdminDeps, req: IncomingMessage): Promise<UserRecord> {
  const { user } = await authed(req);
  if (user.role !== 'admin') throw await refused(store, user, req, 'Only an administrator may do this');
  return user;
}

/** Audits an attempt `user` may not make and gives the 403 to throw. */
export async function refused(store: Pick<Store, 'insertAudit'>, user: UserRecord, req: IncomingMessage, message: string): Promise<HttpError> {
  await store.insertAudit({ at: Date.now(), actor: user.id, action: 'permission_refused', target: new URL(req.url ?? '/', 'http://l').pathname, ip: clientIp(req), detail: { role: user.role } });
  return new HttpError(403, 'forbidden', message);
}

/** A scope an administrator may grant: inside their own, and naming regions of this county. */
async function checkScope({ store }: AdminDeps, admin: UserRecord, scope: Scope): Promise<void> {
  if (!scopeCovers(admin.scope, scope)) throw new HttpError(403, 'forbidden', 'That scope lies outside your own');
  for (const prefix of scope.regions) {
    if ((await store.regionsUnder([prefix])).length === 0) throw new HttpError(400, 'invalid_body', `regions: ${prefix} is not a region of this county`);
  }
}

/** A dispatcher's scope must name the tier it dispatches at (tiers.ts). */
function checkFit(role: Role, scope: Scope): void {
  const misfit = scopeFitsRole(role, scope);
  if (misfit) throw new HttpError(400, 'invalid_body', misfit);
}

/** The user `id`, when the administrator's scope covers theirs. */
async function managed({ store }: AdminDeps, admin: UserRecord, id: string): Promise<UserRecord> {
  const target = isUuidV7(id) ? await store.userById(id) : null;
  if (!target || !scopeCovers(admin.scope, target.scope)) throw new HttpError(404, 'not_found', 'No such user in your scope');
  return target;
}

async function listUsers(deps: AdminDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const admin = await asAdmin(deps, req);
  return [200, { users: (await deps.store.users()).filter((u) => scopeCovers(admin.scope, u.scope)).map(listedUser) }];
}

async function createUser(deps: AdminDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { store } = deps;
  const admin = await asAdmin(deps, req);
  const body = deps.parse(CreateBody, await deps.readJson(req));
  const scope = { regions: body.regions, departments: body.departments };
  await checkScope(deps, admin, scope);
  checkFit(body.role, scope);
  if (await store.userByUsername(body.username)) throw new HttpError(409, 'conflict', `username ${body.username} is taken`);
  const id = newId();
  await store.insertUser({ id, username: body.username, displayName: body.displayName, role: body.role, scope, passwordHash: await hashPassword(body.password) }, Date.now());
  await store.insertAudit({ at: Date.now(), actor: admin.id, action: 'user_created', target: id, ip: clientIp(req), detail: { username: body.username, role: body.role, scope } });
  return [201, { user: listedUser((await store.userById(id))!) }];
}

async function updateUser(deps: AdminDeps, req: IncomingMessage, id: string): Promise<[number, unknown]> {
  const { store } = deps;
  const admin = await asAdmin(deps, req);
  const target = await managed(deps, admin, id);
  const body = deps.parse(UpdateBody, await deps.readJson(req));
  if (target.id === admin.id && (body.disabled || body.role !== undefined)) throw new HttpError(400, 'invalid_body', 'You cannot disable yourself or change your own role');
  const change: UserChange = {};
  if (body.displayName !== undefined) change.displayName = body.displayName;
  if (body.role !== undefined) change.role = body.role;
  if (body.disabled !== undefined) change.disabled = body.disabled;
  if (body.password !== undefined) change.passwordHash = await hashPassword(body.password);
  if (body.regions !== undefined || body.departments !== undefined) {
    change.scope = { regions: body.regions ?? target.scope.regions, departments: body.departments ?? target.scope.departments };
    await checkScope(deps, admin, change.scope);
  }
  if (change.role !== undefined || change.scope !== undefined) checkFit(change.role ?? target.role, change.scope ?? target.scope);
  const result = (await store.updateUser(target.id, change))!;
  if (result.revoked) deps.revocations.revoke(target.id);
  if (body.password !== undefined) deps.passwordReset?.(result.user.username);
  // Never the password itself: only that it changed.
  const detail = { ...body, ...(body.password !== undefined ? { password: 'reset' } : {}), revoked: result.revoked };
  await store.insertAudit({ at: Date.now(), actor: admin.id, action: 'user_updated', target: target.id, ip: clientIp(req), detail });
  return [200, { user: listedUser(result.user) }];
}

async function readAudit(deps: AdminDeps, req: IncomingMessage): Promise<[number, unknown]> {
  await asAdmin(deps, req);
  const q = new URL(req.url ?? '/', 'http://l').searchParams;
  const limit = Math.min(500, Math.max(1, Number(q.get('limit') ?? 100) || 100));
  const before = q.get('before') ? Number(q.get('before')) : undefined;
  return [200, { entries: await deps.store.audit(limit, Number.isFinite(before) ? before : undefined) }];
}

async function setKeywords(deps: AdminDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { store } = deps;
  const admin = await asAdmin(deps, req);
  const body = (await deps.readJson(req, 256 * 1024)) as { rules?: unknown } | null;
  const parsed = parseKeywords(body?.rules);
  if (!parsed.ok) throw new HttpError(400, 'invalid_body', parsed.error);
  const before = (await keywordsOf(store)).length;
  await store.setMeta('keywords', JSON.stringify(parsed.rules));
  await store.insertAudit({ at: Date.now(), actor: admin.id, action: 'keywords_updated', ip: clientIp(req), detail: { before, after: parsed.rules.length } });
  return [200, { rules: parsed.rules }];
}

/** An administrator awards a mediator of their scope a grade (金牌, 优秀), or takes it back with `{"grade": null}`. */
async function gradeMediator(deps: AdminDeps, req: IncomingMessage, id: string): Promise<[number, unknown]> {
  const { store } = deps;
  const admin = await asAdmin(deps, req);
  const target = await store.userById(id);
  if (!target || target.role !== 'mediator' || !scopeCovers(admin.scope, target.scope)) throw new HttpError(404, 'not_found', 'No such mediator in your scope');
  const body = (await deps.readJson(req)) as { grade?: unknown } | null;
  const grade = body?.grade ?? undefined;
  if (grade !== null && !isMediatorGrade(grade)) throw new HttpError(400, 'invalid_body', `Send {"grade": ${MEDIATOR_GRADES.map((g) => `"${g}"`).join(' | ')} | null}`);
  await setMediatorGrade(store, id, grade);
  await store.insertAudit({ at: Date.now(), actor: admin.id, action: 'mediator_graded', target: id, ip: clientIp(req), detail: { grade } });
  return [200, { mediators: await rosterFor(store, admin.scope) }];
}

/** An administrator moves a town or village on the map (or, with DELETE, puts it back). */
async function correctPlace(deps: AdminDeps, req: IncomingMessage, code: string, remove: boolean): Promise<[number, unknown]> {
  const { store } = deps;
  const admin = await asAdmin(deps, req);
  if (!isRegionCode(code) || !regionInScope(admin.scope, code) || (await store.regionsUnder([code])).every((r) => r.code !== code)) throw new HttpError(404, 'not_found', 'No such region in your scope');
  const corrections = await placeCorrections(store);
  const before = corrections[code] ?? null;
  if (remove) delete corrections[code];
  else {
    const body = await deps.readJson(req);
    if (!plausiblePoint(body)) throw new HttpError(400, 'invalid_body', 'Send {"lat", "lng"} in WGS84, inside China');
    corrections[code] = { lat: body.lat, lng: body.lng };
  }
  await store.setMeta('place_corrections', JSON.stringify(corrections));
  await store.insertAudit({ at: Date.now(), actor: admin.id, action: 'place_corrected', target: code, ip: clientIp(req), detail: { before, after: corrections[code] ?? null } });
  return [200, { corrections }];
}
