import * as v from 'valibot';
import { isOpen, type Status } from './fold';
import { ROLES, type Role } from './roles';

// Bounded device storage: a phone that records a busy village's appeals for a year must not
// fill up. A device that holds its whole scope (village, town, department: see holdings.ts)
// lets go of closed appeals nobody has changed for a while; they stay on the server and are
// brought back whole when opened or when they change again. Nothing open and nothing with an
// unsynced trace on the device (outbox, quarantine, a draft) is ever let go.

export const DAY_MS = 24 * 60 * 60_000;

/**
 * Days a closed appeal stays on the device after its last change, by role. Village roles
 * work one village offline: three months of closed cases answer "did we see this before".
 * A town official, a department handler and a mediator look back further (repeat problems,
 * return visits across a season) and have bigger phones or desks: half a year. A deputy
 * holds only their own posts (few): a year. Null: the role's device is bounded otherwise
 * (county and city desks keep a short recent window, holdings.ts) and retention adds nothing.
 */
export const DEFAULT_RETENTION_DAYS: Readonly<Record<Role, number | null>> = {
  grid_worker: 90,
  bench_facilitator: 90,
  village_station: 90,
  town_official: 180,
  dept_handler: 180,
  mediator: 180,
  deputy: 365,
  county_dispatcher: null,
  city_dispatcher: null,
  leader: null,
  quality_reviewer: null,
  admin: null,
};

/** Bounds on a configured retention: a week at least (a week's work is always at hand), ten years at most. */
export const MIN_RETENTION_DAYS = 7;
export const MAX_RETENTION_DAYS = 3660;

/** The deployment's overrides, by role, in whole days (the policy's `retention`). */
export type RetentionOverrides = Partial<Record<Role, number>>;

const retentionDaysSchema = v.pipe(
  v.number(),
  v.integer('retention is a whole number of days'),
  v.minValue(MIN_RETENTION_DAYS, `retention is at least ${MIN_RETENTION_DAYS} days`),
  v.maxValue(MAX_RETENTION_DAYS, `retention is at most ${MAX_RETENTION_DAYS} days`),
);

/** `{ role: days }`, every key a known role; roles left out keep their default. */
export const RetentionSchema: v.GenericSchema<RetentionOverrides> = v.strictObject(
  Object.fromEntries(ROLES.map((r) => [r, v.optional(retentionDaysSchema)])) as v.ObjectEntries,
) as v.GenericSchema<RetentionOverrides>;

/** Checks a deployment's retention overrides, naming the role and the problem. */
export function parseRetention(input: unknown): { ok: true; retention: RetentionOverrides } | { ok: false; error: string } {
  const r = v.safeParse(RetentionSchema, input);
  if (r.success) return { ok: true, retention: r.output as RetentionOverrides };
  return { ok: false, error: r.issues.map((i) => `retention${v.getDotPath(i) ? `.${v.getDotPath(i)}` : ''}: ${i.message}`).join('; ') };
}

/** Days a closed appeal stays on `role`'s device; null when retention does not apply to the role. */
export function retentionDays(role: Role, overrides: RetentionOverrides | undefined): number | null {
  const fallback = DEFAULT_RETENTION_DAYS[role];
  if (fallback === null) return null;
  const own = overrides && Object.hasOwn(overrides, role) ? overrides[role] : undefined;
  return own ?? fallback;
}

/** What the rule reads of an appeal on the device. */
export interface RetentionRow {
  id: string;
  status: Status;
  /** Its latest change (the change's own time on the device). */
  updatedAt: number;
}

/** Whether a closed appeal is past the retention window; open ones never are. */
export function expired(row: Pick<RetentionRow, 'status' | 'updatedAt'>, now: number, days: number): boolean {
  return !isOpen(row.status) && row.updatedAt < now - days * DAY_MS;
}

/**
 * The appeals to let go of: closed, unchanged for `days`, and not in `keep` (ids with anything
 * unsynced or in a draft). Applying it to what remains chooses nothing more (idempotent).
 */
export function choosePurge(rows: readonly RetentionRow[], keep: ReadonlySet<string>, now: number, days: number): string[] {
  return rows.filter((r) => !keep.has(r.id) && expired(r, now, days)).map((r) => r.id);
}

const HEX = new Set(Array.from('0123456789abcdef', (c) => c.charCodeAt(0)));
const HASH_CHARS = 64;

/**
 * Every SHA-256 (64 lowercase hex characters) that may be named in `bytes`: a Yjs update
 * (V1 or V2), an outbox entry, a draft's JSON. An attachment is listed in a document by its
 * hash as a string, and Yjs stores a string as contiguous UTF-8 in either encoding, but V2
 * packs strings side by side, so a hash may touch other hex characters: every 64-character
 * window of a longer hex run counts. Over-counting only keeps a file a while longer; missing
 * one would delete a photo still listed, so the scan errs on the side of naming.
 */
export function mentionedHashes(bytes: Uint8Array, into: Set<string> = new Set()): Set<string> {
  let start = -1;
  const flush = (end: number) => {
    if (start >= 0 && end - start >= HASH_CHARS) {
      let run = '';
      for (let j = start; j < end; j++) run += String.fromCharCode(bytes[j]!);
      for (let i = 0; i + HASH_CHARS <= run.length; i++) into.add(run.slice(i, i + HASH_CHARS));
    }
    start = -1;
  };
  for (let i = 0; i < bytes.length; i++) {
    if (HEX.has(bytes[i]!)) {
      if (start < 0) start = i;
    } else flush(i);
  }
  flush(bytes.length);
  return into;
}

/**
 * Files to delete with purged documents: named by a purged document, held on the server
 * already (`pending` and refused ones are the user's unsent work), and named by nothing left.
 */
export function filesToDelete(candidates: Iterable<string>, files: ReadonlyMap<string, { pending: 0 | 1; failed?: string | undefined }>, stillNamed: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const hash of candidates) {
    const f = files.get(hash);
    if (f && f.pending === 0 && !f.failed && !stillNamed.has(hash)) out.add(hash);
  }
  return [...out];
}
