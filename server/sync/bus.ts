import type { AppealSnapshot } from '../../src/core/doc';
import { policyFor, type Policies } from '../../src/core/policy-book';
import { holdingOf, type HoldingRow } from '../../src/core/holdings';
import { isMeetingFields, projectMeeting } from '../../src/core/meeting';
import { isPatrolFields, projectPatrol } from '../../src/core/patrol';
import { isPointsFields, projectPoints } from '../../src/core/points';
import { project } from '../../src/core/projection';
import * as Y from 'yjs';
import type { PushTx, Store, StoredUpdate } from '../store/types';
import { listedHashes } from './attachments';
import { log } from '../log';

/** A committed update, as fan-out needs it. */
export interface Committed {
  docId: string;
  seq: number;
  village: string;
  /** What decides who may see the citizen's contact after this commit. */
  dept: string | null;
  anonymous: boolean;
  /** What decides whether a county or city desk holds it after this commit; null for a meeting. */
  holding: HoldingRow | null;
  update: Uint8Array;
  /** The server's first receipt of the document, set when this update began it (fan-out tells the devices once). */
  receivedAt?: number;
}

/**
 * Stores one validated update with its re-derived projection, inside the caller's
 * transaction. The one write path for pushes and live rooms alike. `policy` may be the
 * deployment's book: the appeal's county's policy derives its due dates.
 */
export async function storeUpdate(tx: PushTx, u: StoredUpdate, snapshot: AppealSnapshot, now: number, policy: Policies): Promise<Committed> {
  const seq = await tx.insertUpdate(u, now);
  // Previews are linked like originals: a document's readers may download both.
  await tx.linkAttachments(u.docId, listedHashes(snapshot.fields));
  if (isMeetingFields(snapshot.fields)) {
    const meeting = projectMeeting(snapshot);
    await tx.upsertMeeting(meeting, seq, now);
    return { docId: u.docId, seq, village: meeting.village, dept: null, anonymous: true, holding: null, update: u.bytes };
  }
  if (isPatrolFields(snapshot.fields)) {
    // The row keeps the counts; the trail itself stays in the document.
    const { trail: _t, places: _p, ...patrol } = projectPatrol(snapshot);
    await tx.upsertPatrol(patrol, seq, now);
    return { docId: u.docId, seq, village: patrol.village, dept: null, anonymous: true, holding: null, update: u.bytes };
  }
  if (isPointsFields(snapshot.fields)) {
    const points = projectPoints(snapshot);
    await tx.upsertPoints(points, seq, now);
    return { docId: u.docId, seq, village: points.village, dept: null, anonymous: true, holding: null, update: u.bytes };
  }
  const county = policyFor(policy, snapshot.fields.villageCode);
  const projection = project(snapshot, county);
  await tx.upsertProjection(projection, seq, now, county.hours);
  return { docId: u.docId, seq, village: projection.village, dept: projection.dept, anonymous: projection.anonymous, holding: holdingOf(projection, now), update: u.bytes };
}

type Listener = (committed: Committed[], origin: unknown) => void;

/**
 * Commits from the sync hub and from live rooms meet here, so each reaches the other
 * side's listeners. `origin` lets a connection skip its own updates.
 */
export function createCommitBus() {
  const listeners = new Set<Listener>();
  return {
    publish(committed: Committed[], origin: unknown): void {
      if (committed.length === 0) return;
      for (const l of listeners) l(committed, origin);
    },
    subscribe(l: Listener): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

export type CommitBus = ReturnType<typeof createCommitBus> & { close?(): Promise<void> };

/** Local origins remembered for notified commits: enough for every batch in flight. */
const ORIGINS_KEPT = 1000;

/**
 * The bus of several instances sharing one PostgreSQL: every commit, this instance's own
 * included, arrives through the database's notifications, in commit order, so each client
 * sees commits in sequence whichever instance took them. `publish` only remembers which
 * local connection a batch came from, so it is not echoed back to it.
 */
export async function createNotifiedBus(store: Store): Promise<CommitBus> {
  if (!store.subscribeCommits || !store.commitsBySeq) throw new Error('this store cannot notify other instances of commits');
  const commitsBySeq = store.commitsBySeq.bind(store);
  const listeners = new Set<Listener>();
  const origins = new Map<number, unknown>();
  let delivering: Promise<void> = Promise.resolve();
  const stop = await store.subscribeCommits((commits) => {
    delivering = delivering
      .then(async () => {
        const rows = await commitsBySeq(commits);
        const committed: Committed[] = [];
        for (const r of rows) {
          // A row compaction already folded away: the whole document carries the same change.
          const update = r.update ?? Y.mergeUpdates(await store.docParts(r.docId));
          committed.push({ docId: r.docId, seq: r.seq, village: r.village, dept: r.dept, anonymous: r.anonymous, holding: r.holding, update, ...(r.receivedAt !== undefined && { receivedAt: r.receivedAt }) });
        }
        const origin = origins.get(commits[0]!.seq) ?? null;
        origins.delete(commits[0]!.seq);
        if (committed.length > 0) for (const l of listeners) l(committed, origin);
      })
      .catch((err) => log.error({ err }, 'commit notification failed'));
  });
  return {
    publish(committed: Committed[], origin: unknown): void {
      if (committed.length === 0 || origin === null) return;
      origins.set(committed[0]!.seq, origin);
      if (origins.size > ORIGINS_KEPT) origins.delete(origins.keys().next().value!);
    },
    subscribe(l: Listener): () => void {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    close: async () => {
      await stop();
      await delivering;
    },
  };
}
