import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { recordAppeal } from '../../src/store/appeals';
import { seen, step } from '../helpers/appeal-steps';
import { addUser, device, login, type Device } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// 调解 over the real hub: the roster reaches the town's device, the town sends a dispute to the
// mediator, the mediator's device receives it, records a session and settles; the server's row
// and the mediation report say so. A mediator it was not sent to is refused.

let server: RunningServer;
let grid: Device, town: Device, mediator: Device, other: Device;

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  const townLogin = await login(server, 'town');
  await addUser(server, 'mediator2', 'mediator', townLogin.user.scope.regions);
  [grid, town, mediator, other] = (await Promise.all(['grid', 'town', 'mediator', 'mediator2'].map(async (n) => device(server, await login(server, n))))) as [Device, Device, Device, Device];
  for (const d of [grid, town, mediator, other]) d.engine.start();
});

afterAll(async () => {
  for (const d of [grid, town, mediator, other]) d?.close();
  await server?.close();
});

describe('a dispute mediated across devices', () => {
  let id: string;

  it('lists the area’s mediators for the town', async () => {
    const res = await fetch(`${server.url}/api/mediators`, { headers: { authorization: `Bearer ${town.session.token}` } });
    const { mediators } = (await res.json()) as { mediators: { id: string; name: string }[] };
    expect(mediators.map((m) => m.id).sort()).toEqual([mediator.session.user.id, other.session.user.id].sort());
  });

  it('is sent, mediated and settled; the server row and the report follow', async () => {
    const village = grid.session.user.scope.regions[0]!;
    const r = await recordAppeal(grid.db, { channel: 'bench_meeting', category: 'disputes.land', kind: 'complaint', urgency: 'yellow', villageCode: village, description: '两户为宅基地边界争执。', citizen: { anonymous: true } }, grid.who);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    id = r.value.id;
    await grid.settled();
    await seen(town, id, (s) => s.status === 'new', 'the dispute');
    await step(town, id, { type: 'mediation_requested', mediator: mediator.session.user.id, mediatorName: mediator.session.user.displayName });
    expect(await town.db.quarantine.toArray()).toEqual([]);
    await seen(mediator, id, (s) => s.mediation?.mediator === mediator.session.user.id, 'the request');
    await step(mediator, id, { type: 'mediation_session', parties: '王家、赵家', place: '村委会', agreed: '请土地所测量边界' });
    await step(mediator, id, { type: 'mediation_closed', settled: true, note: '按测量结果立界桩，双方签字' });
    await seen(town, id, (s) => s.status === 'replied' && s.mediation?.outcome === 'settled', 'the settlement');
    const row = (await server.store.appealRows()).find((x) => x.id === id)!;
    expect(row).toMatchObject({ status: 'replied', mediator: mediator.session.user.id, mediationSessions: 1, mediationOutcome: 'settled' });
    const res = await fetch(`${server.url}/api/reports/mediation?period=week`, { headers: { authorization: `Bearer ${town.session.token}` } });
    const body = (await res.json()) as { byMediator: { key: string; settled: number }[] };
    expect(body.byMediator).toEqual([expect.objectContaining({ key: mediator.session.user.id, sent: 1, settled: 1, settleRate: 1 })]);
  });
});
