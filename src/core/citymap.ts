import { URGENCIES, type Urgency } from './appeal';
import { CATEGORY_CLASSES } from './categories';
import { tierForZoom, type LatLng, type MapTier, type TallyFilter, type TallyLevel } from './geo';
import { cityOf, countyOf, townOf, type Region } from './regions';

// The map's city tier (counties first, then as a county's map) and the filters its counts
// share with the server. Apart from geo.ts so that only the map screen's chunk carries it.

export const COUNTY_MAX_ZOOM = 8;

/** A city's map: counties first, then as a county's. */
export function cityTierForZoom(zoom: number): MapTier {
  return zoom <= COUNTY_MAX_ZOOM ? 'county' : tierForZoom(zoom);
}

/** The region a village's appeal is counted under at a tier: its county, its town, or itself. */
export function tallyKey(level: TallyLevel, village: string): string {
  return level === 'county' ? countyOf(village) : level === 'town' ? townOf(village) : village;
}

const DAY_MS = 86_400_000;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The filters as the map screen and the server's query give them (a category class, an
 * urgency, and days YYYY-MM-DD in China time, both inclusive; empty or absent means any),
 * checked and turned into a TallyFilter.
 */
export function tallyFilter(input: { category?: string | null; urgency?: string | null; from?: string | null; to?: string | null }): { ok: true; filter: TallyFilter } | { ok: false; error: string } {
  const filter: TallyFilter = {};
  if (input.category) {
    if (!CATEGORY_CLASSES.some((c) => c.code === input.category)) return { ok: false, error: `category must be one of ${CATEGORY_CLASSES.map((c) => c.code).join(', ')}` };
    filter.category = input.category;
  }
  if (input.urgency) {
    if (!(URGENCIES as readonly string[]).includes(input.urgency)) return { ok: false, error: `urgency must be one of ${URGENCIES.join(', ')}` };
    filter.urgency = input.urgency as Urgency;
  }
  for (const key of ['from', 'to'] as const) {
    const day = input[key];
    if (!day) continue;
    const start = Date.parse(`${day}T00:00:00+08:00`);
    if (!ISO_DAY.test(day) || Number.isNaN(start)) return { ok: false, error: `${key} must be a day, YYYY-MM-DD` };
    // "to" takes its whole day.
    filter[key] = key === 'to' ? start + DAY_MS : start;
  }
  return { ok: true, filter };
}

export function passesFilter(row: { category: string; urgency: Urgency; createdAt: number }, f: TallyFilter): boolean {
  return (!f.category || row.category.startsWith(`${f.category}.`)) && (!f.urgency || row.urgency === f.urgency) && (f.from === undefined || row.createdAt >= f.from) && (f.to === undefined || row.createdAt < f.to);
}

/**
 * Whether a city is what the map opens on: the regions hold a city, or more than one county.
 * Returns the city's 12-digit code, or null for a county's (or smaller) map.
 */
export function mapCity(regions: readonly Region[]): string | null {
  const city = regions.find((r) => r.level === 'city');
  if (city) return city.code;
  const counties = new Set(regions.filter((r) => r.level === 'county').map((r) => r.code));
  return counties.size > 1 ? cityOf([...counties][0]!) : null;
}

/** The area-weighted centre of a ring of [lng, lat] points: where a city's own point goes when the data has none. */
export function ringCentre(ring: readonly (readonly [number, number])[]): LatLng {
  let a = 0;
  let x = 0;
  let y = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [x0, y0] = ring[j]!;
    const [x1, y1] = ring[i]!;
    const cross = x0 * y1 - x1 * y0;
    a += cross;
    x += (x0 + x1) * cross;
    y += (y0 + y1) * cross;
  }
  if (a === 0) return { lng: ring.reduce((s, p) => s + p[0], 0) / ring.length, lat: ring.reduce((s, p) => s + p[1], 0) / ring.length };
  return { lng: x / (3 * a), lat: y / (3 * a) };
}

/** Whether [lng, lat] lies inside a ring (even–odd rule). */
export function inRing(p: LatLng, ring: readonly (readonly [number, number])[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [ax, ay] = ring[i]!;
    const [bx, by] = ring[j]!;
    if (ay > p.lat !== by > p.lat && p.lng < ((bx - ax) * (p.lat - ay)) / (by - ay) + ax) inside = !inside;
  }
  return inside;
}

