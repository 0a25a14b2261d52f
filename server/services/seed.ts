import { buildRegionTree, codePrefix, fullCode, levelOf, shortVillageName, townOf, type Region, type RegionTree } from '../../src/core/regions';
import { randomBytes } from 'node:crypto';
import { newId } from '../../src/core/id';
import type { Role } from '../../src/core/roles';
import type { Subcenter } from '../../src/core/subcenters';
import { hashPassword } from './auth';
import { loadCityDivision, loadCountyDivision, type CityDivision } from './divisions';
import type { Store } from '../store/types';
import type { DemoSummary } from './demo/seed';

export const DEMO_PASSWORD = 'demo1234';

export interface DemoLogin {
  username: string;
  role: Role;
  displayName: string;
  scopeName: string;
}

interface DemoUser {
  username: string;
  role: Role;
  displayName: string;
  regions: string[];
  departments: string[];
  scopeName: string;
}

/** The demo users of a county deployment, one per role. Scopes are chosen from the loaded tree, never hard-coded. */
function demoUsers(tree: RegionTree): DemoUser[] {
  const town = tree.towns.find((t) => t.name.endsWith('镇')) ?? tree.towns[0];
  if (!town) throw new Error(`County ${tree.county.code} has no towns`);
  const village = tree.villages.find((v) => v.parent === town.code);
  if (!village) throw new Error(`Town ${town.code} has no villages`);
  const county = codePrefix(tree.county.code);
  const villageName = `${town.name}${shortVillageName(village.name)}`;
  const v = codePrefix(village.code);
  const t = codePrefix(town.code);
  return [
    { username: 'grid', role: 'grid_worker', displayName: '网格员 王芳', regions: [v], departments: [], scopeName: villageName },
    { username: 'bench', role: 'bench_facilitator', displayName: '板凳会主持人 李建国', regions: [v], departments: [], scopeName: villageName },
    { username: 'station', role: 'village_station', displayName: '村便民服务站 张敏', regions: [v], departments: [], scopeName: villageName },
    { username: 'town', role: 'town_official', displayName: '镇干部 刘洋', regions: [t], departments: [], scopeName: town.name },
    { username: 'dept', role: 'dept_handler', displayName: '水务局 陈静', regions: [county], departments: ['water'], scopeName: `${tree.county.name} · 水务` },
    { username: 'dispatcher', role: 'county_dispatcher', displayName: '县调度中心 赵磊', regions: [county], departments: [], scopeName: tree.county.name },
    { username: 'leader', role: 'leader', displayName: '县领导 孙伟', regions: [county], departments: [], scopeName: tree.county.name },
    { username: 'reviewer', role: 'quality_reviewer', displayName: '县质检员 周婷', regions: [county], departments: [], scopeName: tree.county.name },
    { username: 'mediator', role: 'mediator', displayName: '调解员 苗长青', regions: [t], departments: [], scopeName: town.name },
    { username: 'deputy', role: 'deputy', displayName: '县人大代表 李明德', regions: [county], departments: [], scopeName: tree.county.name },
    { username: 'admin', role: 'admin', displayName: '系统管理员', regions: [county], departments: [], scopeName: tree.county.name },
  ];
}

/** A city: its own region row (parent null) over each county's tree (parent: the city). */
export interface CityTree {
  city: Region;
  counties: RegionTree[];
}

/** Builds each county's tree with the core's checks and hangs the counties under the city. */
export function buildCityTree(raw: CityDivision): CityTree {
  const code = fullCode(raw.city.code);
  if (levelOf(code) !== 'city') throw new Error(`City code ${raw.city.code} is not a city`);
  const city: Region = { code, name: raw.city.name, level: 'city', parent: null };
  const counties = raw.counties.map((c) => {
    const tree = buildRegionTree(c);
    if (!tree.county.code.startsWith(codePrefix(code))) throw new Error(`County ${c.county.code} is not in city ${raw.city.code}`);
    return { ...tree, county: { ...tree.county, parent: code } };
  });
  return { city, counties };
}

/** The county whose demo users a city gets: 兰陵 in Linyi, else the first with villages. */
const DEMO_COUNTY: Record<string, string> = { '371300': '371324000000' };

/**
 * A city's demo users: the city center, leader, administrator and water bureau; one county's
 * platform, leader and water bureau; and that county's town and village users as a county
 * deployment has them (its administrator is the city's).
 */
function cityDemoUsers(tree: CityTree, regionCode: string): DemoUser[] {
  const county = tree.counties.find((c) => c.county.code === DEMO_COUNTY[regionCode]) ?? tree.counties.find((c) => c.villages.length > 0);
  if (!county) throw new Error(`City ${tree.city.code} has no villages`);
  const city = codePrefix(tree.city.code);
  const name = tree.city.name;
  return [
    // Beside the city's water bureau, the county's says which it is.
    ...demoUsers(county)
      .filter((u) => u.role !== 'admin')
      .map((u) => (u.username === 'dept' ? { ...u, displayName: '县水务局 陈静' } : u)),
    { username: 'citywater', role: 'dept_handler', displayName: '市水务局 郑丽', regions: [city], departments: ['water'], scopeName: `${name} · 水务` },
    { username: 'city', role: 'city_dispatcher', displayName: '市级指挥中心 周强', regions: [city], departments: [], scopeName: name },
    { username: 'cityleader', role: 'leader', displayName: '市领导 吴刚', regions: [city], departments: [], scopeName: name },
    { username: 'admin', role: 'admin', displayName: '系统管理员', regions: [city], departments: [], scopeName: name },
  ];
}

export interface SeedResult {
  /** The deployment's 6-digit region code (MINSHENG_REGION): 371300, 371324. */
  region: string;
  level: 'city' | 'county';
  /** The region's name: 临沂市, 兰陵县. */
  name: string;
  /** County-level areas seeded (1 in a county deployment). */
  counties: number;
  towns: number;
  villages: number;
  logins: DemoLogin[];
  seededNow: boolean;
  /** What the demo seed put in, when this start seeded it (MINSHENG_DEMO). */
  demo?: DemoSummary | null;
  /** With `accounts: 'admin'`, the administrator's one-time password, on the start that made it. */
  adminPassword?: string;
}

/**
 * Who an empty data directory gets: one person per role with the demo password (the demo, and
 * tests), or only an administrator with a password made now and printed once (production: a
 * known password on every role would open a real county to anyone who read the README).
 */
export type SeedAccounts = 'demo' | 'admin';

/** A 6-digit deployment code names a city when it ends in 00 (config has checked it against the package). */
const levelOfRegion = (region: string): 'city' | 'county' => (region.endsWith('00') ? 'city' : 'county');

/** The divisions and demo users a region seeds: a county's tree, or a city over all its counties. */
async function loadSeed(region: string): Promise<{ regions: Region[]; users: DemoUser[]; summary: Omit<SeedResult, 'logins' | 'seededNow'> }> {
  if (levelOfRegion(region) === 'county') {
    const tree = buildRegionTree(await loadCountyDivision(region));
    return {
      regions: [tree.county, ...tree.towns, ...tree.villages],
      users: demoUsers(tree),
      summary: { region, level: 'county', name: tree.county.name, counties: 1, towns: tree.towns.length, villages: tree.villages.length },
    };
  }
  const tree = buildCityTree(await loadCityDivision(region));
  return {
    regions: [tree.city, ...tree.counties.flatMap((c) => [c.county, ...c.towns, ...c.villages])],
    users: cityDemoUsers(tree, region),
    summary: {
      region,
      level: 'city',
      name: tree.city.name,
      counties: tree.counties.length,
      towns: tree.counties.reduce((n, c) => n + c.towns.length, 0),
      villages: tree.counties.reduce((n, c) => n + c.villages.length, 0),
    },
  };
}

/** One dispatcher per configured area sub-center (`sub-<id>`): a county dispatcher scoped to its towns. */
function subcenterUsers(subcenters: readonly Subcenter[]): DemoUser[] {
  return subcenters.map((s) => ({ username: `sub-${s.id}`, role: 'county_dispatcher', displayName: `${s.name}调度员`, regions: [...s.towns], departments: [], scopeName: s.name }));
}

/**
 * Seeds the region's divisions (a county's, or a whole city's) and the demo users (with one
 * dispatcher per configured sub-center) into an empty store. Safe to call on every start: a
 * seeded store is left alone, but a store seeded for another region is an error. The meta key
 * keeps its old name, 'county', so data directories seeded before cities existed keep working.
 */
export async function ensureSeeded(store: Store, region: string, subcenters: readonly Subcenter[] = [], accounts: SeedAccounts = 'demo'): Promise<SeedResult> {
  let existing = await store.getMeta('county');
  // Several instances may start together on one empty database: one seeds, the others wait.
  const claim = newId();
  if (!existing && (await store.claimMeta('seed_claim', claim)) !== claim) {
    for (let waited = 0; !(existing = await store.getMeta('county')); waited += 200) {
      if (waited > 120_000) throw new Error('Another instance began seeding this database and did not finish; check its log');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  if (existing && existing !== region) {
    throw new Error(
      `The data directory holds ${levelOfRegion(existing)} ${existing}, not ${levelOfRegion(region)} ${region}: a data directory holds one region; ` +
        `use another MINSHENG_DATA_DIR or MINSHENG_REGION=${existing}`,
    );
  }
  if (existing) return { ...(await describeSeeded(store, region)), seededNow: false };
  const { regions, users: regionUsers, summary } = await loadSeed(region);
  const users = accounts === 'demo' ? [...regionUsers, ...subcenterUsers(subcenters)] : regionUsers.filter((u) => u.role === 'admin');
  const logins = users.map(({ username, role, displayName, scopeName }) => ({ username, role, displayName, scopeName }));
  const password = accounts === 'demo' ? DEMO_PASSWORD : randomBytes(12).toString('base64url');

  await store.insertRegions(regions);
  const now = Date.now();
  for (const u of users) {
    await store.insertUser(
      { id: newId(), username: u.username, displayName: u.displayName, role: u.role, scope: { regions: u.regions, departments: u.departments }, passwordHash: await hashPassword(password) },
      now,
    );
  }
  await store.setMeta('county', region);
  return { ...summary, logins, seededNow: true, ...(accounts === 'admin' && { adminPassword: password }) };
}

function regionLabel(names: Map<string, string>, prefix: string): string {
  const code = prefix.padEnd(12, '0');
  const name = names.get(code) ?? prefix;
  return levelOf(code) === 'village' ? `${names.get(townOf(code)) ?? ''}${shortVillageName(name)}` : name;
}

/** The same summary, read back from a seeded store (restarts must not re-read the 37 MB package file). */
async function describeSeeded(store: Store, region: string): Promise<Omit<SeedResult, 'seededNow'>> {
  const level = levelOfRegion(region);
  const regions = await store.regionsUnder([level === 'city' ? region.slice(0, 4) : region]);
  const names = new Map(regions.map((r) => [r.code, r.name]));
  const logins = (await store.users())
    .filter((u) => !u.disabled)
    .map((u) => {
      const scopeName = u.scope.regions.map((p) => regionLabel(names, p)).join('、');
      return { username: u.username, role: u.role, displayName: u.displayName, scopeName };
    });
  return {
    region,
    level,
    name: names.get(fullCode(region)) ?? region,
    counties: regions.filter((r) => r.level === 'county').length,
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
  const kind = r.adminPassword ? '' : 'Demo ';
  const head =
    r.level === 'city'
      ? `${kind}city: ${r.name} ${r.region} — ${r.counties} counties, ${r.towns} towns, ${r.villages} villages`
      : `${kind}county: ${r.name} ${r.region} — ${r.towns} towns, ${r.villages} villages`;
  if (!r.seededNow) return `${head}\n${r.logins.length} active accounts (demo logins are printed only when the data is first seeded)`;
  if (r.adminPassword) {
    return [head, `Administrator: admin / ${r.adminPassword}`, 'This password is shown only now: log in, change it, and add the people who work here on the admin page.'].join('\n');
  }
  const rows = r.logins.map((l) => `  ${l.username.padEnd(11)} ${DEMO_PASSWORD}   ${l.role.padEnd(18)} ${l.displayName} (${l.scopeName})`);
  const d = r.demo;
  const demo = d
    ? [`Demo data: ${d.appeals} appeals over 12 weeks, ${d.meetings} bench meetings, ${d.campaigns} campaign, ${d.slots} reception days, ${d.published} on the public board — ` +
        `${d.updates} updates from ${d.devices} devices of ${d.people} people, in ${(d.ms / 1000).toFixed(1)} s (start empty with MINSHENG_DEMO=0)`]
    : [];
  return [head, ...demo, 'Demo logins (username / password / role):', ...rows].join('\n');
}
