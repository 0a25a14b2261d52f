import * as Y from 'yjs';
import { cstDate, cstDay } from './calendar';
import { eventsOf, fieldsOf, trailOf, type Actor, type AppealSnapshot } from './doc-roots';
import { isUuidV7 } from './id';
import { MAX_ACTOR_ID_CHARS, MAX_NAME_CHARS } from './limits';
import { metresBetween } from './nearest-place';
import { isRegionCode, levelOf, townOf } from './regions';
import { isRole, PATROL_ROLES, PATROL_VIEWERS, type Role } from './roles';

export { PATROL_ROLES, PATROL_VIEWERS };

// A grid patrol (网格巡查, 一日双巡): a grid worker walks their village and the phone keeps a
// sparse GPS trail, check-ins at named places and the appeals raised on the way (they point
// to it by `patrolId`). Its own document, synced like a meeting:
//   fields  form, villageCode, createdBy, startedAt, and endedAt once ended (single writer);
//   trail   a Y.Array of [lat, lng, t] points (WGS84, t in ms), sampled and thinned below;
//   events  'started', then 'checkin's: append-only and authored, like every event list.
// Only the patroller writes to it. Battery and storage are bounded by the sampling rule:
// a fix is kept at most once a minute, so a patrol (at most MAX_PATROL_MS) keeps at most
// 360 points, and never more than MAX_POINTS whatever the clock does.

export const PATROL_FORM = 'patrol';
/** Keep a fix only this long after the last kept one… */
export const SAMPLE_MIN_GAP_MS = 60_000;
/** …and this far from it; */
export const SAMPLE_MIN_MOVE_M = 30;
/** or, standing still, once every this long (the trail shows the worker was there). */
export const SAMPLE_MAX_GAP_MS = 5 * 60_000;
/** Fixes vaguer than this say nothing about where the worker walked. */
export const MAX_FIX_ACCURACY_M = 200;
/** Points one patrol keeps; reaching it drops every other point. */
export const MAX_POINTS = 600;
/** A patrol ends by itself this long after it started (a forgotten 结束 drains no battery). */
export const MAX_PATROL_MS = 6 * 3_600_000;
export const MAX_CHECKINS = 100;
export const MAX_PLACE_CHARS = 50;
export const MAX_CHECKIN_NOTE_CHARS = 500;
/** 一日双巡: each village patrolled twice a day. */
export const PATROLS_PER_DAY = 2;

/** [lat, lng, t]: WGS84 degrees rounded to 1e-5 (about a metre), t in epoch ms. */
export type TrailPoint = readonly [number, number, number];

export interface PatrolFields {
  form: typeof PATROL_FORM;
  villageCode: string;
  createdBy: string;
  startedAt: number;
  endedAt?: number;
}

interface PatrolEventBase {
  id: string;
  actor: string;
  role: Role;
  at: number;
  by?: string;
}

export interface CheckIn {
  placeName: string;
  lat: number;
  lng: number;
  note?: string;
}

export type PatrolEvent = (PatrolEventBase & { type: 'started' }) | (PatrolEventBase & CheckIn & { type: 'checkin' });

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const round5 = (x: number) => Math.round(x * 1e5) / 1e5;
const isLat = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && Math.abs(x) <= 90;
const isLng = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && Math.abs(x) <= 180;
const isTime = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;

export function isPatrolFields(fields: Record<string, unknown>): boolean {
  return fields.form === PATROL_FORM;
}

/** A fix as the trail keeps it. */
export function trailPoint(lat: number, lng: number, t: number): TrailPoint {
  return [round5(lat), round5(lng), Math.round(t)];
}

export function isTrailPoint(v: unknown): v is TrailPoint {
  return Array.isArray(v) && v.length === 3 && isLat(v[0]) && isLng(v[1]) && isTime(v[2]);
}

/** When the patrol stops taking points: when it was ended, or when it ends by itself. */
export function patrolDeadline(fields: { startedAt: number; endedAt?: number | null | undefined }): number {
  return Math.min(fields.endedAt ?? Infinity, fields.startedAt + MAX_PATROL_MS);
}

/** Whether a patrol still runs at `now` (not ended, not past its length). */
export function patrolRunning(p: { startedAt: number; endedAt: number | null }, now: number): boolean {
  return p.endedAt === null && now < p.startedAt + MAX_PATROL_MS;
}

const pointMetres = (a: TrailPoint, b: TrailPoint) => metresBetween({ lat: a[0], lng: a[1] }, { lat: b[0], lng: b[1] });

/** The sampling rule: whether `fix` is worth keeping after `last` (null: the trail is empty). */
export function keepFix(last: TrailPoint | null, fix: TrailPoint): boolean {
  if (!last) return true;
  const dt = fix[2] - last[2];
  if (dt < SAMPLE_MIN_GAP_MS) return false;
  return dt >= SAMPLE_MAX_GAP_MS || pointMetres(last, fix) >= SAMPLE_MIN_MOVE_M;
}

/** Indexes dropped when the trail is full: every other point (the first, where the walk began, stays). */
export function thinning(length: number): number[] {
  const drop: number[] = [];
  for (let i = 1; i < length; i += 2) drop.push(i);
  return drop;
}

export type FixPlan = { keep: false } | { keep: true; point: TrailPoint; drop: number[] };

/**
 * What to do with one GPS fix: ignore it, or append it after dropping `drop` (indexes into
 * `trail`, ascending). The trail then never exceeds MAX_POINTS and stays in time order.
 */
export function planFix(
  trail: readonly TrailPoint[],
  fix: { lat: number; lng: number; accuracy?: number | undefined; t: number },
  patrol: { startedAt: number; endedAt?: number | undefined },
  maxPoints = MAX_POINTS,
): FixPlan {
  if (!isLat(fix.lat) || !isLng(fix.lng) || !Number.isFinite(fix.t)) return { keep: false };
  if (fix.accuracy !== undefined && !(fix.accuracy <= MAX_FIX_ACCURACY_M)) return { keep: false };
  const point = trailPoint(fix.lat, fix.lng, fix.t);
  if (point[2] < patrol.startedAt || point[2] > patrolDeadline(patrol)) return { keep: false };
  if (!keepFix(trail.at(-1) ?? null, point)) return { keep: false };
  return { keep: true, point, drop: trail.length + 1 > maxPoints ? thinning(trail.length) : [] };
}

/** The trail after a plan: what the document's Y.Array becomes (see applyFixPlan). */
export function afterPlan(trail: readonly TrailPoint[], plan: FixPlan): TrailPoint[] {
  if (!plan.keep) return [...trail];
  const dropped = new Set(plan.drop);
  return [...trail.filter((_, i) => !dropped.has(i)), plan.point];
}

/** Applies a plan to the document's trail; the caller wraps it in a transaction. */
export function applyFixPlan(doc: Y.Doc, plan: FixPlan): void {
  if (!plan.keep) return;
  const trail = trailOf(doc);
  // From the end backwards, so each index still names the point it named.
  for (const i of [...plan.drop].reverse()) trail.delete(i, 1);
  trail.push([plan.point]);
}

/** Shape check of one patrol event as read from a document. */
export function isPatrolEvent(v: unknown): v is PatrolEvent {
  if (!isRecord(v) || !isUuidV7(v.id) || typeof v.actor !== 'string' || !v.actor || v.actor.length > MAX_ACTOR_ID_CHARS || !isRole(v.role)) return false;
  if (!isTime(v.at)) return false;
  if (v.by !== undefined && (typeof v.by !== 'string' || v.by.length > MAX_NAME_CHARS)) return false;
  switch (v.type) {
    case 'started':
      return Object.keys(v).every((k) => ['id', 'type', 'actor', 'role', 'at', 'by'].includes(k));
    case 'checkin':
      return (
        Object.keys(v).every((k) => ['id', 'type', 'actor', 'role', 'at', 'by', 'placeName', 'lat', 'lng', 'note'].includes(k)) &&
        typeof v.placeName === 'string' && v.placeName.trim().length > 0 && v.placeName.length <= MAX_PLACE_CHARS &&
        isLat(v.lat) && isLng(v.lng) &&
        (v.note === undefined || (typeof v.note === 'string' && v.note.length <= MAX_CHECKIN_NOTE_CHARS))
      );
    default:
      return false;
  }
}

export type PatrolError = 'villageCode' | 'createdBy' | 'startedAt' | 'endedAt' | 'text' | 'trail' | 'events' | 'unknown_field';

const PATROL_FIELD_KEYS: Record<keyof PatrolFields, true> = { form: true, villageCode: true, createdBy: true, startedAt: true, endedAt: true };

/**
 * Everything wrong with a patrol document as stored (empty: fine). Bounds every part, so a
 * patrol can never carry more than a few tens of kilobytes to the devices of its town.
 */
export function patrolErrors(s: AppealSnapshot, knownVillage: (code: string) => boolean): PatrolError[] {
  const f = s.fields;
  const errors: PatrolError[] = [];
  if (!isRegionCode(f.villageCode) || levelOf(f.villageCode) !== 'village' || !knownVillage(f.villageCode)) errors.push('villageCode');
  if (typeof f.createdBy !== 'string' || !f.createdBy || f.createdBy.length > MAX_ACTOR_ID_CHARS) errors.push('createdBy');
  const startedAt = isTime(f.startedAt) ? f.startedAt : null;
  if (startedAt === null) errors.push('startedAt');
  const ended = f.endedAt === undefined ? undefined : isTime(f.endedAt) ? f.endedAt : null;
  if (ended === null || (startedAt !== null && ended !== undefined && (ended < startedAt || ended > startedAt + MAX_PATROL_MS))) errors.push('endedAt');
  if (Object.keys(f).some((k) => !Object.hasOwn(PATROL_FIELD_KEYS, k))) errors.push('unknown_field');
  if (s.description !== '') errors.push('text');
  const within = (t: number) => startedAt !== null && t >= startedAt && t <= patrolDeadline({ startedAt, endedAt: ended ?? undefined });
  const trail = s.trail ?? [];
  if (trail.length > MAX_POINTS || !trail.every((p) => isTrailPoint(p) && within(p[2]))) errors.push('trail');
  const [first, ...rest] = s.events;
  const eventsOk =
    s.events.length <= MAX_CHECKINS + 1 &&
    isPatrolEvent(first) && first.type === 'started' && first.at === startedAt &&
    rest.every((e) => isPatrolEvent(e) && e.type === 'checkin' && within(e.at));
  if (!eventsOk) errors.push('events');
  return errors;
}

/** The history judge of a patrol: its events change nothing about one another. */
export const judgePatrol = (events: readonly unknown[]) => events.map((e) => ({ verdict: 'applied', on: isRecord(e) && typeof e.id === 'string' ? e.id : '' }));

/** Fills an empty doc with a new patrol and its `started` event, in one transaction. */
export function writeNewPatrol(doc: Y.Doc, villageCode: string, actor: Actor, at: number, eventId: string): void {
  const fields: PatrolFields = { form: PATROL_FORM, villageCode, createdBy: actor.id, startedAt: at };
  doc.transact(() => {
    const map = fieldsOf(doc);
    for (const [k, v] of Object.entries(fields)) map.set(k, v);
    const started: PatrolEvent = { id: eventId, type: 'started', actor: actor.id, role: actor.role, at, ...(actor.name ? { by: actor.name } : {}) };
    eventsOf(doc).push([started]);
  });
}

/** The check-in event for `input` at `at`, or null when it is not one (empty place, bad position). */
export function checkInEvent(input: CheckIn, actor: Actor, at: number, id: string): PatrolEvent | null {
  const note = input.note?.trim();
  const e = {
    id,
    type: 'checkin' as const,
    actor: actor.id,
    role: actor.role,
    at,
    ...(actor.name ? { by: actor.name } : {}),
    placeName: input.placeName.trim(),
    lat: round5(input.lat),
    lng: round5(input.lng),
    ...(note ? { note } : {}),
  };
  return isPatrolEvent(e) ? e : null;
}

export interface PlaceVisit extends CheckIn {
  at: number;
}

/** The columns both stores keep: the town's view of patrols per village and day. */
export interface PatrolSummary {
  id: string;
  village: string;
  town: string;
  createdBy: string;
  /** The patroller's display name, from the started event. */
  by: string;
  startedAt: number;
  endedAt: number | null;
  /** CST date of the start: the day the patrol counts for. */
  day: string;
  points: number;
  checkins: number;
  /** Along the kept trail, in metres. */
  distanceM: number;
}

/** The device's row: the summary plus what the map draws (bounded by MAX_POINTS and MAX_CHECKINS). */
export interface PatrolProjection extends PatrolSummary {
  trail: TrailPoint[];
  places: PlaceVisit[];
}

export function trailDistance(trail: readonly TrailPoint[]): number {
  let m = 0;
  for (let i = 1; i < trail.length; i++) m += pointMetres(trail[i - 1]!, trail[i]!);
  return Math.round(m);
}

export function projectPatrol(s: AppealSnapshot): PatrolProjection {
  const f = s.fields;
  const village = String(f.villageCode ?? '');
  const startedAt = typeof f.startedAt === 'number' ? f.startedAt : 0;
  const trail = (s.trail ?? []).filter(isTrailPoint).sort((a, b) => a[2] - b[2]);
  const started = s.events.find((e): e is PatrolEvent => isPatrolEvent(e) && e.type === 'started');
  const places = s.events
    .filter((e): e is Extract<PatrolEvent, { type: 'checkin' }> => isPatrolEvent(e) && e.type === 'checkin')
    .map(({ placeName, lat, lng, at, note }) => ({ placeName, lat, lng, at, ...(note !== undefined && { note }) }));
  return {
    id: s.id,
    village,
    town: isRegionCode(village) ? townOf(village) : '',
    createdBy: String(f.createdBy ?? ''),
    by: started?.by ?? '',
    startedAt,
    endedAt: typeof f.endedAt === 'number' ? f.endedAt : null,
    day: cstDate(cstDay(startedAt)),
    points: trail.length,
    checkins: places.length,
    distanceM: trailDistance(trail),
    trail,
    places,
  };
}

export interface CoverageRow {
  village: string;
  day: string;
  count: number;
  /** The norm of PATROLS_PER_DAY is met. */
  met: boolean;
}

/** The `n` CST dates ending with the one `now` falls on, oldest first. */
export function lastDays(now: number, n: number): string[] {
  const today = cstDay(now);
  return Array.from({ length: n }, (_, i) => cstDate(today - (n - 1 - i)));
}

/**
 * Patrols per village per CST day, each counted once on the day it started, for every
 * village × day asked (none: a row with 0). Villages in the order given, days in theirs.
 */
export function coverage(patrols: Iterable<{ village: string; startedAt: number }>, villages: readonly string[], days: readonly string[]): CoverageRow[] {
  const counts = new Map<string, number>();
  for (const p of patrols) {
    const key = `${p.village}|${cstDate(cstDay(p.startedAt))}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return villages.flatMap((village) =>
    days.map((day) => {
      const count = counts.get(`${village}|${day}`) ?? 0;
      return { village, day, count, met: count >= PATROLS_PER_DAY };
    }),
  );
}
