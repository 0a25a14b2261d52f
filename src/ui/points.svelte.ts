import type { AwardInput, ExchangeInput } from '../core/points';
import type { SessionUser } from '../core/roles';
import { pointsVillages, recordAward, recordExchange, setVillageRules, villagePoints, type PointsResult } from '../store/points';

export type { VillagePoints } from '../store/points';
import { db, kickSync } from './session.svelte';

// The points screen's commands and queries (store/points.ts) on this device's database, each
// write nudging the sync so it leaves at once when a link is up.

const recorderOf = (user: SessionUser) => ({ id: user.id, role: user.role, name: user.displayName, scope: user.scope });

export const pointsOf = (village: string) => villagePoints(db, village);
export const villagesFor = (user: SessionUser) => pointsVillages(db, user);

async function kicked<T extends PointsResult>(p: Promise<T>): Promise<T> {
  const r = await p;
  if (r.ok) kickSync();
  return r;
}

export const award = (user: SessionUser, village: string, input: AwardInput, meeting: string | null) => kicked(recordAward(db, recorderOf(user), village, input, meeting));
export const exchange = (user: SessionUser, village: string, input: ExchangeInput, meeting: string | null) => kicked(recordExchange(db, recorderOf(user), village, input, meeting));
export const saveRules = (user: SessionUser, village: string, rules: unknown) => kicked(setVillageRules(db, recorderOf(user), village, rules));
