import type { LatLng } from './geo';

// The map's heat layer as 万源's bands: yellow where some appeals are, orange more, red most,
// counted on a grid whose cells stay about the same size on the screen at every zoom (a round
// number of metres, so the legend can say how big a cell is), aligned to fixed lines so that
// panning does not move them.

/** A cell on the screen stays within these px, whatever the zoom and latitude. */
export const CELL_PX = { min: 18, target: 32, max: 56 } as const;
/** Round cell sizes in metres: 1, 2, 5 per decade. */
const NICE = [1, 2, 5] as const;
const EARTH_M_PER_PX_Z0 = 156_543.03392; // Web Mercator, 256-px tiles, at the equator
const M_PER_DEG_LAT = 111_320;

export const metresPerPx = (zoom: number, lat: number): number => (EARTH_M_PER_PX_Z0 * Math.cos((lat * Math.PI) / 180)) / 2 ** zoom;

/** The cell's side in metres for a zoom at a latitude: the round size nearest CELL_PX.target on the screen. */
export function heatCellMetres(zoom: number, lat: number): number {
  const want = CELL_PX.target * metresPerPx(zoom, lat);
  let best = 1;
  for (let decade = 1; decade <= 1e6; decade *= 10) {
    for (const n of NICE) {
      const m = n * decade;
      if (Math.abs(Math.log(m / want)) < Math.abs(Math.log(best / want))) best = m;
    }
  }
  return best;
}

export type HeatBand = 'yellow' | 'orange' | 'red';
export const HEAT_BANDS: readonly HeatBand[] = ['yellow', 'orange', 'red'];

/**
 * The upper bounds (inclusive) of the yellow and orange bands for the fullest cell in view:
 * thirds of it, at least 1 and 2, so that a lone appeal is never red.
 */
export function bandLimits(max: number): { yellow: number; orange: number } {
  const yellow = Math.max(1, Math.ceil(max / 3));
  return { yellow, orange: Math.max(yellow + 1, Math.ceil((2 * max) / 3)) };
}

export function bandOf(value: number, limits: { yellow: number; orange: number }): HeatBand | null {
  if (value <= 0) return null;
  return value <= limits.yellow ? 'yellow' : value <= limits.orange ? 'orange' : 'red';
}

export interface HeatCells {
  /** The grid's west, south, east, north edges in degrees. */
  bounds: [number, number, number, number];
  cols: number;
  rows: number;
  /** The cell's side in metres. */
  metres: number;
  /** Row-major from the north-west corner: weighted count, and band (null: empty). */
  values: number[];
  bands: (HeatBand | null)[];
  limits: { yellow: number; orange: number };
  max: number;
}

/**
 * Weighted points counted on the grid for a view (west, south, east, north) at a zoom. Cells
 * are a round number of metres (north–south; east–west as many metres at the whole degree of
 * latitude nearest the view's middle), on lines from 0°, so the same place falls in the same cell whatever the pan.
 */
export function heatCells(points: readonly (LatLng & { weight: number })[], view: [number, number, number, number], zoom: number): HeatCells {
  const [w, s, e, n] = view;
  // The whole degree nearest the view's middle: a pan does not change the cells' size.
  const lat = Math.round((s + n) / 2);
  const metres = heatCellMetres(zoom, lat);
  const dLat = metres / M_PER_DEG_LAT;
  const dLng = metres / (M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180));
  const c0 = Math.floor(w / dLng);
  const c1 = Math.ceil(e / dLng);
  const r0 = Math.floor(s / dLat);
  const r1 = Math.ceil(n / dLat);
  const cols = Math.max(1, c1 - c0);
  const rows = Math.max(1, r1 - r0);
  const values = new Array<number>(cols * rows).fill(0);
  for (const p of points) {
    const c = Math.floor(p.lng / dLng) - c0;
    const r = r1 - 1 - Math.floor(p.lat / dLat);
    if (c < 0 || c >= cols || r < 0 || r >= rows) continue;
    values[r * cols + c]! += p.weight;
  }
  const max = values.reduce((m, v) => Math.max(m, v), 0);
  const limits = bandLimits(max);
  return { bounds: [c0 * dLng, r0 * dLat, c1 * dLng, r1 * dLat], cols, rows, metres, values, bands: values.map((v) => bandOf(v, limits)), limits, max };
}

/** "1 公里" / "500 米" style: the cell's side for the legend. */
export function cellSizeText(metres: number): { value: number; unit: 'km' | 'm' } {
  return metres >= 1000 ? { value: metres / 1000, unit: 'km' } : { value: metres, unit: 'm' };
}
