import { parsePolicy, type DeadlinePolicy } from '../core/deadline';
import { DEFAULT_REPEAT_RULE } from '../core/repeats';
import { updatesTable, type MinshengDB } from './db';
import { putProjection, scratchDoc } from './docs';
import { getMeta, setMeta } from './meta';
import { cachedPolicy, FALLBACK_POLICY, setCurrentPolicy } from './policy-cache';

// Kept importable from here, where callers have always found it.
export { currentPolicy } from './policy-cache';

// The county's deadline policy arrives from the server (login, welcome) and is kept in
// meta so due dates are right offline. Projections are derived with it, so a new policy
// or a projection that gained columns re-derives every local row.

/** Bumped when projection columns change, so old rows are re-derived on boot. */
const PROJECTION_VERSION = 9;

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

function fingerprint(policy: DeadlinePolicy): string {
  return `${PROJECTION_VERSION}:${canonical(policy)}`;
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

/** Loads the stored policy and re-derives rows if they were projected differently. */
export async function loadPolicy(db: MinshengDB): Promise<DeadlinePolicy> {
  const parsed = parsePolicy(upgradeStored(await getMeta(db, 'policy')));
  const policy = parsed.ok ? parsed.policy : FALLBACK_POLICY;
  setCurrentPolicy(db, policy);
  if ((await getMeta(db, 'projectedWith')) !== fingerprint(policy)) await reproject(db, policy);
  return policy;
}

/** Adopts the policy the server sent; a no-op when it is the one in use. */
export async function adoptPolicy(db: MinshengDB, policy: DeadlinePolicy): Promise<void> {
  if (canonical(policy) === canonical(cachedPolicy(db)) && (await getMeta(db, 'projectedWith')) === fingerprint(policy)) return;
  setCurrentPolicy(db, policy);
  await setMeta(db, 'policy', policy);
  await reproject(db, policy);
}

async function reproject(db: MinshengDB, policy: DeadlinePolicy): Promise<void> {
  await db.transaction('rw', [db.appeals, updatesTable(db), db.meta], async () => {
    for (const id of await db.appeals.toCollection().primaryKeys()) {
      const doc = await scratchDoc(db, id);
      // putProjection derives with currentPolicy(db), which is already `policy`.
      if (doc.getMap('fields').size > 0) await putProjection(db, id, doc);
      doc.destroy();
    }
    await setMeta(db, 'projectedWith', fingerprint(policy));
  });
}
