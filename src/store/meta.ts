import { newId } from '../core/id';
import type { MinshengDB } from './db';

export async function getMeta<T>(db: MinshengDB, key: string): Promise<T | undefined> {
  return (await db.meta.get(key))?.value as T | undefined;
}

export async function setMeta(db: MinshengDB, key: string, value: unknown): Promise<void> {
  await db.meta.put({ key, value });
}

/** This device's identity for idempotent pushes; made once, kept with the data it names. */
export async function deviceId(db: MinshengDB): Promise<string> {
  return db.transaction('rw', db.meta, async () => {
    const existing = await getMeta<string>(db, 'deviceId');
    if (existing) return existing;
    const id = newId();
    await setMeta(db, 'deviceId', id);
    return id;
  });
}
