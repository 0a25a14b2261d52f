import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import './basemap.css';
import { townAreas, type Pt } from '../core/areas';
import type { CountyMap } from './places';

// The basemap every map screen draws with no tiles: the county outline and approximate town
// areas (Voronoi cells of the town seats), labelled. It needs no network at all.

export const outlineBounds = (county: CountyMap): L.LatLngBounds => L.latLngBounds(county.outline.map(([lng, lat]) => [lat, lng] as L.LatLngTuple));

/** Tooltips get text nodes: Leaflet would read a string as HTML, and names and titles are typed by users. */
export function textNode(s: string): HTMLElement {
  const span = document.createElement('span');
  span.textContent = s;
  return span;
}

const areas = new WeakMap<CountyMap, Map<string, Pt[]>>();

export function drawBasemap(into: L.LayerGroup, renderer: L.Renderer, county: CountyMap, nameOf: (code: string) => string | undefined): void {
  L.polygon(county.outline.map(([lng, lat]) => [lat, lng] as L.LatLngTuple), { renderer, color: '#3c4043', weight: 2, fill: false, interactive: false }).addTo(into);
  if (!areas.has(county)) areas.set(county, townAreas(county.seats, county.outline));
  for (const seat of county.seats) {
    const ring = areas.get(county)!.get(seat.code);
    if (ring) L.polygon(ring.map(([lng, lat]) => [lat, lng] as L.LatLngTuple), { renderer, color: '#9aa0a6', weight: 1, dashArray: '4 4', fillColor: '#ffffff', fillOpacity: 0.35, interactive: false }).addTo(into);
    const name = (nameOf(seat.code) ?? seat.name).replace(/(办事处|办事|人民政府)$/, '');
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
