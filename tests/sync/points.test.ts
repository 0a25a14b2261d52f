import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { eventsOf } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { awardEvent, foldLedger, projectPoints, sheetEntries, writeNewPoints } from '../../src/core/points';
import { storeNewDoc } from '../../src/store/docs';
import { recordAward, recordExchange, setVillageRules, villagePoints } from '../../src/store/points';
import { addUser, device, login, until, type Device } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// Village points over the real hub, on both stores: a facilitator's phone records awards and
// an exchange with no link, a second facilitator exchanges for the same household offline
// too; once both sync, the server and the town's phone hold every entry, the balance shows
// the debt and the second exchange is flagged, not dropped. The town sets the village's
// rules and the facilitator's phone takes them. Roles and villages not allowed are refused,
// and the public board shows household numbers and points, nothing else.

let server: RunningServer;
let bench: Device, bench2: Device, town: Device, grid: Device, far: Device;
let village: string;
const MIN = 60_000;

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  const benchLogin = await login(server, 'bench');
  village = benchLogin.user.scope.regions[0]!;
  await addUser(server, 'bench-b', 'bench_facilitator', [village]);
  // A facilitator of another village of the same town: the first village is not theirs.
  const other = (await server.store.regionsUnder([village.slice(0, 9)])).find((r) => r.level === 'village' && r.code !== village)!;
  await addUser(server, 'bench-far', 'bench_facilitator', [other.code]);
  [bench, bench2, town, grid, far] = (await Promise.all(
    [benchLogin, ...(await Promise.all(['bench-b', 'town', 'grid', 'bench-far'].map((n) => login(server, n))))].map((l) => device(server, l)),
  )) as [Device, Device, Device, Device, Device];
  town.engine.start();
});

afterAll(async () => {
  for (const d of [bench, bench2, town, grid, far]) d?.close();
  await server?.close();
});

/** The first value a live query gives. */
function firstValueFrom<T>(o: { subscribe(next: (v: T) => void, error?: (e: unknown) => void): { unsubscribe(): void } }): Promise<T> {
  return new Promise((resolve, reject) => {
    const sub = o.subscribe(
      (v) => {
        queueMicrotask(() => sub.unsubscribe());
        resolve(v);
      },
      reject,
    );
  });
}

const api = async (d: Device, path: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${d.session.token}` } });

describe('points recorded offline', () => {
  it('reach the server and the town, and an exchange made twice offline is kept and flagged', async () => {
    const t0 = Date.now() - 60 * MIN;
    expect(await recordAward(bench.db, bench.who, village, { household: '3组-12', rule: 'front_clean', label: '门前卫生', points: 5, note: '王大爷家门前很干净' }, null, t0)).toEqual({ ok: true });
    expect(await recordAward(bench.db, bench.who, village, { household: '3组-12', rule: 'filial', label: '孝老爱亲', points: 10 }, null, t0 + MIN)).toEqual({ ok: true });
    expect(await recordAward(bench.db, bench.who, village, { household: '1组-4', rule: 'clutter', label: '乱堆乱放', points: -5 }, null, t0 + 2 * MIN)).toEqual({ ok: true });
    expect(await recordExchange(bench.db, bench.who, village, { household: '3组-12', goods: '化肥1袋', points: 15 }, null, t0 + 3 * MIN)).toEqual({ ok: true });
    // The second phone knows nothing of the first and hands over goods for the same points.
    expect(await recordExchange(bench2.db, bench2.who, village, { household: '3组-12', goods: '种子2包', points: 10 }, null, t0 + 4 * MIN)).toEqual({ ok: true });
    // One sheet per phone for the day, however many entries.
    expect(await bench.db.points.count()).toBe(1);
    expect((await firstValueFrom(villagePoints(bench.db, village))).ledger.households.find((h) => h.household === '3组-12')).toMatchObject({ balance: 0 });

    bench.engine.start();
    bench2.engine.start();
    await Promise.all([bench.settled(), bench2.settled()]);
    expect(await bench.db.quarantine.toArray()).toEqual([]);
    expect(await bench2.db.quarantine.toArray()).toEqual([]);
    const rows = await server.store.pointsRows([village]);
    expect(rows).toHaveLength(2);
    const ledger = foldLedger(sheetEntries(rows));
    expect(ledger.households.find((h) => h.household === '3组-12')).toMatchObject({ earned: 15, spent: 25, balance: -10, exchanges: 2, overdrawn: 1 });
    expect(ledger.households.find((h) => h.household === '1组-4')).toMatchObject({ deducted: 5, balance: -5 });
    // Every phone folds the same ledger from what it synced.
    for (const d of [town, bench, bench2]) {
      await until(async () => (await d.db.points.count()) === 2, 15_000, 'both sheets on the phone');
      const view = await firstValueFrom(villagePoints(d.db, village));
      expect(view.ledger).toEqual(ledger);
    }
  });

  it('the town sets the village’s rules and the facilitator’s phone uses them', async () => {
    const set = await setVillageRules(town.db, town.who, village, [{ label: '门前卫生', points: 3 }, { label: '垃圾分类', points: 4 }]);
    expect(set.ok).toBe(true);
    expect(await setVillageRules(bench.db, bench.who, village, [{ label: 'x', points: 1 }])).toEqual({ ok: false, reason: 'role_not_allowed' });
    town.engine.kick();
    await town.settled();
    await until(async () => (await firstValueFrom(villagePoints(bench.db, village))).customRules, 15_000, 'the rules on the facilitator’s phone');
    const view = await firstValueFrom(villagePoints(bench.db, village));
    expect(view.rules.map((r) => `${r.label}${r.points}`)).toEqual(['门前卫生3', '垃圾分类4']);
  });

  it('refuses a grid worker’s sheet and another village’s facilitator, and keeps nothing of them', async () => {
    // The phone's own rules stop these first; a forged document is refused by the server.
    expect(await recordAward(grid.db, grid.who, village, { household: '1', rule: 'r', label: 'R', points: 1 })).toEqual({ ok: false, reason: 'role_not_allowed' });
    expect(await recordAward(far.db, far.who, village, { household: '1', rule: 'r', label: 'R', points: 1 })).toEqual({ ok: false, reason: 'villageCode' });
    const forge = async (d: Device) => {
      const doc = new Y.Doc();
      writeNewPoints(doc, { kind: 'sheet', villageCode: village }, d.who, Date.now(), newId());
      eventsOf(doc).push([awardEvent({ household: '9组-9', rule: 'r', label: 'R', points: 50 }, d.who, Date.now(), newId())!]);
      await storeNewDoc(d.db, d.db.points, newId(), doc, projectPoints, Date.now());
      d.engine.start();
      await until(async () => (await d.db.quarantine.count()) > 0, 15_000, 'the refusal');
      return (await d.db.quarantine.toArray()).map((q) => q.reason);
    };
    expect(await forge(grid)).toEqual(['forbidden']);
    expect(await forge(far)).toEqual(['out_of_scope']);
    const all = sheetEntries(await server.store.pointsRows([village.slice(0, 6)]));
    expect(all.some((e) => e.household === '9组-9')).toBe(false);
  });

  it('reports points given and exchanged per village to the town, not to the village or a department', async () => {
    const res = await api(town, '/api/reports/points?period=month');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: { village: string; given: number; deducted: number; exchanged: number; exchanges: number; overdrawn: number }[]; villages: Record<string, string> };
    expect(body.rows).toEqual([expect.objectContaining({ village, given: 15, deducted: 5, exchanged: 25, exchanges: 2, overdrawn: 1 })]);
    expect(body.villages[village]).toBeTruthy();
    expect((await api(grid, '/api/reports/points')).status).toBe(403);
    expect((await api(bench, '/api/reports/points')).status).toBe(403);
    const dept = await login(server, 'dept');
    expect((await fetch(`${server.url}/api/reports/points`, { headers: { authorization: `Bearer ${dept.token}` } })).status).toBe(403);
    expect((await fetch(`${server.url}/api/reports/points`)).status).toBe(401);
  });
});

describe('the public board /p/points/<village>', () => {
  it('shows household numbers, points and awards by rule in two languages; nothing else', async () => {
    const zh = await fetch(`${server.url}/p/points/${village}`);
    expect(zh.status).toBe(200);
    const html = await zh.text();
    expect(html).toContain('3组-12');
    expect(html).toContain('1组-4');
    expect(html).toContain('孝老爱亲');
    expect(html).toContain('-10 分');
    // Not the note, the goods, the recorders, nor any script.
    for (const secret of ['王大爷', '化肥', '种子', '李建国', bench.session.user.displayName, 'bench-b', '<script']) expect(html).not.toContain(secret);
    expect(Buffer.byteLength(html)).toBeLessThan(10 * 1024);
    const en = await (await fetch(`${server.url}/p/points/${village}?lang=en`)).text();
    expect(en).toContain('<html lang="en"');
    expect(en).toContain('Standings');
    expect((await fetch(`${server.url}/p/points/371324999999`)).status).toBe(404);
    expect((await fetch(`${server.url}/p/points/${village.slice(0, 9)}`)).status).toBe(404);
  });
});
