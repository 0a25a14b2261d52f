import { minutesLeft, spanMessage, splitWorkingTime, warningLevel, type DeadlinePolicy, type WarningLevel } from '../core/deadline';
import { SUPERVISION_LADDER } from '../core/events';
import { t } from '../i18n/index.svelte';

export interface DeadlineView {
  level: WarningLevel;
  /** "2 working days 3 h left" / "overdue by …". */
  text: string;
}

/** How a deadline reads on screen: time left in working days and hours, and its warning level. */
export function describeDeadline(dueAt: number | null, now: number, policy: DeadlinePolicy): DeadlineView | null {
  if (dueAt === null) return null;
  const left = splitWorkingTime(minutesLeft(dueAt, now, policy), policy);
  const said = spanMessage(left);
  const span = t(said.key, said.params);
  const overdue = now > dueAt;
  return { level: warningLevel(dueAt, now, policy), text: t(overdue ? 'time.overdue' : 'time.left', { time: span }) };
}

export function supervisionLabel(level: number): string {
  const rung = SUPERVISION_LADDER[level - 1];
  return rung ? t('supervision.level', { ladder: t(`ladder.${rung}`) }) : '';
}

export const URGENCY_ICON = { red: '▲', orange: '◆', yellow: '●' } as const;
/** Warning icons, so colour is never the only signal. */
export const WARNING_ICON: Record<WarningLevel, string> = { none: '', due_soon: '!', overdue: '!!', severe: '!!!' };
