type Listener = (userId: string) => void;
type SessionListener = (sid: string) => void;

/**
 * When a user's access ends, every open socket of theirs (sync hub, live rooms) is closed;
 * when one session ends (logout), the sockets opened under that session are. In process
 * only: an instance sharing PostgreSQL does not hear another's. There a sync socket's next
 * push finds its session gone and closes (server/sync/hub.ts).
 */
export function createRevocations() {
  const listeners = new Set<Listener>();
  const sessionListeners = new Set<SessionListener>();
  return {
    revoke(userId: string): void {
      for (const l of listeners) l(userId);
    },
    subscribe(l: Listener): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    /** One session ended: its sockets close; the user's other sessions stay open. */
    endSession(sid: string): void {
      for (const l of sessionListeners) l(sid);
    },
    subscribeSessions(l: SessionListener): () => void {
      sessionListeners.add(l);
      return () => sessionListeners.delete(l);
    },
  };
}

export type Revocations = ReturnType<typeof createRevocations>;
