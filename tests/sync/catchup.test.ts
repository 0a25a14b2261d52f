import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { appendEvent, eventsOf, readAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import type { RunningServer } from '../../server/app';
import { loadAppeal, recordAppeal } from '../../src/store/appeals';
import { applyLocalChange } from '../../src/store/docs';
import { startTestServer } from '../helpers/server';
import { addUser, device, login, until, type Device } from '../helpers/clients';

let server: RunningServer;
let villageA: string;
let villageB: string;

const appealIn = (villageCode: string, description: string) => ({
  channel: 'walk_in', category: 'livelihood.medical', kind: 'consultation', urgency: 'yellow', villageCode, description, citizen: { anonymous: true },
});

async function record(d: Device, village: string, text: string): Promise<string> {
  const r = await recordAppeal(d.db, appealIn(village, text), d.who);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  d.engine.kick();
  return r.value.id;
}

const titles = async (d: Device) => (await d.db.appeals.toArray()).map((a) => a.title).sort();

beforeAll(async () => {
  server = await startTestServer({}, { compactAfterRows: 5, pageDocs: 3 });
  const grid = await login(server, 'grid');
  villageA = grid.user.scope.regions[0]!;
  villageB = (await server.store.regionsUnder([villageA.slice(0, 9)])).find((r) => r.level === 'village' && r.code !== villageA)!.code;
  await addUser(server, 'gridB', 'grid_worker', [villageB]);
});

afterAll(() => server?.close());

describe('scoped catch-up and live fan-out', () => {
  it('delivers each appeal only to devices whose scope covers it, live and by catch-up', async () => {
    const a = await device(server, await login(server, 'grid'));
    const b = await device(server, await login(server, 'gridB'));
    const town = await device(server, await login(server, 'town'));
    for (const d of [a, b, town]) d.engine.start();
    await Promise.all([a, b, town].map((d) => d.settled()));

    await record(town, villageA, '甲村：卫生室缺药');
    await record(town, villageB, '乙村：卫生室没有医生');
    await record(a, villageA, '甲村：新农合报销咨询');
    await until(async () => (await titles(town)).length === 3, 10_000, 'town sees all three');
    await until(async () => (await titles(a)).length === 2, 10_000, 'A sees two');
    await until(async () => (await titles(b)).length === 1, 10_000, 'B sees one');
    expect(await titles(a)).toEqual(['甲村：卫生室缺药', '甲村：新农合报销咨询']);
    expect(await titles(b)).toEqual(['乙村：卫生室没有医生']);

    // A new device of user B catches up with exactly B's scope.
    const b2 = await device(server, b.session);
    b2.engine.start();
    await b2.settled();
    expect(await titles(b2)).toEqual(['乙村：卫生室没有医生']);
    for (const d of [a, b, b2, town]) d.close();
  });

  it('resumes from the stored cursor and receives only what it lacks, in pages', async () => {
    const writer = await device(server, await login(server, 'grid'));
    const reader = await device(server, await login(server, 'grid'));
    writer.engine.start();
    reader.engine.start();
    await Promise.all([writer.settled(), reader.settled()]);
    reader.engine.stop();
    const before = new Set((await reader.db.appeals.toArray()).map((r) => r.id));

    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await record(writer, villageA, `离线期间的诉求 ${i}`));
    await writer.settled();

    const pages: number[] = [];
    const cursorBefore = (await reader.db.meta.get('cursor'))?.value as number;
    reader.engine.start();
    await reader.settled();
    const after = (await reader.db.appeals.toArray()).map((r) => r.id).filter((id) => !before.has(id));
    expect(after.sort()).toEqual([...ids].sort());
    expect((await reader.db.meta.get('cursor'))?.value as number).toBeGreaterThan(cursorBefore);
    // Same documents, same content, on both devices.
    for (const id of ids) expect(await loadAppeal(reader.db, id)).toEqual(await loadAppeal(writer.db, id));
    void pages;
    writer.close();
    reader.close();
  });
});

describe('an interrupted catch-up', () => {
  it('resumes where it got to without losing older changes of documents it had not sent yet', async () => {
    const writer = await device(server, await login(server, 'gridB'));
    writer.engine.start();
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await record(writer, villageB, `乙村第${i}件：水渠堵了`));
    await writer.settled();
    // The first four change again: by last change they now sort after the other four, though
    // they were created before them.
    for (const id of ids.slice(0, 4)) {
      await applyLocalChange(writer.db, id, (doc) => appendEvent(doc, { id: newId(), type: 'commented', actor: writer.who.id, role: writer.who.role, at: Date.now(), note: '补充：下游也堵了' }));
      writer.engine.kick();
    }
    await writer.settled();

    // A new phone loses its link right after the first page (3 documents).
    const reader = await device(server, writer.session);
    let cut = false;
    const stop = reader.engine.subscribe((st) => {
      if (!cut && st.catchUp && st.catchUp.done > 0) {
        cut = true;
        reader.engine.stop();
      }
    });
    reader.engine.start();
    await until(async () => (await reader.db.appeals.count()) > 0 && reader.status().link === 'offline', 10_000, 'cut after the first page');
    stop();
    expect(await reader.db.appeals.count()).toBeLessThan(ids.length);
    // The cursor does not move mid catch-up; how far it got is kept beside it.
    expect((await reader.db.meta.get('cursor'))?.value ?? 0).toBe(0);
    expect((await reader.db.meta.get('catchUpResume'))?.value).toMatchObject({ from: 0 });

    reader.engine.start();
    await reader.settled();
    for (const id of ids) expect(await loadAppeal(reader.db, id)).toEqual(await loadAppeal(writer.db, id));
    expect((await reader.db.meta.get('catchUpResume'))?.value).toBeNull();
    writer.close();
    reader.close();
  });
});

describe('compaction', () => {
  it('folds update rows into a snapshot, keeps idempotency, and serves new devices the same state', async () => {
    const d = await device(server, await login(server, 'grid'));
    d.engine.start();
    const id = await record(d, villageA, '村里自来水有异味');
    for (let i = 0; i < 8; i++) {
      await applyLocalChange(d.db, id, (doc) => appendEvent(doc, { id: newId(), type: 'commented', actor: d.who.id, role: d.who.role, at: Date.now(), note: `补充说明 ${i}` }));
      d.engine.kick();
      await d.settled();
    }
    const parts = await server.store.docParts(id);
    // 9 updates with a threshold of 5: one snapshot plus at most 4 rows remain.
    expect(parts.length).toBeLessThanOrEqual(5);
    expect(await server.store.updateCount()).toBeLessThan(await server.store.receiptCount());
    const fresh = await device(server, d.session);
    fresh.engine.start();
    await fresh.settled();
    const snap = (await loadAppeal(fresh.db, id))!;
    expect(snap.events).toHaveLength(9);
    expect(snap).toEqual(await loadAppeal(d.db, id));
    d.close();
    fresh.close();
  });
});

describe('rejection round-trip', () => {
  it('quarantines a refused edit, rebuilds the doc from the server, and keeps other pending edits', async () => {
    const d = await device(server, await login(server, 'grid'));
    d.engine.start();
    const id = await record(d, villageA, '路灯不亮');
    await d.settled();
    d.engine.stop();
    // Offline: one forbidden change (deleting the recorded event), then one good comment.
    await applyLocalChange(d.db, id, (doc) => eventsOf(doc).delete(0, 1));
    await applyLocalChange(d.db, id, (doc) => appendEvent(doc, { id: newId(), type: 'commented', actor: d.who.id, role: d.who.role, at: Date.now(), note: '已联系电工' }));
    expect((await loadAppeal(d.db, id))!.events.map((e) => (e as { type: string }).type)).toEqual(['commented']);

    d.engine.start();
    await until(async () => (await d.db.quarantine.count()) === 1 && (await d.db.outbox.count()) === 0);
    const [q] = await d.db.quarantine.toArray();
    expect(q).toMatchObject({ docId: id, reason: 'events_removed' });
    // The comment, pushed after the refused update, depends on it and is refused too... or
    // accepted on its own: either way the local doc equals the server's plus nothing lost.
    const local = (await loadAppeal(d.db, id))!;
    const serverDoc = new Y.Doc();
    (await server.store.docParts(id)).forEach((u) => Y.applyUpdate(serverDoc, u));
    expect(local).toEqual(readAppeal(serverDoc, id));
    expect(local.events[0]).toMatchObject({ type: 'recorded' });
    d.close();
  });
});
