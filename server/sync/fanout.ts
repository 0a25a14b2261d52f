import * as Y from 'yjs';
import type { Contact } from '../../src/core/appeal';
import { RECENT_MS } from '../../src/core/holdings';
import type { Store } from '../store/types';
import type { Committed } from './bus';
import { send, type Conn } from './conn';
import { shareOf } from './share';
import { log } from '../log';

// Live fan-out: commit batches are delivered one at a time, on one queue, so every client sees
// commits in sequence order. A connection still catching up keeps them in its backlog; its
// catch-up hands the backlog back to this queue when it is done.

export interface FanOutInput {
  store: Store;
  /** The hub's open connections, read at each publish. */
  conns: ReadonlySet<Conn>;
}

export interface DeliverInput {
  store: Store;
  targets: readonly Conn[];
  committed: readonly Committed[];
  /** The connection that pushed the batch (it gets only the new cursor), if any. */
  from: unknown;
}

export function createFanOut({ store, conns }: FanOutInput) {
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (targets: Conn[], committed: Committed[], from: unknown): void => {
    queue = queue.then(() => deliver({ store, targets, committed, from })).catch((err) => log.error({ err }, 'fan-out failed'));
  };
  // Signed-in connections by the region prefixes of their share: a commit is offered to those
  // whose prefixes its village starts with, not to every connection of the instance. Every
  // share's rule (share.ts) requires one of its prefixes, so no one else could receive it.
  const byPrefix = new Map<string, Set<Conn>>();
  /** The prefix lengths in use, with how many entries have each: a village is probed at these only. */
  const lengths = new Map<number, number>();
  const joined = new Map<Conn, readonly string[]>();
  const reaching = (villages: Iterable<string>): Set<Conn> => {
    const found = new Set<Conn>();
    for (const village of villages) for (const length of lengths.keys()) for (const conn of byPrefix.get(village.slice(0, length)) ?? []) found.add(conn);
    return found;
  };
  return {
    /** A connection that has signed in: it is offered the commits its share's regions hold. */
    join(conn: Conn, regions: readonly string[]): void {
      if (joined.has(conn)) this.leave(conn);
      const prefixes = [...new Set(regions)];
      joined.set(conn, prefixes);
      for (const prefix of prefixes) {
        let set = byPrefix.get(prefix);
        if (!set) byPrefix.set(prefix, (set = new Set()));
        set.add(conn);
        lengths.set(prefix.length, (lengths.get(prefix.length) ?? 0) + 1);
      }
    },
    /** A closed connection. */
    leave(conn: Conn): void {
      const prefixes = joined.get(conn);
      if (!prefixes) return;
      joined.delete(conn);
      for (const prefix of prefixes) {
        const set = byPrefix.get(prefix)!;
        set.delete(conn);
        if (set.size === 0) byPrefix.delete(prefix);
        const left = lengths.get(prefix.length)! - 1;
        if (left === 0) lengths.delete(prefix.length);
        else lengths.set(prefix.length, left);
      }
    },
    /** A commit batch from the bus: queued for live connections, kept for those catching up. */
    publish(committed: Committed[], from: unknown): void {
      const targets = reaching(new Set(committed.map((c) => c.village)));
      // The pusher gets its new cursor whatever its share (deliver).
      if (conns.has(from as Conn)) targets.add(from as Conn);
      const ready: Conn[] = [];
      for (const conn of targets) {
        if (conn.state.phase === 'catching-up') conn.state.backlog.push(...committed);
        else if (conn.state.phase === 'live') ready.push(conn);
      }
      if (ready.length > 0) enqueue(ready, committed, from);
    },
    /** What committed during a connection's catch-up, sent after it in commit order. */
    backlog(conn: Conn, committed: Committed[]): void {
      if (committed.length > 0) enqueue([conn], committed, null);
    },
    /** Resolves once everything queued so far has been delivered. */
    settled(): Promise<void> {
      return queue;
    },
  };
}

export type FanOut = ReturnType<typeof createFanOut>;

/**
 * Sends one commit batch to each connection that may see it. The connection that pushed
 * it gets only the new cursor: it has the update, and the cursor must not overtake an
 * earlier commit still on its way (an ack carries none for that reason).
 */
export async function deliver({ store, targets, committed, from }: DeliverInput): Promise<void> {
  const top = committed[committed.length - 1]!.seq;
  // A commit is the appeal's latest change: it is recent, so a desk gets whatever it has touched.
  const recentSince = Date.now() - RECENT_MS;
  // Looked up once per document, however many connections receive it.
  const contacts = new Map<string, Promise<Contact | null>>();
  const contactOf = (docId: string) => {
    if (!contacts.has(docId)) contacts.set(docId, store.contact(docId));
    return contacts.get(docId)!;
  };
  const wholeDocs = new Map<string, Promise<Uint8Array>>();
  const wholeDoc = (docId: string) => {
    if (!wholeDocs.has(docId)) wholeDocs.set(docId, store.docParts(docId).then((parts) => Y.mergeUpdates(parts)));
    return wholeDocs.get(docId)!;
  };
  for (const conn of targets) {
    // Targets were live when queued; one closed since gets nothing.
    if (conn.state.phase !== 'live') continue;
    if (conn === from) {
      send(conn, { t: 'changes', items: [], cursor: top, more: false });
      continue;
    }
    const share = shareOf(conn.state.session);
    const items = [];
    for (const c of committed) {
      if (!share.inScope(c.village, c.dept) || !share.holds(c.holding, recentSince)) continue;
      const contact = share.contact({ villageCode: c.village, dept: c.dept, anonymous: c.anonymous }) ? await contactOf(c.docId) : null;
      // A department or a county desk holds an appeal only from the moment its state puts it
      // there, so the device may lack the history: it gets the whole document, not this change.
      const update = share.whole ? await wholeDoc(c.docId) : c.update;
      items.push({ docId: c.docId, update, ...(contact && { contact }), ...(c.receivedAt !== undefined && { receivedAt: c.receivedAt }) });
    }
    // Commits are published in sequence order, so `top` skips only updates this client may not see.
    if (items.length > 0) send(conn, { t: 'changes', items, cursor: top, more: false });
  }
}
