import type { Pt } from '../core/areas';
import type { LatLng } from '../core/geo';

// Each demo county's place data is its own small chunk (src/data, made by scripts/places.ts,
// precached), loaded by the screens that need it. No Leaflet here: the record form uses it too.

interface PlacesFile {
  county: string;
  missing: string[];
  points: Record<string, { name: string } & LatLng>;
}

export interface CountyMap {
  /** The county's 12-digit code. */
  code: string;
  points: Readonly<Record<string, LatLng>>;
  outline: Pt[];
  /** Every town with a point, and those the data lacks at the county's own point. */
  seats: { code: string; name: string; at: Pt }[];
}

const placeFiles = import.meta.glob<PlacesFile>('../data/places-*.json', { import: 'default' });
const outlineFiles = import.meta.glob<{ ring: Pt[] }>('../data/outline-*.json', { import: 'default' });
const loaded = new Map<string, Promise<CountyMap | null>>();

/** The county's map data by its 12-digit code, or null for a county without any. */
export function loadCountyMap(code: string): Promise<CountyMap | null> {
  const county = code.slice(0, 6);
  if (!loaded.has(county)) {
    const places = placeFiles[`../data/places-${county}.json`];
    const outline = outlineFiles[`../data/outline-${county}.json`];
    loaded.set(county, places && outline ? Promise.all([places(), outline()]).then(([p, o]) => build(p, o.ring)) : Promise.resolve(null));
  }
  return loaded.get(county)!;
}

const isTown = (code: string) => code.endsWith('000') && !code.endsWith('000000');

function build(file: PlacesFile, outline: Pt[]): CountyMap {
  const code = `${file.county}000000`;
  const centre = file.points[code]!;
  const seats = [
    ...Object.entries(file.points)
      .filter(([c]) => isTown(c))
      .map(([c, p]) => ({ code: c, name: p.name, at: [p.lng, p.lat] as Pt })),
    ...file.missing.map((m) => {
      const [c, name] = m.split(' ');
      return { code: c!, name: name ?? c!, at: [centre.lng, centre.lat] as Pt };
    }),
  ];
  return { code, points: file.points, outline, seats };
}
