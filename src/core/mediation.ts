import { townOf } from './regions';

// 调解 (老苗调解, Lanling): disputes sent to the county's roster of mediators. The roster is the
// users with the mediator role, each with their area (scope) and a grade the county awards;
// what a mediation did is in the appeal's events (fold.ts) and its projection's columns.

export const MEDIATOR_GRADES = ['gold', 'excellent'] as const;
export type MediatorGrade = (typeof MEDIATOR_GRADES)[number];

export interface RosterEntry {
  id: string;
  name: string;
  grade: MediatorGrade | null;
  /** Region prefixes the mediator works in. */
  regions: string[];
}

export function isMediatorGrade(v: unknown): v is MediatorGrade {
  return typeof v === 'string' && (MEDIATOR_GRADES as readonly string[]).includes(v);
}

/** The mediators who work where the appeal is, gold first, then by name. */
export function mediatorsFor(roster: readonly RosterEntry[], villageCode: string): RosterEntry[] {
  const rank = (g: MediatorGrade | null) => (g === null ? MEDIATOR_GRADES.length : MEDIATOR_GRADES.indexOf(g));
  return roster
    .filter((m) => m.regions.some((p) => villageCode.startsWith(p)))
    .sort((a, b) => rank(a.grade) - rank(b.grade) || a.name.localeCompare(b.name, 'zh-CN'));
}

/** What the mediation report reads of an appeal. */
export interface MediationRow {
  village: string;
  mediator: string | null;
  mediationSessions: number;
  mediationOutcome: 'settled' | 'not_settled' | null;
}

export interface MediationTally {
  key: string;
  sent: number;
  settled: number;
  notSettled: number;
  open: number;
  sessions: number;
  /** Settled of those that ended (settled or not); null while none has ended. */
  settleRate: number | null;
}

/** Mediation counts and settle rates per mediator or per town, busiest first. */
export function mediationTallies(rows: readonly MediationRow[], by: 'mediator' | 'town'): MediationTally[] {
  const out = new Map<string, MediationTally>();
  for (const r of rows) {
    if (r.mediator === null) continue;
    const key = by === 'mediator' ? r.mediator : townOf(r.village);
    const t = out.get(key) ?? { key, sent: 0, settled: 0, notSettled: 0, open: 0, sessions: 0, settleRate: null };
    t.sent++;
    t.sessions += r.mediationSessions;
    if (r.mediationOutcome === 'settled') t.settled++;
    else if (r.mediationOutcome === 'not_settled') t.notSettled++;
    else t.open++;
    out.set(key, t);
  }
  return [...out.values()]
    .map((t) => ({ ...t, settleRate: t.settled + t.notSettled === 0 ? null : t.settled / (t.settled + t.notSettled) }))
    .sort((a, b) => b.sent - a.sent || (a.key < b.key ? -1 : 1));
}
