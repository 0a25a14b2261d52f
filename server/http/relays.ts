import type { IncomingMessage } from 'node:http';
import * as v from 'valibot';
import { isUuidV7, newId } from '../../src/core/id';
import { scopeCovers } from '../../src/core/roles';
import { scopeTier } from '../../src/core/tiers';
import { clientIp } from '../net/address';
import { parseRelayPublicKey, relaySid } from '../services/relay-keys';
import type { Revocations } from '../services/revocations';
import type { RelayKey, Store, UserRecord } from '../store/types';
import type { Uplink } from '../uplink/client';
import type { RelayLinks } from '../sync/relay-links';
import { refused } from './admin';
import { HttpError, type parse as parseFn, type readJson as readJsonFn, type Route } from './plumbing';

// The city admin's registry of county servers' uplink keys (issue 25). Only an administrator
// of the whole city registers or revokes them, each for one county of the city; every change
// is audited, and revoking closes that key's open uplinks at once.

const RegisterBody = v.strictObject({
  county: v.pipe(v.string(), v.regex(/^\d{4}(?!00)\d{2}$/, 'county: the 6-digit code of a county-level area')),
  publicKey: v.pipe(v.string(), v.trim(), v.maxLength(200)),
  label: v.pipe(v.string(), v.trim(), v.minLength(1, 'label: say which server this is'), v.maxLength(60)),
});

export interface RelayAdminDeps {
  store: Store;
  revocations: Revocations;
  authed: (req: IncomingMessage) => Promise<{ user: UserRecord }>;
  readJson: typeof readJsonFn;
  parse: typeof parseFn;
  /** This server's own uplink, on a county server that has one. */
  uplink: Pick<Uplink, 'status'> | null;
  /** County servers' uplinks connected to this instance. */
  links: RelayLinks | null;
}

export function createRelayRoutes(deps: RelayAdminDeps): (method: string, path: string) => Route | undefined {
  return (method, path) => {
    if (path === '/api/admin/uplink' && method === 'GET') return (req) => uplinkStatus(deps, req);
    if (path === '/api/admin/relays') return method === 'GET' ? (req) => list(deps, req) : method === 'POST' ? (req) => register(deps, req) : undefined;
    const m = /^\/api\/admin\/relays\/([0-9a-f-]{36})\/revoke$/.exec(path);
    if (m && method === 'POST') return (req) => revoke(deps, req, m[1]!);
    return undefined;
  };
}

const listed = (k: RelayKey, links: RelayLinks | null) => ({ id: k.id, county: k.county, label: k.label, publicKey: k.publicKey, createdAt: k.createdAt, revokedAt: k.revokedAt, lastSeenAt: k.lastSeenAt, link: links?.get(k.id) ?? null });

/** The signed-in user, when an administrator of a whole city; anyone else's attempt is audited and refused. */
async function cityAdmin({ store, authed }: RelayAdminDeps, req: IncomingMessage): Promise<UserRecord> {
  const { user } = await authed(req);
  if (user.role !== 'admin' || scopeTier(user.scope) !== 'city') throw await refused(store, user, req, 'Only an administrator of the city registers county servers');
  return user;
}

async function list(deps: RelayAdminDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const admin = await cityAdmin(deps, req);
  return [200, { relays: (await deps.store.relayKeys()).filter((k) => scopeCovers(admin.scope, { regions: [k.county], departments: [] })).map((k) => listed(k, deps.links)) }];
}

async function register(deps: RelayAdminDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { store } = deps;
  const admin = await cityAdmin(deps, req);
  const body = deps.parse(RegisterBody, await deps.readJson(req));
  if (!scopeCovers(admin.scope, { regions: [body.county], departments: [] })) throw new HttpError(403, 'forbidden', `county ${body.county} lies outside your city`);
  if (!(await store.regionsUnder([body.county])).some((r) => r.level === 'county')) throw new HttpError(400, 'invalid_body', `county: ${body.county} is not a county of this deployment`);
  if (!parseRelayPublicKey(body.publicKey)) throw new HttpError(400, 'invalid_body', 'publicKey: not an Ed25519 public key (SPKI DER, base64), as `npm run uplink:key` prints it');
  if ((await store.relayKeys()).some((k) => k.publicKey === body.publicKey)) throw new HttpError(409, 'conflict', 'that key is registered already');
  const key = { id: newId(), county: body.county, publicKey: body.publicKey, label: body.label, createdBy: admin.id, createdAt: Date.now() };
  await store.insertRelayKey(key);
  await store.insertAudit({ at: key.createdAt, actor: admin.id, action: 'relay_registered', target: key.id, ip: clientIp(req), detail: { county: key.county, label: key.label } });
  return [201, { relay: listed({ ...key, revokedAt: null, lastSeenAt: null }, null) }];
}

/** A county server's own uplink, for its administrators: whether it is up, how far it got, why it last failed. */
async function uplinkStatus({ authed, uplink }: RelayAdminDeps, req: IncomingMessage): Promise<[number, unknown]> {
  const { user } = await authed(req);
  if (user.role !== 'admin') throw new HttpError(403, 'forbidden', 'Only an administrator may see the uplink');
  return [200, uplink ? { configured: true, ...uplink.status() } : { configured: false }];
}

async function revoke(deps: RelayAdminDeps, req: IncomingMessage, id: string): Promise<[number, unknown]> {
  const { store } = deps;
  const admin = await cityAdmin(deps, req);
  const key = isUuidV7(id) ? await store.relayKey(id) : null;
  if (!key || !scopeCovers(admin.scope, { regions: [key.county], departments: [] })) throw new HttpError(404, 'not_found', 'No such county server key in your city');
  const now = Date.now();
  if (!(await store.revokeRelayKey(id, now))) throw new HttpError(409, 'conflict', 'that key is revoked already');
  await store.insertAudit({ at: now, actor: admin.id, action: 'relay_revoked', target: id, ip: clientIp(req), detail: { county: key.county, label: key.label } });
  deps.revocations.endSession(relaySid(id));
  return [200, { relay: listed({ ...key, revokedAt: now }, deps.links) }];
}
