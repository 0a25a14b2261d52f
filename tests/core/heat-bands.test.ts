import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bandLimits, bandOf, CELL_PX, heatCellMetres, heatCells, metresPerPx } from '../../src/core/heat-bands';

// The heat layer's bands (yellow, orange, red) on a grid that stays legible at every zoom.

describe('heat bands', () => {
  it('splits the fullest cell’s count in thirds, a lone appeal never red', () => {
    expect(bandLimits(0)).toEqual({ yellow: 1, orange: 2 });
    expect(bandLimits(1)).toEqual({ yellow: 1, orange: 2 });
    expect(bandLimits(3)).toEqual({ yellow: 1, orange: 2 });
    expect(bandLimits(9)).toEqual({ yellow: 3, orange: 6 });
    expect(bandLimits(10)).toEqual({ yellow: 4, orange: 7 });
    const l = bandLimits(9);
    expect([0, 1, 3, 4, 6, 7, 9].map((v) => bandOf(v, l))).toEqual([null, 'yellow', 'yellow', 'orange', 'orange', 'red', 'red']);
    expect(bandOf(1, bandLimits(1))).toBe('yellow');
    expect(bandOf(2, bandLimits(2))).toBe('orange');
  });

  it('keeps the fullest cell red whenever it holds three or more', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 10_000 }), (max) => {
        expect(bandOf(max, bandLimits(max))).toBe('red');
        const l = bandLimits(max);
        expect(l.yellow).toBeLessThan(l.orange);
        expect(l.orange).toBeLessThan(max);
      }),
    );
  });

  it('sizes cells to a round number of metres that stays within bounds on the screen, at every zoom', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 19 }), fc.double({ min: 18, max: 54, noNaN: true }), (zoom, lat) => {
        const m = heatCellMetres(zoom, lat);
        expect(String(m)).toMatch(/^[125]0*$/);
        const px = m / metresPerPx(zoom, lat);
        expect(px).toBeGreaterThanOrEqual(CELL_PX.min);
        expect(px).toBeLessThanOrEqual(CELL_PX.max);
      }),
    );
    // Lanling (34.9°N): about 10 km at the county's zoom on a phone, 200 m at a village's.
    expect(heatCellMetres(9, 34.9)).toBe(10_000);
    expect(heatCellMetres(14, 34.9)).toBe(200);
  });

  it('counts weighted points in fixed cells that do not move when the view pans', () => {
    const pts = [
      { lat: 34.85, lng: 118.05, weight: 1 },
      { lat: 34.8501, lng: 118.0501, weight: 2 },
      { lat: 34.7, lng: 117.9, weight: 1 },
    ];
    const a = heatCells(pts, [117.8, 34.6, 118.2, 35.0], 11);
    const b = heatCells(pts, [117.83, 34.62, 118.23, 35.02], 11);
    const full = (h: typeof a) => h.values.flatMap((v, i) => (v > 0 ? [[h.bounds[0] + (i % h.cols), h.bounds[3] - Math.floor(i / h.cols), v]] : []));
    expect(a.max).toBe(3);
    expect(a.values.reduce((s, v) => s + v, 0)).toBe(4);
    expect(a.bands.filter((x) => x === 'red')).toHaveLength(1);
    expect(a.bands.filter((x) => x === 'yellow')).toHaveLength(1);
    // The same cells in both views: the grid's edges are on the same lines.
    const dLng = (a.bounds[2] - a.bounds[0]) / a.cols;
    expect(((b.bounds[0] - a.bounds[0]) / dLng) % 1).toBeCloseTo(0, 6);
    expect(full(a).map((x) => x[2])).toEqual(full(b).map((x) => x[2]));
    // Points outside the view are not counted.
    expect(heatCells(pts, [118.0, 34.8, 118.1, 34.9], 11).max).toBe(3);
    expect(heatCells(pts, [118.0, 34.8, 118.1, 34.9], 11).values.reduce((s, v) => s + v, 0)).toBe(3);
  });
});
