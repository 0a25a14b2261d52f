type Listener = (userId: string) => void;

/** When a user's access ends, every open socket of theirs (sync hub, live rooms) is closed. */
export function createRevocations() {
  const listeners = new Set<Listener>();
  return {
    revoke(userId: string): void {
      for (const l of listeners) l(userId);
    },
    subscribe(l: Listener): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

export type Revocations = ReturnType<typeof createRevocations>;
