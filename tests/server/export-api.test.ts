import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningServer } from '../../server/app';
import { storeUpdate } from '../../server/sync/bus';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { readAppeal, writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { login, type Login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// Exports of the appeals in a user's scope: CSV that Excel opens in Chinese, XLSX, and
// GeoJSON of those with a location, carrying a citizen's name and phone only when asked,
// and then in full only for the roles that may see them.

let server: RunningServer;
const logins: Record<string, Login> = {};
const PHONE = '13912345678';
const NAME = '张秀英';

async function appeal(description: string, gps: { lat: number; lng: number } | null): Promise<void> {
  const town = logins.town!.user;
  const village = (await server.store.regionsUnder(town.scope.regions)).find((r) => r.level === 'village')!.code;
  const doc = new Y.Doc();
  const id = newId();
  writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.water', kind: 'help', urgency: 'red', villageCode: village, description, citizen: { anonymous: false, name: NAME, phone: PHONE }, gps }, { id: town.id, role: 'town_official' }, Date.now(), newId());
  await server.store.inPushTx(async (tx) => {
    await tx.putContact(id, { name: NAME, phone: PHONE }, town.id, Date.now());
    return storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: town.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), Date.now(), POLICY_PRESETS.lanling);
  });
}

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  for (const u of ['town', 'dispatcher', 'grid', 'leader']) logins[u] = await login(server, u);
  await appeal('自来水管爆裂，"全村"停水', { lat: 34.98, lng: 118.06 });
  await appeal('=HYPERLINK("http://x")水费多收了', null);
});
afterAll(() => server?.close());

const download = (who: string, query: string) => fetch(`${server.url}/api/reports/export?${query}`, { headers: { authorization: `Bearer ${logins[who]!.token}` } });

describe('GET /api/reports/export', () => {
  it('writes CSV with a BOM, Chinese headers and words, quoting and formula-safe, and no personal data', async () => {
    const res = await download('dispatcher', 'format=csv&period=week');
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename\*=UTF-8''minsheng-\d{4}-\d{2}-\d{2}\.csv$/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes.slice(3));
    const lines = text.trimEnd().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^编号,登记时间,县（市、区）,乡镇（街道）,村（社区）,类别/);
    // The county, the tier holding it, and the bounce-back ledger (a county names its one county too).
    expect(lines[1]!.split(',')[2]).toBe('兰陵县');
    expect(lines[0]).toContain(',承办层级,承办部门,');
    expect(lines[0]).toContain(',满意度,退回次数,改派次数,派单用时（分钟）,纬度（WGS84）');
    expect(text).toContain('"自来水管爆裂，""全村""停水"');
    // A cell that Excel would run as a formula is neutralised.
    expect(text).toContain(`"'=HYPERLINK(""http://x"")水费多收了"`);
    expect(text).toContain('红色（紧急）');
    expect(text).not.toContain(PHONE);
    expect(text).not.toContain(NAME);
  });

  it('writes XLSX with a frozen header row, and GeoJSON of the appeals with a location', async () => {
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await (await download('dispatcher', 'format=xlsx&period=week&lang=en')).arrayBuffer());
    const sheet = book.worksheets[0]!;
    expect(sheet.rowCount).toBe(3);
    expect(sheet.getRow(1).getCell(1).value).toBe('ID');
    expect(sheet.getRow(1).getCell(3).value).toBe('County');
    expect(sheet.getRow(1).getCell(8).value).toBe('Urgency');
    expect(JSON.stringify(sheet.getSheetValues())).not.toContain(PHONE);

    const geo = (await (await download('town', 'format=geojson&period=month')).json()) as { type: string; features: { geometry: { coordinates: number[] }; properties: Record<string, unknown> }[] };
    expect(geo.type).toBe('FeatureCollection');
    expect(geo.features).toHaveLength(1);
    expect(geo.features[0]!.geometry.coordinates).toEqual([118.06, 34.98]);
    expect(geo.features[0]!.properties).toMatchObject({ category: '饮水与水利', urgency: '红色（紧急）' });
    expect(JSON.stringify(geo)).not.toContain(PHONE);
  });

  it('adds contacts when asked: in full for a role that may see them (audited), masked for a leader', async () => {
    const full = new TextDecoder().decode(await (await download('dispatcher', 'format=csv&period=week&contacts=1')).arrayBuffer());
    expect(full.split('\r\n')[0]).toMatch(/,群众姓名,联系电话$/);
    expect(full).toContain(`,${NAME},${PHONE}\r\n`);
    const audit = await server.store.audit(20);
    expect(audit.find((e) => e.action === 'contacts_exported')).toMatchObject({ actor: logins.dispatcher!.user.id, detail: { format: 'csv', appeals: 2 } });

    const masked = await (await download('leader', 'format=geojson&period=week&contacts=1')).text();
    expect(masked).toContain('"citizenName":"张**"');
    expect(masked).toContain('"citizenPhone":"139****5678"');
    expect(masked).not.toContain(PHONE);
    expect(masked).not.toContain(NAME);
  });

  it('refuses roles without reports, and formats it does not know', async () => {
    expect((await download('grid', 'format=csv')).status).toBe(403);
    expect((await download('dispatcher', 'format=pdf')).status).toBe(400);
  });
});
