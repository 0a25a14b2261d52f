import * as v from 'valibot';
import { parsePolicy, type DeadlinePolicy } from '../core/deadline';
import { CountyPoliciesSchema, makePolicyBook, type PolicyBook } from '../core/policy-book';
import { DEFAULT_REPEAT_RULE } from '../core/repeats';
import { updatesTable, type MinshengDB } from './db';
import { putProjection, scratchDoc } from './docs';
import { getMeta, setMeta } from './meta';
import { cachedBook, FALLBACK_POLICY, setCurrentBook } from './policy-cache';

// Kept importable from here, where callers have always found it.
export { currentPolicy } from './policy-cache';

// The deployment's deadline policies arrive from the server (the default at login and in the
// welcome, the counties' own in the welcome) and are kept in meta ('policy', 'countyPolicies')
// so due dates are right offline. Projections are derived with them, so a new policy or a
// projection that gained columns re-derives every local row.

/** Bumped when projection columns change, so old rows are re-derived on boot. */
const PROJECTION_VERSION = 11;

/**
 * JSON with every object's keys sorted. The same policy arrives in different key orders (the
 * server sends a preset as written, the stored one comes back from the schema check in the
 * schema's order); compared as plain JSON they differed, and every boot and every welcome
 * re-derived every row.
 */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** Without county policies, the fingerprint a device always had: upgrading re-derives nothing. */
function fingerprint(book: PolicyBook): string {
  const base = `${PROJECTION_VERSION}:${canonical(book.default)}`;
  return Object.keys(book.counties).length === 0 ? base : `${base}:${canonical(book.counties)}`;
}

/**
 * A policy kept in meta by an older version lacks the fields added since, and the strict
 * check would refuse it: the device would then derive due dates with the fallback preset
 * until the server next sends the county's. Each missing field gets the value the app used
 * before it was configurable; anything else wrong still fails the check.
 */
function upgradeStored(stored: unknown): unknown {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return stored;
  // `repeat` (a9a20ec): special governance used DEFAULT_REPEAT_RULE before.
  return { repeat: DEFAULT_REPEAT_RULE, ...stored };
}

/** The counties' own policies kept in meta; none when absent or unreadable (the next welcome sends them again). */
async function storedCounties(db: MinshengDB): Promise<Record<string, DeadlinePolicy>> {
  const stored = await getMeta(db, 'countyPolicies');
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return {};
  const parsed = v.safeParse(CountyPoliciesSchema, Object.fromEntries(Object.entries(stored).map(([code, p]) => [code, upgradeStored(p)])));
  return parsed.success ? (parsed.output as Record<string, DeadlinePolicy>) : {};
}

/** The book of `fallback` and `counties`, or `fallback` alone when they disagree on the top tier (a deployment that changed). */
function bookOf(fallback: DeadlinePolicy, counties: Readonly<Record<string, DeadlinePolicy>>): PolicyBook {
  const made = makePolicyBook(fallback, counties);
  return made.ok ? made.book : { default: fallback, counties: {} };
}

/** Loads the stored policies and re-derives rows if they were projected differently. Returns the default. */
export async function loadPolicy(db: MinshengDB): Promise<DeadlinePolicy> {
  const parsed = parsePolicy(upgradeStored(await getMeta(db, 'policy')));
  const book = bookOf(parsed.ok ? parsed.policy : FALLBACK_POLICY, await storedCounties(db));
  setCurrentBook(db, book);
  if ((await getMeta(db, 'projectedWith')) !== fingerprint(book)) await reproject(db, book);
  return book.default;
}

/**
 * Adopts the policies the server sent; a no-op when they are the ones in use. The welcome
 * sends `counties` (none when absent from it); the login answer carries only the default, so
 * without `counties` the counties' own in use are kept.
 */
export async function adoptPolicy(db: MinshengDB, policy: DeadlinePolicy, counties?: Readonly<Record<string, DeadlinePolicy>>): Promise<void> {
  const book = bookOf(policy, counties ?? cachedBook(db)?.counties ?? (await storedCounties(db)));
  if (canonical(book) === canonical(cachedBook(db)) && (await getMeta(db, 'projectedWith')) === fingerprint(book)) return;
  setCurrentBook(db, book);
  await setMeta(db, 'policy', book.default);
  await setMeta(db, 'countyPolicies', book.counties);
  await reproject(db, book);
}

async function reproject(db: MinshengDB, book: PolicyBook): Promise<void> {
  await db.transaction('rw', [db.appeals, updatesTable(db), db.meta], async () => {
    for (const id of await db.appeals.toCollection().primaryKeys()) {
      const doc = await scratchDoc(db, id);
      // putProjection derives with currentPolicy(db), which already reads `book`.
      if (doc.getMap('fields').size > 0) await putProjection(db, id, doc);
      doc.destroy();
    }
    await setMeta(db, 'projectedWith', fingerprint(book));
  });
}
