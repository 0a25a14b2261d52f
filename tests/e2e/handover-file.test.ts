import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type CuttableProxy } from '../helpers/proxy';
import { tempDir } from '../helpers/server';
import { appPage } from './app-page';
import { appAndBrowserForFile, E2E_TIMEOUT_MS, OUT } from './rig';

// Hand-over by file (issue 30, item 2): a grid worker's phone with no link makes a signed
// bundle of its pending records and saves it as a file; the town official's phone, online,
// takes the file in and relays it; the records reach the server. A file changed on the way is
// refused with its reason; the worker's phone, back online, empties its outbox and nothing is
// stored twice.

const rig = appAndBrowserForFile();
const RECORDS = ['离线交接第1件：村口桥栏杆松动。', '离线交接第2件：灌溉渠漏水。'];
let gridLink: CuttableProxy;
let gridCtx: BrowserContext;
let townCtx: BrowserContext;
let grid: ReturnType<typeof appPage>;
let town: ReturnType<typeof appPage>;
const dir = tempDir('handover-');
let file = '';

beforeAll(async () => {
  gridLink = await startProxy(Number(new URL(rig.server.url).port));
  gridCtx = await rig.browser.newContext({ viewport: { width: 360, height: 640 }, acceptDownloads: true, locale: 'zh-CN' });
  townCtx = await rig.browser.newContext({ viewport: { width: 360, height: 640 }, locale: 'zh-CN' });
  grid = appPage(await gridCtx.newPage());
  town = appPage(await townCtx.newPage());
});
afterAll(async () => {
  await gridCtx?.close();
  await townCtx?.close();
  await gridLink?.close();
});

describe('hand-over by file', { timeout: E2E_TIMEOUT_MS }, () => {
  it('the worker, offline, saves its pending records as a signed file', async () => {
    await grid.page.goto(gridLink.url);
    await grid.login('grid');
    // Online once: the phone's signing key is registered with the server.
    await grid.page.goto(`${gridLink.url}/#/handover`);
    await grid.page.locator('[data-testid=handover][data-registered=true]').waitFor({ timeout: 15_000 });

    gridLink.cut();
    await gridCtx.setOffline(true);
    await grid.waitForLink('离线');
    for (const text of RECORDS) await grid.record(text);
    await expect.poll(grid.pendingCount).toBe(RECORDS.length);

    // The pending count in the sync badge leads to hand-over while offline.
    await grid.page.getByTestId('sync-handover').click();
    await grid.page.getByTestId('handover-make').click();
    await expect.poll(() => grid.page.getByTestId('handover-made').getAttribute('data-records')).toBe(String(RECORDS.length));
    const [download] = await Promise.all([grid.page.waitForEvent('download'), grid.page.getByTestId('handover-download').click()]);
    file = path.join(dir, download.suggestedFilename());
    await download.saveAs(file);
    expect(file).toMatch(/\.msho$/);
    await grid.page.screenshot({ path: path.join(OUT, 'e2e-handover-send.png'), fullPage: true });
    // Still pending on the worker's phone: only the server's ack removes them.
    expect(await grid.pendingCount()).toBe(RECORDS.length);
  });

  it('the town official takes the file in and relays it: the records reach the server', async () => {
    await town.page.goto(rig.server.url);
    await town.login('town');
    await town.page.goto(`${rig.server.url}/#/handover`);
    await town.page.getByTestId('handover-file').setInputFiles(file);
    const relayed = town.page.locator('[data-testid=handover-bundle][data-state=relayed]');
    await relayed.waitFor({ timeout: 15_000 });
    expect(await relayed.textContent()).toContain(`已代传：${RECORDS.length} 条接收，0 条拒收`);
    // The records are the server's now, and the official's phone has them as any appeal.
    await town.go('我的诉求');
    for (const text of RECORDS) await town.page.getByTestId('appeal-list').getByText(text.slice(0, 12)).waitFor({ timeout: 15_000 });
  });

  it('a file changed on the way is refused with its reason', async () => {
    const bytes = readFileSync(file);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = bytes[at]! ^ 0x20;
    const tampered = path.join(dir, 'tampered.msho');
    writeFileSync(tampered, bytes);
    await town.page.goto(`${rig.server.url}/#/handover`);
    await town.page.getByTestId('handover-file').setInputFiles(tampered);
    await expect.poll(() => town.page.getByTestId('handover-notice').textContent()).toContain('签名不符');
    await town.page.locator('[data-testid=handover-bundle][data-state=refused]').getByTestId('handover-reason').filter({ hasText: '签名不符' }).waitFor();
    await town.page.screenshot({ path: path.join(OUT, 'e2e-handover-receive.png'), fullPage: true });
  });

  it('the worker back online: its outbox empties and nothing is stored twice', async () => {
    const receipts = await rig.server.store.receiptCount();
    gridLink.restore();
    await gridCtx.setOffline(false);
    await grid.waitForLink('在线');
    await expect.poll(grid.pendingCount, { timeout: 20_000 }).toBe(0);
    expect(await rig.server.store.receiptCount()).toBe(receipts);
    const rows = await grid.listRows();
    expect(rows.filter((r) => RECORDS.some((text) => r.startsWith(text.slice(0, 12))))).toHaveLength(RECORDS.length);
  });
});
