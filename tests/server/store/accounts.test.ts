import { expect, it } from 'vitest';
import { eachStore, user, VILLAGE } from './stores';

// Meta, regions, accounts and the audit log (server/store/{meta,regions,accounts,audit}/contract.ts) on both stores.

const worker = { id: user.id, username: 'w', displayName: '王', role: 'grid_worker' as const, scope: { regions: [VILLAGE], departments: [] }, passwordHash: 'h' };
const later = () => Date.now() + 60_000;

eachStore('meta and regions', (use) => {
  it('keeps one value per key, and a claimed value is the first one stored', () =>
    use(async (store) => {
      expect(await store.getMeta('x')).toBeNull();
      await store.setMeta('x', '1');
      await store.setMeta('x', '2');
      expect(await store.getMeta('x')).toBe('2');
      expect(await Promise.all([store.claimMeta('secret', 'a'), store.claimMeta('secret', 'b')])).toEqual(['a', 'a']);
    }));

  it('lists the regions under prefixes once each, in code order, and knows a village', () =>
    use(async (store) => {
      await store.insertRegions([
        { code: '371324101000', name: '大仲村镇', level: 'town', parent: '371324000000' },
        { code: '371324000000', name: '兰陵县', level: 'county', parent: null },
        { code: VILLAGE, name: '大仲村', level: 'village', parent: '371324101000' },
      ]);
      expect(await store.regionCount()).toBe(3);
      expect((await store.regionsUnder(['371324101'])).map((r) => r.code)).toEqual(['371324101000', VILLAGE]);
      // Overlapping prefixes never list a region twice.
      expect((await store.regionsUnder(['371324', '371324101'])).map((r) => r.code)).toEqual(['371324000000', '371324101000', VILLAGE]);
      expect(await store.regionsUnder([])).toEqual([]);
      expect(await store.regionsUnder(['371324101'])).toContainEqual({ code: VILLAGE, name: '大仲村', level: 'village', parent: '371324101000' });
      expect(await store.isVillage(VILLAGE)).toBe(true);
      expect(await store.isVillage('371324101000')).toBe(false);
    }));

  it('takes thousands of regions in one call (a city)', () =>
    use(async (store) => {
      const villages = Array.from({ length: 4_500 }, (_, i) => ({ code: `371324101${String(i).padStart(3, '0')}`, name: `村${i}`, level: 'village' as const, parent: '371324101000' }));
      await store.insertRegions(villages.slice(0, 1000).concat(villages.slice(1000)));
      expect(await store.regionCount()).toBe(4_500);
    }));
});

eachStore('accounts', (use) => {
  it('stores users and lists them in creation order', () =>
    use(async (store) => {
      await store.insertUser({ ...worker, id: 'u-b', username: 'b' }, 1);
      await store.insertUser({ ...worker, id: 'u-a', username: 'a' }, 2);
      expect(await store.userCount()).toBe(2);
      expect((await store.users()).map((u) => u.username)).toEqual(['b', 'a']);
      expect(await store.userByUsername('a')).toEqual({ id: 'u-a', username: 'a', displayName: '王', role: 'grid_worker', scope: worker.scope, passwordHash: 'h', disabled: false, tokenVersion: 0 });
      expect(await store.userById('u-b')).toMatchObject({ username: 'b' });
      expect(await store.userByUsername('nobody')).toBeNull();
      await expect(store.insertUser({ ...worker, id: 'u-c', username: 'a' }, 3)).rejects.toThrow();
    }));

  it('rotates a session’s refresh token and honours expiry', () =>
    use(async (store) => {
      await store.insertUser(worker, 1);
      await store.createSession('s1', 'r1', user.id, 1, later());
      expect(await store.sessionAlive('s1', Date.now())).toBe(true);
      expect(await store.sessionAlive('s1', later() + 1)).toBe(false);
      expect(await store.sessionByRefresh('r1', Date.now())).toMatchObject({ sid: 's1', user: { id: user.id } });
      await store.rotateRefresh('s1', 'r2', later());
      expect(await store.sessionByRefresh('r1', Date.now())).toBeNull();
      expect((await store.sessionByRefresh('r2', Date.now()))?.sid).toBe('s1');
      await store.deleteSession('s1');
      expect(await store.sessionAlive('s1', Date.now())).toBe(false);
    }));

  it('ends every session and bumps the token version exactly when a change alters what a token stands for', () =>
    use(async (store) => {
      await store.insertUser(worker, 1);
      for (const sid of ['s1', 's2']) await store.createSession(sid, `r-${sid}`, user.id, 1, later());
      // A new display name changes nothing a token stands for.
      expect(await store.updateUser(user.id, { displayName: '王二' })).toMatchObject({ revoked: false, user: { displayName: '王二', tokenVersion: 0 } });
      expect(await store.sessionAlive('s1', Date.now())).toBe(true);
      for (const [i, change] of [{ passwordHash: 'h2' }, { role: 'village_station' as const }, { scope: { regions: ['371324'], departments: [] } }, { disabled: true }].entries()) {
        await store.createSession(`n${i}`, `rn${i}`, user.id, 1, later());
        expect(await store.updateUser(user.id, change)).toMatchObject({ revoked: true, user: { ...change, tokenVersion: i + 1 } });
        expect(await store.sessionAlive(`n${i}`, Date.now())).toBe(false);
      }
      expect(await store.sessionAlive('s2', Date.now())).toBe(false);
      expect(await store.updateUser('nobody', { displayName: 'x' })).toBeNull();
      await store.createSession('t', 'rt', user.id, 1, later());
      await store.deleteUserSessions(user.id);
      expect(await store.sessionAlive('t', Date.now())).toBe(false);
    }));
});

eachStore('the audit log', (use) => {
  it('pages newest first and keeps each entry’s detail', () =>
    use(async (store) => {
      for (const action of ['login', 'logout', 'user_created'] as const) await store.insertAudit({ at: 1, action, detail: { n: action } });
      await store.insertAudit({ at: 2, action: 'login_failed', actor: null, target: 'w', ip: '10.0.0.1' });
      const newest = await store.audit(2);
      expect(newest.map((e) => e.action)).toEqual(['login_failed', 'user_created']);
      expect(newest[0]).toMatchObject({ at: 2, actor: null, target: 'w', ip: '10.0.0.1', detail: {} });
      expect(newest[1]!.detail).toEqual({ n: 'user_created' });
      expect((await store.audit(5, newest[1]!.id)).map((e) => e.action)).toEqual(['logout', 'login']);
    }));
});
