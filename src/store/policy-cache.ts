import { POLICY_PRESETS, type DeadlinePolicy } from '../core/deadline';
import { policyFor, type PolicyBook } from '../core/policy-book';
import type { MinshengDB } from './db';

// The policies in use on each database (the deployment's default and its counties' own), read
// by projections (docs.ts) and set by policy.ts when it loads or adopts them. A leaf of its
// own, so docs.ts and policy.ts need not import each other.

const FALLBACK = POLICY_PRESETS.linyi;
const cache = new WeakMap<MinshengDB, PolicyBook>();

/**
 * The policy an appeal in `village` follows: its county's, else the deployment's default
 * (what a call without a village gets). Takes a document's village field as it is.
 */
export function currentPolicy(db: MinshengDB, village?: unknown): DeadlinePolicy {
  const book = cache.get(db);
  return book ? policyFor(book, village) : FALLBACK;
}

/** The book set for `db`, or undefined before one was loaded or adopted. */
export function cachedBook(db: MinshengDB): PolicyBook | undefined {
  return cache.get(db);
}

export function setCurrentBook(db: MinshengDB, book: PolicyBook): void {
  cache.set(db, book);
}

/** The preset used when no valid policy is stored. */
export const FALLBACK_POLICY: DeadlinePolicy = FALLBACK;
