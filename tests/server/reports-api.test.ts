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
import { login, type Login } from '../helpers/clients';
import { startTestServer, tempDir } from '../helpers/server';

// The report endpoints over the relational projection: rankings per town for a week or a
// month, red and black lists, trends and special governance, each user within their own scope.

let server: RunningServer;
let otherVillage = '';
const logins: Record<string, Login> = {};
const cst = (s: string) => Date.parse(`${s}+08:00`);

async function appeal(recorded: string, replied: string | null, o: { otherTown?: boolean; satisfied?: boolean } = {}): Promise<void> {
  const town = logins.town!.user;
  const village = o.otherTown ? otherVillage : (await server.store.regionsUnder(town.scope.regions)).find((r) => r.level === 'village')!.code;
  const doc = new Y.Doc();
  const id = newId();
  writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.roads', kind: 'complaint', urgency: 'yellow', villageCode: village, description: '路面塌陷', citizen: { anonymous: true } }, { id: town.id, role: 'town_official' }, cst(recorded), newId());
  const by = { actor: town.id, role: 'town_official' as const };
  appendEvent(doc, { id: newId(), type: 'assigned', tier: 'town', at: cst(recorded) + 30 * 60_000, ...by } as never);
  if (replied) appendEvent(doc, { id: newId(), type: 'replied', note: '已修复', via: 'walk_in', at: cst(replied), ...by } as never);
  if (replied && o.satisfied) appendEvent(doc, { id: newId(), type: 'visited', satisfaction: 'satisfied', at: cst(replied) + 60_000, ...by } as never);
  await server.store.inPushTx(async (tx) => storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: town.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), Date.now(), POLICY_PRESETS.lanling));
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
  await appeal('2026-11-23T09:30:00', '2026-11-24T10:00:00'); // on time
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
      },
    ]);
  });

  it('takes a month, and keeps each user to their scope', async () => {
    expect((await get('dispatcher', 'period=month&at=2026-11-02')).body.units[0]).toMatchObject({ received: 4, answered: 3 });
    expect((await get('dispatcher', 'period=month&at=2026-11-02')).body.units).toHaveLength(2);
    expect((await get('town', 'period=month&at=2026-11-02')).body.units).toHaveLength(1);
    // Nothing was assigned to the water department.
    expect((await get('dept', 'by=dept&period=month&at=2026-11-02')).body.units).toEqual([]);
    expect((await get('grid', 'period=week')).status).toBe(403);
    expect((await get('dispatcher', 'period=year')).status).toBe(400);
    expect((await get('dispatcher', 'at=25/11/2026')).body.message).toMatch(/YYYY-MM-DD/);
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
