import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { duplicateHints, prepare } from '../../src/core/duplicate-hints';
import { uuidV7Factory } from '../../src/core/id';
import { findRepeats } from '../../src/core/repeats';
import { openDb, type AppealRow, type MinshengDB } from '../../src/store/db';
import { recordAppeal, type Recorder } from '../../src/store/appeals';
import { hintCandidates } from '../../src/store/duplicate-hints';

// The device-side query behind the duplicate hints: same village and category, the repeat
// window only, without reading every row of a busy village.

const DAY = 86_400_000;
const VILLAGE = '371324101201';
const OTHER_VILLAGE = '371324101202';
const WATER = 'infra.water';
const ROADS = 'infra.roads';
const who: Recorder = { id: 'u-grid', role: 'grid_worker', scope: { regions: [VILLAGE, OTHER_VILLAGE], departments: [] } };
const input = (over: Record<string, unknown> = {}) => ({
  channel: 'grid_patrol', category: WATER, kind: 'help', urgency: 'yellow', villageCode: VILLAGE,
  description: '自来水管道漏水，几天了没人修', citizen: { anonymous: true }, ...over,
});

let db: MinshengDB;
let name: string;

beforeEach(async () => {
  name = `test-${Math.random()}`;
  db = openDb(name);
  await db.regions.bulkAdd([
    { code: '371324000000', name: '兰陵县', level: 'county', parent: null },
    { code: '371324101000', name: '大仲村镇', level: 'town', parent: '371324000000' },
    { code: VILLAGE, name: '大仲村村民委员会', level: 'village', parent: '371324101000' },
    { code: OTHER_VILLAGE, name: '另一村村民委员会', level: 'village', parent: '371324101000' },
  ]);
});

afterEach(async () => {
  db.close();
  await indexedDB.deleteDatabase(name);
});

async function record(over: Record<string, unknown> = {}, at = Date.now()): Promise<string> {
  const r = await recordAppeal(db, input(over), who, at);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.id;
}

/** Rows as a device holds them after years of a busy village: ids made at their recording time. */
async function history(count: number, from: number, step: number, over: Partial<AppealRow> = {}): Promise<void> {
  const rows: AppealRow[] = [];
  for (let i = 0; i < count; i++) {
    const at = from + i * step;
    const id = uuidV7Factory(() => at)();
    rows.push({ id, village: VILLAGE, category: WATER, createdAt: at, title: `第${i}号 自来水漏水`, status: 'closed', doc: new Y.Doc(), ...over } as unknown as AppealRow);
  }
  await db.appeals.bulkAdd(rows);
}

describe('hintCandidates', () => {
  it('reads the same village and category within the window, and nothing else', async () => {
    const now = Date.now();
    const a = await record();
    await record({ villageCode: OTHER_VILLAGE });
    await record({ category: ROADS, description: '村口道路塌陷' });
    await record({}, now - 100 * DAY); // recorded (by its fields) before the window
    const got = await hintCandidates(db, VILLAGE, WATER, now - 90 * DAY);
    expect(got.map((c) => c.id)).toEqual([a]);
    expect(got[0]).toMatchObject({ village: VILLAGE, category: WATER, title: '自来水管道漏水，几天了没人修', status: 'new' });
    expect(await hintCandidates(db, '', WATER, 0)).toEqual([]);
    expect(await hintCandidates(db, VILLAGE, '', 0)).toEqual([]);
  });

  it('a village with thousands of old appeals reads the rows of the window only', async () => {
    const now = Date.now();
    const since = now - 90 * DAY;
    await history(4000, now - 4 * 365 * DAY, 8 * 3600_000); // four years, ended well before the window
    await history(5, now - 10 * DAY, DAY);
    // A phone whose clock stepped: its id says an hour before the window, its record says inside.
    await history(1, since - 3600_000, 0, { createdAt: since + 1000 });
    const read = vi.spyOn(db.appeals, 'bulkGet');
    const t0 = performance.now();
    const got = await hintCandidates(db, VILLAGE, WATER, since);
    const ms = performance.now() - t0;
    expect(got).toHaveLength(6);
    expect(read).toHaveBeenCalledTimes(1);
    expect(read.mock.calls[0]![0].length).toBeLessThanOrEqual(6 + 10);
    // The hints' whole path on this village, for the record (speed is asserted in bench, not here).
    const hints = duplicateHints({ village: VILLAGE, category: WATER, text: '自来水又漏水了', now }, got.map(prepare));
    expect(hints.count).toBe(6);
    console.info(`hintCandidates over 4006 appeals: ${ms.toFixed(1)} ms (fake-indexeddb)`);
  });
});

describe('the repeat link', () => {
  it('is kept in the document and the projection, and special governance counts it with the appeal it repeats', async () => {
    const first = await record();
    const linked = await record({ repeatOf: first, description: '自来水管又漏水了' });
    const row = await db.appeals.get(linked);
    expect(row!.repeatOf).toBe(first);
    expect((await db.appeals.get(first))!.repeatOf).toBeNull();
    const rows = await db.appeals.toArray();
    const groups = findRepeats(rows, { threshold: 2, windowDays: 90 }, Date.now());
    expect(groups).toHaveLength(1);
    expect(new Set(groups[0]!.appealIds)).toEqual(new Set([first, linked]));
  });

  it('refuses a link that is not an appeal id', async () => {
    const r = await recordAppeal(db, input({ repeatOf: 'x' }), who);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors.repeatOf).toBe('invalid_choice');
  });
});
