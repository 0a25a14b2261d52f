import type { Kind, Urgency } from '../../src/core/appeal';
import { policyFor, type Policies } from '../../src/core/policy-book';
import { deadlineDuties, dutyEvent } from '../../src/core/duties';
import { newId } from '../../src/core/id';
import type { PushTx, Store } from '../store/types';
import { appendInTx } from '../services/intake';
import type { CommitBus, Committed } from '../sync/bus';
import { startPeriodic } from './periodic';
import type { Metrics } from '../metrics';
import { log } from '../log';

/** The idempotency identity of the scanner's writes in the receipts table. */
export const SCANNER_DEVICE = 'server:deadline-scanner';

/** Calendar days ahead worth reading: every warning threshold falls well within it. */
const LOOKAHEAD_MS = 14 * 86_400_000;
const DOCS_PER_TX = 100;

export interface ScanResult {
  scanned: number;
  warned: number;
  supervised: number;
}

/**
 * Appends the warnings and supervision each due appeal has earned by `now`. What was
 * appended once is never owed again (it is derived from the events): a second run appends nothing.
 */
export async function scanDeadlines(store: Store, bus: CommitBus, policy: Policies, now: number): Promise<ScanResult> {
  const result: ScanResult = { scanned: 0, warned: 0, supervised: 0 };
  // A county with its own server runs its own scanner (issue 25): were both to run, the two
  // would append the same warnings while the line is down.
  const elsewhere = (await store.relayKeys()).filter((k) => k.revokedAt === null).map((k) => k.county);
  const due = await store.dueBy(now + LOOKAHEAD_MS);
  for (let at = 0; at < due.length; at += DOCS_PER_TX) {
    // Each document is read and written inside one transaction, so a push landing
    // between the read and the write is impossible (nor can another instance's scanner
    // append the same duties); batching saves a sync per document.
    const committed = await store.inPushTx(async (tx) => {
      const out: Committed[] = [];
      for (const docId of due.slice(at, at + DOCS_PER_TX)) {
        result.scanned++;
        const c = await appendDuties(tx, docId, policy, now, result, elsewhere);
        if (c) out.push(c);
      }
      return out;
    });
    bus.publish(committed, null);
  }
  return result;
}

function appendDuties(tx: PushTx, docId: string, policy: Policies, now: number, result: ScanResult, elsewhere: readonly string[]): Promise<Committed | null> {
  return appendInTx(tx, policy, docId, SCANNER_DEVICE, now, (snapshot, state) => {
    if (elsewhere.some((county) => String(snapshot.fields.villageCode).startsWith(county))) return [];
    const terms = { kind: snapshot.fields.kind as Kind, urgency: snapshot.fields.urgency as Urgency };
    let basis = state.lastAppliedId;
    // Warnings and supervision by the appeal's county's clock, as its due date was derived.
    return deadlineDuties(state, terms, policyFor(policy, snapshot.fields.villageCode), now).map((duty) => {
      const event = dutyEvent(duty, newId(), now, basis);
      basis = event.id;
      if (duty.type === 'warned') result.warned++;
      else result.supervised++;
      return event;
    });
  });
}

/** Runs the scanner every `intervalMs` (and once at start); errors are logged, never fatal. Each run is counted when metrics are on. */
export function startDeadlineScanner(store: Store, bus: CommitBus, policy: Policies, intervalMs: number, metrics?: Pick<Metrics, 'deadlineScan'> | null): () => void {
  return startPeriodic('deadline scan', intervalMs, async () => {
    let r: ScanResult;
    try {
      r = await scanDeadlines(store, bus, policy, Date.now());
    } catch (err) {
      metrics?.deadlineScan('failed');
      throw err;
    }
    metrics?.deadlineScan('ok');
    if (r.warned + r.supervised > 0) log.info({ job: 'deadline scan', due: r.scanned, warned: r.warned, supervised: r.supervised }, 'deadline scan');
  });
}
