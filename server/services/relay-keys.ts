import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { RelayKeyStore } from '../store/types';

// A county server's uplink credential (issue 25): an Ed25519 key pair. The county keeps the
// private key in its data directory; the city's admin registers the public key for that
// county. The county proves it holds the key with a short-lived token, signed afresh for each
// connection, in place of a user's access token in the sync hello. No secret crosses the line,
// and revoking the key at the city closes the county's uplink for good.

const PREFIX = 'relay.v1';
/** How far a token's time may be from the server's: it is signed for one connection. */
export const RELAY_TOKEN_SKEW_MS = 5 * 60_000;

export interface RelayKeyPair {
  /** SPKI DER, base64: what the city's admin registers. */
  publicKey: string;
  /** PKCS#8 PEM: stays on the county server. */
  privateKeyPem: string;
}

export function generateRelayKeyPair(): RelayKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** The public key parsed, or null when it is not an Ed25519 key in SPKI DER base64. */
export function parseRelayPublicKey(base64: string): KeyObject | null {
  try {
    const key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' ? key : null;
  } catch {
    return null;
  }
}

const signed = (keyId: string, at: number) => Buffer.from(`${PREFIX}.${keyId}.${at}`);

/** A token for one uplink connection, signed with the county's private key. */
export function relayToken(keyId: string, privateKeyPem: string, at = Date.now()): string {
  const sig = sign(null, signed(keyId, at), createPrivateKey(privateKeyPem)).toString('base64url');
  return `${PREFIX}.${keyId}.${at}.${sig}`;
}

export function isRelayToken(token: string): boolean {
  return token.startsWith(`${PREFIX}.`);
}

/** The session id an uplink opened with key `keyId` runs under: ending it closes the uplink. */
export const relaySid = (keyId: string) => `relay:${keyId}`;

export interface RelayPeer {
  keyId: string;
  county: string;
}

/** Who a relay token stands for: a registered, unrevoked key whose signature holds, signed just now. */
export async function verifyRelayToken(store: RelayKeyStore, token: string, now = Date.now()): Promise<RelayPeer | null> {
  const m = /^relay\.v1\.([0-9a-f-]{36})\.(\d{1,16})\.([A-Za-z0-9_-]{1,200})$/.exec(token);
  if (!m) return null;
  const [, keyId, atText, sig] = m as unknown as [string, string, string, string];
  const at = Number(atText);
  if (Math.abs(now - at) > RELAY_TOKEN_SKEW_MS) return null;
  const key = await store.relayKey(keyId);
  if (!key || key.revokedAt !== null) return null;
  const publicKey = parseRelayPublicKey(key.publicKey);
  if (!publicKey || !verify(null, signed(keyId, at), publicKey, Buffer.from(sig, 'base64url'))) return null;
  return { keyId, county: key.county };
}
