// Derives src/data/places-<county>.json (county, town and some village points) and
// outline-<county>.json (the county outline) for the demo counties from public data.
// Source: the repository Vonng/adcode (CC BY 4.0): data/adcode/<county>.csv (2016 snapshot)
// and data/fences/<county>.json, copied to scripts/sources/. Points there are GCJ-02; the
// app stores WGS84 (what a phone's GPS reports), so each is converted here, explicitly, with gcoord.
//   npx tsx scripts/places.ts            (all of 371324, 370402, 511781)
//   npx tsx scripts/places.ts 371302     (any county whose two source files are in scripts/sources)
// scripts/city.ts imports deriveCounty and simplify for the city tier (every county of Linyi).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import gcoord from 'gcoord';

const ROOT = path.resolve(import.meta.dirname, '..');
const SOURCES = path.join(ROOT, 'scripts/sources');
/** A village point farther than this from its town's is taken for a geocoding slip and dropped. */
const VILLAGE_MAX_KM = 12;

export type Pt = [number, number];
export const toWgs = (p: Pt): Pt => gcoord.transform(p, gcoord.GCJ02, gcoord.WGS84) as Pt;
export const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const km = (a: Pt, b: Pt) => Math.hypot((a[0] - b[0]) * 91.3, (a[1] - b[1]) * 111.0);

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const counties = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['371324', '370402', '511781'];
  for (const county of counties) deriveCounty(county);
}

/** Writes src/data/places-<county>.json and outline-<county>.json from the county's two source files. */
export function deriveCounty(county: string): void {
  const rows = readFileSync(path.join(SOURCES, `${county}-places-gcj02.csv`), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const points: Record<string, { name: string; lng: number; lat: number }> = {};
  const missing: string[] = [];
  const dropped: string[] = [];
  const gcj = new Map<string, Pt>();
  for (const [code, name, , lng, lat] of rows) if (lng && lat) gcj.set(code!, [Number(lng), Number(lat)]);
  // The same point under several codes is a name-based geocode of a common village name.
  const uses = new Map<string, number>();
  for (const p of gcj.values()) uses.set(p.join(), (uses.get(p.join()) ?? 0) + 1);
  for (const [code, name, level] of rows) {
    const p = gcj.get(code!);
    if (!p) {
      if (level !== 'village') missing.push(`${code} ${name}`);
      continue;
    }
    if (level === 'village') {
      const town = gcj.get(`${code!.slice(0, 9)}000`);
      if ((uses.get(p.join()) ?? 0) > 1 || (town && km(p, town) > VILLAGE_MAX_KM)) {
        dropped.push(`${code} ${name}`);
        continue;
      }
    }
    const [wLng, wLat] = toWgs(p);
    points[code!] = { name: name!, lng: round(wLng, 6), lat: round(wLat, 6) };
  }
  const places = {
    county,
    datum: 'WGS84',
    // The Linyi counties added for the city tier carry only the county and town rows (see scripts/sources/README.md).
    source: `Vonng/adcode data/adcode/${county}.csv (2016 snapshot${rows.some((r) => r[2] === 'village') ? '' : ', county and town rows only'}), converted from GCJ-02 with gcoord`,
    licence: 'CC BY 4.0 — credit Vonng/adcode wherever these points are shown or shipped',
    missing,
    points,
  };
  const target = path.join(ROOT, `src/data/places-${county}.json`);
  writeFileSync(target, JSON.stringify(places, null, 1) + '\n');
  console.log(`${county}: ${Object.keys(points).length} points → ${path.relative(ROOT, target)}; no point for: ${missing.join(', ') || 'none'}; village points dropped: ${dropped.join(', ') || 'none'}`);

  // The outline, converted vertex by vertex, then simplified (Douglas–Peucker, ~80 m): it
  // frames approximate town areas, it does not settle boundaries.
  const fence = JSON.parse(readFileSync(path.join(SOURCES, `${county}-fence-gcj02.json`), 'utf8')) as { type: string; coordinates: Pt[][] };
  if (fence.type !== 'Polygon' || fence.coordinates.length !== 1) throw new Error(`${county}: expected a single-ring Polygon outline, got ${fence.type} with ${fence.coordinates.length} rings`);
  const wgs = fence.coordinates[0]!.map(toWgs);
  const ring = simplify(wgs, 0.0008);
  const outline = {
    county,
    datum: 'WGS84',
    source: `Vonng/adcode data/fences/${county}.json, converted from GCJ-02 with gcoord, simplified (Douglas–Peucker, 0.0008°)`,
    licence: 'CC BY 4.0 — credit Vonng/adcode wherever this outline is shown or shipped',
    ring,
  };
  const outlineTarget = path.join(ROOT, `src/data/outline-${county}.json`);
  writeFileSync(outlineTarget, JSON.stringify(outline) + '\n');
  console.log(`${county}: outline ${wgs.length} vertices → ${ring.length}, written to ${path.relative(ROOT, outlineTarget)}`);
}

export function simplify(ring: Pt[], tolerance: number): Pt[] {
  const keep = new Array<boolean>(ring.length).fill(false);
  // A closed ring starts and ends at one point: split it at the vertex farthest from there.
  let mid = 1;
  for (let i = 1; i < ring.length - 1; i++) if (Math.hypot(ring[i]![0] - ring[0]![0], ring[i]![1] - ring[0]![1]) > Math.hypot(ring[mid]![0] - ring[0]![0], ring[mid]![1] - ring[0]![1])) mid = i;
  keep[0] = keep[mid] = keep[ring.length - 1] = true;
  const stack: [number, number][] = [[0, mid], [mid, ring.length - 1]];
  while (stack.length > 0) {
    const [a, b] = stack.pop()!;
    const [ax, ay] = ring[a]!;
    const [bx, by] = ring[b]!;
    const len = Math.hypot(bx - ax, by - ay) || 1e-12;
    let far = -1;
    let farDist = tolerance;
    for (let i = a + 1; i < b; i++) {
      const [px, py] = ring[i]!;
      const d = Math.abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / len;
      if (d > farDist) [far, farDist] = [i, d];
    }
    if (far >= 0) {
      keep[far] = true;
      stack.push([a, far], [far, b]);
    }
  }
  return ring.filter((_, i) => keep[i]).map(([x, y]) => [round(x, 5), round(y, 5)] as Pt);
}
