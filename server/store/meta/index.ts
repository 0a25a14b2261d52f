import type { Sql } from '../sql';
import type { MetaStore } from './contract';

const GET = 'SELECT value FROM meta WHERE key = ?';

export function metaStore(sql: Sql): MetaStore {
  return {
    getMeta: async (key) => (await sql.get<{ value: string }>(GET, [key]))?.value ?? null,
    setMeta: async (key, value) => void (await sql.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value])),
    claimMeta: async (key, value) => {
      await sql.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, value]);
      return (await sql.get<{ value: string }>(GET, [key]))!.value;
    },
  };
}
