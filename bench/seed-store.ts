import * as Y from 'yjs';
import type { Store } from '../server/store/types';
import { storeUpdate } from '../server/sync/bus';
import type { Policies } from '../src/core/policy-book';
import { appendEvent, readAppeal, writeNewAppeal, type AppealSnapshot } from '../src/core/doc';
import { newId } from '../src/core/id';
import { generateAppeals, pipelineEvents, prng, progressAndShape, type VillageRef } from '../server/services/demo/generate';

export { progressAndShape };

export interface SeedOptions {
  count: number;
  villages: VillageRef[];
  seed: number;
  /** A town official who records the appeals and walks them through a realistic mix of stages. */
  official: { id: string; name: string };
  /** When the first appeal was recorded; each next one `spacingMs` (default a minute) later. */
  from: number;
  spacingMs?: number;
  /** The deployment's policies: each appeal is projected by its county's. */
  policy: Policies;
  /** Towns that differ: each gets its own speed and share of satisfied citizens, so rankings have something to rank. */
  varied?: boolean;
  /** A city center's dispatcher who takes the 12345 hotline's appeals in, at the city's desk, which then leads them. */
  hotline?: { id: string; name: string };
}

/**
 * Writes generated appeals straight into a server's store, as if pushed and committed, in
 * one transaction, every event by one official from one document: quick, for tests that
 * need a county's backlog. Benchmarks seed through the hub instead (seed-hub.ts), from a
 * device per role, so the documents hold what real ones do.
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
      const at = o.from + i * (o.spacingMs ?? 60_000);
      const taker = o.hotline && input.channel === 'hotline_12345' ? { id: o.hotline.id, role: 'city_dispatcher' as const, name: o.hotline.name, desk: 'city' as const } : actor;
      writeNewAppeal(doc, { ...input, citizen: { anonymous: true } }, taker, at, newId());
      const { progress, shape } = progressAndShape(rnd, input.villageCode, at, now, o.seed, o.varied);
      for (const e of pipelineEvents(progress, input.channel, actor, at, newId, shape)) appendEvent(doc, e);
      const snapshot = readAppeal(doc, id);
      // Committed when its last step was taken, as if synced then: a history, not a burst today.
      const committedAt = Math.min(now, Math.max(at, ...snapshot.events.map((e) => (e as { at: number }).at)));
      await storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: o.official.id, bytes: Y.encodeStateAsUpdate(doc) }, snapshot, committedAt, o.policy);
      doc.destroy();
      out.push(snapshot);
    }
    return out;
  });
}
