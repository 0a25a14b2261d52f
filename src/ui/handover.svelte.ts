import { liveQuery, type Observable } from 'dexie';
import type { CarriedBundleRow } from '../store/db';
import { deviceKey } from '../store/device-key';
import { carriedBundles, makeBundle, receiveBundle, relayWaiting, sentOutcomes, whenOnline, type SentBundle } from '../store/handover';
import { deviceId } from '../store/meta';
import { authFetch, db } from './session.svelte';

// The hand-over screen's commands and queries (store/handover.ts) on this device's database,
// with the session's authenticated fetch for the server's part.

export type { CarriedBundleRow } from '../store/db';
export type { SentBundle } from '../store/handover';

export const carried = (): Observable<CarriedBundleRow[]> => liveQuery(() => carriedBundles(db));
export const makeHandover = (userId: string, afterSeq = 0): Promise<SentBundle | null> => makeBundle(db, userId, Date.now(), afterSeq);
export const receiveHandover = (bytes: Uint8Array): Promise<CarriedBundleRow> => receiveBundle(db, bytes);
export const relayCarried = (): Promise<number> => relayWaiting(db, authFetch);
export const keyRegistered = async (userId: string): Promise<boolean> => Boolean((await deviceKey(db, userId)).registeredAt);
export const handoverOutcomes = (userId: string) => sentOutcomes(db, userId, authFetch);

/** On a link: register this phone's key (once) and relay what it carries. */
export async function handoverOnline(userId: string): Promise<void> {
  await whenOnline(db, userId, await deviceId(db), authFetch);
}
