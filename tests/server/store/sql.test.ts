import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPgSchema } from '../../../server/store/postgres';
import { numberPlaceholders, PG_TYPES, pgRunner } from '../../../server/store/postgres/runner';
import { sqliteRunner } from '../../../server/store/sqlite/runner';
import { byDialect, type Sql } from '../../../server/store/sql';
import { PG_URL } from '../../helpers/server';

// The runner every capability is written over (server/store/sql.ts), on both dialects.

describe('PostgreSQL placeholders', () => {
  it('numbers each ? in order and leaves quoted text alone', () => {
    expect(numberPlaceholders("SELECT ? AS a, '?' AS q, 'it''s ?' AS r WHERE x = ? AND y IN (?)")).toBe("SELECT $1 AS a, '?' AS q, 'it''s ?' AS r WHERE x = $2 AND y IN ($3)");
  });
});

const pgUp = process.env.MINSHENG_TEST_PG_UP === '1';
const schema = `runner_${process.pid}`;
const pools: pg.Pool[] = [];
afterAll(async () => {
  for (const p of pools) await p.end();
  if (pgUp) await dropPgSchema(PG_URL, schema);
});

const RUNNERS: { name: string; open: () => Promise<Sql>; skip: boolean }[] = [
  { name: 'SQLite', open: async () => sqliteRunner(new Database(':memory:')).sql, skip: false },
  {
    name: 'PostgreSQL',
    open: async () => {
      const pool = new pg.Pool({ connectionString: PG_URL, types: PG_TYPES, options: `-c search_path=${schema}` });
      pools.push(pool);
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
      return pgRunner(pool);
    },
    skip: !pgUp,
  },
];

for (const kind of RUNNERS) {
  describe.skipIf(kind.skip)(`the ${kind.name} runner`, () => {
    it('commits a transaction whole, rolls a failed one back whole, and joins a nested one', async () => {
      const sql = await kind.open();
      await sql.run('CREATE TABLE t (x BIGINT NOT NULL, village TEXT, dept TEXT)');
      await sql.transaction(async (tx) => {
        await tx.run('INSERT INTO t (x) VALUES (?)', [1]);
        await tx.transaction(async (inner) => void (await inner.run('INSERT INTO t (x) VALUES (?)', [2])));
      });
      await expect(
        sql.transaction(async (tx) => {
          await tx.run('INSERT INTO t (x) VALUES (?)', [3]);
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect(await sql.all<{ x: number }>('SELECT x FROM t ORDER BY x')).toEqual([{ x: 1 }, { x: 2 }]);
      expect(await sql.run('DELETE FROM t WHERE x > ?', [1])).toBe(1);
      expect(await sql.get('SELECT x FROM t WHERE x = ?', [9])).toBeUndefined();
    });

    it('reads nothing a running transaction has not committed', async () => {
      const sql = await kind.open();
      await sql.run('CREATE TABLE t (x BIGINT NOT NULL)');
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const tx = sql.transaction(async (t) => {
        await t.run('INSERT INTO t (x) VALUES (?)', [1]);
        await held;
      });
      await new Promise((r) => setTimeout(r, 20));
      if (sql.dialect.name === 'postgres') {
        // Another connection reads the state before the commit.
        expect(await sql.all('SELECT x FROM t')).toEqual([]);
        release();
      } else {
        // The one connection would see the insert: the read waits for the commit instead.
        let done = false;
        const read = sql.all<{ x: number }>('SELECT x FROM t').finally(() => (done = true));
        await new Promise((r) => setTimeout(r, 20));
        expect(done).toBe(false);
        release();
        expect(await read).toEqual([{ x: 1 }]);
      }
      await tx;
    });

    it('binds a list as one parameter and filters by region prefixes and departments', async () => {
      const sql = await kind.open();
      await sql.run('CREATE TABLE t (x BIGINT NOT NULL, village TEXT, dept TEXT)');
      const rows: [number, string, string | null][] = [[1, '371324101201', 'water'], [2, '371324102203', 'roads'], [3, '371325100200', 'water'], [4, '371324101202', null]];
      for (const r of rows) await sql.run('INSERT INTO t (x, village, dept) VALUES (?, ?, ?)', r);
      const xs = async (f: { sql: string; args: unknown[] }) => (await sql.all<{ x: number }>(`SELECT x FROM t WHERE ${f.sql} ORDER BY x`, f.args)).map((r) => r.x);
      expect(await xs(sql.dialect.inList('village', ['371324102203', '371325100200', 'none']))).toEqual([2, 3]);
      expect(await xs(sql.dialect.inList('village', []))).toEqual([]);
      expect(await xs(sql.dialect.scope(['371324101', '371325'], undefined))).toEqual([1, 3, 4]);
      expect(await xs(sql.dialect.scope(['371324'], ['water']))).toEqual([1]);
      expect(await xs(sql.dialect.scope(['371324'], ['water', 'roads']))).toEqual([1, 2]);
      expect(await sql.all(`SELECT ${sql.dialect.greatest('x', '2')} AS g FROM t WHERE x IN (1, 3) ORDER BY x`)).toEqual([{ g: 2 }, { g: 3 }]);
      expect(byDialect(sql, { sqlite: 'S', postgres: 'P' })).toBe(kind.name === 'SQLite' ? 'S' : 'P');
    });
  });
}
