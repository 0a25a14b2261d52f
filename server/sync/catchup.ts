import * as Y from 'yjs';
import type { Contact } from '../../src/core/appeal';
import { MAX_FRAME_BYTES } from '../../src/core/limits';
import { holdingBounds, RECENT_MS } from '../../src/core/holdings';
import type { Store } from '../store/types';
import { sendSized, type Conn, type Session } from './conn';
import type { FanOut } from './fanout';
import { shareOf } from './share';

// Catch-up: everything in the user's scope with a sequence above the hello's cursor, merged
// per document, in pages in sequence order; the last page says the cursor the device may store.

const PAGE_BYTES = MAX_FRAME_BYTES / 2;
/** Pause catch-up while this much is still queued for a slow socket (2G). */
const HIGH_WATER = 512 * 1024;

export interface CatchUpInput {
  store: Store;
  conn: Conn;
  session: Session;
  /** The hello's cursor: every page is relative to it. */
  from: number;
  /** Skips documents an interrupted catch-up from the same `from` already sent whole (last changed at or below it). */
  resumeAt: number;
  /** Documents per page. */
  pageDocs: number;
  /** Takes the connection's backlog once it is live. */
  fanOut: FanOut;
  /** Told the bytes of each page sent (metrics). */
  sent?: ((bytes: number) => void) | undefined;
}

interface Page {
  items: { docId: string; update: Uint8Array; contact?: Contact; receivedAt?: number }[];
  next: number;
  more: boolean;
}

/** True while `conn` is still catching up under `session`. */
function stillCatchingUp(conn: Conn, session: Session): boolean {
  return conn.state.phase === 'catching-up' && conn.state.session === session;
}

function drained(conn: Conn): Promise<void> {
  const { ws } = conn;
  return new Promise<void>((resolve) => {
    const poll = () => (ws.readyState !== ws.OPEN || ws.bufferedAmount < HIGH_WATER ? resolve() : setTimeout(poll, 25));
    poll();
  });
}

/** Reads one page of documents last changed after `cursor`, at most PAGE_BYTES (but never empty). */
async function readPage(store: Store, session: Session, from: number, cursor: number, pageDocs: number, recentSince: number, beganAfter: number): Promise<Page> {
  const share = shareOf(session);
  // Read before the documents: every number up to it is settled, so the page saw them all. A
  // document changed past it is sent all the same, but the cursor stays at it (PostgreSQL's
  // pushes commit out of sequence order; see server/store/sync-log/postgres.ts).
  const safe = Math.max(cursor, await store.head());
  const docs = await store.changedDocs(cursor, session.user.scope.regions, pageDocs, {
    ...(share.departments && { departments: share.departments }),
    ...(share.bounded && { holding: holdingBounds(share.bounded, recentSince) }),
  });
  const items: Page['items'] = [];
  let bytes = 0;
  let next = cursor;
  let full = false;
  for (const d of docs) {
    // The SQL filter narrows; these checks are the rule.
    if (share.inScope(d.village, d.dept) && share.holds(d.holding, recentSince)) {
      // Relative to where the client started, not to this page: a document listed here
      // by its latest change may also hold older changes the client lacks.
      const update = Y.mergeUpdates(await (share.whole ? store.docParts(d.docId) : store.docPartsSince(d.docId, from)));
      if (items.length > 0 && bytes + update.byteLength > PAGE_BYTES) {
        full = true;
        break;
      }
      const contact = share.contact({ villageCode: d.village, dept: d.dept, anonymous: d.anonymous }) ? await store.contact(d.docId) : null;
      // An appeal first received after the device's cursor is new to it: its receipt goes with it, once.
      // A desk sent documents whole gets it with each (a few bytes beside the whole document).
      const receipt = d.receivedAt !== null && d.receivedAt !== undefined && (share.whole || d.receivedAt >= beganAfter) ? { receivedAt: d.receivedAt } : null;
      items.push({ docId: d.docId, update, ...(contact && { contact }), ...receipt });
      bytes += update.byteLength;
    }
    next = Math.min(d.lastSeq, safe);
  }
  return { items, next, more: full || docs.length === pageDocs };
}

/**
 * Where a bounded desk's recent window starts for this catch-up: a week back, or further if
 * the device last synced before that, so that every change to an appeal it still holds from
 * then reaches it (what it holds stays touched; see src/core/holdings.ts).
 */
async function recentWindowStart(store: Store, session: Session, from: number): Promise<number> {
  const weekAgo = Date.now() - RECENT_MS;
  if (from === 0 || shareOf(session).bounded === null) return weekAgo;
  return Math.min(weekAgo, (await store.committedAt(from)) ?? 0);
}

/**
 * Sends everything in the user's scope after `from`, in pages ordered by each document's last
 * change, then makes the connection live and hands what committed meanwhile to the fan-out.
 * Stops as soon as the connection is no longer catching up under `session`.
 */
export async function catchUp({ store, conn, session, from, resumeAt, pageDocs, fanOut, sent }: CatchUpInput): Promise<void> {
  let cursor = resumeAt;
  const recentSince = await recentWindowStart(store, session, from);
  // When the change at the device's cursor was stored (or a little earlier: a receipt sent twice is harmless).
  const beganAfter = from === 0 ? 0 : ((await store.committedAt(from)) ?? 0);
  for (;;) {
    if (!stillCatchingUp(conn, session) || conn.ws.readyState !== conn.ws.OPEN) return;
    const page = await readPage(store, session, from, cursor, pageDocs, recentSince, beganAfter);
    if (conn.state.phase !== 'catching-up' || conn.state.session !== session) return;
    const bytes = sendSized(conn, { t: 'changes', items: page.items, cursor: page.next, more: page.more });
    if (bytes > 0) sent?.(bytes);
    if (!page.more) {
      // What committed while the pages were read follows them, in commit order, on the
      // fan-out's own queue (some of it may repeat the last page: applying twice is harmless).
      const { backlog, sid } = conn.state;
      conn.state = { phase: 'live', session, sid };
      fanOut.backlog(conn, backlog);
      return;
    }
    // A full page entirely past the safe head: give the pushes in flight a moment.
    if (page.next === cursor) await new Promise((r) => setTimeout(r, 10));
    cursor = page.next;
    await drained(conn);
    await new Promise((r) => setImmediate(r));
  }
}
