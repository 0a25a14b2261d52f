import * as Y from 'yjs';
import { checkUpdate, type RejectReason } from '../../src/core/accept';
import { validateContact } from '../../src/core/appeal';
import type { Policies } from '../../src/core/policy-book';
import { compactParts, docFromUpdates, fieldsOf } from '../../src/core/doc';
import type { ClientMessage, Rejection, ServerMessage } from '../../src/core/protocol';
import { relayedAuthors } from '../../src/core/relay';
import { appealInScope } from '../../src/core/roles';
import type { Store } from '../store/types';
import { storeTrouble, TROUBLE_MESSAGE } from '../store/trouble';
import { errorSeen } from '../ops/journal';
import { planAttachments, recordVouches } from './attachments';
import { storeUpdate, type Committed } from './bus';
import { fail, send, type Conn, type Session } from './conn';
import { log } from '../log';

// One push batch: checked and stored in one transaction (applyPush), then acknowledged,
// audited, published to the fan-out and compacted (storePush).

export type PushMessage = Extract<ClientMessage, { t: 'push' }>;
export type AckMessage = Extract<ServerMessage, { t: 'ack' }>;
/** Test-only fault injection at named points of a push (see HubOptions.fault). */
export type PushFault = (point: 'before-commit' | 'after-commit') => void;

export interface PushInput {
  store: Store;
  session: Session;
  msg: PushMessage;
  now: number;
  /** The deployment's policies: each appeal is judged and projected by its county's. */
  policy: Policies;
  /** Every village code of the county: what an appeal may name. */
  villages: ReadonlySet<string>;
  fault?: PushFault | undefined;
}

export interface PushResult {
  ack: AckMessage;
  committed: Committed[];
}

/**
 * Applies one push batch in a single transaction. Every item is checked against a
 * scratch copy of its document; a rejected item stores nothing and carries the
 * server's state of the document back so the client can rebuild without it.
 */
export async function applyPush({ store, session, msg, now, policy, villages, fault }: PushInput): Promise<PushResult> {
  const accepted: number[] = [];
  const rejected: Rejection[] = [];
  const committed: Committed[] = [];
  const began: number[] = [];
  const { user, relay } = session;
  // A county server's uplink speaks for the people of its county, each event as its author (relay.ts).
  const authorOf = relay ? relayedAuthors(msg.authors ?? [], relay.county).authorOf : undefined;
  const ctx = { user, policy, knownVillage: (code: string) => villages.has(code), ...(authorOf && { authorOf }) };
  const isCreator = (id: unknown): boolean => (authorOf ? typeof id === 'string' && authorOf(id) !== null : id === user.id);
  await store.inPushTx(async (tx) => {
    await tx.prefetch?.(session.deviceId, msg.items.map((i) => i.seq), [...new Set(msg.items.map((i) => i.docId))], user.id);
    for (const item of msg.items) {
      if (await tx.seen(session.deviceId, item.seq, user.id)) {
        accepted.push(item.seq);
        continue;
      }
      const parts = await tx.docParts(item.docId);
      const current = parts.length > 0 ? docFromUpdates(parts) : null;
      const check = checkUpdate(item.docId, current, item.update, ctx);
      if (!check.ok) {
        rejected.push({ seq: item.seq, docId: item.docId, reason: check.reason, detail: check.detail });
        continue;
      }
      // What a county relays that the city has already (its own changes, sent back down) is not stored again.
      if (relay && !check.changed) {
        accepted.push(item.seq);
        continue;
      }
      const contactRefusal = item.contact ? refuseContact(item.contact, check.snapshot.fields, isCreator) : null;
      if (contactRefusal) {
        rejected.push({ seq: item.seq, docId: item.docId, ...contactRefusal });
        continue;
      }
      const files = await planAttachments(tx, user, () => (current ? fieldsOf(current).toJSON() : null), check.snapshot.fields);
      if (!files.ok) {
        rejected.push({ seq: item.seq, docId: item.docId, reason: files.reason, detail: files.detail });
        continue;
      }
      if (item.contact) await tx.putContact(item.docId, item.contact, user.id, now);
      const stored = await storeUpdate(tx, { docId: item.docId, deviceId: session.deviceId, clientSeq: item.seq, userId: user.id, bytes: item.update }, check.snapshot, now, policy);
      // The document begins here: now is its first receipt, told to the sender (ack) and to the fan-out.
      if (current === null) {
        stored.receivedAt = now;
        began.push(item.seq);
      }
      committed.push(stored);
      await recordVouches(tx, item.docId, files);
      accepted.push(item.seq);
    }
    fault?.('before-commit');
    // Bases are taken after the whole batch, so they include updates accepted after the refused one.
    for (const r of rejected) {
      // The projection, committed with the batch, already says who may see the document.
      const scope = await tx.appealScope(r.docId);
      if (!scope || !appealInScope(user, scope)) continue;
      r.base = Y.mergeUpdates(await tx.docParts(r.docId));
    }
  });
  return { ack: { t: 'ack', batch: msg.batch, accepted, rejected, ...(began.length > 0 && { received: { at: now, seqs: began } }) }, committed };
}

/** A contact travels only with an appeal its sender (or, relayed, someone of the county) recorded, and never with an anonymous one. */
function refuseContact(contact: unknown, fields: Record<string, unknown>, isCreator: (id: unknown) => boolean): { reason: RejectReason; detail: string } | null {
  const checked = validateContact(contact);
  if (!checked.ok) return { reason: 'invalid_fields', detail: `contact: ${Object.entries(checked.errors).map(([k, v]) => `${k} ${v}`).join(', ')}` };
  if ((fields.citizen as { anonymous?: boolean } | undefined)?.anonymous !== false) return { reason: 'forbidden', detail: 'contact: anonymous appeal' };
  if (!isCreator(fields.createdBy)) return { reason: 'forbidden', detail: 'contact: not_creator' };
  return null;
}

/** Refusals worth an audit line: someone tried to act outside what they may (an honest race's history_rewritten is not one). */
const AUDITED: readonly string[] = ['forbidden', 'out_of_scope', 'foreign_author', 'not_creator', 'fields_rewritten', 'events_removed', 'duplicate_event', 'comment_flood', 'attachment_not_yours'];

export interface StorePushInput {
  store: Store;
  conn: Conn;
  session: Session;
  msg: PushMessage;
  policy: Policies;
  villages: ReadonlySet<string>;
  fault?: PushFault | undefined;
  /** Update rows of one document before they are folded into its snapshot. */
  compactAfterRows: number;
  /** Hands what was committed to the fan-out (the commit bus), naming the connection that pushed it. */
  publish: (committed: Committed[], from: Conn) => void;
  /** Told of each ack sent (a county server's link status counts them). */
  acked?: (ack: AckMessage) => void;
}

/**
 * Stores one batch, then audits its refusals, acknowledges it (only after COMMIT), publishes
 * what committed and compacts the documents it touched. A batch the store could not take is
 * answered with an error: nothing was committed and the client resends it.
 */
export async function storePush({ store, conn, session, msg, policy, villages, fault, compactAfterRows, publish, acked }: StorePushInput): Promise<void> {
  let result: PushResult;
  try {
    result = await applyPush({ store, session, msg, now: Date.now(), policy, villages, fault });
    fault?.('after-commit');
  } catch (err) {
    // Nothing was committed: the client keeps the batch and resends it.
    const trouble = storeTrouble(err);
    if (trouble) {
      log.warn({ trouble, conn: conn.id }, 'push refused: store in trouble');
      errorSeen(`store ${trouble}`);
      return void fail(conn, 'server_error', TROUBLE_MESSAGE[trouble]);
    }
    log.error({ err, conn: conn.id }, 'push failed');
    errorSeen('push');
    return void fail(conn, 'server_error', 'the server could not store this batch; it will be retried');
  }
  const { ack, committed } = result;
  for (const r of ack.rejected) {
    if (AUDITED.includes(r.reason)) {
      await store.insertAudit({ at: Date.now(), actor: session.user.id, action: 'permission_refused', target: r.docId, ip: conn.ip, detail: { what: 'sync', reason: r.reason, detail: r.detail } });
    }
  }
  send(conn, ack);
  acked?.(ack);
  publish(committed, conn);
  for (const docId of new Set(committed.map((c) => c.docId))) {
    try {
      await store.compact(docId, compactAfterRows, compactParts);
    } catch (err) {
      log.error({ err }, 'compaction failed');
    }
  }
}
