import { ownHandlingMinutes } from '../../src/core/metrics';
import { policyFor, type Policies } from '../../src/core/policy-book';
import type { Store } from '../store/types';

const FILLED_META_KEY = 'own_minutes_filled';
const BATCH = 2000;

/**
 * Appeals written before their rows kept their own handling minutes get them once, at start,
 * so the rankings need not work them out on every request. Every write since keeps them.
 */
export async function fillOwnMinutes(store: Store, policy: Policies): Promise<number> {
  if ((await store.getMeta(FILLED_META_KEY)) !== null) return 0;
  let filled = 0;
  for (let after = ''; ; ) {
    const rows = await store.ownMinutesToFill(after, BATCH);
    if (rows.length === 0) break;
    await store.fillOwnMinutes(rows.map((r) => [r.id, ownHandlingMinutes(r, policyFor(policy, r.village).hours)] as const));
    filled += rows.length;
    after = rows[rows.length - 1]!.id;
  }
  await store.setMeta(FILLED_META_KEY, String(Date.now()));
  return filled;
}
