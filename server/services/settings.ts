import { DEFAULT_KEYWORDS, parseKeywords, type KeywordRule } from '../../src/core/classify';
import type { PointCorrections } from '../../src/core/geo';
import type { Store } from '../store/types';

// County settings administrators edit (server/http/admin.ts), kept in the store's meta table.

/** Points administrators corrected on the map, by region code (WGS84). */
export async function placeCorrections(store: Store): Promise<PointCorrections> {
  const stored = await store.getMeta('place_corrections');
  return stored ? (JSON.parse(stored) as PointCorrections) : {};
}

/** The stored keyword library, or the seeded one until an administrator edits it. */
export async function keywordsOf(store: Store): Promise<KeywordRule[]> {
  const stored = await store.getMeta('keywords');
  if (!stored) return [...DEFAULT_KEYWORDS];
  const parsed = parseKeywords(JSON.parse(stored));
  return parsed.ok ? parsed.rules : [...DEFAULT_KEYWORDS];
}
