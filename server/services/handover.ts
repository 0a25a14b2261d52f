import { createHash, createPublicKey, verify } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { compactParts } from '../../src/core/doc';
import { openBundle, PUBLIC_KEY_BYTES, readBundleHead, type BundleHead, type HandoverRefusal, type Inflate, type RelayOutcome, type RelayRefusal } from '../../src/core/handover';
import { MAX_PUSH_ITEMS } from '../../src/core/limits';
import type { Policies } from '../../src/core/policy-book';
import type { Store } from '../store/types';
import type { CommitBus, Committed } from '../sync/bus';
import { applyPush } from '../sync/push';
import { publicUser } from './users';
import { log } from '../log';

// The server's side of hand-over (src/core/handover.ts): a carrier relays a bundle another
// device signed. The bundle must verify against the key registered for its key id, name that
// key's user as author, and each record is applied as that author and device through the same
// push path as a direct push (server/sync/push.ts), so receipts keep it to once whatever path
// brings it first. A record relayed again with other bytes under the same (device, seq) is refused.

export interface RelayDeps {
  store: Store;
  bus: CommitBus;
  policy: Policies;
  villages: ReadonlySet<string>;
  compactAfterRows?: number;
}

export type RelayResult = { ok: true; digest: string; outcome: RelayOutcome } | { ok: false; digest: string; refusal: RelayRefusal };

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Inflate-raw bounded by zlib itself: output past `maxBytes` stops it (RangeError), as does a broken stream. */
export const inflateRawBounded: Inflate = async (bytes, maxBytes) => {
  try {
    return new Uint8Array(inflateRawSync(bytes, { maxOutputLength: maxBytes }));
  } catch {
    return null;
  }
};

/** Whether `signature` over `signed` holds for a raw Ed25519 public key. */
export function verifyEd25519(publicKey: Uint8Array, signed: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.byteLength !== PUBLIC_KEY_BYTES) return false;
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
    return verify(null, signed, key, signature);
  } catch {
    return false;
  }
}

/** Checks the bundle as a whole: who signed it, and that it is theirs as sent. */
async function judge(store: Store, bundle: BundleHead): Promise<{ refusal: RelayRefusal } | { deviceId: string; user: ReturnType<typeof publicUser> }> {
  const refuse = (refused: HandoverRefusal, detail: string) => ({ refusal: { refused, detail } });
  const key = await store.deviceKey(bundle.keyId);
  if (!key) return refuse('unknown_key', 'the signing device is not registered with this server (another deployment, or it never synced)');
  if (key.revokedAt !== null) return refuse('revoked_key', 'the signing device’s key was revoked');
  const registered = new Uint8Array(Buffer.from(key.publicKey, 'base64'));
  if (!verifyEd25519(registered, bundle.signed, bundle.signature)) return refuse('bad_signature', 'the bundle was changed after it was signed, or signed by another key');
  if (bundle.authorId !== key.userId) return refuse('wrong_author', 'the bundle names another author than the signing device’s user');
  const author = await store.userById(key.userId);
  if (!author || author.disabled) return refuse('revoked_key', 'the author’s account is disabled');
  return { deviceId: key.deviceId, user: publicUser(author) };
}

/**
 * Relays one signed bundle for `carrierId`. A bundle refused whole stores nothing; otherwise
 * each record is accepted (stored now, or already stored by any path) or rejected with the
 * push path's reason. Either answer is recorded for the bundle's sender to read.
 */
export async function relayBundle(deps: RelayDeps, bytes: Uint8Array, carrierId: string, ip: string | null): Promise<RelayResult> {
  const { store } = deps;
  const digest = sha256(bytes);
  const read = readBundleHead(bytes);
  if (!read.ok) return { ok: false, digest, refusal: { refused: read.reason, detail: read.detail } };
  const { head } = read;
  const refuse = async (why: RelayRefusal): Promise<RelayResult> => {
    await store.insertAudit({ at: Date.now(), actor: carrierId, action: 'permission_refused', target: head.keyId, ip, detail: { what: 'handover', reason: why.refused, detail: why.detail } });
    await store.recordRelay({ digest, keyId: head.keyId, carrier: carrierId, at: Date.now(), outcome: JSON.stringify(why) });
    return { ok: false, digest, refusal: why };
  };
  // Signature and author before anything is inflated: only a registered device's own bytes cost work.
  const judged = await judge(store, head);
  if ('refusal' in judged) return refuse(judged.refusal);
  const opened = await openBundle(head, inflateRawBounded);
  if (!opened.ok) return refuse({ refused: opened.reason, detail: opened.detail });
  const bundle = opened.bundle;
  const { deviceId, user } = judged;
  const digests = new Map(bundle.entries.map((e) => [e.seq, sha256(e.update)]));
  const known = await store.handoverDigests(deviceId, [...digests.keys()]);
  const rejected: RelayOutcome['rejected'] = [];
  const items = bundle.entries.filter((e) => {
    const before = known.get(e.seq);
    if (before === undefined || before === digests.get(e.seq)) return true;
    rejected.push({ seq: e.seq, docId: e.docId, reason: 'replayed_changed', detail: `record ${e.seq} of this device was relayed before with other content` });
    return false;
  });
  const accepted: number[] = [];
  const session = { user, deviceId };
  for (let i = 0; i < items.length; i += MAX_PUSH_ITEMS) {
    const part = items.slice(i, i + MAX_PUSH_ITEMS).map((e) => ({ docId: e.docId, seq: e.seq, update: e.update, ...(e.contact && { contact: e.contact }) }));
    const { ack, committed } = await applyPush({ store, session, msg: { t: 'push', batch: 1, items: part }, now: Date.now(), policy: deps.policy, villages: deps.villages });
    accepted.push(...ack.accepted);
    rejected.push(...ack.rejected.map((r) => ({ seq: r.seq, docId: r.docId, reason: r.reason, detail: r.detail })));
    await settle(deps, committed);
  }
  await store.recordHandoverEntries(deviceId, accepted.map((seq) => ({ seq, digest: digests.get(seq)! })));
  for (const r of rejected) {
    await store.insertAudit({ at: Date.now(), actor: user.id, action: 'permission_refused', target: r.docId, ip, detail: { what: 'handover', carrier: carrierId, reason: r.reason, detail: r.detail } });
  }
  const outcome: RelayOutcome = { accepted, rejected };
  await store.recordRelay({ digest, keyId: bundle.keyId, carrier: carrierId, at: Date.now(), outcome: JSON.stringify(outcome) });
  return { ok: true, digest, outcome };
}

/** What committed goes to the fan-out like a direct push's, and its documents are compacted. */
async function settle({ store, bus, compactAfterRows = 64 }: RelayDeps, committed: Committed[]): Promise<void> {
  bus.publish(committed, null);
  for (const docId of new Set(committed.map((c) => c.docId))) {
    try {
      await store.compact(docId, compactAfterRows, compactParts);
    } catch (err) {
      log.error({ err }, 'compaction failed');
    }
  }
}
