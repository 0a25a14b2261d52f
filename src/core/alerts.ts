import type { AppealEvent, Notify, Tier } from './events';
import { fold, isOpen, type AppealState, type Status } from './fold';
import { appealInScope, DISPATCH_ROLES, type SessionUser } from './roles';
import { atLeast, userTier } from './tiers';

// Alerts (预警推送, issue 28 item 7): what in an appeal's history a user must be told about.
// Nothing is sent separately: the events already reach every device in scope through the
// sync, so an alert is derived from them here, in two steps. `alertFeed` walks the events once
// (when the device re-projects a document) and keeps the alert-worthy ones with who owned the
// appeal at that moment; it does not depend on the user, so the device stores it with the
// row. `alertsFor` then decides, per user, which of those concern them: the owner first (a
// named handler, else the department, else the desk of the tier), and their leader only for
// what climbs the supervision ladder (overdue warnings and supervision), never every dispatch.

export const ALERT_KINDS = ['assigned', 'escalated', 'returned', 'due_soon', 'overdue', 'severe', 'supervised', 'reopened', 'sent_back'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** What a leader is told about: only what has gone wrong, never the daily dispatch. */
export const LEADER_KINDS: readonly AlertKind[] = ['overdue', 'severe', 'supervised'];

/**
 * Deadline alerts of one appeal supersede each other: a later warning or rung of supervision
 * says all the earlier ones did, so only the newest is listed (a leader would otherwise see
 * each rung of every overdue appeal). Work handed over (dispatch, return, redo) is listed whole.
 */
export const DEADLINE_KINDS: readonly AlertKind[] = ['due_soon', 'overdue', 'severe', 'supervised'];

export type AlertLevel = 'info' | 'warn' | 'danger';
export const ALERT_LEVEL: { readonly [K in AlertKind]: AlertLevel } = {
  assigned: 'info',
  escalated: 'info',
  returned: 'warn',
  due_soon: 'warn',
  overdue: 'danger',
  severe: 'danger',
  supervised: 'danger',
  reopened: 'warn',
  sent_back: 'warn',
};

/** Alerts older than this (by event time) are no longer shown or counted. */
export const ALERT_WINDOW_MS = 14 * 24 * 60 * 60 * 1000;

/** Who owned the appeal: a named handler, else a department at the tier, else the tier's desk. */
export interface Owner {
  tier: Tier;
  dept: string | null;
  handler: string | null;
}

/** One alert-worthy event of an appeal, the same for every user. */
export interface Notice {
  /** The event's id. */
  id: string;
  kind: AlertKind;
  at: number;
  actor: string;
  /** The author's display name, when the event carries it. */
  by?: string;
  /** Position among the applied events, to tell whether a user acted after it. */
  seq: number;
  /** The owner once the event applied (dispatch, returns, redo), or while it happened (warnings, supervision). */
  owner: Owner;
  /** Who is told: the owner ('handler'), and for warnings the scanner names, their leader. */
  notify: Notify[];
  /** The supervision rung (1–5), for supervision. */
  level?: number;
}

/** An appeal's alert-worthy events and, per actor, the position of their last applied event. */
export interface AlertFeed {
  notices: Notice[];
  lastActs: Record<string, number>;
}

function ownerOf(s: AppealState): Owner {
  return { tier: s.tier, dept: s.dept, handler: s.handler };
}

/** Events whose notice names the owner once they applied: the next state is read for them. */
const OWNER_AFTER = new Set<AppealEvent['type']>(['assigned', 'reassigned', 'reviewed', 'escalated', 'returned', 'reopened', 'quality_reviewed']);

/** The notice an applied event gives (owner still to fill in), or null when it tells nobody anything. */
function noticeOf(e: AppealEvent): Omit<Notice, 'id' | 'at' | 'actor' | 'seq' | 'owner'> | null {
  switch (e.type) {
    case 'assigned':
    case 'reassigned':
    case 'reviewed':
      return { kind: 'assigned', notify: ['handler'] };
    case 'escalated':
      return { kind: 'escalated', notify: ['handler'] };
    case 'returned':
      return { kind: 'returned', notify: ['handler'] };
    case 'reopened':
      return { kind: 'reopened', notify: ['handler'] };
    case 'quality_reviewed':
      // 质检 sent the reply back: its owner does it again.
      return e.verdict === 'redo' ? { kind: 'sent_back', notify: ['handler'] } : null;
    case 'warned':
      // The scanner says who: the handler before the deadline, handler and leader after it.
      return { kind: e.stage, notify: [...new Set(e.notify)] };
    case 'supervised':
      return { kind: 'supervised', notify: ['handler', 'leader'], level: e.level };
    default:
      return null;
  }
}

/**
 * The alert-worthy events of an appeal, walked in the same order as its fold: events the fold
 * refuses (conflicts, duplicates) tell nobody anything. One walk, no copies of the state: a
 * notice that names the owner after its event reads it from the state the next event sees
 * (the fold mutates one state in place), or from the final state.
 */
export function alertFeed(events: readonly unknown[], id: string | null = null): AlertFeed {
  const notices: Notice[] = [];
  // A Map while walking: actor ids as property names would give every object its own shape.
  const lastActs = new Map<string, number>();
  let waiting: Notice | null = null;
  let seq = 0;
  const final = fold(events, id, (e, before, _index, refused) => {
    if (waiting) {
      waiting.owner = ownerOf(before);
      waiting = null;
    }
    if (refused) return;
    const n = noticeOf(e);
    if (n) {
      const notice: Notice = { id: e.id, kind: n.kind, at: e.at, actor: e.actor, seq, owner: ownerOf(before), notify: n.notify };
      if (e.by !== undefined) notice.by = e.by;
      if (n.level !== undefined) notice.level = n.level;
      notices.push(notice);
      if (OWNER_AFTER.has(e.type)) waiting = notice;
    }
    lastActs.set(e.actor, seq);
    seq++;
  });
  if (waiting) (waiting as Notice).owner = ownerOf(final);
  return { notices, lastActs: Object.fromEntries(lastActs) };
}

export type Audience = 'handler' | 'leader';

type User = Pick<SessionUser, 'id' | 'role' | 'scope'>;

/** Whether `user` is the owner: the named handler; else a handler of the department at that tier; else a dispatcher of that tier's desk. */
export function owns(user: User, owner: Owner): boolean {
  if (owner.handler !== null) return owner.handler === user.id;
  if (owner.dept !== null) return user.role === 'dept_handler' && user.scope.departments.includes(owner.dept) && userTier(user) === owner.tier;
  return DISPATCH_ROLES.includes(user.role) && userTier(user) === owner.tier;
}

/** A leader whose tier is at or above the owner's: a town's leader is not told of what the county now owns. */
function leads(user: User, owner: Owner): boolean {
  const tier = userTier(user);
  return user.role === 'leader' && tier !== null && atLeast(tier, owner.tier);
}

/** The appeal as `alertsFor` needs it: the row's columns and its feed. */
export interface AlertSource {
  id: string;
  village: string;
  dept: string | null;
  status: Status;
  feed: AlertFeed;
}

export interface Alert {
  /** The event's id: an alert is read once, whichever screen it was seen on. */
  id: string;
  appealId: string;
  kind: AlertKind;
  level: AlertLevel;
  at: number;
  audience: Audience;
  by?: string;
  /** The supervision rung, for supervision. */
  rung?: number;
  /** The user has acted on the appeal since: it counts as read. */
  acted: boolean;
}

/** Newest first; the event id (UUIDv7) breaks ties the same way on every device. */
export function compareAlerts(a: Pick<Alert, 'at' | 'id'>, b: Pick<Alert, 'at' | 'id'>): number {
  return b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/**
 * The alerts `user` gets from one appeal, newest first, for events at or after `since`. None
 * for an appeal outside their scope, or closed or merged (nothing is left to do); none for their
 * own actions; of its deadline alerts, the newest only.
 */
export function alertsFor(user: User, appeal: AlertSource, since = -Infinity): Alert[] {
  if (!isOpen(appeal.status) || !appealInScope(user, { villageCode: appeal.village, dept: appeal.dept })) return [];
  const mine = appeal.feed.lastActs[user.id] ?? -1;
  const out: Alert[] = [];
  const seen = new Set<string>();
  for (const n of appeal.feed.notices) {
    if (n.at < since || n.actor === user.id || seen.has(n.id)) continue;
    const audience: Audience | null =
      n.notify.includes('handler') && owns(user, n.owner) ? 'handler' : n.notify.includes('leader') && LEADER_KINDS.includes(n.kind) && leads(user, n.owner) ? 'leader' : null;
    if (!audience) continue;
    seen.add(n.id);
    out.push({
      id: n.id,
      appealId: appeal.id,
      kind: n.kind,
      level: ALERT_LEVEL[n.kind],
      at: n.at,
      audience,
      ...(n.by !== undefined && { by: n.by }),
      ...(n.level !== undefined && { rung: n.level }),
      acted: mine > n.seq,
    });
  }
  out.sort(compareAlerts);
  const newestDeadline = out.find((a) => DEADLINE_KINDS.includes(a.kind));
  return out.filter((a) => a === newestDeadline || !DEADLINE_KINDS.includes(a.kind));
}

/** Alerts not yet read: not marked read on this device, and not acted on since. */
export function unread(alerts: readonly Alert[], read: ReadonlySet<string>): Alert[] {
  return alerts.filter((a) => !a.acted && !read.has(a.id));
}
