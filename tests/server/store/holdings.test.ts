import { expect, it } from 'vitest';
import * as Y from 'yjs';
import { storeUpdate } from '../../../server/sync/bus';
import { readAppeal } from '../../../src/core/doc';
import { holdingBounds, holdsAt, RECENT_MS } from '../../../src/core/holdings';
import { project, type AppealProjection } from '../../../src/core/projection';
import type { Store } from '../../../server/store/types';
import { eachStore, newAppeal, POLICY, user } from './stores';

// A county or city desk's catch-up reads only its share (src/core/holdings.ts) through a SQL
// filter: it must pick exactly the appeals the core rule holds, on both stores.

const NOW = Date.now();
const DAY = 86_400_000;
const LANLING = '371324101201';
const LANSHAN = '371302001001';

/** An appeal committed at `at` whose projection then reads `change` (commit time stays `at`). */
async function appealAt(store: Store, at: number, change: Partial<AppealProjection>, village = LANLING): Promise<string> {
  const a = newAppeal(village, '测试', at - DAY);
  await store.inPushTx(async (tx) => {
    const c = await storeUpdate(tx, { docId: a.id, deviceId: 'd1', clientSeq: await tx.nextClientSeq('d1'), userId: user.id, bytes: Y.encodeStateAsUpdate(a.doc) }, readAppeal(a.doc, a.id), at, POLICY);
    await tx.upsertProjection({ ...project(readAppeal(a.doc, a.id), POLICY), ...change }, c.seq, at);
  });
  return a.id;
}

eachStore('a desk’s share of its scope', (use) => {
  it('reads exactly what the core rule holds, for the county and for the city', () =>
    use(async (store) => {
      const old = NOW - 30 * DAY;
      const fresh = NOW - DAY;
      const cases: [number, Partial<AppealProjection>][] = [
        [old, {}],
        [fresh, {}],
        [old, { status: 'accepted', tier: 'county', reached: 'county' }],
        [old, { status: 'accepted', tier: 'city', reached: 'city' }],
        [old, { status: 'assigned', tier: 'county', reached: 'city', leadTier: 'city' }],
        [old, { status: 'closed', tier: 'county', reached: 'city', leadTier: 'city' }],
        [fresh, { status: 'closed', tier: 'county', reached: 'city', leadTier: 'county' }],
        [old, { status: 'assigned', tier: 'town', reached: 'town', supervisionLevel: 1 }],
        [old, { status: 'assigned', tier: 'town', reached: 'town', supervisionLevel: 3 }],
        [old, { status: 'in_progress', unreasonable: 'requested' }],
        [fresh, { status: 'closed', unreasonable: 'rejected' }],
        [old, { status: 'replied', tier: 'county', reached: 'county', leadTier: 'county' }],
      ];
      for (const [at, change] of cases) {
        await appealAt(store, at, change);
        await appealAt(store, at, change, LANSHAN);
      }
      const since = NOW - RECENT_MS;
      const every = await store.changedDocs(0, ['3713'], 1000);
      expect(every).toHaveLength(cases.length * 2);
      for (const [tier, prefix] of [['county', '371324'], ['city', '3713']] as const) {
        const ruled = every.filter((d) => d.village.startsWith(prefix) && holdsAt(tier, d.holding!, since)).map((d) => d.docId);
        const read = (await store.changedDocs(0, [prefix], 1000, { holding: holdingBounds(tier, since) })).map((d) => d.docId);
        expect(read, tier).toEqual(ruled);
        // Neither everything nor nothing: the share is a real part of the scope.
        expect(read.length, tier).toBeGreaterThan(0);
        expect(read.length, tier).toBeLessThan(every.filter((d) => d.village.startsWith(prefix)).length);
      }
    }));

  it('says when the change at a cursor was committed, even once compaction folded its row away', () =>
    use(async (store) => {
      const first = await appealAt(store, NOW - 10 * DAY, {});
      await appealAt(store, NOW - 2 * DAY, {});
      const seq = (await store.changedDocs(0, ['3713'], 10)).find((d) => d.docId === first)!.lastSeq;
      expect(await store.committedAt(seq)).toBe(NOW - 10 * DAY);
      expect(await store.committedAt(await store.head())).toBe(NOW - 2 * DAY);
      expect(await store.committedAt(0)).toBeNull();
    }));
});
