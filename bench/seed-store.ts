import * as Y from 'yjs';
import type { Store } from '../server/store/types';
import { storeUpdate } from '../server/sync/bus';
import type { DeadlinePolicy } from '../src/core/deadline';
import { appendEvent, readAppeal, writeNewAppeal, type AppealSnapshot } from '../src/core/doc';
import { newId } from '../src/core/id';
import { generateAppeals, pipelineEvents, prng, progressFor, type VillageRef } from './generate';

export interface SeedOptions {
  count: number;
  villages: VillageRef[];
  seed: number;
  /** A town official who records the appeals and walks them through a realistic mix of stages. */
  official: { id: string; name: string };
  /** When the first appeal was recorded; each next one a minute later. */
  from: number;
  policy: DeadlinePolicy;
}

/**
 * Writes generated appeals straight into a server's store, as if pushed and committed, in
 * one transaction: the setting for tests and benchmarks that need a county's backlog.
 */
export async function seedGeneratedAppeals(store: Store, o: SeedOptions): Promise<AppealSnapshot[]> {
  const rnd = prng(o.seed);
  const actor = { id: o.official.id, role: 'town_official' as const, name: o.official.name };
  const now = Date.now();
  return store.inPushTx(async (tx) => {
    const out: AppealSnapshot[] = [];
    for (const [i, input] of generateAppeals(o.count, o.villages, o.seed).entries()) {
      const id = newId();
      const doc = new Y.Doc();
      const at = o.from + i * 60_000;
      writeNewAppeal(doc, { ...input, citizen: { anonymous: true } }, actor, at, newId());
      for (const e of pipelineEvents(progressFor(rnd), input.channel, actor, at, newId)) appendEvent(doc, e);
      const snapshot = readAppeal(doc, id);
      await storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: o.official.id, bytes: Y.encodeStateAsUpdate(doc) }, snapshot, now, o.policy);
      doc.destroy();
      out.push(snapshot);
    }
    return out;
  });
}
