// A live query that outlives the screen showing it by a little: the list a person leaves to
// record an appeal or open one is, on their way back, already read (and kept current by the
// live query meanwhile), so it shows at once instead of being read again on a slow phone.

interface Subscribable<T> {
  subscribe(next: (value: T) => void): { unsubscribe(): void };
}

interface Entry {
  value: unknown;
  has: boolean;
  listeners: Set<(value: unknown) => void>;
  source: { unsubscribe(): void } | null;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** How long a query no screen shows stays subscribed: the time to record an appeal and come back. */
export const LINGER_MS = 3 * 60_000;

const shared = new WeakMap<object, Map<string, Entry>>();

/**
 * The query `open()` makes, shared under `key` by every screen of `owner` (the database) that
 * asks for it, as a Svelte store. A new subscriber gets the last value at once; the query runs
 * on until `lingerMs` after the last one leaves, then is dropped with its value.
 */
export function lingering<T>(owner: object, key: string, open: () => Subscribable<T>, lingerMs = LINGER_MS): Subscribable<T | undefined> {
  const entries = shared.get(owner) ?? new Map<string, Entry>();
  shared.set(owner, entries);
  return {
    subscribe(next) {
      let entry = entries.get(key);
      if (!entry) {
        const created: Entry = { value: undefined, has: false, listeners: new Set(), source: null, timer: undefined };
        entries.set(key, created);
        created.source = open().subscribe((value) => {
          created.value = value;
          created.has = true;
          for (const l of created.listeners) l(value);
        });
        entry = created;
      }
      const held = entry;
      clearTimeout(held.timer);
      const listener = next as (value: unknown) => void;
      held.listeners.add(listener);
      next((held.has ? held.value : undefined) as T | undefined);
      return {
        unsubscribe() {
          held.listeners.delete(listener);
          if (held.listeners.size > 0) return;
          held.timer = setTimeout(() => {
            if (held.listeners.size === 0 && entries.get(key) === held) close(entries, key, held);
          }, lingerMs);
        },
      };
    },
  };
}

/** Whether `key` of `owner` holds a value already, without subscribing. */
export function isHeld(owner: object, key: string): boolean {
  return shared.get(owner)?.get(key)?.has ?? false;
}

/** Closes at once the queries of `owner` no screen shows: leaving for a screen that will not lead back to them. */
export function letGo(owner: object): void {
  const entries = shared.get(owner);
  if (!entries) return;
  for (const [key, entry] of entries) if (entry.listeners.size === 0) close(entries, key, entry);
}

function close(entries: Map<string, Entry>, key: string, entry: Entry): void {
  clearTimeout(entry.timer);
  entry.source?.unsubscribe();
  entries.delete(key);
}
