import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { area, clipToConvex, townAreas, type Pt } from '../../src/core/areas';
import outline from '../../src/data/outline-371324.json';
import places from '../../src/data/places-371324.json';

// Approximate town areas: the county split among its town seats, each part inside the
// outline, together covering all of it.

const ring = outline.ring as Pt[];
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

describe('Lanling town areas', () => {
  it('split the county among the town seats, each holding its own seat, covering the whole', () => {
    const seats = Object.entries(places.points)
      .filter(([code]) => code !== '371324000000')
      .map(([code, p]) => ({ code, at: [p.lng, p.lat] as Pt }));
    const areas = townAreas(seats, ring);
    expect(areas.size).toBe(seats.length);
    for (const s of seats) expect(within(s.at, areas.get(s.code)!), s.code).toBe(true);
    const total = [...areas.values()].reduce((s, r) => s + abs(r), 0);
    // The parts add up to the county (to within the simplified outline's slivers).
    expect(total / abs(ring)).toBeGreaterThan(0.995);
    expect(total / abs(ring)).toBeLessThan(1.005);
  });
});
