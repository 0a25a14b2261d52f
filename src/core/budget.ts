import { MAX_COMMENTS_PER_APPEAL, MAX_COMMENTS_PER_AUTHOR, MAX_COMMENTS_PER_UPDATE, MAX_EVENTS_PER_APPEAL } from './limits';

// An appeal's events are bounded so its document stays small on every phone, but comments
// have budgets of their own: no one's talk, however much, may leave the pipeline without
// room to accept, reply or close. Comments take at most MAX_COMMENTS_PER_APPEAL places;
// the pipeline always has the rest.

/** Events other than comments an appeal may hold. */
export const MAX_WORKFLOW_EVENTS = MAX_EVENTS_PER_APPEAL - MAX_COMMENTS_PER_APPEAL;

export type BudgetRefusal = { reason: 'comment_flood' | 'too_many_events'; detail: string };

const isComment = (e: unknown) => (e as { type?: unknown } | null)?.type === 'commented';

/** Why the events `added` (indexes into `events`) by `author` overrun a budget, or null. */
export function overBudget(events: readonly unknown[], added: ReadonlySet<number>, author: string): BudgetRefusal | null {
  let newComments = 0;
  let newWorkflow = 0;
  for (const i of added) isComment(events[i]) ? newComments++ : newWorkflow++;
  if (newComments > MAX_COMMENTS_PER_UPDATE) return { reason: 'comment_flood', detail: `${newComments} comments in one change (at most ${MAX_COMMENTS_PER_UPDATE})` };
  if (newComments > 0) {
    const comments = events.filter(isComment);
    const own = comments.filter((e) => (e as { actor?: unknown }).actor === author).length;
    if (own > MAX_COMMENTS_PER_AUTHOR) return { reason: 'comment_flood', detail: `${own} comments by one person on one appeal (at most ${MAX_COMMENTS_PER_AUTHOR})` };
    if (comments.length > MAX_COMMENTS_PER_APPEAL) return { reason: 'comment_flood', detail: `${comments.length} comments on one appeal (at most ${MAX_COMMENTS_PER_APPEAL})` };
  }
  if (newWorkflow > 0) {
    const workflow = events.filter((e) => !isComment(e)).length;
    if (workflow > MAX_WORKFLOW_EVENTS) return { reason: 'too_many_events', detail: `${workflow} steps (at most ${MAX_WORKFLOW_EVENTS})` };
  }
  return null;
}
