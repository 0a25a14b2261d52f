import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import './basemap.css';
import { townAreas, type Pt } from '../core/areas';
import type { CountyMap } from './places';

// The basemap every map screen draws with no tiles: the county outline and approximate town
// areas (Voronoi cells of the town seats), labelled. It needs no network at all.

export const outlineBounds = (county: { outline: Pt[] }): L.LatLngBounds => ringBounds(county.outline);
export const ringBounds = (ring: Pt[]): L.LatLngBounds => L.latLngBounds(ring.map(([lng, lat]) => [lat, lng] as L.LatLngTuple));
const latLngs = (ring: Pt[]) => ring.map(([lng, lat]) => [lat, lng] as L.LatLngTuple);

/** Tooltips get text nodes: Leaflet would read a string as HTML, and names and titles are typed by users. */
export function textNode(s: string): HTMLElement {
  const span = document.createElement('span');
  span.textContent = s;
  return span;
}

const areas = new WeakMap<CountyMap, Map<string, Pt[]>>();

/** A county's outline, town areas and town names; in a city the county outline is the city basemap's. */
export function drawBasemap(into: L.LayerGroup, renderer: L.Renderer, county: CountyMap, nameOf: (code: string) => string | undefined, { outline = true, names = true } = {}): void {
  if (outline) L.polygon(latLngs(county.outline), { renderer, color: '#3c4043', weight: 2, fill: false, interactive: false }).addTo(into);
  if (!areas.has(county)) areas.set(county, townAreas(county.seats, county.outline));
  for (const seat of county.seats) {
    const ring = areas.get(county)!.get(seat.code);
    if (ring) L.polygon(ring.map(([lng, lat]) => [lat, lng] as L.LatLngTuple), { renderer, color: '#9aa0a6', weight: 1, dashArray: '4 4', fillColor: '#ffffff', fillOpacity: 0.35, interactive: false }).addTo(into);
    // The map screen lays names out with its pins' instead (no two overlap).
    if (!names) continue;
    const name = (nameOf(seat.code) ?? seat.name).replace(/(办事处|办事|人民政府)$/, '');
    L.tooltip({ permanent: true, direction: 'top', offset: [0, -14], className: 'town-label' }).setLatLng([seat.at[1], seat.at[0]]).setContent(textNode(name)).addTo(into);
  }
}

/**
 * A city's basemap: its outline and every county's (Vonng/adcode, simplified; the county in
 * focus drawn stronger), and, on the county tier, each county's name, always shown (phones
 * have no hover).
 */
export function drawCityBasemap(
  into: L.LayerGroup,
  renderer: L.Renderer,
  city: { outline: Pt[] | null; counties: { code: string; ring: Pt[] }[] },
  labels: { name: string; at: { lat: number; lng: number } }[] | null,
  focus?: string,
): void {
  for (const c of city.counties) {
    const strong = c.code === focus;
    L.polygon(latLngs(c.ring), { renderer, color: strong ? '#3c4043' : '#5f6368', weight: strong ? 2 : 1.5, fillColor: '#ffffff', fillOpacity: labels ? 0.45 : strong ? 0 : 0.2, interactive: false }).addTo(into);
  }
  if (city.outline) L.polygon(latLngs(city.outline), { renderer, color: '#3c4043', weight: 2.5, fill: false, interactive: false }).addTo(into);
  for (const l of labels ?? []) L.tooltip({ permanent: true, direction: 'top', offset: [0, -14], className: 'county-label' }).setLatLng([l.at.lat, l.at.lng]).setContent(textNode(l.name)).addTo(into);
}

export interface TileConfig {
  url: string;
  attribution: string;
}

/** The county's configured tiles under the drawn basemap; returns how to take them off. */
export function addTiles(map: L.Map, source: TileConfig): () => void {
  const attribution = source.attribution.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const tiles = L.tileLayer(source.url, { attribution, crossOrigin: true, maxZoom: 18 }).addTo(map);
  tiles.bringToBack();
  return () => void tiles.remove();
}
