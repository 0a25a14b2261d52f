import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ALERT_WINDOW_MS } from '../../src/core/alerts';
import { appendEvent, writeNewAppeal } from '../../src/core/doc';
import { SYSTEM, type AppealEvent } from '../../src/core/events';
import { newId } from '../../src/core/id';
import type { SessionUser } from '../../src/core/roles';
import { markAlertsRead, unreadAlertCount, userAlerts } from '../../src/store/alerts';
import { openDb, type MinshengDB } from '../../src/store/db';
import { applyRemoteChanges } from '../../src/store/docs';
import { getMeta } from '../../src/store/meta';

// The device side of alerts: the feed arrives with a remote change (as the sync applies it),
// the count is live, and read state is kept per user on the device.

const VILLAGE = '371324101201';
const station: SessionUser = { id: newId(), username: 'station', displayName: '站', role: 'village_station', scope: { regions: [VILLAGE], departments: [] } };
const other: SessionUser = { ...station, id: newId(), username: 'station2' };
const town: SessionUser = { id: newId(), username: 'town', displayName: '镇干部', role: 'town_official', scope: { regions: ['371324101'], departments: [] } };
const NOW = Date.now();

let db: MinshengDB;
let name: string;
beforeEach(() => {
  name = `alerts-${Math.random()}`;
  db = openDb(name);
});
afterEach(async () => {
  db.close();
  await Dexie.delete(name);
});

/** An appeal recorded `ago` ms before now, then dispatched by the town to the village's desk (and `more`). */
async function arrive(ago: number, more: (at: number) => AppealEvent[] = () => []): Promise<string> {
  const id = newId();
  const doc = new Y.Doc();
  const at = NOW - ago;
  writeNewAppeal(doc, { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'orange', villageCode: VILLAGE, description: `诉求 ${ago}`, citizen: { anonymous: true }, gps: null }, { id: newId(), role: 'grid_worker' }, at, newId());
  appendEvent(doc, { id: newId(), type: 'assigned', to: 'village', from: 'town', actor: town.id, role: 'town_official', by: town.displayName, at: at + 1 });
  for (const e of more(at + 2)) appendEvent(doc, e);
  await applyRemoteChanges(db, [{ docId: id, update: Y.encodeStateAsUpdate(doc) }]);
  doc.destroy();
  return id;
}

describe('alerts on the device', () => {
  it('derives them from a synced change, counts them live and keeps read state per user', async () => {
    const counts: number[] = [];
    const sub = unreadAlertCount(db, station).subscribe((n) => counts.push(n));
    const first = await arrive(60_000);
    await arrive(30_000, (at) => [{ id: newId(), type: 'warned', stage: 'due_soon', dueAt: at + 1000, notify: ['handler'], actor: SYSTEM, role: SYSTEM, at }]);
    const list = await userAlerts(db, station, NOW);
    expect(list.map((a) => [a.kind, a.read])).toEqual([
      ['due_soon', false],
      ['assigned', false],
      ['assigned', false],
    ]);
    expect(list[2]!.appealId).toBe(first);
    expect(list[2]!.title).toBe('诉求 60000');
    await expect.poll(() => counts.at(-1)).toBe(3);
    // The town that dispatched is told nothing.
    expect(await userAlerts(db, town, NOW)).toEqual([]);

    await markAlertsRead(db, station.id, [list[2]!], NOW);
    await expect.poll(() => counts.at(-1)).toBe(2);
    expect((await userAlerts(db, station, NOW)).map((a) => a.read)).toEqual([false, false, true]);
    // Another user of the same device has read nothing.
    expect((await userAlerts(db, other, NOW)).filter((a) => !a.read)).toHaveLength(3);
    sub.unsubscribe();
  });

  it('leaves out what is older than the window, and forgets read marks past it', async () => {
    await arrive(ALERT_WINDOW_MS + 60_000);
    const recent = await arrive(1_000);
    const list = await userAlerts(db, station, NOW);
    expect(list.map((a) => a.appealId)).toEqual([recent]);
    const stale = { id: newId(), at: NOW - ALERT_WINDOW_MS - 1 };
    await markAlertsRead(db, station.id, [stale, list[0]!], NOW);
    expect(Object.keys((await getMeta<Record<string, number>>(db, `alertsRead:${station.id}`))!)).toEqual([list[0]!.id]);
  });
});
