import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { lastCompletePeriodDay } from '../../src/core/report-period';
import { phoneAs } from './app-page';
import { E2E_TIMEOUT_MS, startAppAndBrowser } from './rig';

// The lived-in demo on a phone (issue 26, item 1): the town official opens the app to a queue
// with work in it, the reports open on the last complete week (and month), and the
// administrator is told plainly that this is demo data and how to start empty.

describe('the demo county on a phone', () => {
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ server, browser } = await startAppAndBrowser({ MINSHENG_DEMO: '1' }));
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('gives the town official new appeals to take in', { timeout: E2E_TIMEOUT_MS }, async () => {
    const page = await phoneAs(browser, server.url, 'town');
    await page.goto(`${server.url}/#/list/new`);
    await expect.poll(() => page.getByTestId('appeal-list').locator('a.row').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await page.context().close();
  });

  it('opens the reports on the last complete week, and on the last complete month for monthly ones', { timeout: E2E_TIMEOUT_MS }, async () => {
    const page = await phoneAs(browser, server.url, 'dispatcher');
    await page.goto(`${server.url}/#/reports`);
    const at = page.locator('input[name="at"]');
    await expect.poll(() => at.inputValue(), { timeout: 20_000 }).toBe(lastCompletePeriodDay('week', Date.now()));
    // That week of the demo county has towns to rank.
    await expect.poll(() => page.getByTestId('ranking').locator('tbody tr').count(), { timeout: 20_000 }).toBeGreaterThan(3);
    await page.locator('select[name="period"]').selectOption('month');
    await expect.poll(() => at.inputValue()).toBe(lastCompletePeriodDay('month', Date.now()));
    // A day the user picks is kept, whatever the period.
    await at.fill('2026-01-15');
    await page.locator('select[name="period"]').selectOption('week');
    expect(await at.inputValue()).toBe('2026-01-15');
    await page.context().close();
  });

  it('tells the administrator the data is a demo, and how to start empty', { timeout: E2E_TIMEOUT_MS }, async () => {
    const page = await phoneAs(browser, server.url, 'admin');
    await page.goto(`${server.url}/#/admin`);
    const banner = page.getByTestId('demo-banner');
    await banner.waitFor({ timeout: 20_000 });
    expect(await banner.textContent()).toContain('演示数据');
    expect(await banner.textContent()).toContain('MINSHENG_DEMO=0');
    const box = (await banner.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(360);
    await page.context().close();
  });
});
