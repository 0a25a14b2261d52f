import type { RunningServer } from '../../server/app';
import type { AppealProjection } from '../../src/core/projection';
import { inQueue, type QueueId } from '../../src/core/queues';
import type { SessionUser } from '../../src/core/roles';
import type { Login } from './clients';

export const DEMO_LOGINS = ['grid', 'bench', 'station', 'town', 'dept', 'dispatcher', 'leader', 'reviewer', 'mediator', 'deputy', 'admin'] as const;
export type DemoLogin = (typeof DEMO_LOGINS)[number];

/** The queues each demo login's screens must never show empty. */
export const DEMO_QUEUES: Record<DemoLogin, QueueId[]> = {
  grid: ['village_open', 'awaiting_visit', 'mine'],
  bench: ['mine', 'village_open'],
  station: ['village_todo', 'overdue', 'all'],
  town: ['new', 'assigned', 'overdue', 'awaiting_visit'],
  dept: ['dept_todo', 'overdue', 'dept_done'],
  dispatcher: ['unassigned', 'escalated', 'supervised', 'overdue'],
  leader: ['supervised', 'overdue', 'all'],
  reviewer: ['quality', 'redo', 'all'],
  mediator: ['mediation', 'mediated', 'all'],
  deputy: ['mine'],
  admin: ['all', 'overdue'],
};

/** "login: queue" for every expected queue that holds nothing among the login's rows. */
export function emptyDemoQueues(rowsOf: (login: DemoLogin) => AppealProjection[], userOf: (login: DemoLogin) => SessionUser, now: number): string[] {
  return DEMO_LOGINS.flatMap((name) => DEMO_QUEUES[name].filter((q) => !rowsOf(name).some((r) => inQueue(q, r, userOf(name), now))).map((q) => `${name}: ${q}`));
}

/** Every appeal a login may browse (what a desk's device pages through), all pages. */
export async function browseAll(server: RunningServer, session: Login): Promise<AppealProjection[]> {
  const rows: AppealProjection[] = [];
  let before: string | null = null;
  do {
    const res = await fetch(`${server.url}/api/appeals?limit=200${before ? `&before=${before}` : ''}`, { headers: { authorization: `Bearer ${session.token}` } });
    if (res.status !== 200) throw new Error(`GET /api/appeals: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { rows: AppealProjection[]; next: string | null };
    rows.push(...page.rows);
    before = page.next;
  } while (before);
  return rows;
}
