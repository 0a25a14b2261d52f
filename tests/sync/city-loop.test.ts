import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { appendEvent } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { addWorkingMinutes } from '../../src/core/calendar';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { recordAppeal } from '../../src/store/appeals';
import { RECENT_MS } from '../../src/core/holdings';
import { fetchAppeal, pruneHoldings } from '../../src/store/holdings';
import { applyLocalChange } from '../../src/store/docs';
import { deadlinePolicy } from '../../src/store/queries';
import { seen, stateOn, step } from '../helpers/appeal-steps';
import { addUser, device, login, type Device } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// A whole city (Linyi) on one server: the city center dispatches to the county platform,
// which sends it to a town; the town returns it; the county gives it to its water bureau,
// which returns it too, and the second return goes up to the city for review; the city's
// decision (its own water bureau) is final; the case is answered, visited and closed.
// Every step is a person's device pushing through the real hub, on SQLite and PostgreSQL.

const OTHER_COUNTY_VILLAGE = '371302001001'; // 兰山区, not 兰陵县

let server: RunningServer;
const devices: Device[] = [];
let city: Device, county: Device, town: Device, water: Device, cityWater: Device, grid: Device, station: Device, lanshan: Device;

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REGION: '371300' });
  await addUser(server, 'lanshan', 'grid_worker', [OTHER_COUNTY_VILLAGE]);
  for (const name of ['city', 'dispatcher', 'town', 'dept', 'citywater', 'grid', 'station', 'lanshan']) devices.push(await device(server, await login(server, name)));
  [city, county, town, water, cityWater, grid, station, lanshan] = devices as [Device, Device, Device, Device, Device, Device, Device, Device];
  for (const d of devices) d.engine.start();
}, 120_000);

afterAll(async () => {
  for (const d of devices) d.close();
  await server?.close();
});

/** Records an appeal on `d`: in its own village, or (a dispatch desk's hotline) in `village`. */
async function record(d: Device, description: string, village = d.session.user.scope.regions[0]!): Promise<string> {
  const channel = d === city ? 'hotline_12345' : 'grid_patrol';
  const r = await recordAppeal(d.db, { channel, category: 'infra.water', kind: 'help', urgency: 'orange', villageCode: village, description, citizen: { anonymous: true } }, { ...d.who, name: d.session.user.displayName });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  d.engine.kick();
  await d.settled();
  return r.value.id;
}

describe('the dispatch loop across a city', () => {
  let id: string;

  it('city → county platform → town → returned → county water bureau → returned → city review → city bureau → closed', async () => {
    // Taken in on the city's hotline: it waits at the city's desk.
    id = await record(city, '村里自来水管爆裂，三天没水。', grid.session.user.scope.regions[0]!);
    await seen(city, id, (s) => s.status === 'new' && s.tier === 'city', 'the new appeal at its desk');
    await seen(grid, id, (s) => s.status === 'new', 'the hotline appeal in the village');
    await step(city, id, { type: 'assigned', to: 'county', from: 'city' });
    await seen(county, id, (s) => s.tier === 'county' && s.status === 'accepted', 'the dispatch to the county platform');
    await step(county, id, { type: 'assigned', to: 'town', from: 'county' });
    await seen(town, id, (s) => s.tier === 'town' && s.status === 'accepted', 'the dispatch to the town');
    await step(town, id, { type: 'returned', reason: '供水管网属县水务局', to: 'county' });
    await seen(county, id, (s) => s.returns === 1 && s.tier === 'county', 'the return');
    await step(county, id, { type: 'assigned', to: 'county', from: 'county', dept: 'water' });
    await seen(water, id, (s) => s.dept === 'water' && s.status === 'assigned', 'the assignment');
    await step(water, id, { type: 'returned', reason: '主干管属市级管网', to: 'city' });
    await seen(city, id, (s) => s.review === 'pending' && s.tier === 'city', 'the review');
    await step(city, id, { type: 'reviewed', to: 'city', from: 'city', dept: 'water', note: '市水务局办理（研判结论）' });
    await seen(cityWater, id, (s) => s.status === 'assigned' && s.tier === 'city', 'the decision');
    await step(cityWater, id, { type: 'started' });
    await step(cityWater, id, { type: 'replied', note: '已更换主干管，恢复供水。', via: 'hotline_12345' });
    await seen(station, id, (s) => s.status === 'replied', 'the reply');
    await step(station, id, { type: 'visited', satisfaction: 'satisfied' });
    await seen(city, id, (s) => s.status === 'visited', 'the visit');
    await step(city, id, { type: 'closed', note: '销号' });
    for (const d of [grid, county, town, station, city]) await seen(d, id, (s) => s.status === 'closed', 'the close');
    const row = (await server.store.appealsById([id]))[0]!;
    expect(row).toMatchObject({ status: 'closed', tier: 'city', dept: 'water', returns: 2, reassigns: 0, review: 'decided', leadTier: 'city' });
    expect(row.dispatchMinutes).not.toBeNull();
  });

  it('refuses a return sent anywhere but where the rules send it, and keeps it in the sender’s quarantine', async () => {
    const other = await record(grid, '村道路灯坏了。');
    await seen(county, other, (s) => s.status === 'new', 'the new appeal');
    await step(county, other, { type: 'assigned', to: 'county', from: 'county', dept: 'water' });
    await seen(water, other, (s) => s.dept === 'water', 'the assignment');
    // A tampered phone sends the case to the city at the first return (it belongs back at the county).
    await applyLocalChange(water.db, other, (doc) => {
      const events = doc.getArray('events').toArray();
      appendEvent(doc, { type: 'returned', reason: '不属本局', to: 'city', id: newId(), actor: water.session.user.id, role: 'dept_handler', at: Date.now(), basis: fold(events, other).lastAppliedId! } as AppealEvent);
    });
    water.engine.kick();
    await water.settled();
    expect(await water.db.quarantine.toArray()).toEqual([expect.objectContaining({ docId: other, reason: 'forbidden', detail: 'returned: wrong_destination' })]);
    expect((await stateOn(water, other))!.returns).toBe(0);
    await water.db.quarantine.clear();
  });

  it('gives a county’s devices only that county’s appeals, and the city center neither until one needs it', async () => {
    const there = await record(lanshan, '兰山区某村路面塌陷。');
    const here = await record(grid, '村口桥栏杆松了。');
    await seen(county, here, (s) => s.status === 'new', 'its own county’s new appeal');
    // The Lanling devices and the city are caught up past both; only Lanling's desk has its own.
    for (const d of [county, town, water, grid, city]) {
      d.engine.kick();
      await d.settled();
      expect(await d.db.appeals.get(there), d.session.user.username).toBeUndefined();
    }
    expect(await city.db.appeals.get(here)).toBeUndefined();
    expect(await lanshan.db.appeals.get(id)).toBeUndefined();
  });

  it('gives the city’s device only its share: what climbs to the city arrives whole, and what it no longer needs is let go', async () => {
    const quiet = await record(grid, '路灯坏了一盏。');
    const rising = await record(grid, '水库放水冲毁农田，村镇县都解决不了。');
    await seen(station, rising, (s) => s.status === 'new', 'the new appeal');
    expect(await city.db.appeals.get(rising)).toBeUndefined();
    // Each desk up the line cannot settle it and escalates: village → town → county → city.
    await step(station, rising, { type: 'escalated', reason: '村里解决不了', to: 'town' });
    await seen(town, rising, (s) => s.tier === 'town', 'the escalation to the town');
    await step(town, rising, { type: 'escalated', reason: '涉及县管水利', to: 'county' });
    await seen(county, rising, (s) => s.tier === 'county', 'the escalation to the county');
    await step(county, rising, { type: 'escalated', reason: '涉及市管水库', to: 'city' });
    await seen(city, rising, (s) => s.tier === 'city', 'the escalation to the city');
    // Whole: the city's copy starts at the village's recording, which it never received live.
    expect((await stateOn(city, rising))!.recordedAt).not.toBeNull();
    // The city center dispatches it down to the county platform and leads it (首接负责); a
    // hotline call waits at the city's desk meanwhile.
    await step(city, rising, { type: 'assigned', to: 'county', from: 'city' });
    await seen(county, rising, (s) => s.tier === 'county' && s.leadTier === 'city', 'the dispatch down');
    const waiting = await record(city, '热线来电：镇上集市占道经营。', grid.session.user.scope.regions[0]!);
    await city.settled();
    expect(await city.db.appeals.get(quiet)).toBeUndefined();
    // A week on with no change: the cases others work are let go, the one at its desk stays.
    expect(await pruneHoldings(city.db, city.session.user, Date.now() + RECENT_MS + 60_000)).toBeGreaterThan(0);
    expect(await city.db.appeals.get(id)).toBeUndefined();
    expect(await city.db.appeals.get(rising)).toBeUndefined();
    expect(await city.db.appeals.get(waiting)).toBeDefined();
    // Gone from the device is not gone: the city opens it again from the server, whole.
    expect(await fetchAppeal(city.db, id, (path) => fetch(server.url + path, { headers: { authorization: `Bearer ${city.session.token}` } }))).toEqual({ ok: true });
    expect((await stateOn(city, id))!.status).toBe('closed');
  });
});

describe('deadlines per county', () => {
  // Linyi 12345 gives a yellow matter 5 working days; Lanling answers a consultation within half
  // a day. A city server gives each county's appeals their own county's clock.
  async function consultation(d: Device, description: string): Promise<string> {
    const r = await recordAppeal(d.db, { channel: 'grid_patrol', category: 'services.policy', kind: 'consultation', urgency: 'yellow', villageCode: d.session.user.scope.regions[0]!, description, citizen: { anonymous: true } }, { ...d.who, name: d.session.user.displayName });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    d.engine.kick();
    await d.settled();
    return r.value.id;
  }

  it('derives each appeal’s due date on the server by its own county’s policy', async () => {
    // Each county's platform gives its consultation to its water bureau: the handling clock starts.
    await addUser(server, 'lanshandesk', 'county_dispatcher', ['371302']);
    const lanshanDesk = await device(server, await login(server, 'lanshandesk'));
    devices.push(lanshanDesk);
    lanshanDesk.engine.start();
    const inLanling = await consultation(grid, '低保申请需要哪些材料？');
    const inLanshan = await consultation(lanshan, '医保怎么转到兰山区？');
    for (const [desk, id] of [[county, inLanling], [lanshanDesk, inLanshan]] as const) {
      await seen(desk, id, (s) => s.status === 'new', 'the consultation');
      await step(desk, id, { type: 'assigned', to: 'county', from: 'county', dept: 'water' });
    }
    const hours = POLICY_PRESETS.linyi.hours;
    expect(POLICY_PRESETS.lanling.hours).toEqual(hours);
    const rows = new Map((await server.store.appealsById([inLanling, inLanshan])).map((r) => [r.id, r]));
    const started = async (d: Device, id: string) => (await stateOn(d, id))!.stageStartedAt!;
    expect(rows.get(inLanling)!.dueAt).toBe(addWorkingMinutes(await started(county, inLanling), 240, hours));
    expect(rows.get(inLanshan)!.dueAt).toBe(addWorkingMinutes(await started(lanshanDesk, inLanshan), 5 * 480, hours));
  });

  it('sends the counties’ policies in the welcome, so a city device knows each county’s rules', () => {
    expect(deadlinePolicy(city.db, grid.session.user.scope.regions[0]!)).toEqual({ ...POLICY_PRESETS.lanling, topTier: 'city' });
    expect(deadlinePolicy(city.db, OTHER_COUNTY_VILLAGE)).toEqual({ ...POLICY_PRESETS.linyi, topTier: 'city' });
    expect(deadlinePolicy(city.db)).toEqual({ ...POLICY_PRESETS.linyi, topTier: 'city' });
  });
});
