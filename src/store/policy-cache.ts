import { POLICY_PRESETS, type DeadlinePolicy } from '../core/deadline';
import type { MinshengDB } from './db';

// The policy in use on each database, read by projections (docs.ts) and set by policy.ts
// when it loads or adopts one. A leaf of its own, so docs.ts and policy.ts need not import
// each other.

const FALLBACK = POLICY_PRESETS.linyi;
const cache = new WeakMap<MinshengDB, DeadlinePolicy>();

export function currentPolicy(db: MinshengDB): DeadlinePolicy {
  return cache.get(db) ?? FALLBACK;
}

/** The policy set for `db`, or undefined before one was loaded or adopted. */
export function cachedPolicy(db: MinshengDB): DeadlinePolicy | undefined {
  return cache.get(db);
}

export function setCurrentPolicy(db: MinshengDB, policy: DeadlinePolicy): void {
  cache.set(db, policy);
}

/** The preset used when no valid policy is stored. */
export const FALLBACK_POLICY: DeadlinePolicy = FALLBACK;
