import * as Y from 'yjs';
import { expect, it } from 'vitest';
import { loadConfig } from '../../server/config';
import { scanDeadlines } from '../../server/jobs/deadlines';
import { reprojectIfPolicyChanged } from '../../server/jobs/reproject';
import type { Store } from '../../server/store/types';
import { createCommitBus, storeUpdate } from '../../server/sync/bus';
import { appendEvent, docFromUpdates, readAppeal, writeNewAppeal } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { newId } from '../../src/core/id';
import type { Policies } from '../../src/core/policy-book';
import { eachStore } from './store/stores';

// A city deployment (Linyi) on both stores: a consultation in Lanling gets Lanling's half a
// working day, one in Lanshan Linyi 12345's five working days for a yellow matter, in the
// projection written on push, in the re-projection at start and in the deadline scanner.
// Expected instants are counted by hand (Monday 23 November 2026 is an ordinary working week).

const LANLING_VILLAGE = '371324101201';
const LANSHAN_VILLAGE = '371302001001';
const cst = (d: number, h: number) => Date.UTC(2026, 10, d, h - 8);
const RECORDED = cst(23, 10);
const ASSIGNED = cst(23, 11);
const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
const grid = { id: '0190a000-0000-7000-8000-000000000001', role: 'grid_worker' as const };
const dispatcher = { id: '0190a000-0000-7000-8000-000000000002', role: 'city_dispatcher' as const };

const book = () => loadConfig({ MINSHENG_REGION: '371300' }).policies;

/** A consultation recorded in `village` at RECORDED and given to the city water bureau at ASSIGNED, stored with `policy`. */
async function consultation(store: Store, village: string, policy: Policies): Promise<string> {
  const id = newId();
  const doc = new Y.Doc();
  writeNewAppeal(doc, { channel: 'grid_patrol', category: 'services.policy', kind: 'consultation', urgency: 'yellow', villageCode: village, description: '政策咨询。', citizen: { anonymous: true } }, grid, RECORDED, newId());
  const recorded = readAppeal(doc, id).events[0] as AppealEvent;
  appendEvent(doc, { id: newId(), type: 'assigned', to: 'city', from: 'city', dept: 'water', actor: dispatcher.id, role: dispatcher.role, at: ASSIGNED, basis: recorded.id } as AppealEvent);
  await store.inPushTx(async (tx) => storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: grid.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), ASSIGNED, policy));
  doc.destroy();
  return id;
}

const dueOf = async (store: Store, id: string) => iso((await store.appealsById([id]))[0]!.dueAt);
const LANLING_DUE = '2026-11-23T07:00:00.000Z'; // 11:00 + 4 working hours = 15:00 the same day
const LANSHAN_DUE = '2026-11-30T03:00:00.000Z'; // five working days: Tue–Fri, then Monday 30 at 11:00

eachStore('deadlines per county in a city', (use) => {
  it('projects each appeal on push with its own county’s policy', () =>
    use(async (store) => {
      const policies = book();
      const lanling = await consultation(store, LANLING_VILLAGE, policies);
      const lanshan = await consultation(store, LANSHAN_VILLAGE, policies);
      expect(await dueOf(store, lanling)).toBe(LANLING_DUE);
      expect(await dueOf(store, lanshan)).toBe(LANSHAN_DUE);
    }));

  it('re-derives rows stored with one policy for the whole city once the counties have their own', () =>
    use(async (store) => {
      const policies = book();
      const lanling = await consultation(store, LANLING_VILLAGE, policies.default);
      const lanshan = await consultation(store, LANSHAN_VILLAGE, policies.default);
      // As a city server before per-county policies: one policy, one fingerprint.
      await reprojectIfPolicyChanged(store, policies.default);
      expect(await dueOf(store, lanling)).toBe(LANSHAN_DUE);
      expect(await reprojectIfPolicyChanged(store, policies)).toBe(2);
      expect(await dueOf(store, lanling)).toBe(LANLING_DUE);
      expect(await dueOf(store, lanshan)).toBe(LANSHAN_DUE);
      expect(await reprojectIfPolicyChanged(store, book())).toBe(0);
    }));

  it('warns on the county’s own clock: Lanling’s consultation is overdue at 16:00, Lanshan’s is not', () =>
    use(async (store) => {
      const policies = book();
      const lanling = await consultation(store, LANLING_VILLAGE, policies);
      const lanshan = await consultation(store, LANSHAN_VILLAGE, policies);
      expect(await scanDeadlines(store, createCommitBus(), policies, cst(23, 16))).toEqual({ scanned: 2, warned: 1, supervised: 0 });
      const warnings = async (id: string) => readAppeal(docFromUpdates(await store.docParts(id)), id).events.filter((e) => (e as AppealEvent).type === 'warned');
      expect(await warnings(lanling)).toEqual([expect.objectContaining({ stage: 'overdue', dueAt: Date.parse(LANLING_DUE) })]);
      expect(await warnings(lanshan)).toEqual([]);
    }));
});
