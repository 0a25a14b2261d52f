import { Dexie, type DBCore, type DBCoreMutateRequest, type DBCoreMutateResponse, type Middleware, type Observable } from 'dexie';
import type { AppealProjection } from '../core/projection';
import type { MinshengDB } from './db';

// The map's own copy of the appeals: what it draws of each, packed one IndexedDB row per
// village. Reading 50,000 appeal rows pays IndexedDB's price per record 50,000 times (the map
// took 7 s to open on a cheap phone); the same appeals as a town's 60 packs pay it 60 times.
// Writes to the appeals table leave a small delta per appeal (a Dexie middleware, so no write
// path can forget it); the map folds the deltas into the packs when it reads them.

/** What the map draws of an appeal. */
export type MapAppeal = Pick<AppealProjection, 'id' | 'village' | 'status' | 'urgency' | 'dueAt' | 'category' | 'createdAt' | 'lat' | 'lng' | 'title'>;

/** A village's appeals as one flat array: PACKED fields per appeal, in that order. */
export interface MapPackRow {
  village: string;
  rows: unknown[];
}

/** An appeal changed since the packs were written; `appeal` absent: deleted. Id REBUILD: rebuild every pack from the appeals. */
export interface MapDeltaRow {
  id: string;
  appeal?: MapAppeal;
}

export const MAP_DELTAS = 'mapDeltas';
/** Not an appeal id (those are UUIDs): the packs cannot be patched (a range was deleted, an old device upgraded). */
export const REBUILD = '*';

const PACKED = ['id', 'status', 'urgency', 'dueAt', 'category', 'createdAt', 'lat', 'lng', 'title'] as const satisfies readonly (keyof MapAppeal)[];

export function mapAppealOf(row: MapAppeal): MapAppeal {
  return { id: row.id, village: row.village, status: row.status, urgency: row.urgency, dueAt: row.dueAt, category: row.category, createdAt: row.createdAt, lat: row.lat, lng: row.lng, title: row.title };
}

function pack(village: string, appeals: readonly MapAppeal[]): MapPackRow {
  const rows: unknown[] = [];
  for (const a of appeals) for (const k of PACKED) rows.push(a[k]);
  return { village, rows };
}

function unpack({ village, rows }: MapPackRow, into: Map<string, MapAppeal>): void {
  for (let i = 0; i < rows.length; i += PACKED.length) {
    const a = { village } as Record<string, unknown>;
    for (let k = 0; k < PACKED.length; k++) a[PACKED[k]!] = rows[i + k];
    into.set(a.id as string, a as unknown as MapAppeal);
  }
}

/** The deltas a write to the appeals table leaves; failed operations leave none. */
function deltasOf(req: DBCoreMutateRequest, res: DBCoreMutateResponse): MapDeltaRow[] {
  const ok = (i: number) => !res.failures[i];
  switch (req.type) {
    case 'add':
    case 'put':
      return req.values.flatMap((v: MapAppeal, i) => (ok(i) ? [{ id: v.id, appeal: mapAppealOf(v) }] : []));
    case 'delete':
      return req.keys.flatMap((id: string, i) => (ok(i) ? [{ id }] : []));
    case 'deleteRange':
      return [{ id: REBUILD }];
  }
}

/** Every read-write transaction over the appeals also writes their deltas, in the same commit. */
export const mapIndexMiddleware: Middleware<DBCore> = {
  stack: 'dbcore',
  name: 'mapIndex',
  create(down) {
    // An old schema (upgrade tests open one) has no deltas table to write.
    if (!down.schema.tables.some((t) => t.name === MAP_DELTAS)) return {};
    return {
      transaction: (stores, mode, options) => down.transaction(mode === 'readwrite' && stores.includes('appeals') && !stores.includes(MAP_DELTAS) ? [...stores, MAP_DELTAS] : stores, mode, options),
      table(name) {
        const table = down.table(name);
        if (name !== 'appeals') return table;
        return {
          ...table,
          async mutate(req) {
            const res = await table.mutate(req);
            const values = deltasOf(req, res);
            if (values.length > 0) await down.table(MAP_DELTAS).mutate({ type: 'put', trans: req.trans, values });
            return res;
          },
        };
      },
    };
  },
};

/**
 * Every appeal on the device as the map draws it. The deltas are folded into the packs in the
 * same transaction (nothing can write a delta in between), and only the villages they touch
 * (also the one an appeal moved from) are packed again.
 */
export async function readMapAppeals(db: MinshengDB): Promise<MapAppeal[]> {
  return db.transaction('rw', [db.appeals, db.mapPacks, db.mapDeltas], async () => {
    const [packs, deltas] = await Promise.all([db.mapPacks.toArray(), db.mapDeltas.toArray()]);
    const byId = new Map<string, MapAppeal>();
    if (deltas.some((d) => d.id === REBUILD)) {
      for (const row of await db.appeals.toCollection().raw().toArray()) byId.set(row.id, mapAppealOf(row));
      await db.mapPacks.clear();
      await db.mapDeltas.clear();
      await db.mapPacks.bulkPut([...groupByVillage(byId.values(), null)].map(([v, list]) => pack(v, list)));
      return [...byId.values()];
    }
    for (const p of packs) unpack(p, byId);
    if (deltas.length === 0) return [...byId.values()];
    const touched = new Set<string>();
    for (const d of deltas) {
      const before = byId.get(d.id);
      if (before) touched.add(before.village);
      if (d.appeal) {
        byId.set(d.id, d.appeal);
        touched.add(d.appeal.village);
      } else byId.delete(d.id);
    }
    const groups = groupByVillage(byId.values(), touched);
    await db.mapPacks.bulkPut([...groups].map(([v, list]) => pack(v, list)));
    await db.mapPacks.bulkDelete([...touched].filter((v) => !groups.has(v)));
    await db.mapDeltas.bulkDelete(deltas.map((d) => d.id));
    return [...byId.values()];
  });
}

function groupByVillage(appeals: Iterable<MapAppeal>, only: ReadonlySet<string> | null): Map<string, MapAppeal[]> {
  const out = new Map<string, MapAppeal[]>();
  for (const a of appeals) {
    if (only && !only.has(a.village)) continue;
    const list = out.get(a.village);
    if (list) list.push(a);
    else out.set(a.village, [a]);
  }
  return out;
}

/**
 * The map's appeals as a live value: read again after each commit that wrote the appeals (on
 * this tab or another), never twice at once. Not a liveQuery: those may not write, and the
 * read folds the deltas in.
 */
export function mapAppealsQuery(db: MinshengDB): Observable<MapAppeal[]> {
  const part = `idb://${db.name}/appeals/`;
  const observable = {
    subscribe(first?: unknown, error?: (e: unknown) => void) {
      const observer = (typeof first === 'function' ? { next: first, error } : (first ?? {})) as { next?: (v: MapAppeal[]) => void; error?: (e: unknown) => void };
      let closed = false;
      let running = false;
      let again = false;
      const run = async (): Promise<void> => {
        if (running) return void (again = true);
        running = true;
        try {
          do {
            again = false;
            const rows = await readMapAppeals(db);
            if (!closed && !again) observer.next?.(rows);
          } while (again && !closed);
        } catch (e) {
          if (!closed) observer.error?.(e);
        } finally {
          running = false;
        }
      };
      const onMutated = (parts: Record<string, unknown>) => {
        if (Object.keys(parts).some((k) => k.startsWith(part))) void run();
      };
      Dexie.on('storagemutated', onMutated);
      void run();
      const subscription = {
        closed: false,
        unsubscribe() {
          closed = subscription.closed = true;
          Dexie.on.storagemutated.unsubscribe(onMutated);
        },
      };
      return subscription;
    },
  };
  return observable as unknown as Observable<MapAppeal[]>;
}
