import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { NamedPlace, PlaceData, PlacePoint } from '../../src/core/nearest-place';
import { levelOf, townOf } from '../../src/core/regions';

// The place data the map draws (src/data: outlines and town/village points, made by
// scripts/places.ts and scripts/city.ts) read once for Open311, which places requests that
// come with coordinates or an address in words instead of a village code.

const DATA_DIR = path.resolve(import.meta.dirname, '../../src/data');

export interface Open311Places extends PlaceData {
  /** Every town and village by name, for an address given in words. */
  named: NamedPlace[];
  /** A town's first village by code: where an appeal placed only in the town is filed for its dispatcher to place. */
  firstVillage: ReadonlyMap<string, string>;
  /** The deployment's first village: where an appeal placed nowhere is filed for the top desk. */
  anyVillage: string | null;
}

function readJson<T>(file: string): T | null {
  const full = path.join(DATA_DIR, file);
  return existsSync(full) ? (JSON.parse(readFileSync(full, 'utf8')) as T) : null;
}

/** `region` is the deployment's 6-digit code (a city's ends in 00); `villages` and `places` as the server loaded them. */
export function loadOpen311Places(region: string, villages: ReadonlySet<string>, places: ReadonlyMap<string, string>): Open311Places {
  const outline = readJson<{ ring: [number, number][] }>(`outline-${region}.json`);
  const counties = [...places.keys()].filter((c) => levelOf(c) === 'county').map((c) => c.slice(0, 6));
  const pointed: PlacePoint[] = [];
  for (const county of new Set(counties)) {
    const file = readJson<{ points: Record<string, { lat: number; lng: number }> }>(`places-${county}.json`);
    for (const [code, p] of Object.entries(file?.points ?? {})) pointed.push({ code, lat: p.lat, lng: p.lng });
  }
  const firstVillage = new Map<string, string>();
  for (const v of [...villages].sort()) if (!firstVillage.has(townOf(v))) firstVillage.set(townOf(v), v);
  const named: NamedPlace[] = [...places].flatMap(([code, name]): NamedPlace[] => {
    const level = levelOf(code);
    return level === 'village' && villages.has(code) ? [{ code, name, level }] : level === 'town' && firstVillage.has(code) ? [{ code, name, level }] : [];
  });
  return {
    outline: outline ? [outline.ring] : [],
    villages: pointed.filter((p) => villages.has(p.code)),
    // A town takes requests only when it has a village to file them at.
    towns: pointed.filter((p) => levelOf(p.code) === 'town' && firstVillage.has(p.code)),
    named,
    firstVillage,
    anyVillage: [...villages].sort()[0] ?? null,
  };
}
