import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/id';
import type { SessionUser } from '../../src/core/roles';
import { act, recordAppeal } from '../../src/store/appeals';
import { openDb, type AppealRow, type MinshengDB } from '../../src/store/db';
import { mapAppealOf, mapAppealsQuery, readMapAppeals, REBUILD, type MapAppeal } from '../../src/store/map-index';

// The map reads the device's appeals from packs per village plus the changes since; whatever
// was written to the appeals table, and however, the map must draw exactly the rows there are.

const VILLAGES = ['371324101201', '371324101202', '371324102201'] as const;
const official: SessionUser = { id: '0190a000-0000-7000-8000-000000000002', username: 'town', displayName: '镇干部 李强', role: 'town_official', scope: { regions: ['371324101', '371324102'], departments: [] } };
const recorder = { id: official.id, role: official.role, name: official.displayName, scope: official.scope };

let db: MinshengDB;
let name: string;

beforeEach(async () => {
  name = `map-index-${Math.random()}`;
  db = openDb(name);
  await db.regions.bulkAdd([
    { code: '371324000000', name: '兰陵县', level: 'county', parent: null },
    { code: '371324101000', name: '大仲村镇', level: 'town', parent: '371324000000' },
    { code: '371324102000', name: '另一镇', level: 'town', parent: '371324000000' },
    ...VILLAGES.map((code, i) => ({ code, name: `村${i}村民委员会`, level: 'village' as const, parent: `${code.slice(0, 9)}000` })),
  ]);
});

afterEach(async () => {
  db.close();
  await indexedDB.deleteDatabase(name);
});

async function record(village: string = VILLAGES[0]): Promise<string> {
  const r = await recordAppeal(db, { channel: 'walk_in', category: 'infra.roads', kind: 'help', urgency: 'orange', villageCode: village, description: '村东头道路塌陷，雨天无法通行。', citizen: { anonymous: true } }, recorder);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.id;
}

/** What the map must draw: the appeals table itself, read row by row. */
async function truth(): Promise<MapAppeal[]> {
  return sorted((await db.appeals.toCollection().raw().toArray()).map(mapAppealOf));
}
const sorted = (rows: MapAppeal[]) => rows.toSorted((a, b) => a.id.localeCompare(b.id));

describe('the map index', () => {
  it('draws recorded appeals and their changes, packing one row per village', async () => {
    const a = await record(VILLAGES[0]);
    const b = await record(VILLAGES[1]);
    expect(sorted(await readMapAppeals(db))).toEqual(await truth());
    expect((await db.mapPacks.toArray()).map((p) => p.village).sort()).toEqual([VILLAGES[0], VILLAGES[1]]);
    expect(await db.mapDeltas.count()).toBe(0);

    const changed = await act(db, a, official, { type: 'accepted' });
    expect(changed.ok).toBe(true);
    expect(await db.mapDeltas.count()).toBe(1);
    const drawn = await readMapAppeals(db);
    expect(drawn.find((x) => x.id === a)?.status).toBe('accepted');
    expect(drawn.find((x) => x.id === b)?.status).toBe('new');
    expect(sorted(drawn)).toEqual(await truth());
  });

  it('leaves no trace of a write the database refused', async () => {
    const a = await record();
    await readMapAppeals(db);
    const row = await db.appeals.toCollection().raw().first();
    await expect(db.appeals.add({ ...row!, title: '重复' } as AppealRow)).rejects.toThrow();
    expect(await db.mapDeltas.count()).toBe(0);
    expect((await readMapAppeals(db)).find((x) => x.id === a)?.title).not.toBe('重复');
  });

  it('rebuilds from the rows after a range was cleared', async () => {
    await record();
    await readMapAppeals(db);
    await db.appeals.clear();
    expect((await db.mapDeltas.toArray()).map((d) => d.id)).toEqual([REBUILD]);
    expect(await readMapAppeals(db)).toEqual([]);
    expect(await db.mapPacks.count()).toBe(0);
    const b = await record(VILLAGES[2]);
    expect((await readMapAppeals(db)).map((x) => x.id)).toEqual([b]);
  });

  it('follows writes live, from any write path', async () => {
    const seen: number[] = [];
    const sub = mapAppealsQuery(db).subscribe({ next: (rows: MapAppeal[]) => seen.push(rows.length) });
    try {
      await expect.poll(() => seen.at(-1)).toBe(0);
      await record();
      await expect.poll(() => seen.at(-1)).toBe(1);
      const id = await record(VILLAGES[1]);
      await expect.poll(() => seen.at(-1)).toBe(2);
      await db.appeals.bulkDelete([id]);
      await expect.poll(() => seen.at(-1)).toBe(1);
    } finally {
      sub.unsubscribe();
    }
  });

  it('equals the appeals table after any sequence of puts, updates, moves, deletes and reads', async () => {
    const template = await db.appeals.toCollection().raw().first().then(async (r) => r ?? (await db.appeals.get(await record()))!);
    const { doc: _doc, ...plain } = template as AppealRow & { doc?: unknown };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), n: fc.integer({ min: 1, max: 4 }), village: fc.constantFrom(...VILLAGES) }),
      fc.record({ kind: fc.constant('update' as const), pick: fc.nat(), village: fc.constantFrom(...VILLAGES), status: fc.constantFrom('new', 'accepted', 'closed'), title: fc.string({ maxLength: 6 }) }),
      fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('read' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        await db.appeals.clear();
        for (const o of ops) {
          const ids = await db.appeals.toCollection().primaryKeys();
          const target = 'pick' in o && ids.length > 0 ? ids[o.pick % ids.length]! : null;
          if (o.kind === 'put') await db.appeals.bulkPut(Array.from({ length: o.n }, () => ({ ...plain, id: newId(), village: o.village }) as AppealRow));
          else if (o.kind === 'update' && target) await db.appeals.update(target, { village: o.village, status: o.status as AppealRow['status'], title: o.title });
          else if (o.kind === 'delete' && target) await db.appeals.delete(target);
          else if (o.kind === 'read') expect(sorted(await readMapAppeals(db))).toEqual(await truth());
        }
        expect(sorted(await readMapAppeals(db))).toEqual(await truth());
        // Every pack holds only its own village's appeals, each once.
        const packed = (await db.mapPacks.toArray()).flatMap((p) => p.rows.filter((_, i) => i % 9 === 0));
        expect(packed.length).toBe(new Set(packed).size);
      }),
      { numRuns: 40 },
    );
  });
});
