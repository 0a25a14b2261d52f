import 'fake-indexeddb/auto';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { act, recordAppeal } from '../../src/store/appeals';
import { device, login } from '../helpers/clients';
import AxeBuilder from '@axe-core/playwright';
import { appPage } from './app-page';
import { rawTextOn } from './raw-text';
import { E2E_TIMEOUT_MS, OUT, startOfflineRig, type OfflineRig } from './rig';

// Alerts to the handler (issue 28, item 7): the village station's phone is offline while the
// town dispatches two appeals to the village's desk, one on its screen and one from another
// device. When the phone's link returns the sync brings the events, the bell counts two
// unread; the alerts page lists them, tapping one opens the appeal and the count drops; the
// town official who dispatched is told nothing.

const FIRST = '村南桥头护栏被撞坏，学生上学经过很危险。';
const SECOND = '三组自来水管冻裂，十几户停水。';

let rig: OfflineRig;
let townCtx: BrowserContext;
const ids: string[] = [];

beforeAll(async () => {
  rig = await startOfflineRig();
  // Two appeals waiting at the village's desk, recorded by the grid worker's device.
  const server = { url: rig.server.url } as RunningServer;
  const grid = await device(server, await login(server, 'grid'));
  const village = grid.session.user.scope.regions[0]!;
  for (const description of [FIRST, SECOND]) {
    const r = await recordAppeal(grid.db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'orange', villageCode: village, description, citizen: { anonymous: true } }, grid.who);
    expect(r.ok).toBe(true);
    ids.push((r as { value: { id: string } }).value.id);
  }
  grid.engine.start();
  await grid.settled();
  grid.close();
}, 120_000);

afterAll(async () => {
  await townCtx?.close();
  await rig?.close();
});

const bell = () => rig.page.getByTestId('alerts-bell');
const count = async () => Number(await bell().getAttribute('data-count'));

describe('alerts reach the handler through the sync', { timeout: 2 * E2E_TIMEOUT_MS }, () => {
  it('counts dispatches made while the phone was offline, lists them, and reads one by opening it', async () => {
    const { page, app } = rig;
    await page.setViewportSize({ width: 360, height: 640 });
    await page.goto(rig.proxy.url);
    await app.login('station');
    await app.installShell();
    // Recorded appeals tell the station nothing by themselves.
    await page.getByTestId('appeal-list').getByText(FIRST.slice(0, 10)).waitFor();
    expect(await count()).toBe(0);
    expect(await bell().getAttribute('aria-label')).toBe('提醒');

    await rig.goOffline();
    await app.waitForLink('离线');

    // The town dispatches the first to the village's desk on its screen...
    townCtx = await rig.browser.newContext({ viewport: { width: 1024, height: 768 } });
    const town = appPage(await townCtx.newPage());
    await town.page.goto(rig.server.url);
    await town.login('town');
    await town.page.goto(`${rig.server.url}/#/appeal/${ids[0]}`);
    await town.page.getByTestId('action-assigned').click({ timeout: 20_000 });
    await town.page.getByTestId('action-tier-village').click();
    await expect.poll(() => town.page.getByTestId('action-destination').getAttribute('data-to')).toBe('village');
    await town.page.getByTestId('action-submit').click();
    await town.page.getByTestId('action-form').waitFor({ state: 'detached' });
    await expect.poll(town.pendingCount, { timeout: 20_000 }).toBe(0);
    // ...and the second from another of the town's devices, through the same sync.
    const server = { url: rig.server.url } as RunningServer;
    const other = await device(server, await login(server, 'town'));
    other.engine.start();
    await other.settled();
    const sent = await act(other.db, ids[1]!, other.session.user, { type: 'assigned', to: 'village', from: 'town' });
    expect(sent).toEqual({ ok: true });
    other.engine.kick();
    await other.settled();
    other.close();
    // Whoever dispatched is not alerted about it.
    expect(Number(await town.page.getByTestId('alerts-bell').getAttribute('data-count'))).toBe(0);
    // Still offline: nothing has reached the phone.
    expect(await count()).toBe(0);

    await rig.goOnline();
    await app.waitForLink('在线');
    await expect.poll(count, { timeout: 30_000 }).toBe(2);
    expect(await bell().getAttribute('aria-label')).toBe('提醒：2 条未读');
    expect(await page.getByTestId('alerts-count').textContent()).toBe('2');
    await page.screenshot({ path: path.join(OUT, 'alerts-badge.png') });

    await bell().click();
    const items = page.getByTestId('alert-item');
    await expect.poll(() => items.count()).toBe(2);
    expect(await items.evaluateAll((as) => as.map((a) => [a.getAttribute('data-kind'), a.getAttribute('data-read')]))).toEqual([
      ['assigned', 'false'],
      ['assigned', 'false'],
    ]);
    // Newest first: the second dispatch (from the other device) came last.
    expect(await items.first().textContent()).toContain(SECOND.slice(0, 10));
    expect(await items.nth(1).textContent()).toContain(FIRST.slice(0, 10));
    expect(await items.first().textContent()).toContain('新派单');
    expect(await page.getByTestId('alerts-today').count()).toBe(1);
    await page.screenshot({ path: path.join(OUT, 'alerts-page.png'), fullPage: true });
    // Readable for everyone: no axe violation, no raw message text, in Chinese and in English.
    const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
    expect(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([]);
    expect(await rawTextOn(page)).toEqual([]);
    await app.switchLanguage('English');
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    expect(await bell().getAttribute('aria-label')).toBe('Alerts: 2 unread');
    expect(await items.first().textContent()).toContain('Dispatched to you');
    expect(await rawTextOn(page)).toEqual([]);
    await app.switchLanguage('中文');
    await page.getByRole('heading', { name: '提醒' }).waitFor();

    // Tapping one opens its appeal and reads it.
    await items.nth(1).click();
    await page.waitForURL(`**/#/appeal/${ids[0]}`);
    await page.getByTestId('timeline').waitFor();
    await expect.poll(count).toBe(1);
    expect(await bell().getAttribute('aria-label')).toBe('提醒：1 条未读');

    // Back on the list, the read one is no longer bold; 全部标为已读 clears the rest.
    await bell().click();
    await expect.poll(() => items.evaluateAll((as) => as.map((a) => a.getAttribute('data-read')))).toEqual(['false', 'true']);
    await page.getByTestId('alerts-mark-all').click();
    await expect.poll(count).toBe(0);
    expect(await page.getByTestId('alerts-count').count()).toBe(0);
    expect(await bell().getAttribute('aria-label')).toBe('提醒');
    // Read state survives a reload (it is kept on the device).
    await page.reload();
    await app.waitForLink('在线');
    await page.getByTestId('alert-item').first().waitFor();
    expect(await count()).toBe(0);
  });
});
