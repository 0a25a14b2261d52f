import * as v from 'valibot';

// A server's store has an identity that changes when it is restored from a backup. The
// restored store lacks what it acknowledged after the backup, and its sequence numbers run
// again from the backup's point, past which phones' cursors may already be. A phone that
// meets a new identity catches up from the restore point and pushes again what the server
// acknowledged from shortly before the backup (its journal of acknowledged pushes).

/** How long a phone keeps what the server acknowledged, in case the server is restored: restore within it. */
export const JOURNAL_MS = 30 * 24 * 3_600_000;
/** Pushes acknowledged this long before the backup are sent again too: clocks and the backup's own length. */
export const REPLAY_MARGIN_MS = 3_600_000;
/** A replayed push the server still cannot place (it waits for someone else's) is kept and tried again for this long, then shown as refused. */
export const REPLAY_WAIT_MS = 7 * 24 * 3_600_000;

const instant = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(7_258_118_400_000));

export const StoreEpochSchema = v.strictObject({
  /** Random; a new one on every restore. */
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
  /** The store's sequence when it was restored (0 for a store never restored). */
  since: v.pipe(v.number(), v.integer(), v.minValue(0)),
  /** Server time of the backup it was restored from (0 when never restored, or unknown: then everything kept is sent again). */
  at: instant,
});
export type StoreEpoch = v.InferOutput<typeof StoreEpochSchema>;

export function parseStoreEpoch(text: string | null): StoreEpoch | null {
  if (text === null) return null;
  try {
    const r = v.safeParse(StoreEpochSchema, JSON.parse(text));
    return r.success ? r.output : null;
  } catch {
    return null;
  }
}

/**
 * Where the server starts a device's catch-up. A device that names another identity than the
 * store's holds a cursor from before the restore: everything stored since the restore point
 * is new to it, whatever its cursor says.
 */
export function catchUpStart(epoch: StoreEpoch, known: string | undefined, cursor: number, resume?: number): { from: number; resumeAt: number } {
  if (known !== undefined && known !== epoch.id) {
    const from = Math.min(cursor, epoch.since);
    return { from, resumeAt: from };
  }
  return { from: cursor, resumeAt: Math.max(cursor, resume ?? cursor) };
}

export type StoreMeeting =
  | { kind: 'same' }
  /** First contact (a new phone, or one from before identities): remember it, nothing to replay. */
  | { kind: 'first' }
  /** The store was restored since this device last synced. */
  | { kind: 'restored'; cursor: number; replayFrom: number };

/** What a device does on a welcome naming `epoch`, having last seen `known`, with catch-up cursor `cursor`. */
export function meetStore(known: string | undefined, epoch: StoreEpoch, cursor: number): StoreMeeting {
  if (known === epoch.id) return { kind: 'same' };
  if (known === undefined) return { kind: 'first' };
  return { kind: 'restored', cursor: Math.min(cursor, epoch.since), replayFrom: Math.max(0, epoch.at - REPLAY_MARGIN_MS) };
}
