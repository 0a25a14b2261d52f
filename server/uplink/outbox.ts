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
// county above the `up` cursor that did not come from the city. It is read as a catch-up is,
// document by document in the order of their last change, each document's changes merged into
// one item numbered by its last sequence (the city's receipt for a resend). The cursor moves in
// meta only after the city acknowledged a page, so a restart resends at most one page, and a
// resend is acknowledged again without being stored twice.

type Push = Extract<ClientMessage, { t: 'push' }>;
type Ack = Extract<ServerMessage, { t: 'ack' }>;

const UP_CURSOR_KEY = 'uplink_up_cursor';
const REFUSALS_KEY = 'uplink_refusals';
/** Documents read per page; a batch also stays under the frame limit. */
const PAGE_DOCS = MAX_PUSH_ITEMS;
const BATCH_BYTES = MAX_FRAME_BYTES / 2;
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
  /** The cursor once the city acknowledged it. */
  upTo: number;
}

export function createOutbox({ store, policy, county, publish }: { store: Store; policy: Policies; county: string; publish: (c: Committed[]) => void }) {
  /** Reads the next page above `cursor`, or null when the city has everything. */
  const nextPage = async (cursor: number): Promise<Page | null> => {
    const docs = await store.changedDocs(cursor, [county], PAGE_DOCS);
    if (docs.length === 0) return null;
    const contacts = await store.contacts(docs.filter((d) => !d.anonymous).map((d) => d.docId));
    const items: Push['items'] = [];
    const actors = new Set<string>();
    let bytes = 0;
    let upTo = cursor;
    for (const d of docs) {
      const parts = await store.docPartsSince(d.docId, cursor, UPSTREAM_DEVICE);
      if (parts.length > 0) {
        const update = Y.mergeUpdates(parts);
        if (items.length > 0 && bytes + update.byteLength > BATCH_BYTES) break;
        bytes += update.byteLength;
        const contact: Contact | undefined = contacts.get(d.docId);
        items.push({ docId: d.docId, seq: d.lastSeq, update, ...(contact && { contact }) });
        for (const id of await authorsOf(store, d.docId)) actors.add(id);
      }
      upTo = d.lastSeq;
    }
    const authors = await records(store, actors);
    return { push: { t: 'push', items, ...(authors.length > 0 && { authors }) }, upTo };
  };

  /**
   * After the city's ack: a race the city refused as history_rewritten is rebased here and
   * goes up again with the next page; any other refusal is kept for the admins (the county
   * keeps its change: nothing is lost, the two differ on that document until someone acts).
   */
  const settle = async (page: Page, ack: Ack): Promise<void> => {
    const sent = new Map(page.push.items.map((i) => [i.seq, i]));
    const kept: UpRefusal[] = [];
    for (const r of ack.rejected) {
      const item = sent.get(r.seq);
      if (!item) continue;
      if (r.reason === 'history_rewritten' && r.base) await rebase(item.docId, r.base, item.update);
      else kept.push({ docId: r.docId, seq: r.seq, reason: r.reason, detail: r.detail, at: Date.now() });
    }
    if (kept.length > 0) {
      const all = [...(await refusals()), ...kept].slice(-KEEP_REFUSALS);
      await store.setMeta(REFUSALS_KEY, JSON.stringify(all));
    }
    await store.setMeta(UP_CURSOR_KEY, String(page.upTo));
  };

  const rebase = async (docId: string, base: Uint8Array, refused: Uint8Array): Promise<void> => {
    // The city's state first, so the move lands after its events here as it will there.
    const committed = await takeIn(store, policy, [{ docId, update: base }]);
    const moved = rebaseRelayed(docId, base, refused);
    if (moved) {
      const c = await store.inPushTx((tx) => storeIfNew(tx, policy, docId, moved, REBASE_DEVICE));
      if (c) committed.push(c);
    }
    publish(committed);
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
      for (;;) {
        const page = await nextPage(await cursor());
        if (!page) return sent;
        if (page.push.items.length > 0) {
          const ack = await send(page.push);
          sent += page.push.items.length;
          await settle(page, ack);
        } else await store.setMeta(UP_CURSOR_KEY, String(page.upTo));
      }
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;

/** Everyone who wrote in a document: its recorder and its events' actors. */
async function authorsOf(store: Store, docId: string): Promise<string[]> {
  const doc = docFromUpdates(await store.docParts(docId));
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
