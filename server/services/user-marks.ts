import type { MetaStore } from '../store/types';

/**
 * A mark the county gives a person (a mediator's grade, a deputy's body), by user id, kept as
 * one JSON map in the meta table. Values that fail `valid` (an older or hand-edited map) are
 * left out on read rather than trusted.
 */
export function userMarks<T extends string>(key: string, valid: (x: unknown) => x is T) {
  const read = async (store: MetaStore): Promise<Record<string, T>> => {
    const stored = await store.getMeta(key);
    if (!stored) return {};
    const parsed = JSON.parse(stored) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, T] => valid(e[1])));
  };
  const set = async (store: MetaStore, id: string, mark: T | null): Promise<void> => {
    const marks = await read(store);
    if (mark === null) delete marks[id];
    else marks[id] = mark;
    await store.setMeta(key, JSON.stringify(marks));
  };
  return { read, set };
}
