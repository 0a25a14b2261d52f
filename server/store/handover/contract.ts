/**
 * Hand-over without a network (issue 30, item 2). A device registers the public half of its
 * Ed25519 key, bound to the signed-in user and the device; a bundle it signs is applied as that
 * user, with that device's receipts. A key stays bound for good: registering a new key for the
 * same user and device revokes the older ones, and a revoked key never verifies again.
 */
export interface HandoverStore {
  /** `conflict` when the id is taken by a different user, device or public key. */
  registerDeviceKey(key: NewDeviceKey): Promise<'registered' | 'unchanged' | 'conflict'>;
  deviceKey(id: string): Promise<DeviceKey | null>;
  revokeDeviceKey(id: string, at: number): Promise<boolean>;
  /** Digests (hex SHA-256) of the records of `deviceId` already applied from bundles, by seq. */
  handoverDigests(deviceId: string, seqs: readonly number[]): Promise<Map<number, string>>;
  /** Remembers applied records; one already known keeps its first digest. */
  recordHandoverEntries(deviceId: string, entries: readonly { seq: number; digest: string }[]): Promise<void>;
  /** What a relayed bundle came to (the latest relay of the same bytes replaces it). */
  recordRelay(relay: RelayRecord): Promise<void>;
  /** The relays of bundles signed with `keyId`, newest first. */
  relaysOfKey(keyId: string, limit: number): Promise<RelayRecord[]>;
}

export interface NewDeviceKey {
  id: string;
  userId: string;
  deviceId: string;
  /** Raw Ed25519 public key, base64. */
  publicKey: string;
  createdAt: number;
}

export interface DeviceKey extends NewDeviceKey {
  revokedAt: number | null;
}

export interface RelayRecord {
  /** Hex SHA-256 of the whole signed bundle. */
  digest: string;
  keyId: string;
  /** The user whose device relayed it. */
  carrier: string;
  at: number;
  /** JSON: a RelayOutcome or a RelayRefusal (src/core/handover.ts). */
  outcome: string;
}
