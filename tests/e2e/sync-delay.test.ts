import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneAs } from './app-page';
import { E2E_TIMEOUT_MS, OUT, startOfflineRig, type OfflineRig } from './rig';

// A grid worker's phone with no signal: an appeal recorded three days and two hours ago (the
// page's clock is set back while it is recorded) says on its page that it has not reached the
// server; once the link is back the page says how long it waited on the phone.

const DESCRIPTION = '村南机井水泵烧了，三个组浇不上地。';
const WAIT = (3 * 24 + 2) * 3_600_000;

let rig: OfflineRig;
let page: Page;
let app: OfflineRig['app'];

beforeAll(async () => {
  rig = await startOfflineRig();
  ({ page, app } = rig);
  await page.setViewportSize({ width: 360, height: 640 });
  // The page's clock runs on its own; the test moves it to when the appeal was recorded.
  await rig.context.clock.install();
});

afterAll(() => rig?.close());

const receipt = (p: Page) => p.getByTestId('detail-receipt');

describe('the time an appeal waited on the phone', { timeout: E2E_TIMEOUT_MS }, () => {
  it('says "not yet on the server" for an appeal recorded offline', async () => {
    await page.goto(rig.proxy.url);
    await app.login('grid');
    await app.installShell();
    await rig.goOffline();
    await app.waitForLink('离线');
    // Three days and two hours ago, still with no signal.
    await rig.context.clock.setSystemTime(Date.now() - WAIT);
    await app.record(DESCRIPTION);
    await rig.context.clock.setSystemTime(Date.now());
    await page.getByTestId('appeal-list').getByText(DESCRIPTION.slice(0, 12)).click();
    await expect.poll(() => receipt(page).textContent()).toContain('尚未送达服务器');
    expect(await receipt(page).getAttribute('data-receipt')).toBe('pending');
    expect(await receipt(page).textContent()).toMatch(/^记录于 /);
    await page.screenshot({ path: path.join(OUT, 'e2e-sync-delay-pending.png'), fullPage: true });
  });

  it('says how long it waited once the link is back', async () => {
    await rig.goOnline();
    await app.waitForLink('在线');
    await expect.poll(() => receipt(page).getAttribute('data-receipt'), { timeout: 20_000 }).toBe('received');
    expect(await receipt(page).textContent()).toContain('在手机上等待 3 天 2 小时后送达');
    expect(await app.pendingCount()).toBe(0);
    // It fits a 360 px phone: no sideways scrolling.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: path.join(OUT, 'e2e-sync-delay-received.png'), fullPage: true });
  });

  it('the town official’s report shows the wait apart, per village, on a phone', async () => {
    const phone = await phoneAs(rig.browser, rig.proxy.url, 'town');
    try {
      // The week the appeal was recorded in (China time).
      const day = new Date(Date.now() - WAIT + 8 * 3_600_000).toISOString().slice(0, 10);
      await phone.goto(`${rig.proxy.url}/#/reports/delay`);
      await phone.locator('input[name=at]').fill(day);
      await phone.locator('select[name=delay-by]').selectOption('village');
      // The village row (a village code does not end in 000), once the village figures are in.
      const row = phone.getByTestId('delay-table').locator('tbody tr:not([data-unit$="000"])').first();
      await expect.poll(() => row.locator('td[data-col=longest]').textContent(), { timeout: 20_000 }).toBe('3 天 2 小时');
      expect(await row.locator('td[data-col=waited]').textContent()).toBe('1');
      // Named once the phone's division list is loaded (it may arrive after the figures).
      await expect.poll(() => row.locator('th').textContent(), { timeout: 10_000 }).toContain('大仲村');
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await phone.screenshot({ path: path.join(OUT, 'e2e-sync-delay-report.png'), fullPage: true });
    } finally {
      await phone.context().close();
    }
  });
});
