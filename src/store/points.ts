import { liveQuery, type Observable } from 'dexie';
import * as Y from 'yjs';
import { cstDay } from '../core/calendar';
import { eventsOf } from '../core/doc';
import { newId } from '../core/id';
import {
  awardEvent,
  currentRules,
  exchangeEvent,
  foldLedger,
  MAX_RULE_SETS,
  MAX_SHEET_ENTRIES,
  mayCreatePoints,
  POINTS_RECORDERS,
  POINTS_RULE_EDITORS,
  projectPoints,
  recentHouseholds,
  rulesEvent,
  validateRules,
  writeNewPoints,
  type AwardInput,
  type ExchangeInput,
  type Ledger,
  type PointsEvent,
  type PointsKind,
  type PointsRule,
} from '../core/points';
import { regionInScope } from '../core/roles';
import type { Region } from '../core/regions';
import { villageChecker, type Recorder } from './appeals';
import { deviceNow } from './clock';
import type { MinshengDB, PointsRow } from './db';
import { applyLocalChange, storeNewDoc } from './docs';

// Village points on the device: awards, exchanges and rule lists written offline into points
// documents (core/points.ts), each change queued for the server like any document's. A
// facilitator writes into their own sheet of the day for the village (and meeting), so two
// phones never share a list; balances are folded from every sheet the device holds.

export type PointsResult = { ok: true } | { ok: false; reason: string };

/** The user's open sheet for the village today (and this meeting), or null. */
async function openSheet(db: MinshengDB, who: Recorder, village: string, meetingId: string | null, now: number): Promise<PointsRow | null> {
  const mine = await db.points.where('createdBy').equals(who.id).toArray();
  const today = cstDay(now);
  return (
    mine.find((p) => p.kind === 'sheet' && p.village === village && p.meetingId === meetingId && cstDay(p.createdAt) === today && p.entries.length < MAX_SHEET_ENTRIES) ?? null
  );
}

/** Appends `event` to an existing document, or creates one (kind, village) holding it. */
async function writeEvent(db: MinshengDB, who: Recorder, existing: PointsRow | null, init: { kind: PointsKind; villageCode: string; meetingId?: string | undefined }, event: PointsEvent, now: number): Promise<void> {
  if (existing) {
    await applyLocalChange(db, existing.id, (doc) => eventsOf(doc).push([event]), now);
    return;
  }
  const id = newId();
  const doc = new Y.Doc();
  // The opening and the first entry travel as one update (storeNewDoc).
  writeNewPoints(doc, init, who, Math.round(now), newId());
  eventsOf(doc).push([event]);
  await storeNewDoc(db, db.points, id, doc, projectPoints, now);
}

async function mayRecord(db: MinshengDB, who: Recorder, village: string): Promise<string | null> {
  if (!mayCreatePoints(who.role, 'sheet')) return 'role_not_allowed';
  if (!(await villageChecker(db, who.scope, [village]))(village)) return 'villageCode';
  return null;
}

/** Records an award (or a deduction) for a household, offline. */
export async function recordAward(db: MinshengDB, who: Recorder, village: string, input: AwardInput, meetingId: string | null = null, now = deviceNow(db)): Promise<PointsResult> {
  const refused = await mayRecord(db, who, village);
  if (refused) return { ok: false, reason: refused };
  const event = awardEvent(input, who, now, newId());
  if (!event) return { ok: false, reason: 'invalid' };
  await writeEvent(db, who, await openSheet(db, who, village, meetingId, now), { kind: 'sheet', villageCode: village, meetingId: meetingId ?? undefined }, event, now);
  return { ok: true };
}

/** Records goods handed over for points, offline. An exchange past the balance is kept (and flagged by the fold). */
export async function recordExchange(db: MinshengDB, who: Recorder, village: string, input: ExchangeInput, meetingId: string | null = null, now = deviceNow(db)): Promise<PointsResult> {
  const refused = await mayRecord(db, who, village);
  if (refused) return { ok: false, reason: refused };
  const event = exchangeEvent(input, who, now, newId());
  if (!event) return { ok: false, reason: 'invalid' };
  await writeEvent(db, who, await openSheet(db, who, village, meetingId, now), { kind: 'sheet', villageCode: village, meetingId: meetingId ?? undefined }, event, now);
  return { ok: true };
}

/** Sets a village's rule list: appended to its rules document on this device, or to a new one. */
export async function setVillageRules(db: MinshengDB, who: Recorder, village: string, raw: unknown, now = deviceNow(db)): Promise<PointsResult & { rules?: PointsRule[] }> {
  if (!POINTS_RULE_EDITORS.includes(who.role)) return { ok: false, reason: 'role_not_allowed' };
  if (!(await villageChecker(db, who.scope, [village]))(village)) return { ok: false, reason: 'villageCode' };
  const checked = validateRules(raw);
  if (!checked.ok) return { ok: false, reason: checked.errors.map((e) => e.error).join(',') };
  const event = rulesEvent(checked.value, who, now, newId());
  if (!event) return { ok: false, reason: 'invalid' };
  const docs = await db.points.where('village').equals(village).toArray();
  const existing = docs.filter((d) => d.kind === 'rules' && d.ruleSets.length < MAX_RULE_SETS).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))[0] ?? null;
  await writeEvent(db, who, existing, { kind: 'rules', villageCode: village }, event, now);
  return { ok: true, rules: checked.value };
}

export interface VillagePoints {
  rules: readonly PointsRule[];
  customRules: boolean;
  ledger: Ledger;
  /** Households written to lately on this device's sheets, latest first. */
  recent: string[];
}

/** A village's rules, ledger and recent households, live. */
export function villagePoints(db: MinshengDB, village: string): Observable<VillagePoints> {
  return liveQuery(async () => {
    const docs = await db.points.where('village').equals(village).toArray();
    const rules = currentRules(docs);
    const entries = docs.flatMap((d) => d.entries);
    return { rules: rules.rules, customRules: rules.custom, ledger: foldLedger(entries), recent: recentHouseholds(entries, 12) };
  });
}

/** The villages the user may keep points for, by code. */
export function pointsVillages(db: MinshengDB, who: Pick<Recorder, 'scope'>): Observable<Region[]> {
  return liveQuery(async () => {
    const villages = await db.regions.where('level').equals('village').toArray();
    return villages.filter((v) => regionInScope(who.scope, v.code)).sort((a, b) => a.code.localeCompare(b.code));
  });
}

export { POINTS_RECORDERS, POINTS_RULE_EDITORS };
