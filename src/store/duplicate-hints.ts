import type { HintCandidate } from '../core/duplicate-hints';
import { isUuidV7, uuidV7Time } from '../core/id';
import type { MinshengDB } from './db';

// The appeals on the device a new one in `village` and `category` may repeat, for the
// duplicate hints while recording (core/duplicate-hints.ts). Offline: only the local table.
//
// A busy village holds thousands of appeals over the years, and rows carry their Y.Doc
// handle, so whole rows are read for the repeat window only: the village index gives the
// ids alone (sorted, cheap), and an id is a UUIDv7 whose first 48 bits are its recording
// time, so ids older than the window are dropped before any row is read. The row's own
// `createdAt` then decides exactly; a day of slack covers a recording clock that stepped.

const DAY = 86_400_000;
const ID_SLACK_MS = DAY;

export async function hintCandidates(db: MinshengDB, village: string, category: string, since: number): Promise<HintCandidate[]> {
  if (!village || !category) return [];
  const ids = await db.appeals.where('village').equals(village).primaryKeys();
  const recent = ids.filter((id) => !isUuidV7(id) || uuidV7Time(id) >= since - ID_SLACK_MS);
  const rows = await db.appeals.bulkGet(recent);
  const out: HintCandidate[] = [];
  for (const r of rows) {
    if (!r || r.category !== category || r.createdAt < since) continue;
    out.push({ id: r.id, village: r.village, category: r.category, createdAt: r.createdAt, title: r.title, status: r.status });
  }
  return out;
}
