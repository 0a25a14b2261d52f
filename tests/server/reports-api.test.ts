import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningServer } from '../../server/app';
import { storeUpdate } from '../../server/sync/bus';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { login, type Login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// The ranking endpoint over the relational projection: figures per town for a week or a
// month, each user seeing only their own scope.

let server: RunningServer;
const logins: Record<string, Login> = {};
const cst = (s: string) => Date.parse(`${s}+08:00`);

async function appeal(recorded: string, replied: string | null): Promise<void> {
  const town = logins.town!.user;
  const village = (await server.store.regionsUnder(town.scope.regions)).find((r) => r.level === 'village')!.code;
  const doc = new Y.Doc();
  const id = newId();
  writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.roads', kind: 'complaint', urgency: 'yellow', villageCode: village, description: '路面塌陷', citizen: { anonymous: true } }, { id: town.id, role: 'town_official' }, cst(recorded), newId());
  const by = { actor: town.id, role: 'town_official' as const };
  appendEvent(doc, { id: newId(), type: 'assigned', tier: 'town', at: cst(recorded) + 30 * 60_000, ...by } as never);
  if (replied) appendEvent(doc, { id: newId(), type: 'replied', note: '已修复', via: 'walk_in', at: cst(replied), ...by } as never);
  await server.store.inPushTx(async (tx) => storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: town.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), Date.now(), POLICY_PRESETS.lanling));
}

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  for (const u of ['town', 'dispatcher', 'grid', 'dept']) logins[u] = await login(server, u);
  // Lanling gives a complaint 3 working days. Assigned Monday 23 November 10:00: due Thursday 26 at 10:00.
  await appeal('2026-11-23T09:30:00', '2026-11-24T10:00:00'); // on time
  await appeal('2026-11-23T09:30:00', '2026-11-27T16:00:00'); // late
  await appeal('2026-11-25T09:30:00', null); // not answered yet
  await appeal('2026-11-10T09:30:00', '2026-11-11T09:30:00'); // another week: a repeat in the window, answered before
});
afterAll(() => server?.close());

const get = async (who: string, query: string) => {
  const res = await fetch(`${server.url}/api/reports/ranking?${query}`, { headers: { authorization: `Bearer ${logins[who]!.token}` } });
  return { status: res.status, body: (await res.json()) as { period: { label: string }; units: Record<string, unknown>[]; message?: string } };
};

describe('GET /api/reports/ranking', () => {
  it('gives the city each town’s figures for the week', async () => {
    const { status, body } = await get('dispatcher', 'by=town&period=week&at=2026-11-25');
    expect(status).toBe(200);
    expect(body.period.label).toBe('2026-11-23');
    expect(body.units).toEqual([
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
    expect((await get('town', 'period=month&at=2026-11-02')).body.units).toHaveLength(1);
    // Nothing was assigned to the water department.
    expect((await get('dept', 'by=dept&period=month&at=2026-11-02')).body.units).toEqual([]);
    expect((await get('grid', 'period=week')).status).toBe(403);
    expect((await get('dispatcher', 'period=year')).status).toBe(400);
    expect((await get('dispatcher', 'at=25/11/2026')).body.message).toMatch(/YYYY-MM-DD/);
  });
});
