import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { area, clipToConvex, townAreas, type Pt } from '../../src/core/areas';

// Approximate town areas: the county split among its town seats, each part inside the
// outline, together covering all of it.

const abs = (r: Pt[]) => Math.abs(area(r));
/** Ray casting: whether `p` lies inside `ring`. */
function within(p: Pt, ring: Pt[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

describe('clipping', () => {
  it('keeps what lies inside a convex cell, whatever the subject', () => {
    const square: Pt[] = [[0, 0], [10, 0], [10, 10], [0, 10]];
    expect(abs(clipToConvex(square, [[5, -5], [15, -5], [15, 15], [5, 15]]))).toBeCloseTo(50);
    expect(clipToConvex(square, [[20, 20], [30, 20], [30, 30]])).toEqual([]);
    // Property, for simple polygons (star-shaped around the square's centre): a clip never
    // adds area, and a cell that contains the subject keeps all of it.
    const star = fc.array(fc.double({ min: 0.5, max: 5, noNaN: true }), { minLength: 3, maxLength: 12 }).map((radii) =>
      radii.map((r, i) => [5 + r * Math.cos((2 * Math.PI * i) / radii.length), 5 + r * Math.sin((2 * Math.PI * i) / radii.length)] as Pt),
    );
    fc.assert(
      fc.property(star, (subject) => {
        const big: Pt[] = [[-1, -1], [11, -1], [11, 11], [-1, 11]];
        const half: Pt[] = [[0, 0], [10, 0], [10, 10]];
        return Math.abs(abs(clipToConvex(subject, big)) - abs(subject)) < 1e-9 && abs(clipToConvex(subject, half)) <= abs(subject) + 1e-9;
      }),
    );
  });
});

const COUNTIES = import.meta.glob<{ county: string; points: Record<string, { lng: number; lat: number }> }>('../../src/data/places-*.json', { eager: true, import: 'default' });
const OUTLINES = import.meta.glob<{ ring: Pt[] }>('../../src/data/outline-*.json', { eager: true, import: 'default' });

describe('town areas of every demo county', () => {
  expect(Object.keys(COUNTIES)).toHaveLength(14);
  for (const [file, data] of Object.entries(COUNTIES)) {
    it(`split ${data.county} among its town seats, each holding its own seat, covering the whole, with every point inside`, () => {
      const ring = OUTLINES[file.replace('places-', 'outline-')]!.ring;
      const seats = Object.entries(data.points)
        .filter(([code]) => code.endsWith('000') && !code.endsWith('000000'))
        .map(([code, p]) => ({ code, at: [p.lng, p.lat] as Pt }));
      expect(seats.length).toBeGreaterThan(3);
      const areas = townAreas(seats, ring);
      expect(areas.size).toBe(seats.length);
      for (const s of seats) expect(within(s.at, areas.get(s.code)!), s.code).toBe(true);
      const total = [...areas.values()].reduce((sum, r) => sum + abs(r), 0);
      // The parts add up to the county (to within the simplified outline's slivers).
      expect(total / abs(ring)).toBeGreaterThan(0.995);
      expect(total / abs(ring)).toBeLessThan(1.005);
      // Converted points fall inside the converted outline: towns and the villages kept.
      for (const [code, p] of Object.entries(data.points)) expect(within([p.lng, p.lat], ring), code).toBe(true);
    });
  }
});
