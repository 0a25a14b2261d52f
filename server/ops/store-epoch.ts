import type Database from 'better-sqlite3';
import { newId } from '../../src/core/id';
import { parseStoreEpoch, type StoreEpoch } from '../../src/core/store-epoch';
import type { MetaStore } from '../store/meta/contract';

// The store's identity (src/core/store-epoch.ts): made once when a store first serves, made
// anew by every restore, read by the hub for each welcome.

export const EPOCH_KEY = 'store_epoch';

export async function storeEpoch(store: MetaStore): Promise<StoreEpoch> {
  const text = await store.claimMeta(EPOCH_KEY, JSON.stringify({ id: newId(), since: 0, at: 0 } satisfies StoreEpoch));
  const epoch = parseStoreEpoch(text);
  if (!epoch) throw new Error(`meta "${EPOCH_KEY}" does not hold a store identity: ${text.slice(0, 80)}`);
  return epoch;
}

/** A new identity for a store restored at sequence `head` from a backup taken at `backupAt` (0: unknown). */
export function restoredEpoch(head: number, backupAt: number): StoreEpoch {
  return { id: newId(), since: head, at: backupAt };
}

/** Marks a restored SQLite database (closed afterwards by the caller). */
export function markRestoredSqlite(db: Database.Database, backupAt: number): StoreEpoch {
  const head = (db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'updates'").get() as { seq: number } | undefined)?.seq ?? 0;
  const epoch = restoredEpoch(head, backupAt);
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(EPOCH_KEY, JSON.stringify(epoch));
  return epoch;
}
