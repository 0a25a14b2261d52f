import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { appendEvent } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { recordAppeal } from '../../src/store/appeals';
import { applyLocalChange } from '../../src/store/docs';
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

async function record(d: Device, description: string): Promise<string> {
  const r = await recordAppeal(d.db, { channel: 'grid_patrol', category: 'infra.water', kind: 'help', urgency: 'orange', villageCode: d.session.user.scope.regions[0]!, description, citizen: { anonymous: true } }, { ...d.who, name: d.session.user.displayName });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  d.engine.kick();
  await d.settled();
  return r.value.id;
}

describe('the dispatch loop across a city', () => {
  let id: string;

  it('city → county platform → town → returned → county water bureau → returned → city review → city bureau → closed', async () => {
    id = await record(grid, '村里自来水管爆裂，三天没水。');
    await seen(city, id, (s) => s.status === 'new', 'the new appeal');
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
    await step(cityWater, id, { type: 'replied', note: '已更换主干管，恢复供水。', via: 'grid_patrol' });
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

  it('gives a county’s devices only that county’s appeals; the city center sees both', async () => {
    const there = await record(lanshan, '兰山区某村路面塌陷。');
    await seen(city, there, (s) => s.status === 'new', 'the other county’s appeal');
    // The Lanling devices are caught up past it, and never received it.
    for (const d of [county, town, water, grid]) {
      d.engine.kick();
      await d.settled();
      expect(await d.db.appeals.get(there), d.session.user.username).toBeUndefined();
    }
    expect(await lanshan.db.appeals.get(id)).toBeUndefined();
  });
});
