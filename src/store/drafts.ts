import type { MinshengDB } from './db';

// A form's draft: what the user typed and has not saved yet, kept on the device as they type
// so that leaving the form, a reload or a crash loses none of it. One draft per form and user
// (and meeting, for appeals taken at one), in the meta table: drafts need no index.

const metaKey = (key: string) => `draft:${key}`;

export async function loadDraft<T>(db: MinshengDB, key: string): Promise<T | null> {
  return ((await db.meta.get(metaKey(key)))?.value as T | undefined) ?? null;
}

export async function saveDraft(db: MinshengDB, key: string, value: unknown): Promise<void> {
  await db.meta.put({ key: metaKey(key), value });
}

export async function clearDraft(db: MinshengDB, key: string): Promise<void> {
  await db.meta.delete(metaKey(key));
}
