import { clockOffset } from '../core/clock';
import type { MinshengDB } from './db';
import { getMeta, setMeta } from './meta';

// The device's corrected clock (see core/clock.ts), kept per database so several devices in
// one test process do not share it, and in meta so it survives a restart offline.

const offsets = new WeakMap<MinshengDB, number>();

export async function loadClockOffset(db: MinshengDB): Promise<void> {
  offsets.set(db, (await getMeta<number>(db, 'clockOffset')) ?? 0);
}

/** Learns the difference from a server time read between `sentAt` and now (device clock). */
export async function adoptServerTime(db: MinshengDB, serverTime: number, sentAt: number, receivedAt = Date.now()): Promise<number> {
  const offset = clockOffset(serverTime, sentAt, receivedAt);
  offsets.set(db, offset);
  await setMeta(db, 'clockOffset', offset);
  return offset;
}

/** Now, as the server would say it. */
export function deviceNow(db: MinshengDB): number {
  return Date.now() + (offsets.get(db) ?? 0);
}
