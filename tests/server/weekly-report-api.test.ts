import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningServer } from '../../server/app';
import { storeUpdate } from '../../server/sync/bus';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { cstDate, cstDay } from '../../src/core/calendar';
import type { WeeklyReportAnswer } from '../../src/core/weekly-report';
import { login, type Login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// GET /api/reports/weekly and /weekly/list over a real server: the roles that read reports get
// their scope's report, a closed week's is issued once and then served as issued, a running
// week's is composed live and not kept, and the file kept for download is a workbook.

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
  await server.store.inPushTx(async (tx) => storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: town.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), cst(recorded), POLICY_PRESETS.lanling));
}

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REPORT_INTERVAL_MS: '0' });
  for (const u of ['town', 'leader', 'grid', 'dept']) logins[u] = await login(server, u);
  // The week of Monday 9 November 2026: two received, one answered on time (Lanling: 3 working days for a complaint).
  await appeal('2026-11-09T09:30:00', '2026-11-10T10:00:00');
  await appeal('2026-11-11T09:30:00', null);
  // The week before: one.
  await appeal('2026-11-03T09:30:00', '2026-11-04T10:00:00');
});
afterAll(() => server?.close());

async function get<T = WeeklyReportAnswer>(who: string, path: string) {
  const res = await fetch(`${server.url}/api/reports/${path}`, { headers: { authorization: `Bearer ${logins[who]!.token}` } });
  return { status: res.status, type: res.headers.get('content-type'), res, body: res.headers.get('content-type')?.startsWith('application/json') ? ((await res.json()) as T & { message?: string; error?: string }) : null };
}

describe('GET /api/reports/weekly', () => {
  it('gives a leader the county’s closed week, issued once and then served as issued', async () => {
    const first = await get('leader', 'weekly?period=week&at=2026-11-11');
    expect(first.status).toBe(200);
    const { report, issuedAt, scope } = first.body!;
    expect(scope).toBe('371324|*');
    expect(issuedAt).toEqual(expect.any(Number));
    expect(report.period.label).toBe('2026-11-09');
    expect(report.headline.received).toEqual({ current: 2, previous: 1, delta: 1, relative: 1 });
    expect(report.headline.onTimeRate.current).toBe(1);
    expect(report.rankings.map((r) => r.by)).toEqual(['town', 'dept']);
    expect(report.rankings[0]!.units.map((u) => [u.unit, u.received])).toEqual([[logins.town!.user.scope.regions[0]!.padEnd(12, '0'), 2]]);

    // An appeal of that week synced late changes nothing in the issued report.
    await appeal('2026-11-12T09:30:00', null);
    const again = await get('leader', 'weekly?period=week&at=2026-11-13');
    expect(again.body!.issuedAt).toBe(issuedAt);
    expect(again.body!.report).toEqual(report);
  });

  it('composes a running week live and keeps nothing of it', async () => {
    const today = cstDate(cstDay(Date.now()));
    const live = await get('leader', `weekly?period=week&at=${today}`);
    expect(live.status).toBe(200);
    expect(live.body!.issuedAt).toBeNull();
    const list = await get<{ reports: { kind: string; label: string }[] }>('leader', 'weekly/list');
    expect(list.body!.reports.map((r) => r.label)).not.toContain(live.body!.report.period.label);
  });

  it('lists the scope’s issued reports, and a town official’s scope apart from the county’s', async () => {
    await get('leader', 'weekly?period=month&at=2026-10-15');
    const list = await get<{ scope: string; reports: { kind: string; label: string; issuedAt: number }[] }>('leader', 'weekly/list');
    expect(list.status).toBe(200);
    expect(list.body!.reports.map((r) => [r.kind, r.label])).toEqual([
      ['week', '2026-11-09'],
      ['month', '2026-10'],
    ]);
    const town = await get<{ scope: string; reports: unknown[] }>('town', 'weekly/list');
    expect(town.body!.scope).toBe(`${logins.town!.user.scope.regions[0]}|*`);
    expect(town.body!.reports).toEqual([]);
    const own = await get('town', 'weekly?period=week&at=2026-11-11');
    expect(own.body!.report.headline.received.current).toBe(3);
  });

  it('refuses a role that does not read reports, with a clear error', async () => {
    const refused = await get('grid', 'weekly?period=week&at=2026-11-11');
    expect(refused.status).toBe(403);
    expect(refused.body!.message).toBe('Reports are for town, department, county and city staff');
    expect((await get('grid', 'weekly/list')).status).toBe(403);
  });

  it('refuses a county outside the scope and a period it does not know', async () => {
    const outside = await get('town', 'weekly?period=week&at=2026-11-11&county=370402');
    expect(outside.status).toBe(403);
    const bad = await get('leader', 'weekly?period=year');
    expect([bad.status, bad.body!.message]).toEqual([400, 'period must be week or month']);
    expect((await get('leader', 'weekly?period=week&at=11/11/2026')).status).toBe(400);
  });

  it('gives the report as a workbook to keep', async () => {
    const file = await get('leader', 'weekly?period=week&at=2026-11-11&format=xlsx');
    expect(file.status).toBe(200);
    expect(file.type).toContain('spreadsheetml');
    expect(file.res.headers.get('content-disposition')).toContain('minsheng-week-2026-11-09.xlsx');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await file.res.arrayBuffer());
    expect(book.worksheets.map((s) => s.name)).toEqual(['概览', '排名 乡镇（街道）', '排名 部门', '上升问题', '专项治理']);
    const headline = book.getWorksheet('概览')!;
    expect(headline.getRow(2).values).toEqual([undefined, '受理量', 2, 1, 1]);
  });
});
