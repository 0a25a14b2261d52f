// What this instance sees of county servers' uplinks (issue 25), for the city admin's page:
// whether each key's server is connected now, since when, and what it relayed up. Kept in
// memory per instance (behind a load balancer, each instance reports its own links); when a
// key last connected anywhere is kept in the store (relay_keys.last_seen_at).

export interface RelayLink {
  /** Uplink connections open on this instance. */
  open: number;
  connectedAt: number | null;
  disconnectedAt: number | null;
  lastPushAt: number | null;
  /** Documents' changes accepted and refused since this instance started. */
  accepted: number;
  refused: number;
  lastRefusal: { docId: string; reason: string; detail: string; at: number } | null;
  bytesUp: number;
}

export function createRelayLinks() {
  const links = new Map<string, RelayLink>();
  const of = (keyId: string): RelayLink => {
    let link = links.get(keyId);
    if (!link) links.set(keyId, (link = { open: 0, connectedAt: null, disconnectedAt: null, lastPushAt: null, accepted: 0, refused: 0, lastRefusal: null, bytesUp: 0 }));
    return link;
  };
  return {
    opened(keyId: string): void {
      const link = of(keyId);
      link.open++;
      link.connectedAt = Date.now();
    },
    closed(keyId: string): void {
      const link = of(keyId);
      link.open = Math.max(0, link.open - 1);
      link.disconnectedAt = Date.now();
    },
    pushed(keyId: string, bytes: number, accepted: number, refused: { docId: string; reason: string; detail: string }[]): void {
      const link = of(keyId);
      const at = Date.now();
      link.lastPushAt = at;
      link.bytesUp += bytes;
      link.accepted += accepted;
      link.refused += refused.length;
      const last = refused.at(-1);
      if (last) link.lastRefusal = { docId: last.docId, reason: last.reason, detail: last.detail, at };
    },
    get(keyId: string): RelayLink | null {
      const link = links.get(keyId);
      return link ? { ...link } : null;
    },
  };
}

export type RelayLinks = ReturnType<typeof createRelayLinks>;
