// Derives src/data/places-371324.json (town points) and outline-371324.json (the county
// outline) from public data for Lanling.
// Source: Vonng/adcode, data/adcode/371324.csv (2016 snapshot), CC BY 4.0, as copied to
// ../shared/data/lanling-towns-gcj02.csv. Points there are GCJ-02; the app stores WGS84
// (what a phone's GPS reports), so each is converted here, explicitly, with gcoord.
//   npx tsx scripts/places.ts [path/to/lanling-towns-gcj02.csv]
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import gcoord from 'gcoord';

const ROOT = path.resolve(import.meta.dirname, '..');
const source = process.argv[2] ?? path.join(ROOT, '../shared/data/lanling-towns-gcj02.csv');
const rows = readFileSync(source, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
const points: Record<string, { name: string; lng: number; lat: number }> = {};
const missing: string[] = [];
for (const [code, name, lng, lat] of rows) {
  if (!lng || !lat) {
    missing.push(`${code} ${name}`);
    continue;
  }
  const [wLng, wLat] = gcoord.transform([Number(lng), Number(lat)], gcoord.GCJ02, gcoord.WGS84) as [number, number];
  points[code!] = { name: name!, lng: Math.round(wLng * 1e6) / 1e6, lat: Math.round(wLat * 1e6) / 1e6 };
}
const out = {
  county: '371324',
  datum: 'WGS84',
  source: 'Vonng/adcode data/adcode/371324.csv (2016 snapshot), converted from GCJ-02 with gcoord',
  licence: 'CC BY 4.0 — credit Vonng/adcode wherever these points are shown or shipped',
  missing,
  points,
};
const target = path.join(ROOT, 'src/data/places-371324.json');
writeFileSync(target, JSON.stringify(out, null, 1) + '\n');
console.log(`${Object.keys(points).length} points written to ${path.relative(ROOT, target)}; no point for: ${missing.join(', ') || 'none'}`);

// The outline: Vonng/adcode data/fences/371324.json (CC BY 4.0), GCJ-02, kept in
// scripts/sources. Converted vertex by vertex, then simplified (Douglas–Peucker, ~80 m):
// it frames approximate town areas, it does not settle boundaries.
type Pt = [number, number];
const fence = JSON.parse(readFileSync(path.join(ROOT, 'scripts/sources/371324-fence-gcj02.json'), 'utf8')) as { coordinates: Pt[][] };
const wgs = fence.coordinates[0]!.map((p) => gcoord.transform(p, gcoord.GCJ02, gcoord.WGS84) as Pt);

function simplify(ring: Pt[], tolerance: number): Pt[] {
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
  return ring.filter((_, i) => keep[i]).map(([x, y]) => [Math.round(x * 1e5) / 1e5, Math.round(y * 1e5) / 1e5] as Pt);
}

const ring = simplify(wgs, 0.0008);
const outline = {
  county: '371324',
  datum: 'WGS84',
  source: 'Vonng/adcode data/fences/371324.json, converted from GCJ-02 with gcoord, simplified (Douglas–Peucker, 0.0008°)',
  licence: 'CC BY 4.0 — credit Vonng/adcode wherever this outline is shown or shipped',
  ring,
};
const outlineTarget = path.join(ROOT, 'src/data/outline-371324.json');
writeFileSync(outlineTarget, JSON.stringify(outline) + '\n');
console.log(`outline: ${wgs.length} vertices → ${ring.length}, written to ${path.relative(ROOT, outlineTarget)}`);
