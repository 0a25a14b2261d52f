import { newId } from '../core/id';
import type { MinshengDB } from './db';
import { getMeta, setMeta } from './meta';

// This device's hand-over signing key (issue 30, item 2): Ed25519, made here with WebCrypto.
// The private key is not extractable; IndexedDB keeps the CryptoKey itself (structured clone),
// so its bytes never exist in script. One key per user on this device: the server binds a key
// to one user and one device.

export interface DeviceKey {
  id: string;
  privateKey: CryptoKey;
  /** Raw 32-byte public key, as bundles carry it and the server registers it. */
  publicKey: Uint8Array;
  /** Set once the server has the key (a bundle signed before that still verifies once it does). */
  registeredAt?: number;
}

const metaKey = (userId: string) => `handoverKey:${userId}`;

/** The user's key on this device, made on first use. */
export async function deviceKey(db: MinshengDB, userId: string): Promise<DeviceKey> {
  const found = await getMeta<DeviceKey>(db, metaKey(userId));
  if (found) return found;
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const made: DeviceKey = { id: newId(), privateKey: pair.privateKey, publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)) };
  // Two tabs making a key at once: the first stored wins, so bundles are never signed by an unregistered twin.
  return db.transaction('rw', db.meta, async () => {
    const raced = await getMeta<DeviceKey>(db, metaKey(userId));
    if (raced) return raced;
    await setMeta(db, metaKey(userId), made);
    return made;
  });
}

export async function signBytes(key: DeviceKey, bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('Ed25519', key.privateKey, bytes as Uint8Array<ArrayBuffer>));
}

/** Whether `signature` over `bytes` holds for a raw Ed25519 public key; false for a key that is not one. */
export async function verifyBytes(publicKey: Uint8Array, bytes: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
    return await crypto.subtle.verify('Ed25519', key, signature as Uint8Array<ArrayBuffer>, bytes as Uint8Array<ArrayBuffer>);
  } catch {
    return false;
  }
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export type ApiFetch = (path: string, init?: RequestInit) => Promise<Response>;

/**
 * Registers the key with the server (idempotent), bound to the signed-in user and this device.
 * False when the server could not be reached or refused; the next link tries again.
 */
export async function registerDeviceKey(db: MinshengDB, userId: string, deviceId: string, api: ApiFetch): Promise<boolean> {
  const key = await deviceKey(db, userId);
  if (key.registeredAt) return true;
  try {
    const res = await api('/api/handover/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: key.id, deviceId, publicKey: base64(key.publicKey) }) });
    // Read to the end even unused: an unread body holds the request (and its connection) open.
    await res.arrayBuffer();
    if (!res.ok) return false;
  } catch {
    return false;
  }
  await setMeta(db, metaKey(userId), { ...key, registeredAt: Date.now() });
  return true;
}
