import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { fold } from '../../src/core/fold';
import { project } from '../../src/core/projection';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { openDb, type MinshengDB } from '../../src/store/db';
import { loadAppeal, myAppeals, recordAppeal, type Recorder } from '../../src/store/appeals';
import { deviceId } from '../../src/store/meta';
import { currentPolicy } from '../../src/store/policy';

const VILLAGE = '371324101201';
const OTHER_VILLAGE = '371324101202';
const who: Recorder = { id: 'u-grid', role: 'grid_worker', scope: { regions: [VILLAGE], departments: [] } };

const input = {
  channel: 'grid_patrol',
  category: 'infra.roads',
  kind: 'help',
  urgency: 'orange',
  villageCode: VILLAGE,
  description: '村东头道路塌陷，雨天无法通行。\n已有两位老人摔倒。',
  citizen: { anonymous: false, name: '张三', phone: '13812345678' },
};

let db: MinshengDB;
let name: string;

beforeEach(async () => {
  name = `test-${Math.random()}`;
  db = openDb(name);
  await db.regions.bulkAdd([
    { code: '371324000000', name: '兰陵县', level: 'county', parent: null },
    { code: '371324101000', name: '大仲村镇', level: 'town', parent: '371324000000' },
    { code: VILLAGE, name: '大仲村村民委员会', level: 'village', parent: '371324101000' },
    { code: OTHER_VILLAGE, name: '另一村村民委员会', level: 'village', parent: '371324101000' },
  ]);
});

afterEach(async () => {
  db.close();
  await indexedDB.deleteDatabase(name);
});

describe('recordAppeal', () => {
  it('saves an appeal that survives reopening the database, with the same content', async () => {
    const r = await recordAppeal(db, input, who, 1_780_000_000_000);
    expect(r.ok).toBe(true);
    const id = (r as { value: { id: string } }).value.id;
    db.close();

    db = openDb(name);
    const snap = await loadAppeal(db, id);
    expect(snap?.description).toBe(input.description);
    // The citizen's name and phone stay out of the document, beside it in `contacts` and the outbox entry.
    expect(snap?.fields).toMatchObject({ villageCode: VILLAGE, urgency: 'orange', createdBy: 'u-grid', citizen: { anonymous: false } });
    expect(JSON.stringify(snap)).not.toMatch(/张三|13812345678/);
    expect(await db.contacts.get(id)).toEqual({ appealId: id, name: '张三', phone: '13812345678' });
    expect((await db.outbox.toArray())[0]!.contact).toEqual({ name: '张三', phone: '13812345678' });
    expect(snap?.events).toHaveLength(1);
    expect(fold(snap!.events).status).toBe('new');
  });

  it('keeps the indexed projection columns equal to the fold of the document', async () => {
    const r = await recordAppeal(db, input, who);
    const id = (r as { value: { id: string } }).value.id;
    const [row] = await myAppeals(db);
    const snap = (await loadAppeal(db, id))!;
    const { doc: _doc, ...columns } = row!;
    expect(columns).toEqual(project(snap, currentPolicy(db)));
    expect(row!.status).toBe(fold(snap.events).status);
    expect(await db.appeals.where('town').equals('371324101000').count()).toBe(1);
    expect(await db.appeals.where('status').equals('new').count()).toBe(1);
  });

  it('queues exactly one outbox update that rebuilds the whole appeal elsewhere', async () => {
    const r = await recordAppeal(db, input, who);
    const id = (r as { value: { id: string } }).value.id;
    const outbox = await db.outbox.toArray();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]!.docId).toBe(id);
    const remote = readAppeal(docFromUpdates([outbox[0]!.update]), id);
    expect(remote).toEqual(await loadAppeal(db, id));
  });

  it('outbox sequence numbers only grow, even after entries are deleted', async () => {
    await recordAppeal(db, input, who);
    await recordAppeal(db, input, who);
    const first = await db.outbox.toArray();
    await db.outbox.clear();
    await recordAppeal(db, input, who);
    const [next] = await db.outbox.toArray();
    expect(next!.seq).toBeGreaterThan(Math.max(...first.map((o) => o.seq)));
  });

  it('refuses bad input with field errors and saves nothing', async () => {
    const cases: [unknown, string][] = [
      [{ ...input, description: '   ' }, 'description'],
      [{ ...input, villageCode: '371324999999' }, 'villageCode'],
      [{ ...input, villageCode: OTHER_VILLAGE }, 'villageCode'],
      [{ ...input, description: 'x'.repeat(20_001) }, 'description'],
      [{ ...input, citizen: { anonymous: false, name: '', phone: '' } }, 'citizenName'],
      [{ ...input, citizen: { anonymous: false, name: '李四', phone: '12345' } }, 'citizenPhone'],
    ];
    for (const [bad, field] of cases) {
      const r = await recordAppeal(db, bad, who);
      expect(r.ok).toBe(false);
      expect(Object.keys((r as { errors: object }).errors)).toContain(field);
    }
    expect(await db.appeals.count()).toBe(0);
    expect(await db.outbox.count()).toBe(0);
    expect(await db.table('$appeals.doc_updates').count()).toBe(0);
  });

  it('records only at a village the device knows: not at a town in scope, not at a code that is no string', async () => {
    const county: Recorder = { ...who, scope: { regions: ['371324'], departments: [] } };
    for (const villageCode of ['371324101000', 371324101201, null]) {
      const r = await recordAppeal(db, { ...input, villageCode }, county);
      expect(r.ok).toBe(false);
      expect(Object.keys((r as { errors: object }).errors)).toContain('villageCode');
    }
    expect((await recordAppeal(db, { ...input, villageCode: OTHER_VILLAGE }, county)).ok).toBe(true);
  });

  it('drops name and phone of an anonymous citizen before anything is stored', async () => {
    const r = await recordAppeal(db, { ...input, citizen: { anonymous: true, name: '张三', phone: '13812345678' } }, who);
    const id = (r as { value: { id: string } }).value.id;
    const [entry] = await db.outbox.toArray();
    const fields = Y.encodeStateAsUpdate(docFromUpdates([entry!.update]));
    expect(new TextDecoder().decode(fields)).not.toContain('13812345678');
    expect((await loadAppeal(db, id))!.fields.citizen).toEqual({ anonymous: true });
  });
});

describe('deviceId', () => {
  it('is made once and kept', async () => {
    const a = await deviceId(db);
    expect(await deviceId(db)).toBe(a);
  });
});
