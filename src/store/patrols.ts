import { liveQuery, type Observable } from 'dexie';
import * as Y from 'yjs';
import { eventsOf, fieldsOf, readAppeal, trailOf } from '../core/doc';
import { newId } from '../core/id';
import {
  applyFixPlan,
  checkInEvent,
  isTrailPoint,
  lastDays,
  MAX_CHECKINS,
  PATROL_ROLES,
  patrolDeadline,
  patrolRunning,
  planFix,
  projectPatrol,
  writeNewPatrol,
  type CheckIn,
} from '../core/patrol';
import { regionInScope, type Scope } from '../core/roles';
import type { Region } from '../core/regions';
import { villageChecker, type Recorder } from './appeals';
import { deviceNow } from './clock';
import type { MinshengDB, PatrolRow } from './db';
import { applyLocalChange, storeNewDoc } from './docs';

// A grid worker's patrol on the device: started, fed GPS fixes and check-ins, ended, all
// offline (each change goes to the outbox like any document's), and the live queries the
// patrol screen reads. The rules are core/patrol.ts's; the server applies the same.

export type { PatrolRow } from './db';
export type PatrolResult = { ok: true; id: string } | { ok: false; reason: string };

/** The user's patrol that still runs at `now`, or null (at most one: a second start is refused). */
export async function runningPatrolOf(db: MinshengDB, userId: string, now = deviceNow(db)): Promise<PatrolRow | null> {
  const mine = await db.patrols.where('createdBy').equals(userId).toArray();
  return mine.find((p) => patrolRunning(p, now)) ?? null;
}

/** Starts a patrol of `villageCode`: its document, row and outbox entry in one transaction. */
export async function startPatrol(db: MinshengDB, villageCode: string, who: Recorder, now = deviceNow(db)): Promise<PatrolResult> {
  if (!PATROL_ROLES.includes(who.role)) return { ok: false, reason: 'role_not_allowed' };
  if (!(await villageChecker(db, who.scope, [villageCode]))(villageCode)) return { ok: false, reason: 'villageCode' };
  const running = await runningPatrolOf(db, who.id, now);
  if (running) return { ok: false, reason: 'already_running' };
  const id = newId();
  const doc = new Y.Doc();
  writeNewPatrol(doc, villageCode, who, Math.round(now), newId());
  await storeNewDoc(db, db.patrols, id, doc, projectPatrol, now);
  return { ok: true, id };
}

const patrolTimes = (doc: Y.Doc) => {
  const f = fieldsOf(doc);
  const endedAt = f.get('endedAt');
  return { startedAt: Number(f.get('startedAt')), ...(typeof endedAt === 'number' && { endedAt }) };
};

/**
 * Offers one GPS fix to the patrol: kept (true) only when the sampling rule says so, after
 * thinning a full trail. Callers pre-filter with `keepFix` so most fixes never reach here.
 */
export async function recordFix(db: MinshengDB, id: string, fix: { lat: number; lng: number; accuracy?: number }, now = deviceNow(db)): Promise<boolean> {
  let kept = false;
  await applyLocalChange(
    db,
    id,
    (doc) => {
      const trail = trailOf(doc).toArray().filter(isTrailPoint);
      const plan = planFix(trail, { ...fix, t: now }, patrolTimes(doc));
      applyFixPlan(doc, plan);
      kept = plan.keep;
    },
    now,
  );
  return kept;
}

/** Checks in at a named place with the current position, while the patrol runs. */
export async function checkIn(db: MinshengDB, id: string, who: Recorder, input: CheckIn, now = deviceNow(db)): Promise<{ ok: true } | { ok: false; reason: string }> {
  let refused: string | null = null;
  const at = Math.round(now);
  await applyLocalChange(
    db,
    id,
    (doc) => {
      const snapshot = readAppeal(doc, id);
      const times = patrolTimes(doc);
      if (snapshot.fields.createdBy !== who.id) refused = 'not_creator';
      else if (at < times.startedAt || at > patrolDeadline(times)) refused = 'ended';
      else if (snapshot.events.length > MAX_CHECKINS) refused = 'too_many';
      else {
        const event = checkInEvent(input, who, at, newId());
        if (!event) refused = 'invalid';
        else eventsOf(doc).push([event]);
      }
    },
    now,
  );
  return refused ? { ok: false, reason: refused } : { ok: true };
}

/**
 * Ends the patrol. The end is never before anything it holds (a corrected clock may have
 * moved back) nor after its longest length (a patrol left running ended by itself).
 */
export async function endPatrol(db: MinshengDB, id: string, now = deviceNow(db)): Promise<void> {
  await applyLocalChange(
    db,
    id,
    (doc) => {
      const f = fieldsOf(doc);
      if (typeof f.get('endedAt') === 'number') return;
      const times = patrolTimes(doc);
      const s = readAppeal(doc, id);
      const latest = Math.max(
        times.startedAt,
        ...(s.trail ?? []).filter(isTrailPoint).map((p) => p[2]),
        ...s.events.map((e) => (typeof (e as { at?: unknown }).at === 'number' ? (e as { at: number }).at : 0)),
      );
      f.set('endedAt', Math.min(Math.max(Math.round(now), latest), patrolDeadline(times)));
    },
    now,
  );
}

/** Writes the end of the user's patrols left running past their longest length. */
export async function endOverduePatrols(db: MinshengDB, userId: string, now = deviceNow(db)): Promise<void> {
  const mine = await db.patrols.where('createdBy').equals(userId).toArray();
  for (const p of mine) if (p.endedAt === null && now > patrolDeadline(p)) await endPatrol(db, p.id, now);
}

/** The user's running patrol, live (null: none; undefined until first read). */
export function runningPatrol(db: MinshengDB, userId: string): Observable<PatrolRow | null> {
  return liveQuery(() => runningPatrolOf(db, userId));
}

export interface PatrolsView {
  /** Patrols started on the days shown, latest first. */
  patrols: PatrolRow[];
  /** Villages in the user's scope. */
  villages: Region[];
  /** The CST dates shown, oldest first. */
  days: string[];
}

/** The last `n` days' patrols in the user's scope and its villages: what the coverage table reads. */
export function patrolsView(db: MinshengDB, scope: Scope, n = 7): Observable<PatrolsView> {
  return liveQuery(async () => {
    const days = lastDays(deviceNow(db), n);
    const [patrols, villages] = await Promise.all([db.patrols.where('day').aboveOrEqual(days[0]!).toArray(), db.regions.where('level').equals('village').toArray()]);
    return {
      patrols: patrols.filter((p) => regionInScope(scope, p.village)).sort((a, b) => b.startedAt - a.startedAt),
      villages: villages.filter((v) => regionInScope(scope, v.code)).sort((a, b) => a.code.localeCompare(b.code)),
      days,
    };
  });
}
