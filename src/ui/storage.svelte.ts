// How much room the device gives the app, and whether it promised not to evict our data.
// A grid worker with a full phone must hear it before a save fails, not after.

export const storage = $state({ usage: null as number | null, quota: null as number | null, persisted: null as boolean | null });

/** Below this much free room, or above this share used, the app warns. */
export const LOW_FREE_BYTES = 50 * 1024 * 1024;
export const HIGH_USE_SHARE = 0.9;

export function nearlyFull(s: { usage: number | null; quota: number | null }): boolean {
  if (s.usage === null || s.quota === null || s.quota === 0) return false;
  return s.usage / s.quota >= HIGH_USE_SHARE || s.quota - s.usage < LOW_FREE_BYTES;
}

export async function refreshStorage(): Promise<void> {
  const est = await navigator.storage?.estimate?.().catch(() => null);
  if (est) {
    storage.usage = est.usage ?? null;
    storage.quota = est.quota ?? null;
  }
  storage.persisted = (await navigator.storage?.persisted?.().catch(() => null)) ?? null;
}

/** Asks again for persistent storage (browsers may grant it once the app is installed). */
export async function askPersist(): Promise<void> {
  storage.persisted = (await navigator.storage?.persist?.().catch(() => false)) ?? false;
}
