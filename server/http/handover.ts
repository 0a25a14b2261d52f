import type { IncomingMessage } from 'node:http';
import * as v from 'valibot';
import { isUuidV7 } from '../../src/core/id';
import { MAX_BUNDLE_BYTES } from '../../src/core/limits';
import { PUBLIC_KEY_BYTES } from '../../src/core/handover';
import { clientIp } from '../net/address';
import { relayBundle, type RelayDeps } from '../services/handover';
import type { UserRecord } from '../store/types';
import { HttpError, parse, readJson, searchParams, type Route } from './plumbing';

// Hand-over REST (issue 30, item 2):
//   POST /api/handover/keys     a device registers its bundle-signing public key (bound to the user and device)
//   POST /api/handover/relay    a carrier relays a signed bundle (application/octet-stream)
//   GET  /api/handover/relays   the sender reads what its bundles came to (?keyId=, its own key only)

const uuid = (what: string) => v.pipe(v.string(), v.check((s: string) => isUuidV7(s), `${what} must be a UUIDv7`));
const KeyBody = v.strictObject({
  id: uuid('id'),
  deviceId: uuid('deviceId'),
  publicKey: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9+/]+=*$/, 'publicKey must be base64'),
    v.check((s: string) => Buffer.from(s, 'base64').byteLength === PUBLIC_KEY_BYTES, `publicKey must be a raw Ed25519 key of ${PUBLIC_KEY_BYTES} bytes`),
  ),
});

async function readBytes(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/octet-stream')) {
    throw new HttpError(415, 'unsupported_media_type', 'Send the bundle as application/octet-stream');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, 'too_large', `A bundle is at most ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export function createHandoverRoutes(deps: RelayDeps & { authed: (req: IncomingMessage) => Promise<{ user: UserRecord }> }): Record<string, Route> {
  const { store, authed } = deps;
  return {
    'POST /api/handover/keys': async (req) => {
      const { user } = await authed(req);
      const body = parse(KeyBody, await readJson(req));
      const result = await store.registerDeviceKey({ id: body.id, userId: user.id, deviceId: body.deviceId, publicKey: body.publicKey, createdAt: Date.now() });
      if (result === 'conflict') throw new HttpError(409, 'key_conflict', 'This key id is registered for another user, device or key');
      return [200, { key: body.id, result }];
    },
    'POST /api/handover/relay': async (req) => {
      const { user } = await authed(req);
      const bytes = await readBytes(req, MAX_BUNDLE_BYTES);
      const result = await relayBundle(deps, bytes, user.id, clientIp(req));
      if (!result.ok) throw new HttpError(422, result.refusal.refused, result.refusal.detail);
      return [200, { digest: result.digest, ...result.outcome }];
    },
    'GET /api/handover/relays': async (req) => {
      const { user } = await authed(req);
      const keyId = searchParams(req).get('keyId') ?? '';
      const key = isUuidV7(keyId) ? await store.deviceKey(keyId) : null;
      if (!key || key.userId !== user.id) throw new HttpError(404, 'not_found', 'No such key of yours');
      const relays = await store.relaysOfKey(keyId, 50);
      return [200, { relays: relays.map((r) => ({ digest: r.digest, at: r.at, outcome: JSON.parse(r.outcome) as unknown })) }];
    },
  };
}
