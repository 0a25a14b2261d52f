import type { AppealProjection } from './projection';
import { isOpen } from './fold';

// The deputies' report (deputy.ts): how each department answers the posts it is given.

/** One department's line in the deputies' report. */
export interface DeputyTally {
  /** The department, or '' while a post waits for dispatch. */
  dept: string;
  received: number;
  answered: number;
  onTime: number;
  overdue: number;
}

type TallyRow = Pick<AppealProjection, 'channel' | 'dept' | 'repliedAt' | 'onTime' | 'dueAt' | 'status'>;

/** Whether the post is late: answered after its deadline, or open past it at `now`. */
export function postOverdue(row: Pick<TallyRow, 'onTime' | 'dueAt' | 'status' | 'repliedAt'>, now: number): boolean {
  if (row.repliedAt !== null) return row.onTime === false;
  return isOpen(row.status) && row.dueAt !== null && row.dueAt < now;
}

/**
 * Posts per department: received (assigned to it), answered, answered on time, and overdue
 * (answered late or still open past the deadline). Rows of other channels are ignored.
 */
export function deputyTallies(rows: readonly TallyRow[], now: number): DeputyTally[] {
  const by = new Map<string, DeputyTally>();
  for (const r of rows) {
    if (r.channel !== 'deputy') continue;
    const dept = r.dept ?? '';
    const t = by.get(dept) ?? { dept, received: 0, answered: 0, onTime: 0, overdue: 0 };
    t.received++;
    if (r.repliedAt !== null) t.answered++;
    if (r.repliedAt !== null && r.onTime === true) t.onTime++;
    if (postOverdue(r, now)) t.overdue++;
    by.set(dept, t);
  }
  return [...by.values()].sort((a, b) => b.received - a.received || (a.dept < b.dept ? -1 : a.dept > b.dept ? 1 : 0));
}
