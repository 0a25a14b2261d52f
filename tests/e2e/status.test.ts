import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appPage } from './app-page';
import { E2E_TIMEOUT_MS, OUT, appAndBrowserForFile } from './rig';

// The status tells the truth (issue 26, item 5): nothing about syncing before anyone signs in,
// a word once the app can open without a network, and "离线" as soon as the phone loses its
// network (the browser's event), not a heartbeat later.

const rig = appAndBrowserForFile();

describe('the sync status', { timeout: E2E_TIMEOUT_MS }, () => {
  it('says nothing before login, says once when the app works offline, and goes offline with the phone’s network', async () => {
    const context = await rig.browser.newContext({ viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true });
    const page = await context.newPage();
    await page.goto(rig.server.url);
    await page.locator('input[name=username]').waitFor();
    expect(await page.getByTestId('sync-badge').count()).toBe(0);
    await page.getByText('可离线使用').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(OUT, 'status-offline-ready.png') });
    await appPage(page).login('grid');
    await expect.poll(() => page.getByTestId('sync-link').textContent()).toBe('在线');
    // Only the browser's network goes (Playwright leaves open sockets alone): the event alone must tell.
    await context.setOffline(true);
    await expect.poll(() => page.getByTestId('sync-link').textContent(), { timeout: 5_000 }).toBe('离线');
    await page.waitForTimeout(1_500);
    expect(await page.getByTestId('sync-link').textContent()).toBe('离线');
    await context.setOffline(false);
    await expect.poll(() => page.getByTestId('sync-link').textContent(), { timeout: 15_000 }).toBe('在线');
    await context.close();
  });
});
