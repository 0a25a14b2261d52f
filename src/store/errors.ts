/** Thrown when the device has no room left; the UI says so plainly. */
export class StorageFullError extends Error {
  constructor() {
    super('storage_full');
  }
}

/** Maps IndexedDB's quota failures, which differ by browser and wrapping, to one error. */
export function asStorageError(err: unknown): unknown {
  const names = [err, (err as { inner?: unknown })?.inner].map((e) => (e as { name?: string })?.name);
  return names.some((n) => n === 'QuotaExceededError') ? new StorageFullError() : err;
}
