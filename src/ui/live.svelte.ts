import type { Observable } from 'dexie';

/** A live query's latest result as reactive state. */
export interface Live<T> {
  /** Undefined until the query's first result. */
  readonly current: T | undefined;
}

/**
 * Follows a live query from a `.svelte.ts` model, as `$query` does in a component. Call during
 * a component's setup: the subscription ends with the component. `onValue` sees each result
 * after it is stored.
 */
export function live<T>(query: Observable<T>, onValue?: (value: T) => void): Live<T> {
  let current = $state.raw<T | undefined>(undefined);
  $effect(() => {
    const subscription = query.subscribe((value) => {
      current = value;
      onValue?.(value);
    });
    return () => subscription.unsubscribe();
  });
  return {
    get current() {
      return current;
    },
  };
}
