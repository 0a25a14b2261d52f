// Whether this browser holds a signed-in session, read with the bare IndexedDB API: the first
// screen must not wait for Dexie, Yjs and the sync engine (the app's chunk) to know whether it
// is the login form. When it cannot tell, it says yes and the app decides.

const DB_NAME = 'minsheng';

export async function hasStoredSession(): Promise<boolean> {
  try {
    // Opening a database that does not exist would create it: ask first where the browser can say.
    const known = await indexedDB.databases?.();
    if (known && !known.some((d) => d.name === DB_NAME)) return false;
    return await new Promise<boolean>((resolve) => {
      const req = indexedDB.open(DB_NAME);
      req.onupgradeneeded = () => {
        // It did not exist after all: leave no empty database behind for Dexie to trip on.
        req.transaction?.abort();
        resolve(false);
      };
      req.onerror = () => resolve(true);
      req.onblocked = () => resolve(true);
      req.onsuccess = () => {
        const db = req.result;
        const done = (answer: boolean) => {
          db.close();
          resolve(answer);
        };
        if (!db.objectStoreNames.contains('meta')) return done(false);
        const get = db.transaction('meta').objectStore('meta').get('session');
        get.onsuccess = () => done((get.result as { value?: unknown } | undefined)?.value != null);
        get.onerror = () => done(true);
      };
    });
  } catch {
    return true;
  }
}
