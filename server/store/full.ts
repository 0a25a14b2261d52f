// A write the store could not make because its disk is full is not the client's fault and not
// a bug: the client keeps the data and sends it again once space is back, so it is told so.

/** SQLite's SQLITE_FULL, the file system's ENOSPC, PostgreSQL's disk_full (53100). */
export function isStorageFull(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === '53100';
}

export const STORAGE_FULL_MESSAGE = "the server's disk is full: these records stay on the phone and are sent again when space is back";
