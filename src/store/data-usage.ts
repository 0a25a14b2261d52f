import type { MinshengDB } from './db';
import { getMeta, setMeta } from './meta';

// Bytes the app moved over the network, per calendar month (the phone's own clock, local
// time: a data plan renews by the month). Counted: sync frames both ways, file chunks sent,
// files downloaded. Not counted: HTTP headers, TLS, the app's own code and map tiles. Counts
// are gathered in memory and written to the meta table at most every few seconds, so a busy
// catch-up does not turn every frame into a write.

export interface MonthUsage {
  sent: number;
  received: number;
}

const KEY = 'dataUsage';
/** Months kept: this one and last, and a year behind for nobody's harm. */
const KEEP_MONTHS = 13;
const FLUSH_MS = 5_000;

/** '2026-11' for a time in November 2026 on this phone's calendar. */
export function monthKey(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

/** The month before `at`'s. */
export function lastMonthKey(at: number): string {
  const d = new Date(at);
  return monthKey(new Date(d.getFullYear(), d.getMonth() - 1, 1).getTime());
}

type Usage = Record<string, MonthUsage>;

function validUsage(v: unknown): Usage {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  const out: Usage = {};
  for (const [k, m] of Object.entries(v as Record<string, unknown>)) {
    const u = m as Partial<MonthUsage> | null;
    if (/^\d{4}-\d{2}$/.test(k) && u && Number.isFinite(u.sent) && Number.isFinite(u.received)) out[k] = { sent: u.sent!, received: u.received! };
  }
  return out;
}

/** Adds bytes to the month of `at`, at once (the counter below batches calls to this). */
export async function addUsage(db: MinshengDB, sent: number, received: number, at = Date.now()): Promise<void> {
  if (sent <= 0 && received <= 0) return;
  await db.transaction('rw', db.meta, async () => {
    const usage = validUsage(await getMeta(db, KEY));
    const k = monthKey(at);
    const m = usage[k] ?? { sent: 0, received: 0 };
    usage[k] = { sent: m.sent + Math.max(0, sent), received: m.received + Math.max(0, received) };
    const kept = Object.keys(usage).sort().slice(-KEEP_MONTHS);
    await setMeta(db, KEY, Object.fromEntries(kept.map((key) => [key, usage[key]!])));
  });
}

/** This month's and last month's bytes. */
export async function readUsage(db: MinshengDB, at = Date.now()): Promise<{ thisMonth: MonthUsage; lastMonth: MonthUsage }> {
  const usage = validUsage(await getMeta(db, KEY));
  const zero = { sent: 0, received: 0 };
  return { thisMonth: usage[monthKey(at)] ?? zero, lastMonth: usage[lastMonthKey(at)] ?? zero };
}

/** A counter to hand to the sync engine and the uploader: cheap to call per frame. */
export function createUsageCounter(db: MinshengDB, flushMs = FLUSH_MS) {
  let sent = 0;
  let received = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  async function flush(): Promise<void> {
    timer = null;
    const [s, r] = [sent, received];
    sent = received = 0;
    // A write that fails (a full phone) loses a few counted bytes, never the app's data.
    await addUsage(db, s, r).catch(() => {});
  }
  return {
    count(s: number, r: number): void {
      sent += s;
      received += r;
      timer ??= setTimeout(() => void flush(), flushMs);
    },
    /** Writes what is counted now (Settings calls it before reading). */
    async flush(): Promise<void> {
      if (timer) clearTimeout(timer);
      await flush();
    },
  };
}
