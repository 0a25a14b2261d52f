import type { Region } from '../../../src/core/regions';
import { chunks, valueRows, type Sql } from '../sql';
import type { RegionStore } from './contract';

export function regionStore(sql: Sql): RegionStore {
  return {
    regionCount: async () => (await sql.get<{ n: number }>('SELECT count(*) AS n FROM regions'))!.n,
    // A few statements, not one per row: a city has tens of thousands of villages.
    insertRegions: (regions) =>
      sql.transaction(async (tx) => {
        for (const part of chunks(regions)) {
          await tx.run(`INSERT INTO regions (code, name, level, parent) VALUES ${valueRows(part.length, 4)}`, part.flatMap((r) => [r.code, r.name, r.level, r.parent]));
        }
      }),
    regionsUnder: async (prefixes) =>
      prefixes.length === 0
        ? []
        : sql.all<Region>(`SELECT code, name, level, parent FROM regions WHERE ${prefixes.map(() => 'code LIKE ?').join(' OR ')} ORDER BY code`, prefixes.map((p) => `${p}%`)),
    isVillage: async (code) => (await sql.get("SELECT 1 AS x FROM regions WHERE code = ? AND level = 'village'", [code])) !== undefined,
  };
}
