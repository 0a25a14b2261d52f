import 'fake-indexeddb/auto';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { recordAppeal } from '../../src/store/appeals';
import { seen } from '../helpers/appeal-steps';
import { device, login, type Device } from '../helpers/clients';
import { appPage } from './app-page';
import { E2E_TIMEOUT_MS, OUT, startOfflineRig, type OfflineRig } from './rig';

// 老苗调解 end to end: the town sends a neighbours' dispute to the village's gold mediator from
// its roster; the mediator, on a phone with no signal in the village, records the session and
// closes it as settled; back online, the agreement reaches the town as the reply.

const DESCRIPTION = '张家和李家因院墙滴水吵了半年，昨天差点动手，请村里调解。';

let rig: OfflineRig;
let grid: Device;
let town: Device;
let id: string;

beforeAll(async () => {
  rig = await startOfflineRig();
  // The devices talk to the server directly; the phones go through the rig's cuttable proxy.
  const server = rig.server as unknown as RunningServer;
  grid = await device(server, await login(server, 'grid'));
  town = await device(server, await login(server, 'town'));
  const village = grid.session.user.scope.regions[0]!;
  const r = await recordAppeal(grid.db, { channel: 'bench_meeting', category: 'disputes.neighbour', kind: 'complaint', urgency: 'orange', villageCode: village, description: DESCRIPTION, citizen: { anonymous: false, name: '张大哥', phone: '13905391111' } }, grid.who);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  id = r.value.id;
  grid.engine.start();
  town.engine.start();
  await grid.settled();
  await seen(town, id, (s) => s.status === 'new', 'the dispute');
}, 120_000);

afterAll(async () => {
  grid?.close();
  town?.close();
  await rig?.close();
});

describe('a dispute through mediation', { timeout: E2E_TIMEOUT_MS }, () => {
  it('the administrator awards the mediator gold on the admin page', async () => {
    const page: Page = await (await rig.browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(rig.proxy.url);
    await appPage(page).login('admin');
    await page.goto(`${rig.proxy.url}/#/admin`);
    const select = page.getByRole('combobox', { name: '调解员 苗长青 的调解员等级' });
    await select.selectOption('gold');
    await page.getByTestId('toast').filter({ hasText: '调解员等级已保存' }).waitFor();
    await page.context().close();
  });

  it('the town sends it to the gold mediator from the roster', async () => {
    const page: Page = await (await rig.browser.newContext({ viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true })).newPage();
    await page.goto(rig.proxy.url);
    await appPage(page).login('town');
    await page.goto(`${rig.proxy.url}/#/appeal/${id}`);
    await page.getByTestId('action-mediation_requested').click({ timeout: 20_000 });
    const roster = page.getByTestId('mediation-roster');
    await expect.poll(() => roster.locator('label').allTextContents()).toEqual([' 调解员 苗长青 · 金牌调解员']);
    await roster.locator('input').check();
    await page.getByTestId('action-submit').click();
    await page.getByTestId('detail-mediation').waitFor();
    expect(await page.getByTestId('detail-mediation').textContent()).toBe('调解员 苗长青调解中（已调解 0 次）');
    // Sent before the phone is put away.
    await expect.poll(() => appPage(page).pendingCount(), { timeout: 20_000 }).toBe(0);
    await page.context().close();
    await seen(town, id, (s) => s.mediation?.outcome === null && s.status === 'in_progress', 'the mediation');
  });

  it('the mediator records the session and settles it with no signal; online again, the town has the reply', async () => {
    const { page, app } = rig;
    await page.goto(rig.proxy.url);
    await app.login('mediator');
    await app.installShell();
    const row = page.getByTestId('appeal-list').locator('a.row', { hasText: DESCRIPTION.slice(0, 10) });
    await row.waitFor({ timeout: 20_000 });
    await row.click();
    await page.getByTestId('action-mediation_session').waitFor({ timeout: 20_000 });

    await rig.goOffline();
    await app.waitForLink('离线');
    await page.getByTestId('action-mediation_session').click();
    await page.getByTestId('mediation-parties').fill('张家、李家');
    await page.getByTestId('mediation-place').fill('村委会调解室');
    await page.getByTestId('action-note').fill('李家院墙加装接水槽，张家不再追究；双方签字确认');
    await page.getByTestId('action-submit').click();
    await page.getByTestId('timeline').locator('li[data-type=mediation_session]').waitFor();
    await page.getByTestId('action-mediation_closed').click();
    await page.getByTestId('mediation-settled').click();
    await page.getByTestId('action-note').fill('双方签订调解协议，李家本周内加装接水槽');
    await page.getByTestId('action-form').screenshot({ path: path.join(OUT, 'mediation-close.png') });
    await page.getByTestId('action-submit').click();
    await expect.poll(() => page.getByTestId('detail-status').textContent()).toBe('已反馈');
    expect(await page.getByTestId('detail-mediation').textContent()).toBe('调解员 苗长青调解成功');
    expect(await app.pendingCount()).toBeGreaterThan(0);

    await rig.goOnline();
    await app.waitForLink('在线');
    await expect.poll(() => app.pendingCount(), { timeout: 20_000 }).toBe(0);
    await seen(town, id, (s) => s.status === 'replied' && s.mediation?.outcome === 'settled' && s.mediation.sessions === 1, 'the settlement');
    const row2 = (await town.db.appeals.get(id))!;
    expect(row2).toMatchObject({ status: 'replied', mediationOutcome: 'settled', mediationSessions: 1, repliedAt: expect.any(Number) });
    await page.screenshot({ path: path.join(OUT, 'mediation-settled.png') });
  });

  it('the report counts it settled for the mediator and the town', async () => {
    const leader = await login(rig.server as unknown as RunningServer, 'leader');
    const res = await fetch(`${rig.server.url}/api/reports/mediation?period=week`, { headers: { authorization: `Bearer ${leader.token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { byMediator: { key: string; sent: number; settled: number; settleRate: number }[]; mediators: Record<string, { name: string; grade: string }> };
    expect(body.byMediator).toEqual([expect.objectContaining({ sent: 1, settled: 1, sessions: 1, settleRate: 1 })]);
    expect(body.mediators[body.byMediator[0]!.key]).toEqual({ name: '调解员 苗长青', grade: 'gold' });
  });
});
