import type { DeadlinePolicy } from '../../src/core/deadline';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { project } from '../../src/core/projection';
import type { Store } from '../store/types';

const META_KEY = 'projection_policy';

/**
 * Due dates are derived with the county's policy, so a changed policy (or a schema that
 * gained projection columns) re-derives every row from its document before serving.
 */
export function reprojectIfPolicyChanged(store: Store, policy: DeadlinePolicy): number {
  const fingerprint = JSON.stringify(policy);
  if (store.getMeta(META_KEY) === fingerprint) return 0;
  const ids = store.appealRows().map((r) => r.id);
  store.inPushTx((tx) => {
    for (const id of ids) {
      const doc = docFromUpdates(tx.docParts(id));
      tx.upsertProjection(project(readAppeal(doc, id), policy), 0, 0);
      doc.destroy();
    }
  });
  store.setMeta(META_KEY, fingerprint);
  return ids.length;
}
