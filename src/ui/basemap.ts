import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import './basemap.css';
import { townAreas, type Pt } from '../core/areas';
import type { LatLng } from '../core/geo';
import outline from '../data/outline-371324.json';
import places from '../data/places-371324.json';

// The basemap every map screen draws with no tiles: the county outline and approximate town
// areas (Voronoi cells of the town seats), labelled. It needs no network at all.

export const COUNTY_CODE = `${places.county}000000`;
export const PLACE_POINTS: Readonly<Record<string, LatLng>> = places.points;
export const OUTLINE = outline.ring as Pt[];

const county0 = places.points[COUNTY_CODE as keyof typeof places.points] as LatLng;
/** Every town in the place data, and those it lacks (the county seat's street office) at the county's own point. */
export const SEATS: { code: string; name: string; at: Pt }[] = [
  ...Object.entries(places.points)
    .filter(([code]) => code !== COUNTY_CODE)
    .map(([code, p]) => ({ code, name: p.name, at: [p.lng, p.lat] as Pt })),
  ...places.missing.map((m) => {
    const [code, name] = m.split(' ');
    return { code: code!, name: name ?? code!, at: [county0.lng, county0.lat] as Pt };
  }),
];
const AREAS = townAreas(SEATS, OUTLINE);

export const outlineBounds = (): L.LatLngBounds => L.latLngBounds(OUTLINE.map(([lng, lat]) => [lat, lng] as L.LatLngTuple));

/** Tooltips get text nodes: Leaflet would read a string as HTML, and names and titles are typed by users. */
export function textNode(s: string): HTMLElement {
  const span = document.createElement('span');
  span.textContent = s;
  return span;
}

export function drawBasemap(into: L.LayerGroup, renderer: L.Renderer, nameOf: (code: string) => string | undefined): void {
  L.polygon(OUTLINE.map(([lng, lat]) => [lat, lng] as L.LatLngTuple), { renderer, color: '#3c4043', weight: 2, fill: false, interactive: false }).addTo(into);
  for (const seat of SEATS) {
    const ring = AREAS.get(seat.code);
    if (ring) L.polygon(ring.map(([lng, lat]) => [lat, lng] as L.LatLngTuple), { renderer, color: '#9aa0a6', weight: 1, dashArray: '4 4', fillColor: '#ffffff', fillOpacity: 0.35, interactive: false }).addTo(into);
    const name = (nameOf(seat.code) ?? seat.name).replace(/(办事处|人民政府)$/, '');
    L.tooltip({ permanent: true, direction: 'top', offset: [0, -14], className: 'town-label' }).setLatLng([seat.at[1], seat.at[0]]).setContent(textNode(name)).addTo(into);
  }
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
