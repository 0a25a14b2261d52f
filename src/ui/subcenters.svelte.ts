import { parseSubcenters, subcenterOf, type Subcenter } from '../core/subcenters';
import type { MinshengDB } from '../store/db';
import { getMeta, setMeta } from '../store/meta';

// The deployment's area sub-centers (片区中心), so the device can say that a town's escalation
// goes to "东片区中心" and not to the county's center. Fetched like the keyword library (after
// login and whenever the link comes up) and kept in meta, so the names stay right offline.

let known = $state.raw<readonly Subcenter[]>([]);

/** Reads the copy kept on the device (at boot). */
export async function loadSubcenters(db: MinshengDB): Promise<void> {
  const parsed = parseSubcenters((await getMeta(db, 'subcenters')) ?? []);
  known = parsed.ok ? parsed.subcenters : [];
}

/** Fetches the list and keeps it; offline, or from a server without the route, the kept copy serves. */
export async function refreshSubcenters(db: MinshengDB, get: (path: string) => Promise<Response>): Promise<void> {
  try {
    const res = await get('/api/subcenters');
    if (!res.ok) return;
    const parsed = parseSubcenters(((await res.json()) as { subcenters?: unknown }).subcenters);
    if (!parsed.ok) return;
    await setMeta(db, 'subcenters', parsed.subcenters);
    known = parsed.subcenters;
  } catch {
    // Offline: the copy kept from last time serves.
  }
}

/** The name of the sub-center whose towns include this village's (or town's) code, if any. */
export function subcenterName(code: string): string | undefined {
  return subcenterOf(known, code)?.name;
}
