import { appealFromRow } from '../rows';
import type { Sql } from '../sql';
import type { DeputyStore } from './contract';

export function deputyStore(sql: Sql): DeputyStore {
  return {
    deputyPosts: async (prefixes, limit) => {
      if (prefixes.length === 0) return [];
      const scope = sql.dialect.scope(prefixes, undefined);
      const rows = await sql.all<Record<string, unknown>>(`SELECT * FROM appeals WHERE channel = 'deputy' AND ${scope.sql} ORDER BY created_at DESC, id DESC LIMIT ?`, [...scope.args, limit]);
      return rows.map(appealFromRow);
    },
  };
}
