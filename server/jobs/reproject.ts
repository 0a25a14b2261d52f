import type { DeadlinePolicy } from '../../src/core/deadline';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { project } from '../../src/core/projection';
import type { Store } from '../store/types';

const META_KEY = 'projection_policy';
/** Bumped when the projection gains columns: every row is derived again once, at start. */
const PROJECTION_COLUMNS = 6;

/**
 * Due dates are derived with the county's policy, so a changed policy (or a schema that
 * gained projection columns) re-derives every row from its document before serving.
 */
export async function reprojectIfPolicyChanged(store: Store, policy: DeadlinePolicy): Promise<number> {
  const fingerprint = `${PROJECTION_COLUMNS}:${JSON.stringify(policy)}`;
  if ((await store.getMeta(META_KEY)) === fingerprint) return 0;
  const ids = (await store.appealRows()).map((r) => r.id);
  await store.inPushTx(async (tx) => {
    for (const id of ids) {
      const doc = docFromUpdates(await tx.docParts(id));
      await tx.upsertProjection(project(readAppeal(doc, id), policy), 0, 0);
      doc.destroy();
    }
  });
  await store.setMeta(META_KEY, fingerprint);
  return ids.length;
}
