import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKING_HOURS } from '../../src/core/calendar';
import { rankUnits, weekOf, type RankRow } from '../../src/core/metrics';
import { redBlack, DEFAULT_SCORECARD } from '../../src/core/scorecard';
import { reportLevel, reportRegions, unitKindsAt, unitOf } from '../../src/core/units';

// Whom a report ranks at a city (its county platforms and city bureaus) and at a county (its
// towns and county bureaus), with the bounce-back ledger per unit. Figures worked by hand.

const cst = (s: string) => Date.parse(`${s}+08:00`);
const LANLING = '371324000000';
const LANSHAN = '371302000000';
const LANLING_TOWN = '371324102000';
const LANSHAN_TOWN = '371302001000';
let n = 0;
function row(town: string, over: Partial<RankRow> = {}): RankRow {
  n++;
  return {
    id: `a${n}`, town, dept: null, tier: 'town', village: `${town.slice(0, 9)}201`, category: 'infra.water', createdAt: cst('2026-11-24T10:00:00'),
    repliedAt: null, onTime: null, handlingMinutes: null, satisfaction: null, reopenCount: 0, mergedInto: null, returns: 0, reassigns: 0, dispatchMinutes: null, ...over,
  };
}

const week = weekOf(cst('2026-11-25T12:00:00'));
const rows: RankRow[] = [
  // 兰陵: a town's appeal dispatched in 2 minutes, returned once by the town and reassigned;
  row(LANLING_TOWN, { dispatchMinutes: 2, returns: 1, reassigns: 1, repliedAt: cst('2026-11-25T10:00:00'), onTime: true, handlingMinutes: 480 }),
  //   the county water bureau's, dispatched in 10 minutes and returned twice;
  row(LANLING_TOWN, { tier: 'county', dept: 'water', dispatchMinutes: 10, returns: 2 }),
  //   one still waiting for dispatch (no dispatch time yet);
  row(LANLING_TOWN, { tier: 'village' }),
  //   one with the city water bureau (the city's, not 兰陵's), reassigned once;
  row(LANLING_TOWN, { tier: 'city', dept: 'water', dispatchMinutes: 4, reassigns: 1 }),
  //   and one on the city center's own desk, waiting for the center's dispatch.
  row(LANLING_TOWN, { tier: 'city' }),
  // 兰山: one appeal, dispatched in 3 minutes.
  row(LANSHAN_TOWN, { dispatchMinutes: 3 }),
];
const rank = (kind: 'county' | 'town' | 'dept', level: 'city' | 'county', of = rows) =>
  Object.fromEntries(rankUnits(of, unitOf(kind, level), week, DEFAULT_WORKING_HOURS, new Set()).map((u) => [u.unit, u]));

describe('the level a report is read at', () => {
  it('is a city for a city’s scope and a county for anything narrower, or for one county a city looks into', () => {
    expect(reportLevel(['3713'])).toBe('city');
    expect(reportLevel(['371324'])).toBe('county');
    expect(reportLevel(['371324102'])).toBe('county');
    expect(unitKindsAt('city')).toEqual(['county', 'dept', 'town']);
    expect(unitKindsAt('county')).toEqual(['town', 'dept']);
    expect(reportRegions(['3713'], '371324')).toEqual(['371324']);
    expect(reportRegions(['3713'], null)).toEqual(['3713']);
    // Outside the scope, narrower than a county, or the city's own code: refused.
    expect(reportRegions(['371324'], '371302')).toBeNull();
    expect(reportRegions(['371324102'], '371324')).toBeNull();
    expect(reportRegions(['3713'], '371300')).toBeNull();
    expect(reportRegions(['3713'], '37132')).toBeNull();
  });
});

describe('units at a city', () => {
  it('ranks the county platforms on every appeal of their area not held at the city tier, with the ledger', () => {
    const byCounty = rank('county', 'city');
    expect(Object.keys(byCounty).sort()).toEqual([LANSHAN, LANLING]);
    // 兰陵: the town's, the county bureau's and the undispatched one; returns 1 + 2, reassigns 1, dispatch (2 + 10) / 2.
    expect(byCounty[LANLING]).toMatchObject({ received: 3, answered: 1, onTimeRate: 1, returns: 3, reassigns: 1, dispatchMinutes: 6 });
    expect(byCounty[LANSHAN]).toMatchObject({ received: 1, returns: 0, reassigns: 0, dispatchMinutes: 3 });
  });

  it('ranks the city bureaus on what they hold at the city tier only, and no unit for the center’s own desk', () => {
    expect(rank('dept', 'city')).toEqual({ water: expect.objectContaining({ received: 1, returns: 0, reassigns: 1, dispatchMinutes: 4 }) });
  });

  it('ranks towns across the city by where the appeals come from, whoever holds them', () => {
    expect(rank('town', 'city')[LANLING_TOWN]).toMatchObject({ received: 5, returns: 3, reassigns: 2 });
  });
});

describe('units at a county', () => {
  it('keeps towns as before, and counts only the county’s own bureaus as departments', () => {
    expect(rank('town', 'county')[LANLING_TOWN]).toMatchObject({ received: 5 });
    // The city bureau's appeal in 兰陵 is not the county water bureau's.
    expect(rank('dept', 'county')).toEqual({ water: expect.objectContaining({ received: 1, returns: 2, reassigns: 0, dispatchMinutes: 10 }) });
  });

  it('is what a single-county deployment always ranked: every department appeal is the county’s', () => {
    const county = rows.filter((r) => r.tier !== 'city');
    const before = (r: RankRow) => r.dept; // the unit function before the city tier
    expect(rank('dept', 'county', county)).toEqual(Object.fromEntries(rankUnits(county, before, week, DEFAULT_WORKING_HOURS, new Set()).map((u) => [u.unit, u])));
  });
});

describe('red and black lists at a city', () => {
  it('scores the county platforms against each other', () => {
    const card = { ...DEFAULT_SCORECARD, red: 1, black: 1, minAnswered: 1 };
    const answered = [
      ...rows,
      row(LANSHAN_TOWN, { repliedAt: cst('2026-11-26T10:00:00'), onTime: false, handlingMinutes: 4800, satisfaction: 'unsatisfied' }),
    ];
    const lists = redBlack(rankUnits(answered, unitOf('county', 'city'), week, DEFAULT_WORKING_HOURS, new Set()), card);
    expect(lists.red).toEqual([LANLING]);
    expect(lists.black).toEqual([LANSHAN]);
  });
});
