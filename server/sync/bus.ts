/** A committed update, as fan-out needs it. */
export interface Committed {
  docId: string;
  seq: number;
  village: string;
  update: Uint8Array;
}

type Listener = (committed: Committed[], origin: unknown) => void;

/**
 * Commits from the sync hub and from live rooms meet here, so each reaches the other
 * side's listeners. `origin` lets a connection skip its own updates.
 */
export function createCommitBus() {
  const listeners = new Set<Listener>();
  return {
    publish(committed: Committed[], origin: unknown): void {
      if (committed.length === 0) return;
      for (const l of listeners) l(committed, origin);
    },
    subscribe(l: Listener): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

export type CommitBus = ReturnType<typeof createCommitBus>;
