import type { RejectReason } from '../../src/core/accept';
import { refHashes } from '../../src/core/attachments';
import { appealInScope, type SessionUser } from '../../src/core/roles';
import type { AttachmentListing, PushTx } from '../store/types';

// Who may list a file in a document. A file is named by its SHA-256, and a hash is easy to
// learn (from a document one used to see); listing a file lets the document's readers download
// it. So a file may be added to a document only by someone who uploaded those bytes, or who
// may already read them; and a listing lets readers download only once it is vouched for:
// by someone who could read the file when they listed it, or by a backer who has uploaded its
// bytes in full. A phone pushes an appeal before its photos have finished uploading (often
// before their first chunk): its listing waits, vouched by its own upload, which proves
// possession when the last chunk matches the hash. Someone who only knows the hash never can.

/** The hashes a document's fields list, photos' previews included: each is vouched for as a file of its own. */
export function listedHashes(fields: Record<string, unknown> | null | undefined): string[] {
  return refHashes(fields?.attachments);
}

/** A listing lets `user` download the file. */
export function readableVia(user: SessionUser, listings: AttachmentListing[]): boolean {
  return listings.some((l) => l.valid && appealInScope(user, l));
}

export type AttachmentPlan = { ok: true; vouches: { hash: string; backers: string[] }[] } | { ok: false; reason: RejectReason; detail: string };

const NONE: AttachmentPlan = { ok: true, vouches: [] };

/**
 * Checks the files an update adds to a document (listed after it, not before: `before` reads
 * the stored fields, only when something is listed) and says who vouches for each; a refusal
 * when one of them is a stored file the user neither uploaded, nor is uploading, nor may read.
 */
export async function planAttachments(tx: PushTx, user: SessionUser, before: () => Record<string, unknown> | null, after: Record<string, unknown>): Promise<AttachmentPlan> {
  const listed = listedHashes(after);
  if (listed.length === 0) return NONE;
  const had = new Set(listedHashes(before()));
  const vouches: { hash: string; backers: string[] }[] = [];
  for (const hash of listed) {
    if (had.has(hash)) continue;
    const facts = await tx.attachmentFacts(hash, user.id);
    if (facts.upload === 'done') {
      vouches.push({ hash, backers: [user.id] });
      continue;
    }
    const visible = facts.listings.filter((l) => appealInScope(user, l));
    if (visible.some((l) => l.valid)) {
      vouches.push({ hash, backers: [''] });
      continue;
    }
    // Stored bytes this user has no part in: knowing their name is not enough.
    if (facts.stored && facts.upload === null && visible.length === 0) {
      return { ok: false, reason: 'attachment_not_yours', detail: `file ${hash.slice(0, 12)}…: neither uploaded by you nor in a document you may see` };
    }
    // Waits for this user's upload, or for one a listing the user may see is already waiting for.
    vouches.push({ hash, backers: [user.id, ...visible.flatMap((l) => l.backers)] });
  }
  return { ok: true, vouches };
}

/** Records who vouches for each file an accepted update added. */
export async function recordVouches(tx: PushTx, docId: string, plan: Extract<AttachmentPlan, { ok: true }>): Promise<void> {
  for (const v of plan.vouches) await tx.vouchAttachment(docId, v.hash, v.backers);
}
