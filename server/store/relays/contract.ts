/**
 * The keys county servers sign their uplink with (issue 25): a city's admin registers a
 * county server's public key; the county keeps the private key. A county may have several
 * keys at once, so a new one is registered before the old one is revoked (rotation).
 * Revoking is final: a revoked key never authenticates again.
 */
export interface RelayKeyStore {
  insertRelayKey(key: NewRelayKey): Promise<void>;
  relayKey(id: string): Promise<RelayKey | null>;
  /** Every key, newest first. */
  relayKeys(): Promise<RelayKey[]>;
  /** Marks a key revoked; false when there is no such key or it was revoked already. */
  revokeRelayKey(id: string, at: number): Promise<boolean>;
  /** When a key last opened an uplink (for the admins' status). */
  touchRelayKey(id: string, at: number): Promise<void>;
}

export interface NewRelayKey {
  id: string;
  /** The 6-digit county whose documents the key's server may relay. */
  county: string;
  /** Ed25519, SPKI DER in base64. */
  publicKey: string;
  label: string;
  createdBy: string;
  createdAt: number;
}

export interface RelayKey extends NewRelayKey {
  revokedAt: number | null;
  lastSeenAt: number | null;
}
