import type { Urgency } from './appeal';
import { isOpen, type Status } from './fold';
import { cityOf, countyOf, townOf, type Region } from './regions';

// Where things sit on the map, in WGS84 (what a phone's GPS reports). Published Chinese
// points are GCJ-02 and are converted before they reach the app (scripts/places.ts).

export interface LatLng {
  lat: number;
  lng: number;
}

/** How a region's point was found: given in the place data, the mean of appeals' GPS there, or placed near its parent. */
export type PlaceSource = 'data' | 'gps' | 'near_parent';

export interface Place extends LatLng {
  source: PlaceSource;
}

/**
 * The map's tiers by zoom: a marker per county (only where the user's regions hold a city),
 * per town, per village, or per appeal.
 */
export type MapTier = 'county' | 'town' | 'village' | 'appeal';
/** The tiers counted per region, on the device and by the server. */
export type TallyLevel = Exclude<MapTier, 'appeal'>;
export const TOWN_MAX_ZOOM = 10;
export const VILLAGE_MAX_ZOOM = 12;

/** A county's map: towns from any zoom out, then villages, then appeals. */
export function tierForZoom(zoom: number): MapTier {
  return zoom <= TOWN_MAX_ZOOM ? 'town' : zoom <= VILLAGE_MAX_ZOOM ? 'village' : 'appeal';
}

const GOLDEN_ANGLE = Math.PI * (3 - Math.sqrt(5));
/**
 * Villages without a point are spread around their town on a spiral this many degrees apart
 * (about 1.2 km between neighbours): at the village tier's zoom, their markers barely touch.
 */
const SPREAD_STEP = 0.0062;

/**
 * The map's filters beyond status, the same on the device and in the server's counts: a
 * category class, an urgency, and recording time in [from, to).
 */
export interface TallyFilter {
  category?: string;
  urgency?: Urgency;
  from?: number;
  to?: number;
}

/**
 * Places every county, town and village. A county without a point sits at its city's point
 * (a development zone the outline data lacks), a town without one at its county's; a
 * village is the mean of the GPS fixes of appeals recorded there when there are any, else
 * it is set on a sunflower spiral around its town (deterministic, so it never jumps).
 */
export function placeRegions(regions: readonly Region[], points: Readonly<Record<string, LatLng>>, fixes: ReadonlyMap<string, readonly LatLng[]> = new Map()): Map<string, Place> {
  const places = new Map<string, Place>();
  for (const r of regions.filter((x) => x.level === 'city' || x.level === 'county')) {
    const own = points[r.code];
    if (own) places.set(r.code, { lat: own.lat, lng: own.lng, source: 'data' });
  }
  for (const r of regions.filter((x) => x.level === 'county' && !places.has(x.code))) {
    const centre = places.get(cityOf(r.code)) ?? points[cityOf(r.code)];
    if (centre) places.set(r.code, { lat: centre.lat, lng: centre.lng, source: 'near_parent' });
  }
  for (const town of regions.filter((r) => r.level === 'town')) {
    const own = points[town.code];
    const centre = places.get(countyOf(town.code));
    if (own) places.set(town.code, { lat: own.lat, lng: own.lng, source: 'data' });
    else if (centre) places.set(town.code, { lat: centre.lat, lng: centre.lng, source: 'near_parent' });
  }
  const byTown = new Map<string, Region[]>();
  for (const v of regions.filter((r) => r.level === 'village')) byTown.set(townOf(v.code), [...(byTown.get(townOf(v.code)) ?? []), v]);
  for (const [townCode, villages] of byTown) {
    const anchor = places.get(townCode);
    villages.sort((a, b) => (a.code < b.code ? -1 : 1));
    villages.forEach((v, i) => {
      const own = points[v.code];
      const seen = fixes.get(v.code);
      if (own) places.set(v.code, { lat: own.lat, lng: own.lng, source: 'data' });
      else if (seen && seen.length > 0) places.set(v.code, { ...mean(seen), source: 'gps' });
      else if (anchor) {
        const r = SPREAD_STEP * Math.sqrt(i + 0.5);
        const a = i * GOLDEN_ANGLE;
        places.set(v.code, { lat: anchor.lat + r * Math.sin(a), lng: anchor.lng + (r * Math.cos(a)) / Math.cos((anchor.lat * Math.PI) / 180), source: 'near_parent' });
      }
    });
  }
  return places;
}

function mean(points: readonly LatLng[]): LatLng {
  const n = points.length;
  return { lat: points.reduce((s, p) => s + p.lat, 0) / n, lng: points.reduce((s, p) => s + p.lng, 0) / n };
}

export interface MapRow {
  id: string;
  village: string;
  status: Status;
  urgency: Urgency;
  dueAt: number | null;
}

export interface Tally {
  total: number;
  open: number;
  overdue: number;
  /** Open appeals by urgency: what colours a marker. */
  red: number;
  orange: number;
  yellow: number;
}

/** The most urgent open appeal in a tally, or null when none is open. */
export function worstUrgency(t: Tally): Urgency | null {
  return t.red > 0 ? 'red' : t.orange > 0 ? 'orange' : t.yellow > 0 ? 'yellow' : null;
}

/** Counts per key (a town or village code), as the map's markers show them. */
export function tallyBy(rows: readonly MapRow[], keyOf: (row: MapRow) => string, now: number): Map<string, Tally> {
  const out = new Map<string, Tally>();
  for (const row of rows) {
    const key = keyOf(row);
    const t = out.get(key) ?? { total: 0, open: 0, overdue: 0, red: 0, orange: 0, yellow: 0 };
    t.total++;
    if (isOpen(row.status)) {
      t.open++;
      t[row.urgency]++;
      if (row.dueAt !== null && row.dueAt < now) t.overdue++;
    }
    out.set(key, t);
  }
  return out;
}

/**
 * The device's counts, each replaced by the server's where the server knows more (appeals
 * this device never received). The device keeps its own where it holds changes not yet sent.
 * Returns whether any server count was used.
 */
export function mergeTallies(local: Map<string, Tally>, server: ReadonlyMap<string, Tally>): boolean {
  let used = false;
  for (const [code, tally] of server) {
    if (tally.total > (local.get(code)?.total ?? 0)) {
      local.set(code, tally);
      used = true;
    }
  }
  return used;
}

/** Corrections an administrator made to region points, by region code. */
export type PointCorrections = Record<string, LatLng>;

/** Whether a point is a plausible place in China (WGS84): the check on an admin's correction. */
export function plausiblePoint(p: unknown): p is LatLng {
  if (typeof p !== 'object' || p === null) return false;
  const { lat, lng } = p as Record<string, unknown>;
  return typeof lat === 'number' && typeof lng === 'number' && Number.isFinite(lat) && Number.isFinite(lng) && lat >= 18 && lat <= 54 && lng >= 73 && lng <= 135 && Object.keys(p).length === 2;
}

/** Where appeals were recorded with a fix, by village: what moves a village's point from a guess to the truth. */
export function gpsFixes(rows: Iterable<{ village: string; lat: number | null; lng: number | null }>): Map<string, LatLng[]> {
  const fixes = new Map<string, LatLng[]>();
  for (const r of rows) {
    if (r.lat === null || r.lng === null) continue;
    const list = fixes.get(r.village);
    if (list) list.push({ lat: r.lat, lng: r.lng });
    else fixes.set(r.village, [{ lat: r.lat, lng: r.lng }]);
  }
  return fixes;
}

/** Approximate ground distance in metres (equirectangular; fine within a county). */
export function metresBetween(a: LatLng, b: LatLng): number {
  const x = (b.lng - a.lng) * Math.cos((((a.lat + b.lat) / 2) * Math.PI) / 180) * 111_320;
  const y = (b.lat - a.lat) * 110_540;
  return Math.hypot(x, y);
}

/**
 * The region whose point is nearest `at` among `codes`, with its distance; only points the
 * data or appeals' GPS gave count (a village spread around its town says nothing).
 */
export function nearestPlace(at: LatLng, places: ReadonlyMap<string, Place>, codes: Iterable<string>): { code: string; metres: number } | null {
  let best: { code: string; metres: number } | null = null;
  for (const code of codes) {
    const p = places.get(code);
    if (!p || p.source === 'near_parent') continue;
    const m = metresBetween(at, p);
    if (!best || m < best.metres) best = { code, metres: m };
  }
  return best;
}

/** A raster tile source the county configures; none by default, so no request leaves the device. */
export interface TileSource {
  /** `https://…/{z}/{x}/{y}.png` or a same-origin `/tiles/{z}/{x}/{y}.png`; `{s}` allowed. */
  url: string;
  attribution: string;
  /** The origin to allow in the content security policy; null when same-origin. */
  origin: string | null;
}

export function parseTileSource(url: string | undefined, attribution: string | undefined): { ok: true; source: TileSource | null } | { ok: false; error: string } {
  if (!url) return attribution ? { ok: false, error: 'a tile attribution is set but no tile URL' } : { ok: true, source: null };
  for (const part of ['{z}', '{x}', '{y}']) if (!url.includes(part)) return { ok: false, error: `the tile URL must contain ${part}, got "${url}"` };
  let origin: string | null = null;
  if (/\s/.test(url)) return { ok: false, error: `the tile URL contains spaces: "${url}"` };
  if (!url.startsWith('/') || url.startsWith('//')) {
    // Tiles are fetched by every phone: only over TLS, from a plain host (no credentials in the URL).
    const host = /^https:\/\/((?:\{s\}\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::\d{1,5})?)[/?]/i.exec(url)?.[1];
    if (!host) return { ok: false, error: `the tile URL must be https://host/… or a path on this server starting with /, got "${url}"` };
    // Subdomain rotation ({s}) becomes a wildcard the security policy understands.
    origin = `https://${host.replace('{s}', '*')}`;
  }
  const text = attribution?.trim() ?? '';
  // Tile providers' terms require credit on the map.
  if (!text) return { ok: false, error: 'a tile source needs its attribution (the credit its terms require)' };
  if (text.length > 200) return { ok: false, error: 'the tile attribution is longer than 200 characters' };
  return { ok: true, source: { url, attribution: text, origin } };
}
