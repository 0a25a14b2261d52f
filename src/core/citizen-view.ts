import type { Kind, Urgency } from './appeal';
import { addWorkingMinutes, cstDay, cstDate, dayLength } from './calendar';
import { handleDays, type DeadlinePolicy } from './deadline';
import type { Stage } from './fold';
import { fold } from './fold';

// What the citizen holding an evaluation code learns of their own appeal beyond its status
// (issue 26, item 7): the answer they are asked to rate, and while it is open, when an answer
// is due. Pure: the public page (server/http/public.ts) scrubs and renders it.

/**
 * The answer the citizen is asked to rate: the last reply the handler gave (or the answer
 * given on the spot), as long as no reopening came after it. Refused events do not count.
 */
export function currentAnswer(events: readonly unknown[], id: string | null = null): string | null {
  let answer: string | null = null;
  fold(events, id, (e, _before, _i, refused) => {
    if (refused) return;
    if (e.type === 'recorded' && e.onSpot?.trim()) answer = e.onSpot.trim();
    else if (e.type === 'replied' && e.note.trim()) answer = e.note.trim();
    else if (e.type === 'reopened') answer = null;
  });
  return answer;
}

/**
 * When the citizen may expect the answer: the handling deadline while it is being handled;
 * while it still waits for dispatch, the dispatch deadline plus the handling time the policy
 * gives its kind (or urgency). Null once answered (no clock, or the return visit's).
 */
export function expectedAnswerBy(a: { stage: Stage | null; dueAt: number | null; kind: Kind; urgency: Urgency }, policy: DeadlinePolicy): number | null {
  if (a.dueAt === null) return null;
  if (a.stage === 'handle') return a.dueAt;
  if (a.stage !== 'dispatch') return null;
  const minutes = Math.round(handleDays(policy, { kind: a.kind, urgency: a.urgency }) * dayLength(policy.hours));
  return addWorkingMinutes(a.dueAt, minutes, policy.hours);
}

