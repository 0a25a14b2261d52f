import fc from 'fast-check';
import { expect, it } from 'vitest';
import { recomplained } from '../../../src/core/fair-ranking';
import { monthOf, repeats, tallyUnits, TALLY_KEYS, weekOf, type RankRow, type UnitTally } from '../../../src/core/metrics';
import type { AppealProjection } from '../../../src/core/projection';
import { townOf } from '../../../src/core/regions';
import { unitOf, type UnitKind } from '../../../src/core/units';
import { unitTallies } from '../../../server/services/rank-tallies';
import { eachStore, POLICY, storeProjection } from './stores';

// The rankings, red and black lists and the wall count in the database (server/store/reports),
// since a city's month is too many appeals to read one by one. Whatever the SQL, each unit's
// tally must be the one the core adds up from the same appeals' rows (src/core/metrics.ts): a
// repeat judged against the wrong window, a re-complaint found in the appeal itself, a unit
// made of the wrong tier's appeals would each move a town up or down the table.

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.parse('2026-06-01T00:00:00+08:00');
const VILLAGES = ['371324101201', '371324101202', '371324101203', '371324102203', '371324102204', '371324102205', '371302001201', '371302001202'];
const CATEGORIES = ['infra.roads', 'env.water', 'social.security', 'env.noise', 'infra.power', 'social.pension'];
const DEPTS = [null, 'water', 'roads'] as const;
const QUALITY = [null, 'passed', 'redo'] as const;
const SATISFACTION = [null, 'satisfied', 'basically_satisfied', 'unsatisfied'] as const;

/** A small deterministic generator: the same store every run, dense enough to repeat and re-complain. */
function random(seed: number) {
  let x = seed;
  const next = () => ((x = (x * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  return { next, pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!, chance: (p: number) => next() < p };
}

function rowOf(a: AppealProjection, receivedAt: number): RankRow {
  return {
    id: a.id, town: a.town, dept: a.dept, tier: a.tier, village: a.village, category: a.category, createdAt: a.createdAt, repliedAt: a.repliedAt,
    onTime: a.onTime, handlingMinutes: a.handlingMinutes, satisfaction: a.satisfaction, reopenCount: a.reopenCount, mergedInto: a.mergedInto,
    returns: a.returns, reassigns: a.reassigns, dispatchMinutes: a.dispatchMinutes, receivedAt, quality: a.quality, redoCount: a.redoCount,
  };
}

const close = (t: UnitTally) => Object.fromEntries(TALLY_KEYS.map((k) => [k, Math.round(t[k] * 1000) / 1000]));

eachStore('the rankings’ tallies', (use) => {
  it('are the core’s tallies of the same appeals, for any period, scope and kind of unit', () =>
    use(async (store) => {
      const r = random(7);
      // The template's own row lies in no period asked about and shares no village.
      const template = await storeProjection(store, { village: '371399001201', town: '371399001000', createdAt: START - 400 * DAY });
      const rows: RankRow[] = [];
      const stored: AppealProjection[] = [];
      // A duplicate merged into an appeal answered before it: the problem came back, whatever village or category it was filed under.
      const mergeTarget = (at: number) => {
        if (!r.chance(0.15)) return null;
        const answered = rows.filter((a) => a.repliedAt !== null && a.repliedAt < at && a.repliedAt > at - 80 * DAY);
        return answered.length === 0 ? null : r.pick(answered).id;
      };
      for (let i = 0; i < 160; i++) {
        const village = r.pick(VILLAGES);
        const createdAt = START + Math.floor(r.next() * 150 * DAY);
        const replied = r.chance(0.7);
        const mergedInto = mergeTarget(createdAt);
        const a: AppealProjection = {
          ...template,
          id: `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`,
          village,
          town: townOf(village),
          // A duplicate filed under a problem of its own comes back only through the merge.
          category: mergedInto ? `dup.${i}` : r.pick(CATEGORIES),
          tier: r.chance(0.15) ? 'city' : r.pick(['town', 'county'] as const),
          dept: r.pick(DEPTS),
          createdAt,
          repliedAt: replied ? createdAt + Math.floor(r.next() * 20 * DAY) : null,
          onTime: replied && r.chance(0.9) ? r.chance(0.7) : null,
          handlingMinutes: replied && r.chance(0.9) ? Math.floor(r.next() * 5000) : null,
          satisfaction: replied ? r.pick(SATISFACTION) : null,
          reopenCount: r.chance(0.1) ? 1 : 0,
          mergedInto,
          returns: r.chance(0.2) ? 1 + Math.floor(r.next() * 2) : 0,
          reassigns: r.chance(0.1) ? 1 : 0,
          dispatchMinutes: r.chance(0.6) ? Math.floor(r.next() * 30) : null,
          quality: replied ? r.pick(QUALITY) : null,
          redoCount: r.chance(0.1) ? 1 : 0,
        };
        // Unknown, before recording (a phone's clock behind), or after a wait to sync.
        const receivedAt = r.chance(0.15) ? 0 : r.chance(0.1) ? createdAt - HOUR : createdAt + Math.floor(r.next() * 3 * DAY);
        // Half written as pushes write them, keeping their own handling minutes; half as rows from before.
        await store.inPushTx((tx) => tx.upsertProjection(a, 1, receivedAt, i % 2 ? POLICY.hours : undefined));
        stored.push(a);
        rows.push(rowOf(a, receivedAt));
      }
      // Later changes, as phones send them: moved to another village or category, merged and
      // unmerged, answered and reopened. The stored gaps of every appeal they touch must follow.
      for (let k = 0; k < 80; k++) {
        const i = Math.floor(r.next() * stored.length);
        const was = stored[i]!;
        const village = r.chance(0.3) ? r.pick(VILLAGES) : was.village;
        const replied = r.chance(0.3) ? (r.chance(0.5) ? null : was.createdAt + Math.floor(r.next() * 20 * DAY)) : was.repliedAt;
        const a: AppealProjection = {
          ...was,
          village,
          town: townOf(village),
          category: r.chance(0.3) ? r.pick(CATEGORIES) : was.category,
          repliedAt: replied,
          mergedInto: r.chance(0.3) ? mergeTarget(was.createdAt) : was.mergedInto,
        };
        await store.inPushTx((tx) => tx.upsertProjection(a, 2, 0, r.chance(0.5) ? POLICY.hours : undefined));
        stored[i] = a;
        rows[i] = rowOf(a, rows[i]!.receivedAt!);
      }
      // On the windows' edges, to the millisecond: the second repeats the first (exactly the window
      // before it), and the third brings the second's problem back exactly the window after its reply.
      // The last two, one problem recorded at the same instant, repeat neither.
      // Then an appeal answered, and a duplicate merged into it exactly the window after the reply.
      const edges = [START - 80 * DAY, START + 10 * DAY, START + 102 * DAY, START + 11 * DAY, START + 11 * DAY, START + 11 * DAY, START + 103 * DAY];
      const edgeId = (k: number) => `0190a000-0000-7000-8000-9000000000${k}0`;
      for (const [k, createdAt] of edges.entries()) {
        const village = '371324101209';
        const category = ['edge.window', 'edge.window', 'edge.window', 'edge.tie', 'edge.tie', 'edge.target', 'edge.duplicate'][k]!;
        const repliedAt = k === 1 ? START + 12 * DAY : k === 5 ? START + 13 * DAY : null;
        const a: AppealProjection = { ...template, id: edgeId(k), village, town: townOf(village), category, createdAt, repliedAt, mergedInto: k === 6 ? edgeId(5) : null };
        await store.inPushTx((tx) => tx.upsertProjection(a, 1, createdAt));
        rows.push(rowOf(a, createdAt));
      }
      const scopes = fc.constantFrom<string[][]>(['3713'], ['371324'], ['371324101'], ['371324101201', '371302']);
      const departments = fc.option(fc.uniqueArray(fc.constantFrom<string>('water', 'roads'), { minLength: 1, maxLength: 2 }), { nil: undefined, freq: 2 });
      const period = fc.tuple(fc.integer({ min: 0, max: 170 }), fc.boolean()).map(([d, month]) => (month ? monthOf : weekOf)(START + d * DAY));
      const unit = fc.tuple(fc.constantFrom<UnitKind>('county', 'town', 'dept'), fc.constantFrom('city' as const, 'county' as const));
      await fc.assert(
        fc.asyncProperty(scopes, departments, period, unit, fc.boolean(), fc.constantFrom(1, 7, 30, 90), async (prefixes, depts, p, [kind, level], fair, W) => {
          const of = unitOf(kind, level);
          // Short windows too: in this small, dense store nearly every problem comes back within 90 days.
          const policy = { ...POLICY, repeat: { ...POLICY.repeat, windowDays: W } };
          const counted = await unitTallies(store, prefixes, depts, of, p, policy, fair);
          const inScope = rows.filter((a) => prefixes.some((x) => a.village.startsWith(x)) && (!depts || (a.dept !== null && depts.includes(a.dept))));
          // Without departments, a repeat or a re-complaint is judged against every appeal (a duplicate
          // merged in from another county counts); a department's, against its own.
          const judged = depts ? inScope : rows;
          const expected = tallyUnits(inScope, of, p, POLICY.hours, repeats(judged, W), fair ? recomplained(judged, W) : new Set());
          if (!fair) for (const t of expected.values()) t.ownMinutes = 0;
          const sorted = (m: Map<string, UnitTally>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([u, t]) => [u, close(t)]);
          expect(sorted(counted)).toEqual(sorted(expected));
        }),
        // The edges' month, always: random periods find it only now and then.
        { numRuns: 200, examples: [[['371324'], undefined, monthOf(edges[1]!), ['town', 'county'], true, 90]] },
      );
    }));
});
