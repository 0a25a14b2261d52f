import { deadlineOf, supervisionDue, warningLevel, type AppealTerms, type DeadlinePolicy } from './deadline';
import { SYSTEM, type AppealEvent, type EventInput, type Notify } from './events';
import { warningKey, type AppealState } from './fold';

export type Duty = EventInput<Extract<AppealEvent, { type: 'warned' } | { type: 'supervised' }>>;

/**
 * What the deadline scanner owes an appeal at `now`: a warning for the level reached on
 * the running deadline, and supervision up to the rung its overdue time has earned. Each
 * is derived from what the events already say, so a second scan owes nothing.
 */
export function deadlineDuties(state: AppealState, terms: AppealTerms, policy: DeadlinePolicy, now: number): Duty[] {
  const deadline = deadlineOf(state, terms, policy);
  if (!deadline) return [];
  const duties: Duty[] = [];
  const level = warningLevel(deadline.dueAt, now, policy);
  if (level !== 'none' && !state.warned.includes(warningKey(level, deadline.dueAt))) {
    const notify: Notify[] = level === 'due_soon' ? ['handler'] : ['handler', 'leader'];
    duties.push({ type: 'warned', stage: level, dueAt: deadline.dueAt, notify });
  }
  const rung = supervisionDue(deadline.dueAt, now, policy);
  if (rung > state.supervisionLevel) duties.push({ type: 'supervised', level: rung });
  return duties;
}

/** A duty as an event by the system. */
export function dutyEvent(duty: Duty, id: string, at: number, basis: string | null): AppealEvent {
  return { ...duty, id, actor: SYSTEM, role: SYSTEM, at, ...(basis ? { basis } : {}) } as AppealEvent;
}
