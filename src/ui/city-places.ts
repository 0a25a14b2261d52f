import type { Pt } from '../core/areas';

// A city's county outlines and its own outline (src/data, made by scripts/city.ts from
// Vonng/adcode, CC BY 4.0): chunks only a city's map loads. Apart from places.ts, which the
// record form loads for everyone, so that no county user's device carries this code.

interface CountiesFile {
  city: string;
  name: string;
  /** County-level areas without an outline: "371371 临沂高新技术产业开发区". */
  missing: string[];
  counties: { code: string; name: string; label: Pt; ring: Pt[] }[];
}

export interface CityMap {
  /** The city's 12-digit code. */
  code: string;
  name: string;
  outline: Pt[];
  /** Every county with an outline: 12-digit code, name, the point its label sits on, outline. */
  counties: { code: string; name: string; label: Pt; ring: Pt[] }[];
  /** County-level areas the outline data lacks (12-digit codes). */
  missing: { code: string; name: string }[];
}

const countyFiles = import.meta.glob<CountiesFile>('../data/counties-*.json', { import: 'default' });
/** City outlines only: a city's code ends in 00, a county's never does. */
const outlineFiles = import.meta.glob<{ ring: Pt[] }>('../data/outline-*00.json', { import: 'default' });
const loadedCities = new Map<string, Promise<CityMap | null>>();

/** The city's county outlines by any code in it, or null for a city without them. */
export function loadCityMap(code: string): Promise<CityMap | null> {
  const city = `${code.slice(0, 4)}00`;
  if (!loadedCities.has(city)) {
    const counties = countyFiles[`../data/counties-${city}.json`];
    const outline = outlineFiles[`../data/outline-${city}.json`];
    loadedCities.set(
      city,
      counties && outline
        ? Promise.all([counties(), outline()]).then(([c, o]) => ({
            code: `${city}000000`,
            name: c.name,
            outline: o.ring,
            counties: c.counties.map((x) => ({ ...x, code: `${x.code}000000` })),
            missing: c.missing.map((m) => {
              const [c6, name] = m.split(' ');
              return { code: `${c6}000000`, name: name ?? c6! };
            }),
          }))
        : Promise.resolve(null),
    );
  }
  return loadedCities.get(city)!;
}
