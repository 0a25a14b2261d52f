import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { countyPolicies, defaultPolicy, policyFor, type Policies } from '../../src/core/policy-book';
import { project } from '../../src/core/projection';
import type { Store } from '../store/types';

export const PROJECTION_META_KEY = 'projection_policy';
/** Bumped when the projection gains columns: every row is derived again once, at start. */
const PROJECTION_COLUMNS = 8;

/**
 * What the rows were derived with. Without county policies it is the fingerprint it always
 * was, so a county deployment is not re-derived for nothing. County codes are integer-like
 * keys, which JSON lists in ascending order whatever order the book was built in.
 */
export function fingerprint(policy: Policies): string {
  const base = `${PROJECTION_COLUMNS}:${JSON.stringify(defaultPolicy(policy))}`;
  const counties = countyPolicies(policy);
  return Object.keys(counties).length === 0 ? base : `${base}:${JSON.stringify(counties)}`;
}

/**
 * Due dates are derived with each appeal's county's policy, so a changed policy (or a schema
 * that gained projection columns) re-derives every row from its document before serving.
 */
export async function reprojectIfPolicyChanged(store: Store, policy: Policies): Promise<number> {
  const print = fingerprint(policy);
  if ((await store.getMeta(PROJECTION_META_KEY)) === print) return 0;
  const ids = (await store.appealRows()).map((r) => r.id);
  await store.inPushTx(async (tx) => {
    for (const id of ids) {
      const doc = docFromUpdates(await tx.docParts(id));
      const snapshot = readAppeal(doc, id);
      const county = policyFor(policy, snapshot.fields.villageCode);
      await tx.upsertProjection(project(snapshot, county), 0, 0, county.hours);
      doc.destroy();
    }
  });
  await store.setMeta(PROJECTION_META_KEY, print);
  return ids.length;
}
