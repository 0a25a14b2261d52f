// Derives src/data/places-371324.json from the shared Lanling town points.
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
