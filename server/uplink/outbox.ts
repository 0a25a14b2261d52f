import * as Y from 'yjs';
import type { Contact } from '../../src/core/appeal';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { isUuidV7 } from '../../src/core/id';
import { MAX_FRAME_BYTES, MAX_PUSH_ITEMS } from '../../src/core/limits';
import type { Policies } from '../../src/core/policy-book';
import type { ClientMessage, ServerMessage } from '../../src/core/protocol';
import { rebaseRelayed, type AuthorRecord } from '../../src/core/relay';
import type { Store } from '../store/types';
import type { Committed } from '../sync/bus';
import { REBASE_DEVICE, storeIfNew, takeIn, UPSTREAM_DEVICE } from './take-in';

// A county server's outbox to its city (issue 25) is its own sync log: every change of its
// county above the `up` cursor that did not come from the city. It is read as a catch-up is
// (server/sync/catchup.ts): documents in the order of their last change, page after page, each
// document's changes since the cursor merged into one item numbered by its last sequence (the
// city's receipt for a resend). Contents are read from the cursor the drain started at, never
// from the page position: a document of a later page may hold changes older than it. Where a
// drain got to is kept in meta after each acknowledged page, so a restart resends at most one
// page (acknowledged again, never stored twice); the cursor itself moves once the drain is done.

type Push = Extract<ClientMessage, { t: 'push' }>;
type Ack = Extract<ServerMessage, { t: 'ack' }>;

const UP_CURSOR_KEY = 'uplink_up_cursor';
const UP_RESUME_KEY = 'uplink_up_resume';
const REFUSALS_KEY = 'uplink_refusals';
/** Documents read per page; a batch also stays under the frame limit. */
const PAGE_DOCS = MAX_PUSH_ITEMS;
const BATCH_BYTES = MAX_FRAME_BYTES / 4;
const KEEP_REFUSALS = 100;

/** A change of this county the city would not take: kept for the admins, with its reason. */
export interface UpRefusal {
  docId: string;
  seq: number;
  reason: string;
  detail: string;
  at: number;
}

interface Page {
  push: Omit<Push, 'batch'>;
  /** Where the drain has got to once the city acknowledged it. */
  upTo: number;
}

export interface OutboxDeps {
  store: Store;
  policy: Policies;
  /** The county this server relays (its key's, as the city's welcome says). */
  county: string;
  /** Hands what a rebase stored to this server's fan-out. */
  publish: (c: Committed[]) => void;
  pageDocs?: number;
}

export function createOutbox({ store, policy, county, publish, pageDocs = PAGE_DOCS }: OutboxDeps) {
  /** Reads the next page of documents last changed above `at`, each with what it holds since `from`; null when there are none. */
  const nextPage = async (from: number, at: number): Promise<Page | null> => {
    // As catch-up: the cursor never passes a number that may still commit (server/sync/catchup.ts).
    const safe = Math.max(at, await store.head());
    const docs = await store.changedDocs(at, [county], pageDocs);
    if (docs.length === 0) return null;
    const contacts = await store.contacts(docs.filter((d) => !d.anonymous).map((d) => d.docId));
    const items: Push['items'] = [];
    const actors = new Set<string>();
    let bytes = 0;
    let upTo = at;
    for (const d of docs) {
      const parts = await store.docPartsSince(d.docId, from, UPSTREAM_DEVICE);
      if (parts.length > 0) {
        const update = Y.mergeUpdates(parts);
        if (items.length > 0 && bytes + update.byteLength > BATCH_BYTES) break;
        bytes += update.byteLength;
        const contact: Contact | undefined = contacts.get(d.docId);
        items.push({ docId: d.docId, seq: d.lastSeq, update, ...(contact && { contact }) });
        for (const id of await authorsOf(store, d.docId, update)) actors.add(id);
      }
      upTo = Math.min(d.lastSeq, safe);
    }
    const authors = await records(store, actors);
    return { push: { t: 'push', items, ...(authors.length > 0 && { authors }) }, upTo };
  };

  /**
   * After the city's ack: a race the city refused as history_rewritten is rebased here and
   * goes up again with the next page; any other refusal is kept for the admins (the county
   * keeps its change: nothing is lost, the two differ on that document until someone acts).
   */
  const settle = async (page: Page, ack: Ack): Promise<boolean> => {
    const sent = new Map(page.push.items.map((i) => [i.seq, i]));
    const kept: UpRefusal[] = [];
    let moved = false;
    for (const r of ack.rejected) {
      const item = sent.get(r.seq);
      if (!item) continue;
      if (r.reason === 'history_rewritten' && r.base) moved = (await rebase(item.docId, r.base, item.update)) || moved;
      else kept.push({ docId: r.docId, seq: r.seq, reason: r.reason, detail: r.detail, at: Date.now() });
    }
    if (kept.length > 0) {
      const all = [...(await refusals()), ...kept].slice(-KEEP_REFUSALS);
      await store.setMeta(REFUSALS_KEY, JSON.stringify(all));
    }
    return moved;
  };

  /** Whether a move was stored (it goes up with a later page). */
  const rebase = async (docId: string, base: Uint8Array, refused: Uint8Array): Promise<boolean> => {
    // The city's state first, so the move lands after its events here as it will there.
    const committed = await takeIn(store, policy, [{ docId, update: base }]);
    const moved = rebaseRelayed(docId, base, refused);
    const c = moved && (await store.inPushTx((tx) => storeIfNew(tx, policy, docId, moved, REBASE_DEVICE)));
    if (c) committed.push(c);
    publish(committed);
    return Boolean(c);
  };

  const refusals = async (): Promise<UpRefusal[]> => JSON.parse((await store.getMeta(REFUSALS_KEY)) ?? '[]') as UpRefusal[];
  const cursor = async (): Promise<number> => Number((await store.getMeta(UP_CURSOR_KEY)) ?? 0);

  return {
    cursor,
    refusals,
    /** Documents changed above the cursor (the city's own changes among them until the next drain skips them). */
    pending: async (): Promise<string[]> => (await store.changedDocs(await cursor(), [county], 100_000)).map((d) => d.docId),
    /**
     * Sends pages until the city holds every change of the county, each after the last one's
     * ack; `send` rejects when the line drops, and the next connection resumes from the cursor.
     * Resolves to the number of items sent.
     */
    async drain(send: (push: Omit<Push, 'batch'>) => Promise<Ack>): Promise<number> {
      let sent = 0;
      const from = await cursor();
      const resume = JSON.parse((await store.getMeta(UP_RESUME_KEY)) ?? 'null') as { from: number; at: number } | null;
      let at = resume?.from === from ? resume.at : from;
      let page = await nextPage(from, at);
      let moved = false;
      while (page) {
        // The next page is read while this one crosses the line and the city checks it.
        const reading = nextPage(from, page.upTo);
        if (page.push.items.length > 0) {
          const ack = await send(page.push).catch(async (err: unknown) => {
            await reading.catch(() => undefined);
            throw err;
          });
          sent += page.push.items.length;
          moved = await settle(page, ack);
        }
        at = page.upTo;
        await store.setMeta(UP_RESUME_KEY, JSON.stringify({ from, at }));
        // A rebase stored a move after the page read ahead: read again to take it along.
        page = moved ? (await reading, await nextPage(from, at)) : await reading;
        moved = false;
      }
      if (at > from) await store.setMeta(UP_CURSOR_KEY, String(at));
      return sent;
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;

/** Everyone who wrote in a document: its recorder and its events' actors. */
async function authorsOf(store: Store, docId: string, sending: Uint8Array): Promise<string[]> {
  // A document new since the cursor is whole in what is sent: read it there, not from the store.
  let doc = new Y.Doc();
  Y.applyUpdate(doc, sending);
  if (doc.store.pendingStructs || doc.store.pendingDs) {
    doc.destroy();
    doc = docFromUpdates(await store.docParts(docId));
  }
  try {
    const snapshot = readAppeal(doc, docId);
    const ids = new Set<string>([String(snapshot.fields.createdBy ?? '')]);
    for (const e of snapshot.events) ids.add(String((e as { actor?: unknown }).actor ?? ''));
    return [...ids].filter(isUuidV7);
  } finally {
    doc.destroy();
  }
}

/** The records of those of `ids` who have an account here (the city's people, who wrote here through the city, have none). */
async function records(store: Store, ids: Set<string>): Promise<AuthorRecord[]> {
  const out: AuthorRecord[] = [];
  for (const id of ids) {
    const u = await store.userById(id);
    if (u) out.push({ id: u.id, username: u.username, displayName: u.displayName, role: u.role, scope: { regions: [...u.scope.regions], departments: [...u.scope.departments] } });
  }
  return out;
}
