import Database from 'better-sqlite3';
import fc from 'fast-check';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPgSchema, openPgStore } from '../../../server/store/postgres';
import { STALE_GAPS } from '../../../server/store/reports/problem-gaps';
import { openSqliteStore } from '../../../server/store/sqlite';
import type { Store } from '../../../server/store/types';
import type { AppealProjection } from '../../../src/core/projection';
import { townOf } from '../../../src/core/regions';
import { freshPgSchema } from '../../helpers/pushing-phones';
import { PG_URL, tempDir } from '../../helpers/server';
import { storeProjection } from './stores';

// Each appeal row keeps the gaps to its problem's neighbours (server/store/reports/problem-gaps.ts),
// and a push brings up to date only the rows a change can move. Whatever the changes, and however
// many a push carries, no row may be left with gaps other than its problem's appeals now give.

const pgUp = process.env.MINSHENG_TEST_PG_UP === '1';
const DAY = 86_400_000;
const START = Date.parse('2026-03-01T00:00:00+08:00');
const VILLAGES = ['371324101201', '371324101202'];
const CATEGORIES = ['infra.roads', 'env.water'];

/** A store and a way to count its rows with stale gaps, straight from its database. */
interface Opened {
  store: Store;
  stale(): Promise<number>;
  close(): Promise<void>;
}

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropPgSchema(PG_URL, s);
});

const BACKENDS: { name: string; skip: boolean; open(): Promise<Opened> }[] = [
  {
    name: 'SQLite',
    skip: false,
    open: async () => {
      const dir = tempDir();
      const store = openSqliteStore(dir);
      const db = new Database(path.join(dir, 'minsheng.sqlite'), { readonly: true });
      return {
        store,
        stale: async () => (db.prepare(`SELECT count(*) AS n FROM appeals WHERE ${STALE_GAPS}`).get() as { n: number }).n,
        close: async () => {
          db.close();
          await store.close();
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    skip: !pgUp,
    open: async () => {
      const { schema, url } = await freshPgSchema(PG_URL, 'gaps');
      schemas.push(schema);
      const store = await openPgStore(url);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return {
        store,
        stale: async () => Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM appeals WHERE ${STALE_GAPS}`)).rows[0]!.n),
        close: async () => {
          await c.end();
          await store.close();
        },
      };
    },
  },
];

/** One change a push carries: a new appeal (recorded any time, a phone may sync late), or a change of one already stored. */
type Change =
  | { kind: 'new'; village: number; category: number; day: number; replyAfter: number | null }
  | { kind: 'change'; which: number; village: number; category: number; replyAfter: number | null; mergeInto: number | null };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('new' as const), village: fc.nat(1), category: fc.nat(1), day: fc.nat(40), replyAfter: fc.option(fc.nat(15), { nil: null }) }),
  fc.record({ kind: fc.constant('change' as const), which: fc.nat(), village: fc.nat(1), category: fc.nat(1), replyAfter: fc.option(fc.nat(15), { nil: null }), mergeInto: fc.option(fc.nat(), { nil: null }) }),
);

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`problem gaps on ${backend.name}`, () => {
    it('stay what the problem’s appeals give after any pushes, each of several changes', async () => {
      const opened = await backend.open();
      try {
        const template = await storeProjection(opened.store, { village: '371399001201', town: '371399001000', createdAt: START - 400 * DAY });
        let run = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(fc.array(change, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }), async (pushes) => {
            // Each run its own appeals, in the same few problems as every run before it.
            run++;
            const mine: AppealProjection[] = [];
            for (const changes of pushes) {
              await opened.store.inPushTx(async (tx) => {
                for (const ch of changes) {
                  const village = VILLAGES[ch.village]!;
                  if (ch.kind === 'new') {
                    const createdAt = START + ch.day * DAY + mine.length;
                    const a: AppealProjection = { ...template, id: `0190b000-0000-7000-8000-${String(run).padStart(6, '0')}${String(mine.length).padStart(6, '0')}`, village, town: townOf(village), category: CATEGORIES[ch.category]!, createdAt, repliedAt: ch.replyAfter === null ? null : createdAt + ch.replyAfter * DAY, mergedInto: null };
                    mine.push(a);
                    await tx.upsertProjection(a, 1, createdAt);
                  } else if (mine.length > 0) {
                    const i = ch.which % mine.length;
                    const was = mine[i]!;
                    const target = ch.mergeInto === null ? null : mine[ch.mergeInto % mine.length]!.id;
                    const a: AppealProjection = { ...was, village, town: townOf(village), category: CATEGORIES[ch.category]!, repliedAt: ch.replyAfter === null ? null : was.createdAt + ch.replyAfter * DAY, mergedInto: target === was.id ? null : target };
                    mine[i] = a;
                    await tx.upsertProjection(a, 2, 0);
                  }
                }
              });
              expect(await opened.stale()).toBe(0);
            }
          }),
          { numRuns: 30 },
        );
      } finally {
        await opened.close();
      }
    }, 60_000);
  });
}
