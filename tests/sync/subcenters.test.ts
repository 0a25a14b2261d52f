import 'fake-indexeddb/auto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { inQueue } from '../../src/core/queues';
import { recordAppeal } from '../../src/store/appeals';
import { seen, stateOn, step } from '../helpers/appeal-steps';
import { addUser, device, login, type Device } from '../helpers/clients';
import { startTestServer, tempDir } from '../helpers/server';

// Wanyuan with two area sub-centers (1+7+N). A town in the east escalates to the county tier:
// the east sub-center's dispatcher receives it and dispatches it back down; the west's never
// receives it, nor the east another town's appeal, even one waiting at the county tier; the
// county center receives both. Real server, real devices, on SQLite and PostgreSQL.

const EAST = { id: 'wy-east', name: '东片区中心', towns: ['511781100', '511781101'] };
const WEST = { id: 'wy-west', name: '西片区中心', towns: ['511781102', '511781103'] };
const WEST_VILLAGE = '511781102200'; // 旧院镇四季坪村

let server: RunningServer;
const devices: Device[] = [];
let east: Device, west: Device, center: Device, town: Device, grid: Device, westTown: Device, westGrid: Device;

beforeAll(async () => {
  const file = path.join(tempDir(), 'subcenters.json');
  writeFileSync(file, JSON.stringify([EAST, WEST]));
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REGION: '511781', MINSHENG_SUBCENTERS: file });
  await addUser(server, 'jiuyuan', 'town_official', ['511781102']);
  await addUser(server, 'jiuyuan-grid', 'grid_worker', [WEST_VILLAGE]);
  for (const name of ['sub-wy-east', 'sub-wy-west', 'dispatcher', 'town', 'grid', 'jiuyuan', 'jiuyuan-grid']) devices.push(await device(server, await login(server, name)));
  [east, west, center, town, grid, westTown, westGrid] = devices as [Device, Device, Device, Device, Device, Device, Device];
  // The demo town (太平镇) and its village lie in the east.
  expect(town.session.user.scope.regions).toEqual(['511781100']);
  for (const d of devices) d.engine.start();
}, 120_000);

afterAll(async () => {
  for (const d of devices) d.close();
  await server?.close();
});

async function record(d: Device, description: string): Promise<string> {
  const r = await recordAppeal(d.db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'orange', villageCode: d.session.user.scope.regions[0]!, description, citizen: { anonymous: true } }, { ...d.who, name: d.session.user.displayName });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  d.engine.kick();
  await d.settled();
  return r.value.id;
}

/** Escalated to the county tier by the town's own desk. */
async function escalate(t: Device, id: string): Promise<void> {
  await seen(t, id, (s) => s.status === 'new', 'the new appeal');
  await step(t, id, { type: 'assigned', to: 'town', from: 'town' });
  await step(t, id, { type: 'escalated', to: 'county', reason: '山体滑坡，镇里无力处置' });
}

/** The row as the device's "escalated" queue reads it (the local projection). */
async function inEscalatedQueue(d: Device, id: string): Promise<boolean> {
  const row = await d.db.appeals.get(id);
  return row !== undefined && inQueue('escalated', row, d.session.user, Date.now());
}

describe('area sub-centers over real sync', () => {
  let mine: string, theirs: string;

  it('a town of the east escalates: the east sub-center receives it at the county tier and dispatches it to a county bureau', async () => {
    mine = await record(grid, '村道被山体滑坡阻断。');
    await escalate(town, mine);
    await seen(east, mine, (s) => s.tier === 'county' && s.status === 'accepted', 'the escalation');
    expect(await inEscalatedQueue(east, mine)).toBe(true);
    await seen(center, mine, (s) => s.tier === 'county', 'the escalation');
    expect(await inEscalatedQueue(center, mine)).toBe(true);
    await step(east, mine, { type: 'assigned', to: 'county', from: 'county', dept: 'transport' });
    await seen(center, mine, (s) => s.dept === 'transport' && s.sentBy?.actor === east.session.user.id, 'the sub-center’s dispatch');
    expect(await east.db.quarantine.count()).toBe(0);
  });

  it('a town of the west escalates too: only the west sub-center and the county center receive it', async () => {
    theirs = await record(westGrid, '河堤出现裂缝。');
    await escalate(westTown, theirs);
    await seen(west, theirs, (s) => s.tier === 'county', 'the other escalation');
    await seen(center, theirs, (s) => s.tier === 'county', 'the other escalation');
    expect(await inEscalatedQueue(west, theirs)).toBe(true);
    expect(await inEscalatedQueue(west, mine)).toBe(false);
  });

  it('never gives a sub-center another town’s appeal, at any tier, after all the traffic', async () => {
    for (const d of [east, west, center, town, westTown]) {
      d.engine.kick();
      await d.settled();
    }
    expect(await east.db.appeals.get(theirs)).toBeUndefined();
    expect(await west.db.appeals.get(mine)).toBeUndefined();
    // Every appeal either sub-center holds lies in its own towns.
    for (const [d, s] of [[east, EAST], [west, WEST]] as const) {
      const held = await d.db.appeals.toArray();
      expect(held.length).toBeGreaterThan(0);
      for (const row of held) expect(s.towns, `${d.session.user.username} holds ${row.village}`).toContain(row.village.slice(0, 9));
    }
    // The county center holds both, as the towns left them.
    expect((await stateOn(center, mine))!.dept).toBe('transport');
    expect((await stateOn(center, theirs))!.tier).toBe('county');
  });
});
