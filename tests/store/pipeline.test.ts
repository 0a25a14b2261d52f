import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addWorkingMinutes } from '../../src/core/calendar';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { fold } from '../../src/core/fold';
import type { SessionUser } from '../../src/core/roles';
import { act, loadAppeal, recordAppeal } from '../../src/store/appeals';
import { openDb, type MinshengDB } from '../../src/store/db';
import { setMeta } from '../../src/store/meta';
import { adoptPolicy, currentPolicy, loadPolicy } from '../../src/store/policy';

// The phone applies the same rules as the server: a pipeline step it would refuse never
// reaches the outbox, and due dates follow the county's policy, re-derived when it changes.

const VILLAGE = '371324101201';
const TOWN = '371324101';
const grid: SessionUser = { id: '0190a000-0000-7000-8000-000000000001', username: 'grid', displayName: '网格员 王芳', role: 'grid_worker', scope: { regions: [VILLAGE], departments: [] } };
const town: SessionUser = { id: '0190a000-0000-7000-8000-000000000002', username: 'town', displayName: '镇干部 刘洋', role: 'town_official', scope: { regions: [TOWN], departments: [] } };
// Monday 2026-11-23 10:00 in China.
const MONDAY_10 = Date.UTC(2026, 10, 23, 2, 0);

let db: MinshengDB;

beforeEach(async () => {
  db = openDb(`pipeline-${Math.random()}`);
  await db.regions.bulkAdd([
    { code: '371324000000', name: '兰陵县', level: 'county', parent: null },
    { code: '371324101000', name: '大仲村镇', level: 'town', parent: '371324000000' },
    { code: VILLAGE, name: '大仲村村民委员会', level: 'village', parent: '371324101000' },
  ]);
});

afterEach(async () => {
  db.close();
});

async function record(kind = 'consultation'): Promise<string> {
  const r = await recordAppeal(
    db,
    { channel: 'hotline_12345', category: 'services.policy', kind, urgency: 'yellow', villageCode: VILLAGE, description: '咨询今年的养老保险缴费标准。', citizen: { anonymous: true } },
    { id: grid.id, role: grid.role, name: grid.displayName, scope: grid.scope },
    MONDAY_10,
  );
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.id;
}

describe('pipeline steps on the device', () => {
  it('queues an allowed step with its basis and author, and refuses a forbidden one without touching the outbox', async () => {
    const id = await record();
    expect(await act(db, id, town, { type: 'accepted' }, MONDAY_10 + 60_000)).toEqual({ ok: true });
    expect(await db.outbox.count()).toBe(2);

    expect(await act(db, id, grid, { type: 'closed' }, MONDAY_10 + 120_000)).toEqual({ ok: false, reason: 'invalid_transition' });
    expect(await act(db, id, grid, { type: 'assigned', tier: 'village' }, MONDAY_10 + 120_000)).toEqual({ ok: false, reason: 'role_not_allowed' });
    expect(await db.outbox.count()).toBe(2);

    const snapshot = (await loadAppeal(db, id))!;
    const [recorded, accepted] = snapshot.events as { id: string; basis?: string; by?: string }[];
    expect(accepted!.basis).toBe(recorded!.id);
    expect(accepted!.by).toBe(town.displayName);
    expect(recorded!.by).toBe(grid.displayName);
    expect(fold(snapshot.events, id).status).toBe('accepted');
  });

  it('derives due dates with the adopted policy and re-derives them when it changes', async () => {
    await adoptPolicy(db, POLICY_PRESETS.lanling);
    const id = await record();
    await act(db, id, town, { type: 'assigned', tier: 'town' }, MONDAY_10);
    const hours = POLICY_PRESETS.lanling.hours;
    // Lanling answers a consultation within half a working day; Wanyuan within three.
    expect((await db.appeals.get(id))!.dueAt).toBe(addWorkingMinutes(MONDAY_10, 240, hours));
    await adoptPolicy(db, POLICY_PRESETS.wanyuan);
    expect((await db.appeals.get(id))!.dueAt).toBe(addWorkingMinutes(MONDAY_10, 3 * 480, hours));
    expect(currentPolicy(db).name).toBe('wanyuan');
  });

  it('re-derives rows projected by an older version on boot', async () => {
    await adoptPolicy(db, POLICY_PRESETS.linyi);
    const id = await record();
    await db.appeals.update(id, { dueAt: null, stage: undefined } as never);
    await setMeta(db, 'projectedWith', 'an older projection');
    await loadPolicy(db);
    const row = (await db.appeals.get(id))!;
    expect(row.stage).toBe('dispatch');
    expect(row.dueAt).toBe(addWorkingMinutes(MONDAY_10, 480, POLICY_PRESETS.linyi.hours));
  });
});
