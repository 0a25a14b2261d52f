import { URGENCIES } from './appeal';
import { isOpen, OPEN_STATUSES, type Status } from './fold';
import type { AppealProjection } from './projection';
import { awaitsReview } from './reply-quality';
import type { Role, SessionUser } from './roles';
import { userTier, worksAtTier } from './tiers';

// The work queues each role opens the app to. A queue is a named filter over the local
// projection; special governance is a view of its own (repeats.ts), listed here as a tab.

export const QUEUE_IDS = [
  'mine', 'village_open', 'village_todo', 'awaiting_visit', 'new', 'assigned', 'overdue',
  'dept_todo', 'dept_done', 'unassigned', 'escalated', 'returned', 'review', 'supervised', 'special', 'quality', 'redo', 'mediation', 'mediated', 'all',
] as const;
export type QueueId = (typeof QUEUE_IDS)[number];

export const ROLE_QUEUES: Record<Role, readonly QueueId[]> = {
  grid_worker: ['village_open', 'awaiting_visit', 'mine', 'all'],
  bench_facilitator: ['mine', 'village_open', 'all'],
  village_station: ['village_todo', 'awaiting_visit', 'overdue', 'all'],
  town_official: ['new', 'assigned', 'returned', 'overdue', 'awaiting_visit', 'mediation', 'all'],
  dept_handler: ['dept_todo', 'overdue', 'dept_done'],
  county_dispatcher: ['unassigned', 'escalated', 'returned', 'review', 'supervised', 'overdue', 'special', 'all'],
  city_dispatcher: ['unassigned', 'escalated', 'returned', 'review', 'supervised', 'overdue', 'special', 'all'],
  leader: ['supervised', 'overdue', 'special', 'all'],
  quality_reviewer: ['quality', 'redo', 'all'],
  mediator: ['mediation', 'mediated', 'all'],
  // A deputy's device holds only their own posts (holdings.ts): one list, with each post's status.
  deputy: ['mine'],
  admin: ['all', 'overdue', 'special'],
};

type Row = Pick<AppealProjection, 'status' | 'tier' | 'dept' | 'handler' | 'createdBy' | 'dueAt' | 'supervisionLevel' | 'returns' | 'review' | 'replyId' | 'quality' | 'redoCount' | 'mediator' | 'mediationOutcome'> & { qualityFlags: readonly string[] };

const WAITING: readonly Status[] = ['new', 'accepted'];
const WORKING: readonly Status[] = ['assigned', 'in_progress'];

function deptRow(row: Row, user: SessionUser): boolean {
  return row.dept !== null && user.scope.departments.includes(row.dept);
}

/** Whether `row` belongs in `queue` for `user` at `now`. Scope is already applied by sync. */
export function inQueue(queue: QueueId, row: Row, user: SessionUser, now: number): boolean {
  const open = isOpen(row.status);
  switch (queue) {
    case 'mine':
      return row.createdBy === user.id;
    case 'village_open':
      return open;
    case 'village_todo':
      // What the station handles itself: village-tier work not sent to a department.
      return open && row.tier === 'village' && (WAITING.includes(row.status) || (WORKING.includes(row.status) && row.dept === null));
    case 'awaiting_visit':
      return row.status === 'replied' || row.status === 'visited';
    case 'new':
      // A town's desk also sees what waits at its villages' desks.
      return WAITING.includes(row.status) && (row.tier === 'town' || row.tier === 'village');
    case 'assigned':
      return WORKING.includes(row.status);
    case 'overdue':
      return open && row.dueAt !== null && row.dueAt < now && (user.role !== 'dept_handler' || deptRow(row, user));
    case 'dept_todo':
      return WORKING.includes(row.status) && deptRow(row, user);
    case 'dept_done':
      return !WORKING.includes(row.status) && deptRow(row, user);
    case 'unassigned':
      // Everything waiting for dispatch at this desk or any desk below it.
      return WAITING.includes(row.status) && worksAtTier(user, row.tier);
    case 'escalated':
      return open && row.tier === userTier(user);
    case 'returned':
      // Back on this desk after a department or a town said it is not theirs.
      return WAITING.includes(row.status) && row.returns > 0 && row.tier === userTier(user);
    case 'review':
      return row.review === 'pending' && row.tier === userTier(user);
    case 'supervised':
      return open && row.supervisionLevel > 0;
    case 'special':
      return false;
    case 'quality':
      // Flagged replies and the random sample, until a reviewer has judged them.
      return awaitsReview(row);
    case 'mediation':
      // Out at mediation: a mediator's own, or every one in a desk's scope.
      return row.mediator !== null && row.mediationOutcome === null && row.status === 'in_progress' && (user.role !== 'mediator' || row.mediator === user.id);
    case 'mediated':
      return row.mediator === user.id && row.mediationOutcome !== null;
    case 'redo':
      // Sent back and not yet answered again: the reviewer follows them up.
      return row.quality === 'redo' && WORKING.includes(row.status);
    case 'all':
      return user.role !== 'dept_handler' || deptRow(row, user);
  }
}

/**
 * The statuses a queue's rows can have, or null where closed appeals belong too. A phone keeps
 * months of closed appeals and few open ones: queues with statuses read only the open rows,
 * through the status index, so they open as fast however much history the phone holds.
 */
export function queueStatuses(queue: QueueId): readonly Status[] | null {
  switch (queue) {
    case 'new':
    case 'unassigned':
    case 'returned':
      return WAITING;
    case 'assigned':
    case 'dept_todo':
    case 'redo':
      return WORKING;
    case 'village_todo':
      return [...WAITING, ...WORKING];
    case 'awaiting_visit':
      return ['replied', 'visited'];
    case 'mediation':
      return ['in_progress'];
    case 'village_open':
    case 'overdue':
    case 'escalated':
    case 'supervised':
      return OPEN_STATUSES;
    case 'special':
      return [];
    case 'mine':
    case 'dept_done':
    case 'review':
    case 'quality':
    case 'mediated':
    case 'all':
      return null;
  }
}

/**
 * Whether a role's tabs need every row on the device to be counted. 'all' and 'mine' are
 * counted through indexes and read only when opened; any other queue that holds closed
 * appeals (a handler's done list, a reviewer's sample) makes the role read every row.
 */
export function readsEveryRow(queues: readonly QueueId[]): boolean {
  return queues.some((q) => q !== 'all' && q !== 'mine' && q !== 'special' && queueStatuses(q) === null);
}

export const SORTS = ['due', 'urgency', 'updated', 'village'] as const;
export type SortKey = (typeof SORTS)[number];

type SortRow = Pick<AppealProjection, 'id' | 'dueAt' | 'urgency' | 'updatedAt' | 'village'>;

/** `cmp`, except that the row `first` (the appeal just recorded here) goes before all others. */
export function firstThen<R extends { id: string }>(first: string | null, cmp: (a: R, b: R) => number): (a: R, b: R) => number {
  if (!first) return cmp;
  return (a, b) => (a.id === first ? (b.id === first ? 0 : -1) : b.id === first ? 1 : cmp(a, b));
}

/** Orders rows for a queue; ties fall back to the soonest deadline, then the id. */
export function compareRows(key: SortKey): (a: SortRow, b: SortRow) => number {
  const due = (a: SortRow, b: SortRow) => (a.dueAt ?? Infinity) - (b.dueAt ?? Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  switch (key) {
    case 'due':
      return due;
    case 'urgency':
      return (a, b) => URGENCIES.indexOf(a.urgency) - URGENCIES.indexOf(b.urgency) || due(a, b);
    case 'updated':
      return (a, b) => b.updatedAt - a.updatedAt || due(a, b);
    case 'village':
      return (a, b) => (a.village < b.village ? -1 : a.village > b.village ? 1 : due(a, b));
  }
}
