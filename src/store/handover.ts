import { attachSignature, encodeDeflatedBundleBody, fitEntries, openBundle, readBundleHead, type Deflate, type Inflate } from '../core/handover';
import type { CarriedBundleRow, MinshengDB } from './db';
import { deviceKey, registerDeviceKey, signBytes, verifyBytes, type ApiFetch } from './device-key';

// Hand-over on the device (issue 30, item 2). The sender signs its pending records (the outbox)
// into a bundle; they stay in its outbox until the server acknowledges them by any path. The
// carrier keeps each bundle it receives, bytes and all, checks it at once (a damaged file is
// refused here, offline, with its reason) and relays it on its next link; the server's answer
// is kept beside it.

export interface SentBundle {
  bytes: Uint8Array;
  records: number;
  /** Pending records left out because a bundle is bounded: send another after this one. */
  remaining: number;
  firstSeq: number;
  lastSeq: number;
  createdAt: number;
}

/** Deflate-raw with the platform's CompressionStream (Chromium, Node). */
export const deflateRaw: Deflate = async (bytes) => new Uint8Array(await new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate-raw'))).arrayBuffer());

/** Inflate-raw that stops reading past `maxBytes` (a bomb is never held whole) and answers null on a broken stream. */
export const inflateRaw: Inflate = async (bytes, maxBytes) => {
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        void reader.cancel().catch(() => undefined);
        return null;
      }
      parts.push(value);
    }
  } catch {
    return null;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
};

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Signs this device's oldest pending records after `afterSeq` into one bundle, or null when none
 * is pending. A bundle is bounded: the next one starts after this one's `lastSeq`.
 */
export async function makeBundle(db: MinshengDB, userId: string, now = Date.now(), afterSeq = 0): Promise<SentBundle | null> {
  const pending = await db.outbox.where('seq').above(afterSeq).toArray();
  if (pending.length === 0) return null;
  const rows = fitEntries(pending, userId);
  const key = await deviceKey(db, userId);
  const body = await encodeDeflatedBundleBody(
    {
      keyId: key.id,
      publicKey: key.publicKey,
      authorId: userId,
      createdAt: now,
      entries: rows.map((r) => ({ docId: r.docId, seq: r.seq, update: r.update, ...(r.contact && { contact: r.contact }) })),
    },
    deflateRaw,
  );
  const bytes = attachSignature(body, await signBytes(key, body));
  const sent: SentBundle = { bytes, records: rows.length, remaining: pending.length - rows.length, firstSeq: rows[0]!.seq, lastSeq: rows[rows.length - 1]!.seq, createdAt: now };
  return sent;
}

/** A received bundle's row: the signature is checked on the head first, then the records are read. */
async function judgeBundle(id: string, bytes: Uint8Array, now: number): Promise<CarriedBundleRow> {
  const refused = (reason: string, detail: string, about: Partial<CarriedBundleRow> = {}): CarriedBundleRow => ({ id, bytes, state: 'refused', receivedAt: now, records: 0, ...about, refused: { reason, detail } });
  const read = readBundleHead(bytes);
  if (!read.ok) return refused(read.reason, read.detail);
  const { head } = read;
  const about = { keyId: head.keyId, authorId: head.authorId, createdAt: head.createdAt, records: head.count };
  // The key in the bundle proves only that it was not damaged on the way: the server checks the registered one.
  if (!(await verifyBytes(head.publicKey, head.signed, head.signature))) return refused('bad_signature', 'the bundle was changed after it was signed', about);
  const opened = await openBundle(head, inflateRaw);
  if (!opened.ok) return refused(opened.reason, opened.detail, about);
  return { id, bytes, state: 'waiting', receivedAt: now, ...about };
}

/**
 * Takes in a bundle from a file or a QR sequence. Whatever it is, it is kept: one that cannot
 * be read or whose signature does not hold is stored refused with the reason, never relayed.
 * The same bytes twice are one row (its state unchanged).
 */
export async function receiveBundle(db: MinshengDB, bytes: Uint8Array, now = Date.now()): Promise<CarriedBundleRow> {
  const id = await sha256Hex(bytes);
  const known = await db.carried.get(id);
  if (known) return known;
  const row = await judgeBundle(id, bytes, now);
  await db.carried.put(row);
  return row;
}

export function carriedBundles(db: MinshengDB): Promise<CarriedBundleRow[]> {
  return db.carried.orderBy('receivedAt').reverse().toArray();
}

interface RelayAnswer {
  accepted?: number[];
  rejected?: { seq: number; docId: string; reason: string; detail: string }[];
  error?: string;
  message?: string;
}

/**
 * Relays every waiting bundle. A server's judgement (accepted, or refused with a reason) is
 * final and kept; a failure to reach it or a server error leaves the bundle waiting.
 */
export async function relayWaiting(db: MinshengDB, api: ApiFetch, now: () => number = Date.now): Promise<number> {
  let relayed = 0;
  for (const row of await db.carried.where('state').equals('waiting').toArray()) {
    let res: Response;
    let answer: RelayAnswer;
    try {
      res = await api('/api/handover/relay', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: row.bytes as Uint8Array<ArrayBuffer> });
      answer = (await res.json()) as RelayAnswer;
    } catch (err) {
      await db.carried.update(row.id, { lastError: err instanceof Error ? err.message : String(err) });
      continue;
    }
    if (res.status === 200) {
      await db.carried.update(row.id, { state: 'relayed', relayedAt: now(), accepted: answer.accepted?.length ?? 0, rejected: answer.rejected ?? [], lastError: undefined });
      relayed++;
    } else if (res.status === 422 || res.status === 400 || res.status === 413) {
      await db.carried.update(row.id, { state: 'refused', relayedAt: now(), refused: { reason: answer.error ?? 'bad_bundle', detail: answer.message ?? '' }, lastError: undefined });
    } else {
      await db.carried.update(row.id, { lastError: `${res.status} ${answer.message ?? ''}`.trim() });
    }
  }
  return relayed;
}

/** Each time the link comes up: the key is registered (once) and carried bundles go. */
export async function whenOnline(db: MinshengDB, userId: string, deviceId: string, api: ApiFetch): Promise<void> {
  await registerDeviceKey(db, userId, deviceId, api);
  await relayWaiting(db, api);
}

/** What the server says became of this device's bundles (relayed by others), newest first; null offline. */
export async function sentOutcomes(db: MinshengDB, userId: string, api: ApiFetch): Promise<{ at: number; outcome: { accepted?: number[]; rejected?: unknown[]; refused?: string; detail?: string } }[] | null> {
  const key = await deviceKey(db, userId);
  if (!key.registeredAt) return null;
  try {
    const res = await api(`/api/handover/relays?keyId=${key.id}`);
    if (!res.ok) {
      await res.arrayBuffer();
      return null;
    }
    return ((await res.json()) as { relays: { at: number; outcome: never }[] }).relays;
  } catch {
    return null;
  }
}
