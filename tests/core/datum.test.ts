import gcoord from 'gcoord';
import { describe, expect, it } from 'vitest';
import places from '../../src/data/places-371324.json';

// The place data was converted from GCJ-02 to WGS84 (scripts/places.ts). Converting back
// must land within a metre of the published points, and the shift itself must be the few
// hundred metres GCJ-02 adds in Shandong, not zero (an unconverted file) or kilometres.

const PUBLISHED_GCJ02: Record<string, [number, number]> = {
  '371324000000': [118.07065, 34.857149],
  '371324101000': [118.06507, 34.98421],
  '371324102000': [117.856554, 34.743484],
  '371324202000': [117.801767, 34.954394],
};

const metres = (a: [number, number], b: [number, number]) => Math.hypot((a[0] - b[0]) * 111_320 * Math.cos((a[1] * Math.PI) / 180), (a[1] - b[1]) * 110_540);

describe('GCJ-02 and WGS84', () => {
  it('round-trips the published points within a metre, across a real shift', () => {
    for (const [code, gcj] of Object.entries(PUBLISHED_GCJ02)) {
      const p = places.points[code as keyof typeof places.points];
      const back = gcoord.transform([p.lng, p.lat], gcoord.WGS84, gcoord.GCJ02) as [number, number];
      expect(metres(back, gcj), code).toBeLessThan(1);
      const shift = metres([p.lng, p.lat], gcj);
      expect(shift, code).toBeGreaterThan(200);
      expect(shift, code).toBeLessThan(1000);
    }
  });
});
