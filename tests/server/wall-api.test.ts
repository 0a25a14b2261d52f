import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningServer } from '../../server/app';
import { storeUpdate } from '../../server/sync/bus';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { SYSTEM } from '../../src/core/events';
import { newId } from '../../src/core/id';
import type { WallSummary } from '../../src/core/wallboard';
import { login, type Login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// GET /api/wall over a real server (SQLite, and PostgreSQL in its project): the wall's whole
// summary of the reader's scope from the relational projection, for the dispatch halls' roles
// only, with the live feed read from the appeals' histories.

let server: RunningServer;
const logins: Record<string, Login> = {};
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ids: Record<string, string> = {};

type Step = { type: string; at: number; [k: string]: unknown };

async function appeal(name: string, recordedAt: number, steps: Step[], channel = 'walk_in', on: RunningServer = server, by: Login = logins.town!): Promise<void> {
  const town = by.user;
  const village = (await on.store.regionsUnder(town.scope.regions)).find((r) => r.level === 'village')!.code;
  const doc = new Y.Doc();
  const id = newId();
  ids[name] = id;
  writeNewAppeal(doc, { channel, category: 'infra.roads', kind: 'complaint', urgency: 'yellow', villageCode: village, description: `${name}：路面塌陷`, citizen: { anonymous: true } } as never, { id: town.id, role: 'town_official' }, recordedAt, newId());
  for (const s of steps) appendEvent(doc, { id: newId(), actor: s.type === 'supervised' ? SYSTEM : town.id, role: s.type === 'supervised' ? SYSTEM : 'town_official', ...s } as never);
  await on.store.inPushTx(async (tx) => storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: town.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), recordedAt, POLICY_PRESETS.lanling));
}

async function get(who: string, query = '') {
  const res = await fetch(`${server.url}/api/wall${query}`, { headers: { authorization: `Bearer ${logins[who]!.token}` } });
  return { status: res.status, body: (await res.json()) as WallSummary & { error?: string } };
}

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  for (const u of ['town', 'dispatcher', 'leader', 'grid', 'dept']) logins[u] = await login(server, u);
  const now = Date.now();
  // Just in, on the hotline.
  await appeal('fresh', now - 60_000, [], 'hotline_12345');
  // Twenty days with the town, never answered: overdue, and on the ladder's second rung since two hours ago.
  await appeal('late', now - 20 * DAY, [
    { type: 'accepted', at: now - 20 * DAY + HOUR },
    { type: 'assigned', to: 'town', from: 'town', at: now - 20 * DAY + 2 * HOUR },
    { type: 'supervised', level: 2, at: now - 2 * HOUR },
  ]);
  // Sent up to the county an hour ago: on the county's desk, its dispatch clock running afresh.
  await appeal('up', now - 3 * DAY, [
    { type: 'accepted', at: now - 3 * DAY + HOUR },
    { type: 'assigned', to: 'town', from: 'town', at: now - 3 * DAY + 2 * HOUR },
    { type: 'escalated', to: 'county', reason: '镇里协调不了', at: now - HOUR },
  ]);
  // Closed long ago: in no open count.
  await appeal('done', now - 30 * DAY, [
    { type: 'accepted', at: now - 30 * DAY + HOUR },
    { type: 'assigned', to: 'town', from: 'town', at: now - 30 * DAY + 2 * HOUR },
    { type: 'replied', note: '已修复路面', via: 'walk_in', at: now - 29 * DAY },
    { type: 'visited', satisfaction: 'satisfied', at: now - 28 * DAY },
    { type: 'closed', at: now - 28 * DAY },
  ]);
});
afterAll(() => server?.close());

describe('GET /api/wall', () => {
  it('sums the scope: today’s intake by channel, open and overdue by tier and unit, the ladder, the heat tiles', async () => {
    const { status, body } = await get('dispatcher');
    expect(status).toBe(200);
    expect(body.level).toBe('county');
    expect(body.areaKind).toBe('town');
    expect(body.intake.total).toBe(1);
    expect(body.intake.byChannel.find((c) => c.channel === 'hotline_12345')!.count).toBe(1);
    expect(body.units.total).toEqual({ open: 3, overdue: 1 });
    expect(body.tiers.find((t) => t.tier === 'county')).toEqual({ tier: 'county', open: 1, overdue: 0 });
    expect(body.tiers.find((t) => t.tier === 'town')).toEqual({ tier: 'town', open: 1, overdue: 1 });
    expect(body.ladder.rungs.map((r) => r.count)).toEqual([0, 1, 0, 0, 0]);
    expect(body.ladder.off).toBe(2);
    // Every town of the county is a tile, its own town holding all three open appeals.
    const towns = (await server.store.regionsUnder(logins.dispatcher!.user.scope.regions)).filter((r) => r.level === 'town');
    expect(body.heat.map((t) => t.code).sort()).toEqual(towns.map((t) => t.code).sort());
    expect(body.heat.reduce((s, t) => s + t.open, 0)).toBe(3);
    expect(body.heat.filter((t) => t.band === 'red').map((t) => t.open)).toEqual([3]);
    expect(body.ranking.by).toBe('town');
  });

  it('feeds the day’s recordings, escalations and ladder rises, newest first', async () => {
    const { body } = await get('dispatcher');
    expect(body.feed.map((i) => [i.appealId, i.kind])).toEqual([
      [ids.fresh, 'recorded'],
      [ids.up, 'escalated'],
      [ids.late, 'supervised'],
    ]);
    expect(body.feed[1]!.tier).toBe('county');
    expect(body.feed[2]!.level).toBe(2);
  });

  it('is for the dispatch halls’ roles and leaders, over their own scope only', async () => {
    expect((await get('leader')).status).toBe(200);
    for (const who of ['town', 'grid', 'dept']) expect((await get(who)).status, who).toBe(403);
    expect((await get('dispatcher', '?county=370402')).status).toBe(403);
  });
});

describe('GET /api/wall in a city deployment', () => {
  let city: RunningServer;
  const who: Record<string, Login> = {};
  const ask = async (name: string, query = '') => {
    const res = await fetch(`${city.url}/api/wall${query}`, { headers: { authorization: `Bearer ${who[name]!.token}` } });
    return { status: res.status, body: (await res.json()) as WallSummary };
  };

  beforeAll(async () => {
    city = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REGION: '371300' });
    for (const name of ['city', 'dispatcher', 'town']) who[name] = await login(city, name);
    await appeal('lanling', Date.now() - 60_000, [], 'hotline_12345', city, who.town!);
  }, 120_000);
  afterAll(() => city?.close());

  it('shows the city by county, and one county by town when the city center looks into it', async () => {
    const whole = await ask('city');
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ level: 'city', areaKind: 'county', ranking: { by: 'county' } });
    const counties = (await city.store.regionsUnder(['3713'])).filter((r) => r.level === 'county');
    expect(whole.body.heat.map((t) => t.code).sort()).toEqual(counties.map((c) => c.code).sort());
    expect(whole.body.heat.find((t) => t.code === '371324000000')!.open).toBe(1);
    expect(whole.body.intake.total).toBe(1);

    const lanling = await ask('city', '?county=371324');
    expect(lanling.body).toMatchObject({ level: 'county', areaKind: 'town' });
    expect(lanling.body.heat.every((t) => t.code.startsWith('371324'))).toBe(true);
    expect(lanling.body.units.total.open).toBe(1);
    // 兰山 holds nothing yet.
    expect((await ask('city', '?county=371302')).body.units.total.open).toBe(0);
    // A county's desk sees its own county, and may not look into another.
    expect((await ask('dispatcher')).body).toMatchObject({ level: 'county', areaKind: 'town' });
    expect((await ask('dispatcher', '?county=371302')).status).toBe(403);
  });
});
