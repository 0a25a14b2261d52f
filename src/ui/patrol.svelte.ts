import { isTrailPoint, keepFix, MAX_FIX_ACCURACY_M, patrolDeadline, trailPoint, type TrailPoint } from '../core/patrol';
import type { SessionUser } from '../core/roles';
import { deviceNow } from '../store/clock';
import { endOverduePatrols, endPatrol, recordFix, runningPatrolOf, type PatrolRow } from '../store/patrols';
import { db, kickSync } from './session.svelte';

// The GPS side of a running patrol, one per app: it lives outside any screen so the trail goes
// on while the worker records an appeal. The phone's position is watched only while a patrol
// runs (battery), and each fix passes the sampling rule (core/patrol.ts) here first, so most
// fixes never touch the database.

export interface Fix {
  lat: number;
  lng: number;
  accuracy: number;
}

class PatrolWatch {
  /** The patrol being walked, or null. */
  patrolId = $state<string | null>(null);
  /** The latest fix, whether kept or not: where a check-in is made. */
  position = $state<Fix | null>(null);
  /** Points this device kept since the page loaded the patrol (the row's count is the truth). */
  kept = $state(0);
  /** Why positions do not come: denied, unavailable. */
  error = $state<'denied' | 'unavailable' | null>(null);
  #watchId: number | null = null;
  #last: TrailPoint | null = null;
  #times: { startedAt: number; endedAt?: number } = { startedAt: 0 };
  #writes: Promise<unknown> = Promise.resolve();

  /** Starts watching for `patrol` (nothing when already watching it). */
  follow(patrol: PatrolRow): void {
    if (this.patrolId === patrol.id && this.#watchId !== null) return;
    this.stop();
    this.patrolId = patrol.id;
    this.#times = { startedAt: patrol.startedAt };
    const last = patrol.trail.at(-1);
    this.#last = last && isTrailPoint(last) ? last : null;
    this.error = null;
    if (!navigator.geolocation) {
      this.error = 'unavailable';
      return;
    }
    this.#watchId = navigator.geolocation.watchPosition(
      (p) => this.#onFix({ lat: p.coords.latitude, lng: p.coords.longitude, accuracy: Math.round(p.coords.accuracy) }),
      (e) => (this.error = e.code === e.PERMISSION_DENIED ? 'denied' : 'unavailable'),
      // A fix a minute old is as good as a new one for a trail sampled once a minute.
      { enableHighAccuracy: true, maximumAge: 30_000, timeout: 120_000 },
    );
  }

  /** Stops watching the position (the patrol ended, or the user signed out). */
  stop(): void {
    if (this.#watchId !== null) navigator.geolocation.clearWatch(this.#watchId);
    this.#watchId = null;
    this.patrolId = null;
    this.#last = null;
  }

  /** Waits for the points being written (before ending, so the end comes after them). */
  settled(): Promise<unknown> {
    return this.#writes;
  }

  #onFix(fix: Fix): void {
    const id = this.patrolId;
    if (!id) return;
    this.position = fix;
    this.error = null;
    const now = deviceNow(db);
    if (now > patrolDeadline(this.#times)) {
      // Past its longest length: the patrol ends by itself and the position is let go.
      this.stop();
      this.#writes = this.#writes.then(() => endPatrol(db, id, now)).then(kickSync, () => undefined);
      return;
    }
    const point = trailPoint(fix.lat, fix.lng, now);
    if (fix.accuracy > MAX_FIX_ACCURACY_M || !keepFix(this.#last, point)) return;
    this.#last = point;
    this.#writes = this.#writes
      .then(() => recordFix(db, id, fix, now))
      .then((kept) => {
        if (kept) {
          this.kept++;
          kickSync();
        }
      })
      .catch((err) => console.error('patrol point not stored', err));
  }
}

export const patrolWatch = new PatrolWatch();

/** The device's corrected now, as patrol times are written. */
export const patrolNow = (): number => deviceNow(db);

/**
 * After a reload: a patrol of this user that still runs is followed again; one left past its
 * longest length gets its end written.
 */
export async function resumePatrol(user: SessionUser): Promise<void> {
  const now = deviceNow(db);
  await endOverduePatrols(db, user.id, now);
  const running = await runningPatrolOf(db, user.id, now);
  if (running) patrolWatch.follow(running);
  else patrolWatch.stop();
}
