import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { checkUpdate, type CheckContext, type UpdateCheck } from '../../src/core/accept';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { eventsOf, fieldsOf, readAppeal, textOf, type Actor } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import {
  awardEvent,
  currentRules,
  DEFAULT_RULES,
  exchangeEvent,
  foldLedger,
  isHousehold,
  normalizeHousehold,
  pointsErrors,
  pointsReport,
  projectPoints,
  publicBoard,
  recentHouseholds,
  rulesEvent,
  validateRules,
  writeNewPoints,
  type LedgerEntry,
  type PointsEvent,
} from '../../src/core/points';
import type { SessionUser } from '../../src/core/roles';
import { gridWorker, knownVillage, OTHER_TOWN_VILLAGE, townOfficial, VILLAGE } from './fixtures';

const T0 = 1_764_460_800_000;
const MIN = 60_000;
const facilitator: SessionUser = { id: 'u-bench', username: 'bench1', displayName: 'Bench One', role: 'bench_facilitator', scope: { regions: [VILLAGE], departments: [] } };
const otherFacilitator: SessionUser = { ...facilitator, id: 'u-bench-2', username: 'bench2', displayName: 'Bench Two' };
const station: SessionUser = { id: 'u-station', username: 'station1', displayName: 'Station', role: 'village_station', scope: { regions: [VILLAGE], departments: [] } };
const farTown: SessionUser = { ...townOfficial, id: 'u-far', scope: { regions: ['371324103'], departments: [] } };
const asActor = (u: SessionUser): Actor => ({ id: u.id, role: u.role, name: u.displayName });
const ctxFor = (user: SessionUser): CheckContext => ({ user, knownVillage, policy: POLICY_PRESETS.lanling });

function expectReject(r: UpdateCheck, reason: string) {
  expect(r.ok ? 'accepted' : `${r.reason}: ${r.detail}`).toMatch(new RegExp(`^${reason}`));
}

function newSheet(user: SessionUser, village = VILLAGE, kind: 'sheet' | 'rules' = 'sheet') {
  const doc = new Y.Doc();
  const id = newId();
  writeNewPoints(doc, { kind, villageCode: village }, asActor(user), T0, newId());
  return { doc, id, update: Y.encodeStateAsUpdate(doc) };
}

/** The update `mutate` makes on a copy of `server`'s state. */
function change(server: Y.Doc, mutate: (doc: Y.Doc) => void): Uint8Array {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(server));
  const sv = Y.encodeStateVector(doc);
  mutate(doc);
  return Y.encodeStateAsUpdate(doc, sv);
}

const award = (u: SessionUser, household: string, points = 5, at = T0 + MIN) => awardEvent({ household, rule: 'front_clean', label: '门前卫生', points }, asActor(u), at, newId())!;
const exchange = (u: SessionUser, household: string, points: number, at = T0 + 2 * MIN) => exchangeEvent({ household, goods: '化肥1袋', points }, asActor(u), at, newId())!;

describe('household numbers', () => {
  it('keeps one plain form and nothing that could be a name', () => {
    expect(normalizeHousehold('3组-12')).toBe('3组-12');
    expect(normalizeHousehold(' 3-12 ')).toBe('3组-12');
    expect(normalizeHousehold('３组１２号')).toBe('3组-12');
    expect(normalizeHousehold('03组-007')).toBe('3组-7');
    expect(normalizeHousehold('12')).toBe('12');
    for (const bad of ['张三', '3组-张三', '', '3组-', '12345', '1234组-1', '3组-12 张']) expect(normalizeHousehold(bad)).toBeNull();
    expect(isHousehold('3组-12')).toBe(true);
    expect(isHousehold('3-12')).toBe(false);
  });

  it('any string either normalises to a stored form or is refused', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const n = normalizeHousehold(s);
        if (n !== null) {
          expect(isHousehold(n)).toBe(true);
          expect(n).toMatch(/^[0-9组-]+$/);
        }
      }),
    );
  });
});

describe('rule lists', () => {
  it('the defaults are valid, and a list gets ids and refuses bad rows', () => {
    expect(validateRules(DEFAULT_RULES).ok).toBe(true);
    const made = validateRules([{ label: ' 门前卫生 ', points: 5 }, { label: 'Help out', points: 3 }]);
    expect(made.ok && made.value.map((r) => r.label)).toEqual(['门前卫生', 'Help out']);
    expect(made.ok && made.value[1]!.id).toBe('help_out');
    expect(made.ok && new Set(made.value.map((r) => r.id)).size).toBe(2);
    const bad = validateRules([{ label: '', points: 5 }, { label: 'a', points: 0 }, { label: 'a', points: 1000 }]);
    expect(bad.ok ? [] : bad.errors.map((e) => `${e.index}:${e.error}`)).toEqual(['0:label', '1:points', '2:duplicate', '2:points']);
    expect(validateRules([]).ok).toBe(false);
    expect(validateRules('x').ok).toBe(false);
  });

  it('the latest set across documents wins, whatever their order', () => {
    const a = { ruleSets: [{ id: newId(), at: T0, actor: 'x', rules: [{ id: 'a', label: 'A', points: 1 }] }] };
    const b = { ruleSets: [{ id: newId(), at: T0 + 1, actor: 'y', rules: [{ id: 'b', label: 'B', points: 2 }] }] };
    expect(currentRules([a, b]).rules[0]!.id).toBe('b');
    expect(currentRules([b, a]).rules[0]!.id).toBe('b');
    expect(currentRules([]).custom).toBe(false);
    expect(currentRules([]).rules).toBe(DEFAULT_RULES);
  });
});

// A ledger entry generator: a few households, awards ±, exchanges, times that collide.
const entryArb = fc.record({
  kind: fc.constantFrom('award' as const, 'exchange' as const),
  household: fc.constantFrom('1组-1', '1组-2', '2组-7', '12'),
  points: fc.integer({ min: 1, max: 40 }),
  negative: fc.boolean(),
  at: fc.integer({ min: 0, max: 20 }),
});
const entriesArb = fc.array(entryArb, { maxLength: 40 }).map((list) =>
  list.map((e, i): LedgerEntry => {
    const id = `0190${String(i).padStart(4, '0')}-0000-7000-8000-000000000000`;
    return e.kind === 'award'
      ? { id, kind: 'award', household: e.household, points: e.negative ? -e.points : e.points, at: T0 + e.at * MIN, actor: 'u', rule: 'r', label: 'R' }
      : { id, kind: 'exchange', household: e.household, points: e.points, at: T0 + e.at * MIN, actor: 'u', goods: '化肥1袋' };
  }),
);

describe('foldLedger', () => {
  it('balances: awards and deductions less exchanges', () => {
    const l = foldLedger([
      { id: '1', kind: 'award', household: '1组-1', points: 10, at: 1, actor: 'a', rule: 'r', label: 'R' },
      { id: '2', kind: 'award', household: '1组-1', points: -5, at: 2, actor: 'a', rule: 'r', label: 'R' },
      { id: '3', kind: 'exchange', household: '1组-1', points: 3, at: 3, actor: 'a', goods: 'g' },
    ]);
    expect(l.households).toEqual([{ household: '1组-1', earned: 10, deducted: 5, spent: 3, balance: 2, awards: 2, exchanges: 1, overdrawn: 0, lastAt: 3 }]);
    expect(l.overdrawn).toEqual([]);
  });

  it('any interleaving and any split into sheets gives the same balances (order-independent)', () => {
    fc.assert(
      fc.property(entriesArb, fc.infiniteStream(fc.nat()), fc.array(fc.nat({ max: 3 }), { maxLength: 40 }), (entries, rand, sheetOf) => {
        const reference = foldLedger(entries);
        // A shuffle, as merged updates from several devices may arrive.
        const shuffled = [...entries];
        const it = rand[Symbol.iterator]();
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = it.next().value! % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        // Split across up to four sheets, then flattened sheet by sheet in reverse.
        const sheets: LedgerEntry[][] = [[], [], [], []];
        shuffled.forEach((e, i) => sheets[sheetOf[i] ?? 0]!.push(e));
        const merged = sheets.reverse().flat();
        expect(foldLedger(merged)).toEqual(reference);
        expect(foldLedger(shuffled)).toEqual(reference);
        // A repeat of an entry (the same update applied twice) changes nothing.
        expect(foldLedger([...shuffled, ...shuffled.slice(0, 3)])).toEqual(reference);
      }),
    );
  });

  it('never drops an exchange: every one is counted, and those that overdraw are flagged', () => {
    fc.assert(
      fc.property(entriesArb, (entries) => {
        const l = foldLedger(entries);
        const spent = entries.filter((e) => e.kind === 'exchange').reduce((s, e) => s + e.points, 0);
        const net = entries.reduce((s, e) => s + (e.kind === 'award' ? e.points : -e.points), 0);
        expect(l.households.reduce((s, h) => s + h.spent, 0)).toBe(spent);
        expect(l.households.reduce((s, h) => s + h.balance, 0)).toBe(net);
        expect(l.households.reduce((s, h) => s + h.exchanges, 0)).toBe(entries.filter((e) => e.kind === 'exchange').length);
        // A household that ends below zero had at least one overdrawn exchange or a deduction.
        for (const h of l.households) if (h.balance < 0 && h.deducted === 0) expect(h.overdrawn).toBeGreaterThan(0);
        expect(l.overdrawn.length).toBe(l.households.reduce((s, h) => s + h.overdrawn, 0));
      }),
    );
  });

  it('two devices exchanging the same points offline: both kept, the later one flagged', () => {
    const earned = award(facilitator, '3组-12', 30, T0 + MIN);
    const a = exchange(facilitator, '3组-12', 30, T0 + 5 * MIN);
    const b = exchange(otherFacilitator, '3组-12', 30, T0 + 6 * MIN);
    for (const order of [[earned, a, b], [b, a, earned], [a, earned, b]]) {
      const l = foldLedger(order.map((e) => projectOne(e)));
      expect(l.households[0]).toMatchObject({ household: '3组-12', balance: -30, spent: 60, exchanges: 2, overdrawn: 1 });
      expect(l.overdrawn).toEqual([b.id]);
    }
  });
});

function projectOne(e: PointsEvent): LedgerEntry {
  const doc = new Y.Doc();
  writeNewPoints(doc, { kind: 'sheet', villageCode: VILLAGE }, asActor(facilitator), T0, newId());
  eventsOf(doc).push([e]);
  return projectPoints(readAppeal(doc, 'x')).entries[0]!;
}

describe('public board and report', () => {
  const entries: LedgerEntry[] = [
    { id: '1', kind: 'award', household: '1组-1', points: 10, at: T0, actor: 'a', rule: 'r', label: '孝老爱亲', note: '照顾王奶奶' },
    { id: '2', kind: 'award', household: '1组-2', points: 10, at: T0 + 1, actor: 'a', rule: 'r', label: '孝老爱亲' },
    { id: '3', kind: 'award', household: '2组-7', points: -5, at: T0 + 2, actor: 'a', rule: 'c', label: '乱堆乱放' },
    { id: '4', kind: 'exchange', household: '1组-1', points: 20, at: T0 + 3, actor: 'a', goods: '化肥1袋', note: '张三家' },
  ];

  it('shows numbers, balances and awards by rule; never notes, goods or recorders', () => {
    const board = publicBoard(foldLedger(entries));
    expect(board.standings).toEqual([
      { rank: 1, household: '1组-2', balance: 10, earned: 10 },
      { rank: 2, household: '2组-7', balance: -5, earned: 0 },
      { rank: 3, household: '1组-1', balance: -10, earned: 10 },
    ]);
    expect(board.byRule).toEqual([{ label: '孝老爱亲', count: 2, points: 20 }, { label: '乱堆乱放', count: 1, points: -5 }]);
    const json = JSON.stringify(board);
    for (const secret of ['王奶奶', '张三', '化肥', '"a"']) expect(json).not.toContain(secret);
  });

  it('reports given and exchanged per village, within the period', () => {
    const rows = pointsReport([{ village: VILLAGE, entries }, { village: OTHER_TOWN_VILLAGE, entries: [] }]);
    expect(rows).toEqual([{ village: VILLAGE, households: 3, awards: 3, given: 20, deducted: 5, exchanges: 1, exchanged: 20, overdrawn: 1 }]);
    expect(pointsReport([{ village: VILLAGE, entries }], T0 + 3)).toEqual([{ village: VILLAGE, households: 1, awards: 0, given: 0, deducted: 0, exchanges: 1, exchanged: 20, overdrawn: 1 }]);
  });

  it('recent households come latest first', () => {
    expect(recentHouseholds(entries, 2)).toEqual(['1组-1', '2组-7']);
  });
});

describe('checkUpdate: points documents', () => {
  it('a facilitator opens a sheet and records awards and exchanges', () => {
    const { doc, id, update } = newSheet(facilitator);
    expect(checkUpdate(id, null, update, ctxFor(facilitator)).ok).toBe(true);
    const u = change(doc, (d) => eventsOf(d).push([award(facilitator, '3组-12'), exchange(facilitator, '3组-12', 5)]));
    expect(checkUpdate(id, doc, u, ctxFor(facilitator)).ok).toBe(true);
    expect(pointsErrors(readAppeal(doc, id), knownVillage)).toEqual([]);
  });

  it('refuses roles and villages not allowed', () => {
    const byGrid = newSheet(gridWorker);
    expectReject(checkUpdate(byGrid.id, null, byGrid.update, ctxFor(gridWorker)), 'forbidden');
    const byTown = newSheet(townOfficial);
    expectReject(checkUpdate(byTown.id, null, byTown.update, ctxFor(townOfficial)), 'forbidden');
    const far = newSheet(facilitator, OTHER_TOWN_VILLAGE);
    expectReject(checkUpdate(far.id, null, far.update, ctxFor(facilitator)), 'out_of_scope');
    // Someone else's sheet: another facilitator may not write in it, nor a stranger read-modify it.
    const { doc, id } = newSheet(facilitator);
    expectReject(checkUpdate(id, doc, change(doc, (d) => eventsOf(d).push([award(otherFacilitator, '1')])), ctxFor(otherFacilitator)), 'not_creator');
    expectReject(checkUpdate(id, doc, change(doc, (d) => eventsOf(d).push([award(farTown, '1')])), ctxFor(farTown)), 'out_of_scope');
    // Events written as someone else.
    expectReject(checkUpdate(id, doc, change(doc, (d) => eventsOf(d).push([award(facilitator, '1')])), ctxFor(otherFacilitator)), 'foreign_author');
  });

  it('refuses names and junk: a household that is not a number, text, unknown fields, rules in a sheet', () => {
    const { doc, id } = newSheet(facilitator);
    const named = { ...award(facilitator, '1'), household: '张三' };
    expectReject(checkUpdate(id, doc, change(doc, (d) => eventsOf(d).push([named])), ctxFor(facilitator)), 'invalid_fields');
    const extra = { ...award(facilitator, '1'), name: '张三' };
    expectReject(checkUpdate(id, doc, change(doc, (d) => eventsOf(d).push([extra])), ctxFor(facilitator)), 'invalid_fields');
    expectReject(checkUpdate(id, doc, change(doc, (d) => textOf(d).insert(0, '张三')), ctxFor(facilitator)), 'invalid_fields');
    expectReject(checkUpdate(id, doc, change(doc, (d) => fieldsOf(d).set('names', ['张三'])), ctxFor(facilitator)), 'invalid_fields');
    expectReject(checkUpdate(id, doc, change(doc, (d) => fieldsOf(d).set('villageCode', '371324102202')), ctxFor(facilitator)), 'out_of_scope');
    const wide: SessionUser = { ...facilitator, scope: { regions: ['371324102'], departments: [] } };
    expectReject(checkUpdate(id, doc, change(doc, (d) => fieldsOf(d).set('villageCode', '371324102202')), ctxFor(wide)), 'fields_rewritten');
    const rules = rulesEvent([...DEFAULT_RULES], asActor(facilitator), T0 + MIN, newId())!;
    expectReject(checkUpdate(id, doc, change(doc, (d) => eventsOf(d).push([rules])), ctxFor(facilitator)), 'invalid_fields');
  });

  it('the town and the station set rules; a facilitator may not', () => {
    const { doc, id, update } = newSheet(townOfficial, VILLAGE, 'rules');
    expect(checkUpdate(id, null, update, ctxFor(townOfficial)).ok).toBe(true);
    const set = (u: SessionUser) => change(doc, (d) => eventsOf(d).push([rulesEvent([{ id: 'x', label: '门前卫生', points: 3 }], asActor(u), T0 + MIN, newId())!]));
    expect(checkUpdate(id, doc, set(townOfficial), ctxFor(townOfficial)).ok).toBe(true);
    expect(checkUpdate(id, doc, set(station), ctxFor(station)).ok).toBe(true);
    expectReject(checkUpdate(id, doc, set(facilitator), ctxFor(facilitator)), 'forbidden');
    expectReject(checkUpdate(id, doc, set(farTown), ctxFor(farTown)), 'out_of_scope');
    const byFacilitator = newSheet(facilitator, VILLAGE, 'rules');
    expectReject(checkUpdate(byFacilitator.id, null, byFacilitator.update, ctxFor(facilitator)), 'forbidden');
  });

  it('never lets an entry be removed', () => {
    const { doc, id } = newSheet(facilitator);
    Y.applyUpdate(doc, change(doc, (d) => eventsOf(d).push([award(facilitator, '1')])));
    expectReject(checkUpdate(id, doc, change(doc, (d) => eventsOf(d).delete(1, 1)), ctxFor(facilitator)), 'events_removed');
  });
});
