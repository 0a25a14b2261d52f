import type { AppealSnapshot } from '../../src/core/doc';
import type { DeadlinePolicy } from '../../src/core/deadline';
import { isMeetingFields, projectMeeting } from '../../src/core/meeting';
import { project } from '../../src/core/projection';
import type { PushTx, StoredUpdate } from '../store/types';

/** A committed update, as fan-out needs it. */
export interface Committed {
  docId: string;
  seq: number;
  village: string;
  /** What decides who may see the citizen's contact after this commit. */
  dept: string | null;
  anonymous: boolean;
  update: Uint8Array;
}

/**
 * Stores one validated update with its re-derived projection, inside the caller's
 * transaction. The one write path for pushes and live rooms alike.
 */
export async function storeUpdate(tx: PushTx, u: StoredUpdate, snapshot: AppealSnapshot, now: number, policy: DeadlinePolicy): Promise<Committed> {
  const seq = await tx.insertUpdate(u, now);
  const files = snapshot.fields.attachments;
  await tx.linkAttachments(u.docId, Array.isArray(files) ? files.map((a: { hash: string }) => a.hash) : []);
  if (isMeetingFields(snapshot.fields)) {
    const meeting = projectMeeting(snapshot);
    await tx.upsertMeeting(meeting, seq, now);
    return { docId: u.docId, seq, village: meeting.village, dept: null, anonymous: true, update: u.bytes };
  }
  const projection = project(snapshot, policy);
  await tx.upsertProjection(projection, seq, now);
  return { docId: u.docId, seq, village: projection.village, dept: projection.dept, anonymous: projection.anonymous, update: u.bytes };
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

export type CommitBus = ReturnType<typeof createCommitBus>;
