import { expect, it } from 'vitest';
import { newId } from '../../../src/core/id';
import { eachStore, OTHER, storeProjection, VILLAGE } from './stores';

// Civic reads (server/store/civic/contract.ts) and reports (server/store/reports/contract.ts) on both stores.

const DAY = 86_400_000;
const campaign = (id: string, createdAt: number) => ({ id, title: '修路', question: '怎么修?', region: '371324', category: 'infra.roads', closesOn: '2026-12-31', createdBy: 'u', createdAt });
const slot = (id: string, startsAt: number) => ({ id, host: '县长 张三', place: '信访局', startsAt, endsAt: startsAt + 2 * 3_600_000, capacity: 5, region: '371324', createdBy: 'u' });

eachStore('civic', (use) => {
  it('counts each campaign’s suggestions and adoptions from the appeals, newest campaign first', () =>
    use(async (store) => {
      await store.putCampaign(campaign('c1', 1));
      await store.putCampaign(campaign('c2', 2));
      await storeProjection(store, { campaignId: 'c1', adopted: true });
      await storeProjection(store, { campaignId: 'c1' });
      expect((await store.campaigns()).map((c) => [c.id, c.suggestions, c.adopted])).toEqual([['c2', 0, 0], ['c1', 2, 1]]);
      expect((await store.campaigns())[1]).toEqual({ ...campaign('c1', 1), suggestions: 2, adopted: 1 });
      await expect(store.putCampaign(campaign('c1', 3))).rejects.toThrow();
    }));

  it('lists reception slots that have not ended, soonest first, with their bookings', () =>
    use(async (store) => {
      const now = Date.now();
      await store.putSlot(slot('past', now - DAY), now);
      await store.putSlot(slot('later', now + 2 * DAY), now);
      await store.putSlot(slot('soon', now + DAY), now);
      await storeProjection(store, { receptionSlot: 'soon' });
      expect((await store.slots(now)).map((s) => [s.id, s.booked])).toEqual([['soon', 1], ['later', 0]]);
      expect((await store.slots(now))[0]).toEqual({ ...slot('soon', now + DAY), booked: 1 });
    }));

  it('pages the public board, latest published first', () =>
    use(async (store) => {
      const [a, b] = [await storeProjection(store, { publishedAt: 100, publicSummary: '路灯修好了' }), await storeProjection(store, { publishedAt: 200 })];
      await storeProjection(store);
      expect((await store.publishedAppeals(10, null)).map((r) => r.id)).toEqual([b.id, a.id]);
      expect((await store.publishedAppeals(1, null)).map((r) => r.id)).toEqual([b.id]);
      expect((await store.publishedAppeals(10, 200)).map((r) => [r.id, r.publicSummary])).toEqual([[a.id, '路灯修好了']]);
    }));

  it('filters comments by appeal, status and moderator’s regions, and moderates a pending one once', () =>
    use(async (store) => {
      const here = await storeProjection(store);
      const there = await storeProjection(store, { village: OTHER });
      for (const [i, appealId] of [here.id, there.id, here.id].entries()) await store.addComment({ id: `k${i}`, appealId, body: `意见${i}`, createdAt: i });
      expect((await store.comments({ limit: 10 })).map((c) => c.id)).toEqual(['k2', 'k1', 'k0']);
      expect((await store.comments({ appealId: here.id, limit: 10 })).map((c) => c.id)).toEqual(['k2', 'k0']);
      expect((await store.comments({ regionPrefixes: ['371324102'], limit: 10 })).map((c) => c.id)).toEqual(['k1']);
      expect(await store.comments({ regionPrefixes: [], limit: 10 })).toEqual([]);
      expect(await store.comments({ id: 'k0', limit: 1 })).toEqual([{ id: 'k0', appealId: here.id, body: '意见0', createdAt: 0, status: 'pending', village: VILLAGE }]);
      expect(await store.moderateComment('k0', 'approved', 'm', 5)).toBe(true);
      expect(await store.moderateComment('k0', 'rejected', 'm', 6)).toBe(false);
      expect(await store.moderateComment('none', 'rejected', 'm', 6)).toBe(false);
      expect((await store.comments({ status: 'approved', limit: 10 })).map((c) => c.id)).toEqual(['k0']);
    }));
});

eachStore('reports', (use) => {
  it('reads rankings, exports and map counts within the reader’s regions and departments only', () =>
    use(async (store) => {
      const now = Date.now();
      const road = await storeProjection(store, { createdAt: now - 10 * DAY, repliedAt: now - DAY, dept: 'roads', urgency: 'red', dueAt: now - DAY, status: 'in_progress' });
      const water = await storeProjection(store, { village: OTHER, createdAt: now - 2 * DAY, dept: 'water', urgency: 'yellow', dueAt: now + DAY, status: 'accepted' });
      const old = await storeProjection(store, { createdAt: now - 40 * DAY, repliedAt: null, status: 'closed', urgency: 'orange' });

      // Recorded or first answered since: the old, unanswered one is out.
      expect((await store.rankRows(['371324'], undefined, now - 5 * DAY)).map((r) => r.id).sort()).toEqual([road.id, water.id].sort());
      expect((await store.rankRows(['371324'], ['water'], now - 30 * DAY)).map((r) => r.id)).toEqual([water.id]);
      expect((await store.rankRows(['371324102'], undefined, 0)).map((r) => r.id)).toEqual([water.id]);
      expect(await store.rankRows([], undefined, 0)).toEqual([]);
      expect(await store.rankRows(['371324'], [], 0)).toEqual([]);
      expect((await store.rankRows(['371324'], ['roads'], 0))[0]).toMatchObject({ id: road.id, dept: 'roads', town: '371324101000', village: VILLAGE });

      // Exports: recorded in [from, to), oldest first.
      expect((await store.exportRows(['371324'], undefined, now - 50 * DAY, now)).map((r) => r.id)).toEqual([old.id, road.id, water.id]);
      expect((await store.exportRows(['371324'], undefined, now - 10 * DAY, now - 2 * DAY)).map((r) => r.id)).toEqual([road.id]);
      expect((await store.exportRows(['371324'], ['roads', 'water'], 0, now)).map((r) => r.id)).toEqual([road.id, water.id]);

      expect(await store.mapTally('town', ['371324'], undefined, now)).toEqual([
        { code: '371324101000', total: 2, open: 1, overdue: 1, red: 1, orange: 0, yellow: 0 },
        { code: '371324102000', total: 1, open: 1, overdue: 0, red: 0, orange: 0, yellow: 1 },
      ]);
      expect(await store.mapTally('village', ['371324'], ['water'], now)).toEqual([{ code: OTHER, total: 1, open: 1, overdue: 0, red: 0, orange: 0, yellow: 1 }]);
      expect(await store.mapTally('village', [], undefined, now)).toEqual([]);

      // A city's map counts per county (its villages' first six digits, as a 12-digit code),
      // with the map's filters applied on the server at every level.
      const far = await storeProjection(store, { village: '371302001001', createdAt: now - 3 * DAY, category: 'livelihood.medical', urgency: 'orange', dueAt: now - DAY, status: 'accepted' });
      const lanling = { code: '371324000000', total: 3, open: 2, overdue: 1, red: 1, orange: 0, yellow: 1 };
      const lanshan = { code: '371302000000', total: 1, open: 1, overdue: 1, red: 0, orange: 1, yellow: 0 };
      expect(await store.mapTally('county', ['3713'], undefined, now)).toEqual([lanshan, lanling]);
      expect(await store.mapTally('county', ['371324'], undefined, now)).toEqual([lanling]);
      expect(await store.mapTally('county', ['3713'], ['water'], now)).toEqual([{ ...lanling, total: 1, open: 1, overdue: 0, red: 0 }]);
      expect(await store.mapTally('county', ['3713'], undefined, now, { category: 'livelihood' })).toEqual([lanshan]);
      expect(await store.mapTally('county', ['3713'], undefined, now, { urgency: 'red' })).toEqual([{ ...lanling, total: 1, open: 1, yellow: 0 }]);
      expect((await store.mapTally('county', ['3713'], undefined, now, { from: now - 5 * DAY })).map((t) => [t.code, t.total])).toEqual([['371302000000', 1], ['371324000000', 1]]);
      expect((await store.mapTally('county', ['3713'], undefined, now, { to: now - 5 * DAY })).map((t) => [t.code, t.total])).toEqual([['371324000000', 2]]);
      expect(await store.mapTally('town', ['3713'], undefined, now, { category: 'livelihood', urgency: 'orange', from: now - 4 * DAY, to: now })).toEqual([{ ...lanshan, code: '371302001000' }]);
      expect(await store.mapTally('village', ['3713'], undefined, now, { urgency: 'yellow' })).toEqual([{ code: OTHER, total: 1, open: 1, overdue: 0, red: 0, orange: 0, yellow: 1 }]);
      expect(far.town).toBe('371302001000');
      expect(newId()).not.toBe(road.id);
    }));
});
