import type { LatLng } from './geo';
import { inRing } from './citymap';

// Where a point reported by an outside client (Open311: FixMyStreet, GeoReporter send WGS84
// coordinates, never a village code) belongs. Villages have points only where the place data
// gives them, so a point is placed in a village only when one lies close; otherwise in the
// town whose seat is nearest (the town areas the basemap draws are the same nearest-seat
// cells, clipped to the outline). Outside the deployment's outline it belongs nowhere.

export interface PlacePoint extends LatLng {
  code: string;
}

export interface PlaceData {
  /** The deployment's outline, rings of [lng, lat]; a point must fall inside one. Empty: no outline known, nothing is placed. */
  outline: readonly (readonly (readonly [number, number])[])[];
  villages: readonly PlacePoint[];
  towns: readonly PlacePoint[];
}

export type Placing = { level: 'village' | 'town'; code: string } | { level: 'outside' };

/** How close a village's point must be to take a report (a village's built-up area is about this wide). */
export const VILLAGE_REACH_M = 1500;

const EARTH_M = 6_371_000;

/** Ground distance in metres (haversine: exact enough at county scale, and symmetric). */
export function metresBetween(a: LatLng, b: LatLng): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The nearest of `points` to `p`, ties broken by the lower code so the answer never depends on order. */
function nearest(p: LatLng, points: readonly PlacePoint[]): { at: PlacePoint; m: number } | null {
  let best: { at: PlacePoint; m: number } | null = null;
  for (const q of points) {
    const m = metresBetween(p, q);
    if (!best || m < best.m || (m === best.m && q.code < best.at.code)) best = { at: q, m };
  }
  return best;
}

/** The village (within VILLAGE_REACH_M), else the town, a point belongs to; 'outside' beyond the outline. */
export function placeOf(p: LatLng, data: PlaceData): Placing {
  if (!Number.isFinite(p.lat) || !Number.isFinite(p.lng)) return { level: 'outside' };
  if (!data.outline.some((ring) => inRing(p, ring))) return { level: 'outside' };
  const village = nearest(p, data.villages);
  if (village && village.m <= VILLAGE_REACH_M) return { level: 'village', code: village.at.code };
  const town = nearest(p, data.towns);
  return town ? { level: 'town', code: town.at.code } : { level: 'outside' };
}

export interface NamedPlace {
  code: string;
  name: string;
  level: 'town' | 'village';
}

/** A place name as people write it: 小仲村北村村委会 as 小仲村北村, 兰陵镇 as 兰陵镇 or 兰陵 (two characters at least). */
function spellings(p: NamedPlace): string[] {
  const forms = new Set([p.name]);
  const base = p.level === 'village' ? /^(.*?)(村民委员会|居民委员会|村委会|居委会)$/.exec(p.name)?.[1] : /^(.*?)(街道办事处|街道|镇|乡)$/.exec(p.name)?.[1];
  if (base && [...base].length >= 2) forms.add(base);
  return [...forms];
}

/**
 * The place an address written in words names: the village it names (a name inside another
 * named place's name, 大仲村 in 大仲村镇, counts as that one), else the town likewise; null
 * when it names none, or names two.
 */
export function placeNamed(address: string, places: readonly NamedPlace[]): { level: 'village' | 'town'; code: string } | null {
  for (const level of ['village', 'town'] as const) {
    const hits = places
      .filter((p) => p.level === level)
      .map((p) => ({ code: p.code, said: spellings(p).filter((s) => address.includes(s)).sort((a, b) => b.length - a.length)[0] }))
      .filter((h): h is { code: string; said: string } => h.said !== undefined);
    const distinct = hits.filter((h) => !hits.some((o) => o.code !== h.code && o.said.length > h.said.length && o.said.includes(h.said)));
    if (distinct.length === 1) return { level, code: distinct[0]!.code };
    if (distinct.length > 1) return null;
  }
  return null;
}
