import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningServer } from '../../server/app';
import { storeUpdate } from '../../server/sync/bus';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { townOf } from '../../src/core/regions';
import { DEFAULT_SCORECARD } from '../../src/core/scorecard';
import { addUser, login, type Login } from '../helpers/clients';
import { startTestServer, tempDir } from '../helpers/server';

// The report endpoints over the relational projection: rankings per town for a week or a
// month, red and black lists, trends and special governance, each user within their own scope.

let server: RunningServer;
let otherVillage = '';
const logins: Record<string, Login> = {};
const cst = (s: string) => Date.parse(`${s}+08:00`);

/** `synced`: when the server first received it (a phone offline until then); by default at once. */
async function appeal(recorded: string, replied: string | null, o: { otherTown?: boolean; satisfied?: boolean; synced?: string } = {}): Promise<void> {
  const town = logins.town!.user;
  const village = o.otherTown ? otherVillage : (await server.store.regionsUnder(town.scope.regions)).find((r) => r.level === 'village')!.code;
  const doc = new Y.Doc();
  const id = newId();
  writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.roads', kind: 'complaint', urgency: 'yellow', villageCode: village, description: '路面塌陷', citizen: { anonymous: true } }, { id: town.id, role: 'town_official' }, cst(recorded), newId());
  const by = { actor: town.id, role: 'town_official' as const };
  appendEvent(doc, { id: newId(), type: 'assigned', tier: 'town', at: cst(recorded) + 30 * 60_000, ...by } as never);
  if (replied) appendEvent(doc, { id: newId(), type: 'replied', note: '已修复', via: 'walk_in', at: cst(replied), ...by } as never);
  if (replied && o.satisfied) appendEvent(doc, { id: newId(), type: 'visited', satisfaction: 'satisfied', at: cst(replied) + 60_000, ...by } as never);
  await server.store.inPushTx(async (tx) => storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: town.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), cst(o.synced ?? recorded), POLICY_PRESETS.lanling));
}

beforeAll(async () => {
  // Every unit with an answered appeal is scored, and one unit goes on each list.
  const card = path.join(tempDir(), 'scorecard.json');
  writeFileSync(card, JSON.stringify({ ...DEFAULT_SCORECARD, red: 1, black: 1, minAnswered: 1 }));
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_SCORECARD: card });
  for (const u of ['town', 'dispatcher', 'grid', 'dept']) logins[u] = await login(server, u);
  const townCode = logins.town!.user.scope.regions[0]!;
  otherVillage = (await server.store.regionsUnder(['371324'])).find((r) => r.level === 'village' && !r.code.startsWith(townCode))!.code;
  // Lanling gives a complaint 3 working days. Assigned Monday 23 November 10:00: due Thursday 26 at 10:00.
  await appeal('2026-11-23T09:30:00', '2026-11-24T10:00:00', { synced: '2026-11-23T11:30:00' }); // on time; two hours offline first
  await appeal('2026-11-23T09:30:00', '2026-11-27T16:00:00'); // late
  await appeal('2026-11-25T09:30:00', null); // not answered yet
  await appeal('2026-11-10T09:30:00', '2026-11-11T09:30:00'); // another week: a repeat in the window, answered before
  await appeal('2026-11-24T09:30:00', '2026-11-24T10:30:00', { otherTown: true, satisfied: true }); // another town: fast and satisfied
});
afterAll(() => server?.close());

const report = async <T = { period: { label: string }; units: Record<string, unknown>[] }>(who: string, what: string, query = '') => {
  const res = await fetch(`${server.url}/api/reports/${what}?${query}`, { headers: { authorization: `Bearer ${logins[who]!.token}` } });
  return { status: res.status, body: (await res.json()) as T & { message?: string } };
};
const get = (who: string, query: string) => report(who, 'ranking', query);

describe('GET /api/reports/ranking', () => {
  it('gives the city each town’s figures for the week', async () => {
    const { status, body } = await get('dispatcher', 'by=town&period=week&at=2026-11-25');
    expect(status).toBe(200);
    expect(body.period.label).toBe('2026-11-23');
    expect(body.units.filter((u) => u.unit === townOf(otherVillage))).toEqual([expect.objectContaining({ received: 1, answered: 1, onTimeRate: 1, satisfactionRate: 1 })]);
    expect(body.units.filter((u) => u.unit !== townOf(otherVillage))).toEqual([
      {
        unit: logins.town!.user.scope.regions[0]!.padEnd(12, '0').slice(0, 12),
        received: 3,
        answered: 2,
        onTimeRate: 0.5,
        // Monday 09:30 → Tuesday 10:00 is 450 + 60 working minutes; → Friday 16:00 is 450 + 3 × 480 + 420.
        handlingDays: (510 + 2310) / 2 / 480,
        rated: 0,
        satisfactionRate: null,
        repeatRate: 1, // the same village and category was raised on 10 November
        reopenRate: 0,
        // The bounce-back ledger: nothing returned or reassigned; each dispatched 30 minutes after recording.
        returns: 0,
        reassigns: 0,
        dispatchMinutes: 30,
        // Nobody called back (0 of 2 answered) and no reviewer judged a reply: no pass rate rather than 0%.
        visitRate: 0,
        qualityReviewed: 0,
        qualityPassRate: null,
        // Fair figures (src/core/fair-ranking.ts, m = 10). On time: this town 1/2, the other 1/1; overall 2/3:
        //   (1 + 10 × 2/3) / (2 + 10) = 23/36; Wilson 1/2 is 0.0945–0.9055. Nothing rated here.
        onTime: { successes: 1, n: 2, raw: 0.5, shrunk: expect.closeTo(23 / 36, 12), low: expect.closeTo(0.0945, 4), high: expect.closeTo(0.9055, 4) },
        satisfaction: { successes: 0, n: 0, raw: null, shrunk: null, low: null, high: null },
        // The first waited 2 hours offline (09:30–11:30), the others reached the server at once: 2/3 hour on average.
        syncWaitHours: expect.closeTo(2 / 3, 12),
        // Own handling leaves the wait out: (510 − 120 + 2310) / 2 working minutes.
        ownHandlingDays: (390 + 2310) / 2 / 480,
        // The Wednesday appeal raised the Monday problem again after its Tuesday reply; the Friday reply had nothing after.
        recomplaintRate: 0.5,
      },
    ]);
    // The other town, 1/1 on time: (1 + 20/3) / 11 = 23/33, above this town's 23/36, so it is listed first.
    expect(body.units.map((u) => u.unit)).toEqual([townOf(otherVillage), logins.town!.user.scope.regions[0]!.padEnd(12, '0').slice(0, 12)]);
    expect(body.units[0]).toMatchObject({ onTime: { shrunk: expect.closeTo(23 / 33, 12) }, satisfaction: { successes: 1, n: 1, shrunk: 1 } });
  });

  it('takes a month, and keeps each user to their scope', async () => {
    // Listed by the shrunk on-time rate: the one-appeal town (1/1) before this one (2/3), as in the week.
    expect((await get('dispatcher', 'period=month&at=2026-11-02')).body.units[1]).toMatchObject({ received: 4, answered: 3 });
    expect((await get('dispatcher', 'period=month&at=2026-11-02')).body.units).toHaveLength(2);
    expect((await get('town', 'period=month&at=2026-11-02')).body.units).toHaveLength(1);
    // Nothing was assigned to the water department.
    expect((await get('dept', 'by=dept&period=month&at=2026-11-02')).body.units).toEqual([]);
    expect((await get('grid', 'period=week')).status).toBe(403);
    expect((await get('dispatcher', 'period=year')).status).toBe(400);
    expect((await get('dispatcher', 'at=25/11/2026')).body.message).toMatch(/YYYY-MM-DD/);
    // A county has no counties to rank, and nobody looks into a county outside their scope.
    expect((await get('dispatcher', 'by=county')).status).toBe(400);
    expect((await get('dispatcher', 'county=371302')).status).toBe(403);
    expect((await get('town', 'county=371324')).status).toBe(403);
  });
});

describe('GET /api/reports/redblack', () => {
  it('scores both towns by the configured scorecard, lists the best red and the worst black, and the periods before', async () => {
    const { status, body } = await report<{ periods: { period: { label: string }; red: string[]; black: string[]; units: { unit: string; score: number | null }[] }[] }>('dispatcher', 'redblack', 'by=town&period=week&at=2026-11-25&history=3');
    expect(status).toBe(200);
    expect(body.periods.map((p) => p.period.label)).toEqual(['2026-11-23', '2026-11-16', '2026-11-09']);
    const [week] = body.periods;
    const townA = townOf(logins.town!.user.scope.regions[0]!.padEnd(12, '0'));
    // Town A: on time ½, 2.9375 days → speed 0.7×50 + 0.3×100×(1 − 0.29375) = 56.1875; quality 0.6×100 + 0.4×0 = 60;
    //   nothing rated; every appeal a repeat → 0. Total (30×56.1875 + 25×60 + 15×0) / 70.
    // Town B: on time, 1 working hour → speed 70 + 0.3×100×(1 − 0.0125) = 99.625; the rest 100. Total (30×99.625 + 70×100) / 100.
    expect(week!.units).toEqual([
      expect.objectContaining({ unit: townOf(otherVillage), score: expect.closeTo((30 * 99.625 + 7000) / 100, 9) }),
      expect.objectContaining({ unit: townA, score: expect.closeTo((30 * 56.1875 + 25 * 60) / 70, 9) }),
    ]);
    expect(week!.red).toEqual([townOf(otherVillage)]);
    expect(week!.black).toEqual([townA]);
    // The week of 9 November had one answered appeal in one town: too few units for either list.
    expect(body.periods[2]).toMatchObject({ red: [], black: [] });
  });

  it('refuses a history it cannot give', async () => {
    expect((await report('dispatcher', 'redblack', 'history=0')).status).toBe(400);
    expect((await report('dispatcher', 'redblack', 'history=27')).body.message).toMatch(/history must be a whole number from 1 to 26/);
    expect((await report('grid', 'redblack')).status).toBe(403);
  });
});

describe('GET /api/reports/trends', () => {
  it('counts complete weeks by town and category and forecasts the next with its back-tested error', async () => {
    type Series = { key: string; counts: number[]; next: number | null; error: number | null; naiveError: number | null; tested: number; soFar: number };
    const { status, body } = await report<{ weeks: { label: string }[]; next: { label: string }; byTown: Series[]; byCategory: Series[]; total: Series }>('dispatcher', 'trends', 'at=2026-11-18&weeks=5');
    expect(status).toBe(200);
    expect(body.weeks.map((w) => w.label)).toEqual(['2026-10-19', '2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16']);
    expect(body.next.label).toBe('2026-11-23');
    // Town A: one appeal on 10 November. Forecast (0+0+1+0)/4; back-tested on the last week only:
    // predicted (0+0+0+1)/4 = 0.25 for an actual 0; "same as last week" predicted 1.
    expect(body.byTown).toEqual([expect.objectContaining({ counts: [0, 0, 0, 1, 0], next: 0.25, error: 0.25, naiveError: 1, tested: 1, soFar: 3, rising: false })]);
    expect(body.byCategory).toEqual([expect.objectContaining({ key: 'infra.roads', counts: [0, 0, 0, 1, 0] })]);
    expect(body.total).toMatchObject({ counts: [0, 0, 0, 1, 0], soFar: 4 });
    expect((await report('dispatcher', 'trends', 'weeks=3')).status).toBe(400);
  });
});

describe('GET /api/reports/special', () => {
  it('lists the problem raised four times with its appeals, and nothing for a department without them', async () => {
    type Groups = { groups: { village: string; category: string; open: number; appeals: { id: string; status: string; dept: string | null }[] }[] };
    const { body } = await report<Groups>('dispatcher', 'special');
    expect(body.groups).toHaveLength(1);
    expect(body.groups[0]).toMatchObject({ category: 'infra.roads', open: 4 });
    expect(body.groups[0]!.appeals.map((a) => a.status).sort()).toEqual(['assigned', 'replied', 'replied', 'replied']);
    expect((await report<Groups>('dept', 'special')).body.groups).toEqual([]);
  });
});

// A whole city (Linyi) on one server: the city's staff rank the county platforms and the city
// bureaus, with the bounce-back ledger; a county's staff see their county as before.
describe('reports at city level', () => {
  let city: RunningServer;
  const who: Record<string, Login> = {};
  const LANLING = '371324000000';
  const LANSHAN = '371302000000';
  const LANSHAN_VILLAGE = '371302001001';
  let lanlingVillage = '';
  const POLICY = { ...POLICY_PRESETS.linyi, topTier: 'city' as const };

  /** An appeal recorded at `recorded` (China time), then each step `minutes` after it, by that user. */
  async function cityAppeal(village: string, recorded: string, steps: [user: string, minutes: number, event: Record<string, unknown>][]): Promise<string> {
    const doc = new Y.Doc();
    const id = newId();
    const desk = who.city!.user;
    writeNewAppeal(doc, { channel: 'hotline_12345', category: 'infra.water', kind: 'help', urgency: 'orange', villageCode: village, description: '自来水停了三天', citizen: { anonymous: true } }, { id: desk.id, role: desk.role }, cst(recorded), newId());
    for (const [name, minutes, e] of steps) appendEvent(doc, { id: newId(), actor: who[name]!.user.id, role: who[name]!.user.role, at: cst(recorded) + minutes * 60_000, ...e } as never);
    const state = readAppeal(doc, id);
    await city.store.inPushTx(async (tx) => storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: desk.id, bytes: Y.encodeStateAsUpdate(doc) }, state, Date.now(), POLICY));
    return id;
  }
  const ask = async <T = { by: string; level: string; units: Record<string, unknown>[] }>(name: string, what: string, q = '') => {
    const res = await fetch(`${city.url}/api/reports/${what}?${q}`, { headers: { authorization: `Bearer ${who[name]!.token}` } });
    return { status: res.status, body: (await res.clone().json().catch(() => null)) as T & { message?: string }, res };
  };
  const units = (body: { units: Record<string, unknown>[] }) => Object.fromEntries(body.units.map((u) => [u.unit as string, u]));

  beforeAll(async () => {
    city = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REGION: '371300' });
    await addUser(city, 'lanshan_desk', 'county_dispatcher', ['371302']);
    for (const name of ['city', 'cityleader', 'citywater', 'dispatcher', 'leader', 'dept', 'town', 'lanshan_desk']) who[name] = await login(city, name);
    lanlingVillage = (await city.store.regionsUnder(who.town!.user.scope.regions)).find((r) => r.level === 'village')!.code;
    // 兰陵, through its platform: dispatched to the county in 2 minutes, sent to the town, returned
    // by it, given to the county water bureau, then reassigned back to the town (改派).
    await cityAppeal(lanlingVillage, '2026-11-23T09:00:00', [
      ['city', 2, { type: 'assigned', to: 'county', from: 'city' }],
      ['dispatcher', 30, { type: 'assigned', to: 'town', from: 'county' }],
      ['town', 60, { type: 'returned', reason: '不属本镇', to: 'county' }],
      ['dispatcher', 90, { type: 'assigned', to: 'county', from: 'county', dept: 'water' }],
      ['dispatcher', 120, { type: 'reassigned', to: 'town', from: 'county', reason: '镇里能修' }],
    ]);
    // 兰陵, given straight to the city water bureau in 6 minutes and answered: the city bureau's.
    await cityAppeal(lanlingVillage, '2026-11-24T09:00:00', [
      ['city', 6, { type: 'assigned', to: 'city', from: 'city', dept: 'water' }],
      ['citywater', 240, { type: 'replied', note: '主管已修复', via: 'hotline_12345' }],
    ]);
    // 兰陵, recorded at the county platform and given to the county water bureau in 20 minutes.
    await cityAppeal(lanlingVillage, '2026-11-25T09:00:00', [['dispatcher', 20, { type: 'assigned', to: 'county', from: 'county', dept: 'water' }]]);
    // 兰山: dispatched to its county in 4 minutes, then to a town.
    await cityAppeal(LANSHAN_VILLAGE, '2026-11-24T10:00:00', [
      ['city', 4, { type: 'assigned', to: 'county', from: 'city' }],
      ['lanshan_desk', 10, { type: 'assigned', to: 'town', from: 'county' }],
    ]);
  }, 120_000);
  afterAll(() => city?.close());

  it('ranks the county platforms for the city, with returns, reassignments and dispatch minutes', async () => {
    for (const name of ['city', 'cityleader']) {
      const { status, body } = await ask(name, 'ranking', 'period=week&at=2026-11-25');
      expect(status).toBe(200);
      expect(body).toMatchObject({ by: 'county', level: 'city' });
      // 兰陵: the returned-and-reassigned one and the county bureau's (not the city bureau's); dispatch (2 + 20) / 2.
      expect(units(body)).toEqual({
        [LANLING]: expect.objectContaining({ received: 2, answered: 0, returns: 1, reassigns: 1, dispatchMinutes: 11 }),
        [LANSHAN]: expect.objectContaining({ received: 1, returns: 0, reassigns: 0, dispatchMinutes: 4 }),
      });
    }
  });

  it('ranks the city bureaus on what they hold at the city tier, and towns across the city on request', async () => {
    const { body } = await ask('city', 'ranking', 'by=dept&period=week&at=2026-11-25');
    expect(units(body)).toEqual({ water: expect.objectContaining({ received: 1, answered: 1, dispatchMinutes: 6 }) });
    const towns = units((await ask('city', 'ranking', 'by=town&period=week&at=2026-11-25')).body);
    expect(Object.keys(towns).sort()).toEqual([townOf(LANSHAN_VILLAGE), townOf(lanlingVillage)]);
    expect(towns[townOf(lanlingVillage)]).toMatchObject({ received: 3 });
    // The city water bureau: its own desk as a department, and the county water bureaus by county.
    expect(units((await ask('citywater', 'ranking', 'by=dept&period=week&at=2026-11-25')).body)).toEqual({ water: expect.objectContaining({ received: 1 }) });
    expect(units((await ask('citywater', 'ranking', 'by=county&period=week&at=2026-11-25')).body)).toEqual({ [LANLING]: expect.objectContaining({ received: 1, dispatchMinutes: 20 }) });
  });

  it('shows a county’s staff their county as before, and the city the same when it looks into that county', async () => {
    const towns = await ask('dispatcher', 'ranking', 'period=week&at=2026-11-25');
    expect(towns.body).toMatchObject({ by: 'town', level: 'county' });
    // Every appeal of the town, whoever holds it; the other county's never.
    expect(units(towns.body)).toEqual({ [townOf(lanlingVillage)]: expect.objectContaining({ received: 3, returns: 1, reassigns: 1, dispatchMinutes: (2 + 6 + 20) / 3 }) });
    // The county's water bureau: its own appeal, not the city bureau's.
    const depts = await ask('leader', 'ranking', 'by=dept&period=week&at=2026-11-25');
    expect(units(depts.body)).toEqual({ water: expect.objectContaining({ received: 1, dispatchMinutes: 20 }) });
    expect(units((await ask('dept', 'ranking', 'by=dept&period=week&at=2026-11-25')).body)).toEqual({ water: expect.objectContaining({ received: 1 }) });
    // The city looking into 兰陵 sees exactly that.
    const looked = await ask('cityleader', 'ranking', 'period=week&at=2026-11-25&county=371324');
    expect(looked.body).toMatchObject({ by: 'town', level: 'county' });
    expect(looked.body.units).toEqual(towns.body.units);
    expect((await ask('cityleader', 'ranking', 'by=dept&period=week&at=2026-11-25&county=371324')).body.units).toEqual(depts.body.units);
    expect((await ask('dispatcher', 'ranking', 'county=371302')).status).toBe(403);
    expect((await ask('city', 'ranking', 'county=3713')).status).toBe(403);
  });

  it('lists the county platforms in red and black', async () => {
    type Lists = { level: string; periods: { red: string[]; black: string[]; units: { unit: string }[] }[] };
    const { status, body } = await ask<Lists>('cityleader', 'redblack', 'by=county&period=month&at=2026-11-25&history=1');
    expect(status).toBe(200);
    expect(body.level).toBe('city');
    expect(body.periods[0]!.units.map((u) => u.unit).sort()).toEqual([LANSHAN, LANLING]);
    // Nothing the counties hold was answered in November: too few to score, on neither list.
    expect(body.periods[0]).toMatchObject({ red: [], black: [] });
  });

  it('gives trends by county to the city, and none by county to a county', async () => {
    type Trends = { level: string; byCounty: { key: string; counts: number[]; soFar: number }[]; byTown: { key: string }[] };
    const { body } = await ask<Trends>('city', 'trends', 'at=2026-12-02&weeks=5');
    expect(body.level).toBe('city');
    expect(body.byCounty).toEqual([expect.objectContaining({ key: LANLING, counts: [0, 0, 0, 0, 3] }), expect.objectContaining({ key: LANSHAN, counts: [0, 0, 0, 0, 1] })]);
    expect(body.byTown.map((s) => s.key)).toEqual([townOf(lanlingVillage), townOf(LANSHAN_VILLAGE)]);
    const county = (await ask<Trends>('dispatcher', 'trends', 'at=2026-12-02&weeks=5')).body;
    expect(county).toMatchObject({ level: 'county', byCounty: [] });
    expect(county.byTown.map((s) => s.key)).toEqual([townOf(lanlingVillage)]);
  });

  it('finds special governance across counties, naming each owner’s tier', async () => {
    type Special = { level: string; groups: { county: string; village: string; appeals: { tier: string; dept: string | null }[] }[] };
    // The three 兰陵 appeals are one problem raised three times; 兰山's is another village's.
    const { body } = await ask<Special>('city', 'special');
    expect(body.level).toBe('city');
    expect(body.groups).toEqual([expect.objectContaining({ county: LANLING, village: lanlingVillage })]);
    expect(body.groups[0]!.appeals.map((a) => `${a.tier}:${a.dept ?? ''}`).sort()).toEqual(['city:water', 'county:water', 'town:']);
    expect((await ask<Special>('lanshan_desk', 'special')).body.groups).toEqual([]);
  });

  it('exports every county with a county column for the city, one county for a county', async () => {
    const csv = async (name: string, q = '') => {
      const { res } = await ask(name, 'export', `format=csv&period=month&at=2026-11-25${q}`);
      return (await res.text()).replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    };
    const all = await csv('city');
    expect(all[0]).toMatch(/^编号,登记时间,县（市、区）,乡镇（街道）,村（社区）,/);
    expect(all[0]).toContain(',承办层级,承办部门,');
    expect(all[0]).toMatch(/,退回次数,改派次数,派单用时（分钟）,/);
    expect(all).toHaveLength(5);
    const county = (line: string) => line.split(',')[2];
    expect(all.slice(1).map(county).sort()).toEqual(['兰山区', '兰陵县', '兰陵县', '兰陵县']);
    expect(all.find((l) => l.includes(',市级,水务局,'))).toBeDefined();
    expect((await csv('dispatcher')).slice(1).map(county)).toEqual(['兰陵县', '兰陵县', '兰陵县']);
    expect((await csv('city', '&county=371302')).slice(1).map(county)).toEqual(['兰山区']);
  });
});
