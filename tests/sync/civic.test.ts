import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { SUGGESTION_LIMIT } from '../../server/http/civic-public';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { showEvalCode } from '../../src/core/evalcode';
import type { CampaignWithCounts } from '../../src/core/campaign';
import type { SlotWithBookings } from '../../src/core/reception';
import { act, recordAppeal } from '../../src/store/appeals';
import { device, login, type Login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// Suggestion campaigns and reception days through the real server: the city opens a
// campaign, a citizen answers it on the public page and a grid worker offline through the
// sync; the town adopts one and the counts follow. A town official publishes a reception
// slot; a citizen books it with the evaluation code until it is full.

let server: RunningServer;
const logins: Record<string, Login> = {};
const tomorrow = () => new Date(Date.now() + 8 * 3_600_000 + 86_400_000).toISOString().slice(0, 10);
const api = (who: string, path: string, body?: object) =>
  fetch(`${server.url}${path}`, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${logins[who]!.token}`, 'content-type': 'application/json' }, ...(body && { body: JSON.stringify(body) }) });
const form = (path: string, fields: Record<string, string>) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
let townCode = '';
let village = '';

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  for (const u of ['dispatcher', 'town', 'grid']) logins[u] = await login(server, u);
  village = logins.grid!.user.scope.regions[0]!.padEnd(12, '0').slice(0, 12);
  townCode = `${village.slice(0, 9)}000`;
});
afterAll(() => server?.close());

describe('suggestion campaigns', () => {
  let campaign: CampaignWithCounts;

  it('are opened by the city center for a region in its scope, with every field checked', async () => {
    const body = { title: '镇区交通怎么治', question: '早晚高峰镇中心拥堵，您有什么好办法？', region: townCode, category: 'infra.roads', closesOn: tomorrow() };
    expect((await api('grid', '/api/campaigns', body)).status).toBe(403);
    const bad = await api('dispatcher', '/api/campaigns', { ...body, category: 'traffic' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/category/);
    const res = await api('dispatcher', '/api/campaigns', body);
    expect(res.status).toBe(201);
    campaign = ((await res.json()) as { campaign: CampaignWithCounts }).campaign;
    // The grid worker's village lies in the town: the campaign is theirs to answer.
    expect(((await (await api('grid', '/api/campaigns')).json()) as { campaigns: CampaignWithCounts[] }).campaigns.map((c) => c.id)).toEqual([campaign.id]);
  });

  it('take answers from citizens on the public page and from grid workers offline, and count the adopted', async () => {
    const page = await (await fetch(`${server.url}/p/ask/${campaign.id}`)).text();
    expect(page).toContain('早晚高峰镇中心拥堵');
    expect(page).toContain(`<option value="${village}">`);
    const sent = await form(`/p/ask/${campaign.id}`, { village, suggestion: '上下学时段在镇中学门口设临时停车点', name: '周建国', phone: '13700001111' });
    expect(sent.status).toBe(200);
    const thanks = await sent.text();
    expect(thanks).toContain('谢谢您的建议');
    expect(thanks).not.toContain('周建国');
    const code = /([0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5})/.exec(thanks)![1]!;

    // The grid worker's device records one too, as a suggestion appeal tied to the campaign.
    const grid = await device(server, logins.grid!);
    const recorded = await recordAppeal(grid.db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'suggestion', urgency: 'yellow', villageCode: village, description: '镇中心主街改为单行道', citizen: { anonymous: true }, campaignId: campaign.id }, grid.who);
    expect(recorded.ok).toBe(true);
    grid.engine.start();
    await grid.settled();
    grid.close();

    // The town official adopts the citizen's suggestion through their own device.
    const [citizenAppeal] = (await server.store.appealRows()).filter((a) => a.evalCode && showEvalCode(a.evalCode) === code);
    expect(citizenAppeal).toMatchObject({ kind: 'suggestion', channel: 'online_opinion', campaignId: campaign.id });
    expect(await server.store.contact(citizenAppeal!.id)).toEqual({ name: '周建国', phone: '13700001111' });
    const town = await device(server, logins.town!);
    town.engine.start();
    await town.settled();
    expect((await act(town.db, citizenAppeal!.id, logins.town!.user, { type: 'accepted' })).ok).toBe(true);
    expect((await act(town.db, citizenAppeal!.id, logins.town!.user, { type: 'adopted', note: '已纳入镇区交通整治方案' })).ok).toBe(true);
    town.engine.kick();
    await town.settled();
    town.close();

    const counts = ((await (await api('dispatcher', '/api/campaigns')).json()) as { campaigns: CampaignWithCounts[] }).campaigns[0];
    expect(counts).toMatchObject({ suggestions: 2, adopted: 1 });
    expect(await (await fetch(`${server.url}/p/ask`)).text()).toContain('已收到建议 2 条，采纳 1 条');
  });

  it('refuses a suggestion from outside the campaign’s region, and floods from one address', async () => {
    const elsewhere = (await server.store.regionsUnder(['371324'])).find((r) => r.level === 'village' && !r.code.startsWith(townCode.slice(0, 9)))!.code;
    expect((await form(`/p/ask/${campaign.id}`, { village: elsewhere, suggestion: '建议' })).status).toBe(400);
    let refused = 0;
    for (let i = 0; i < SUGGESTION_LIMIT.max; i++) if ((await form(`/p/ask/${campaign.id}`, { village, suggestion: `第${i}条建议` })).status === 429) refused++;
    // One was sent above; the window allows SUGGESTION_LIMIT.max.
    expect(refused).toBe(1);
  });
});

describe('reception days', () => {
  let slot: SlotWithBookings;

  it('are published by officials for their area and booked with an evaluation code until full', async () => {
    const start = Date.now() + 2 * 86_400_000;
    const body = { host: '镇党委书记 李强', place: '镇便民服务中心二楼', startsAt: start, endsAt: start + 3 * 3_600_000, capacity: 1, region: townCode };
    expect((await api('grid', '/api/reception/slots', body)).status).toBe(403);
    expect((await api('town', '/api/reception/slots', { ...body, endsAt: start - 1 })).status).toBe(400);
    const res = await api('town', '/api/reception/slots', body);
    expect(res.status).toBe(201);
    slot = ((await res.json()) as { slot: SlotWithBookings }).slot;

    const open = (await server.store.appealRows()).filter((a) => a.evalCode && a.village.startsWith(townCode.slice(0, 9)));
    const [first, second] = open;
    const page = await (await fetch(`${server.url}/p/reception`)).text();
    expect(page).toContain('镇党委书记 李强');
    expect(page).toContain('还可预约 1 人');
    const booked = await form(`/p/reception/${slot.id}`, { code: showEvalCode(first!.evalCode!).toLowerCase() });
    expect(booked.status).toBe(200);
    expect(await booked.text()).toContain('预约成功');
    const events = readAppeal(docFromUpdates(await server.store.docParts(first!.id)), first!.id).events;
    expect(events.at(-1)).toMatchObject({ type: 'reception_booked', slotId: slot.id, host: '镇党委书记 李强', role: 'citizen' });
    // Full: the next code is turned away, and the slot says so.
    expect((await form(`/p/reception/${slot.id}`, { code: second!.evalCode! })).status).toBe(409);
    expect(await (await fetch(`${server.url}/p/reception`)).text()).toContain('已约满');
    expect(((await (await api('town', '/api/reception/slots')).json()) as { slots: SlotWithBookings[] }).slots[0]).toMatchObject({ booked: 1, capacity: 1 });
  });
});
