import type { Region } from '../core/regions';
import type { MinshengDB } from './db';
import { setMeta } from './meta';

// The signed-in session kept on the device, with the division list that came with it.

/** After a login: the user's division list replaces the old one, and the session is kept, together. */
export async function keepLogin(db: MinshengDB, regions: Region[], session: unknown): Promise<void> {
  await db.transaction('rw', db.regions, db.meta, async () => {
    await db.regions.clear();
    await db.regions.bulkPut(regions);
    await setMeta(db, 'session', session);
  });
}

/** Forgets the session on this device; its data (and unsent changes) stay. */
export async function forgetSession(db: MinshengDB): Promise<void> {
  await db.meta.delete('session');
}
