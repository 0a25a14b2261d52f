import { buildRegionTree, codePrefix, levelOf, shortVillageName, townOf, type RegionTree } from '../../src/core/regions';
import { newId } from '../../src/core/id';
import type { Role } from '../../src/core/roles';
import { hashPassword } from './auth';
import { loadCountyDivision } from './divisions';
import type { Store } from '../store/types';

export const DEMO_PASSWORD = 'demo1234';

export interface DemoLogin {
  username: string;
  role: Role;
  displayName: string;
  scopeName: string;
}

/** The demo users, one per role. Scopes are chosen from the loaded tree, never hard-coded. */
function demoUsers(tree: RegionTree): { username: string; role: Role; displayName: string; regions: string[]; departments: string[]; scopeName: string }[] {
  const town = tree.towns.find((t) => t.name.endsWith('镇')) ?? tree.towns[0];
  if (!town) throw new Error(`County ${tree.city.code} has no towns`);
  const village = tree.villages.find((v) => v.parent === town.code);
  if (!village) throw new Error(`Town ${town.code} has no villages`);
  const city = codePrefix(tree.city.code);
  const villageName = `${town.name}${shortVillageName(village.name)}`;
  const v = codePrefix(village.code);
  const t = codePrefix(town.code);
  return [
    { username: 'grid', role: 'grid_worker', displayName: '网格员 王芳', regions: [v], departments: [], scopeName: villageName },
    { username: 'bench', role: 'bench_facilitator', displayName: '板凳会主持人 李建国', regions: [v], departments: [], scopeName: villageName },
    { username: 'station', role: 'village_station', displayName: '村便民服务站 张敏', regions: [v], departments: [], scopeName: villageName },
    { username: 'town', role: 'town_official', displayName: '镇干部 刘洋', regions: [t], departments: [], scopeName: town.name },
    { username: 'dept', role: 'dept_handler', displayName: '水务局 陈静', regions: [city], departments: ['water'], scopeName: `${tree.city.name} · 水务` },
    { username: 'dispatcher', role: 'city_dispatcher', displayName: '县调度中心 赵磊', regions: [city], departments: [], scopeName: tree.city.name },
    { username: 'leader', role: 'leader', displayName: '县领导 孙伟', regions: [city], departments: [], scopeName: tree.city.name },
    { username: 'admin', role: 'admin', displayName: '系统管理员', regions: [city], departments: [], scopeName: tree.city.name },
  ];
}

export interface SeedResult {
  county: string;
  countyName: string;
  towns: number;
  villages: number;
  logins: DemoLogin[];
  seededNow: boolean;
}

/**
 * Seeds the county's divisions and the demo users into an empty store. Safe to call on
 * every start: a seeded store is left alone, but a store seeded for another county is an error.
 */
export async function ensureSeeded(store: Store, county: string): Promise<SeedResult> {
  let existing = await store.getMeta('county');
  // Several instances may start together on one empty database: one seeds, the others wait.
  const claim = newId();
  if (!existing && (await store.claimMeta('seed_claim', claim)) !== claim) {
    for (let waited = 0; !(existing = await store.getMeta('county')); waited += 200) {
      if (waited > 120_000) throw new Error('Another instance began seeding this database and did not finish; check its log');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  if (existing && existing !== county) {
    throw new Error(`The data directory holds county ${existing}, not ${county}: use another MINSHENG_DATA_DIR or MINSHENG_COUNTY=${existing}`);
  }
  if (existing) return { ...(await describeSeeded(store, county)), seededNow: false };
  const tree = buildRegionTree(await loadCountyDivision(county));
  const users = demoUsers(tree);
  const logins = users.map(({ username, role, displayName, scopeName }) => ({ username, role, displayName, scopeName }));
  const result = { county, countyName: tree.city.name, towns: tree.towns.length, villages: tree.villages.length, logins };

  await store.insertRegions([tree.city, ...tree.towns, ...tree.villages]);
  const now = Date.now();
  for (const u of users) {
    await store.insertUser(
      { id: newId(), username: u.username, displayName: u.displayName, role: u.role, scope: { regions: u.regions, departments: u.departments }, passwordHash: await hashPassword(DEMO_PASSWORD) },
      now,
    );
  }
  await store.setMeta('county', county);
  return { ...result, seededNow: true };
}

function regionLabel(names: Map<string, string>, prefix: string): string {
  const code = prefix.padEnd(12, '0');
  const name = names.get(code) ?? prefix;
  return levelOf(code) === 'village' ? `${names.get(townOf(code)) ?? ''}${shortVillageName(name)}` : name;
}

/** The same summary, read back from a seeded store (restarts must not re-read the 37 MB package file). */
async function describeSeeded(store: Store, county: string): Promise<Omit<SeedResult, 'seededNow'>> {
  const regions = await store.regionsUnder([county]);
  const names = new Map(regions.map((r) => [r.code, r.name]));
  const cityName = names.get(county + '000000') ?? county;
  const logins = (await store.users())
    .filter((u) => !u.disabled)
    .map((u) => {
      const scopeName = u.scope.regions.map((p) => regionLabel(names, p)).join('、');
      return { username: u.username, role: u.role, displayName: u.displayName, scopeName };
    });
  return {
    county,
    countyName: cityName,
    towns: regions.filter((r) => r.level === 'town').length,
    villages: regions.filter((r) => r.level === 'village').length,
    logins,
  };
}

/**
 * The start-up summary. The demo logins and their password only on the start that seeded
 * them: later, accounts may be real ones whose names do not belong in a log, and the
 * password may no longer be the demo one.
 */
export function formatLogins(r: SeedResult): string {
  const county = `Demo county: ${r.countyName} ${r.county} — ${r.towns} towns, ${r.villages} villages`;
  if (!r.seededNow) return `${county}\n${r.logins.length} active accounts (demo logins are printed only when the data is first seeded)`;
  const rows = r.logins.map((l) => `  ${l.username.padEnd(11)} ${DEMO_PASSWORD}   ${l.role.padEnd(18)} ${l.displayName} (${l.scopeName})`);
  return [county, 'Demo logins (username / password / role):', ...rows].join('\n');
}
