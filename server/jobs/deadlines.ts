import * as Y from 'yjs';
import type { Kind, Urgency } from '../../src/core/appeal';
import type { DeadlinePolicy } from '../../src/core/deadline';
import { appendEvent, docFromUpdates, readAppeal } from '../../src/core/doc';
import { deadlineDuties, dutyEvent } from '../../src/core/duties';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import type { Store } from '../store/types';
import { storeUpdate, type CommitBus, type Committed } from '../sync/bus';

/** The idempotency identity of the scanner's writes in the receipts table. */
export const SCANNER_DEVICE = 'server:deadline-scanner';

/** Calendar days ahead worth reading: every warning threshold falls well within it. */
const LOOKAHEAD_MS = 14 * 86_400_000;

export interface ScanResult {
  scanned: number;
  warned: number;
  supervised: number;
}

/**
 * Appends the warnings and supervision each due appeal has earned by `now`. Each document
 * is read and written in one transaction, so a push landing meanwhile cannot be missed,
 * and what was appended once is never owed again: a second run appends nothing.
 */
export function scanDeadlines(store: Store, bus: CommitBus, policy: DeadlinePolicy, now: number): ScanResult {
  const result: ScanResult = { scanned: 0, warned: 0, supervised: 0 };
  const committed: Committed[] = [];
  for (const docId of store.dueBy(now + LOOKAHEAD_MS)) {
    result.scanned++;
    const c = store.inPushTx((tx) => {
      const doc = docFromUpdates(tx.docParts(docId));
      try {
        const snapshot = readAppeal(doc, docId);
        const state = fold(snapshot.events, docId);
        const terms = { kind: snapshot.fields.kind as Kind, urgency: snapshot.fields.urgency as Urgency };
        const duties = deadlineDuties(state, terms, policy, now);
        if (duties.length === 0) return null;
        const sv = Y.encodeStateVector(doc);
        let basis = state.lastAppliedId;
        doc.transact(() => {
          for (const duty of duties) {
            const event = dutyEvent(duty, newId(), now, basis);
            appendEvent(doc, event);
            basis = event.id;
            if (duty.type === 'warned') result.warned++;
            else result.supervised++;
          }
        });
        const bytes = Y.encodeStateAsUpdate(doc, sv);
        const update = { docId, deviceId: SCANNER_DEVICE, clientSeq: tx.nextClientSeq(SCANNER_DEVICE), userId: 'system', bytes };
        return storeUpdate(tx, update, readAppeal(doc, docId), now, policy);
      } finally {
        doc.destroy();
      }
    });
    if (c) committed.push(c);
  }
  bus.publish(committed, null);
  return result;
}

/** Runs the scanner every `intervalMs` (and once at start); errors are logged, never fatal. */
export function startDeadlineScanner(store: Store, bus: CommitBus, policy: DeadlinePolicy, intervalMs: number): () => void {
  if (intervalMs <= 0) return () => undefined;
  const run = () => {
    try {
      const r = scanDeadlines(store, bus, policy, Date.now());
      if (r.warned + r.supervised > 0) console.log(`deadline scan: ${r.scanned} due, ${r.warned} warnings, ${r.supervised} supervision steps`);
    } catch (err) {
      console.error('deadline scan failed', err);
    }
  };
  const first = setTimeout(run, 0);
  const timer = setInterval(run, intervalMs);
  timer.unref();
  first.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
