import { randomBytes } from 'node:crypto';

interface Ticket {
  userId: string;
  /** The session that asked for it: logging out closes the room sockets it opened. */
  sid: string;
  docId: string;
  expiresAt: number;
}

const TTL_MS = 60_000;

/**
 * One-time tickets for live rooms. y-websocket puts its parameters in the URL; a
 * ticket there is single-use, short-lived and bound to one user and one document,
 * so the session token itself never appears in a URL or a log.
 */
export function createTickets(now: () => number = Date.now) {
  const tickets = new Map<string, Ticket>();
  return {
    issue(userId: string, docId: string, sid: string): string {
      for (const [k, t] of tickets) if (t.expiresAt < now()) tickets.delete(k);
      const ticket = randomBytes(24).toString('base64url');
      tickets.set(ticket, { userId, sid, docId, expiresAt: now() + TTL_MS });
      return ticket;
    },
    /** Consumes a ticket; null when unknown, used, expired or for another document. */
    take(ticket: string, docId: string): { userId: string; sid: string } | null {
      const t = tickets.get(ticket);
      tickets.delete(ticket);
      return t && t.docId === docId && t.expiresAt >= now() ? { userId: t.userId, sid: t.sid } : null;
    },
  };
}

export type Tickets = ReturnType<typeof createTickets>;
