import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { SessionUser } from '../../src/core/roles';
import { act, loadAppeal, recordAppeal } from '../../src/store/appeals';
import { openDb, SCHEMA_VERSION } from '../../src/store/db';
import { getMeta, setMeta } from '../../src/store/meta';
import { loadPolicy } from '../../src/store/policy';

// A phone updated to a new version opens its old database: nothing recorded offline may be
// lost, unsent changes stay unsent, and the new tables and indexes work at once.

const VILLAGE = '371324101201';
const grid: SessionUser = { id: '0190a000-0000-7000-8000-000000000001', username: 'grid', displayName: '网格员 王芳', role: 'grid_worker', scope: { regions: [VILLAGE], departments: [] } };
const who = { id: grid.id, role: grid.role, name: grid.displayName, scope: grid.scope };

describe('schema upgrade', () => {
  it('carries appeals, contacts, the outbox, the quarantine and meta from the previous version', async () => {
    const name = `upgrade-${Date.now()}`;
    const old = openDb(name, SCHEMA_VERSION - 1);
    await old.regions.bulkPut([{ code: VILLAGE, name: '东村', level: 'village', parent: '371324101000' }]);
    const recorded = await recordAppeal(
      old,
      { channel: 'grid_patrol', category: 'infra.water', kind: 'help', urgency: 'red', villageCode: VILLAGE, description: '东村自来水停了三天。\n老人挑不动水。', citizen: { anonymous: false, name: '王大爷', phone: '13912345678' } },
      who,
    );
    if (!recorded.ok) throw new Error('not recorded');
    const id = recorded.value.id;
    await old.quarantine.add({ seq: 99, docId: id, update: new Uint8Array([1, 2, 3]), reason: 'forbidden', detail: 'kept for the user', at: 1 });
    await setMeta(old, 'cursor', 1234);
    const outboxBefore = await old.outbox.toArray();
    expect(old.verno).toBe(SCHEMA_VERSION - 1);
    old.close();

    const db = openDb(name);
    await loadPolicy(db);
    expect(db.verno).toBe(SCHEMA_VERSION);
    const snapshot = await loadAppeal(db, id);
    expect(snapshot?.description).toBe('东村自来水停了三天。\n老人挑不动水。');
    expect(snapshot?.events.map((e) => (e as { type: string }).type)).toEqual(['recorded']);
    expect(await db.contacts.get(id)).toEqual({ appealId: id, name: '王大爷', phone: '13912345678' });
    expect(await db.outbox.toArray()).toEqual(outboxBefore);
    expect(await db.quarantine.get(99)).toMatchObject({ reason: 'forbidden', detail: 'kept for the user' });
    expect(await getMeta(db, 'cursor')).toBe(1234);
    // Re-derived with the new columns, and the new index answers.
    expect(await db.appeals.get(id)).toMatchObject({ title: '东村自来水停了三天。', urgency: 'red', meetingId: null, onSpot: false, attachments: 0, lat: null, lng: null });
    expect(await db.appeals.where('meetingId').equals('none').count()).toBe(0);
    expect(await db.meetings.count()).toBe(0);
    await db.files.put({ hash: 'a'.repeat(64), type: 'image/jpeg', size: 3, blob: new Blob([new Uint8Array([1, 2, 3])]), pending: 1, sent: 0, createdAt: 1 });
    expect(await db.files.where('pending').equals(1).count()).toBe(1);
    // And the upgraded database takes new work on the old appeal.
    expect((await act(db, id, grid, { type: 'commented', note: '已联系供水站' })).ok).toBe(true);
    expect(await db.outbox.count()).toBe(outboxBefore.length + 1);
    db.close();
  });
});
