/**
 * Settings the server keeps about itself (the deadline policy in force, signing keys'
 * versions…), one string per key. `claimMeta` is how instances starting together agree on
 * a value: the first to store it wins and every caller reads back the winner.
 */
export interface MetaStore {
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  /** Stores `value` unless the key has one already; returns what is stored (instances racing at start agree). */
  claimMeta(key: string, value: string): Promise<string>;
}
