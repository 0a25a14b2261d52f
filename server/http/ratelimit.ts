// Fixed-window counters kept in memory: enough for one process (several instances would
// share them through the database or Redis, issue 11). Windows are dropped when they end.

export interface Limit {
  max: number;
  windowMs: number;
}

export function createWindowCounter(limit: Limit) {
  const windows = new Map<string, { start: number; count: number }>();
  const current = (key: string, now: number) => {
    const w = windows.get(key);
    if (!w || now - w.start >= limit.windowMs) return null;
    return w;
  };
  return {
    /** Milliseconds until `key` may try again, or 0 when it is under the limit. */
    blockedFor(key: string, now = Date.now()): number {
      const w = current(key, now);
      return w && w.count >= limit.max ? w.start + limit.windowMs - now : 0;
    },
    hit(key: string, now = Date.now()): void {
      const w = current(key, now);
      if (w) w.count++;
      else windows.set(key, { start: now, count: 1 });
      if (windows.size > 10_000) for (const [k, v] of windows) if (now - v.start >= limit.windowMs) windows.delete(k);
    },
    reset(key: string): void {
      windows.delete(key);
    },
  };
}

/** A token bucket for message rates: `perSecond` sustained, `burst` at once. */
export function createBucket(perSecond: number, burst: number, now: () => number = Date.now) {
  let tokens = burst;
  let last = now();
  return {
    take(): boolean {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - last) / 1000) * perSecond);
      last = t;
      if (tokens < 1) return false;
      tokens--;
      return true;
    },
  };
}
