import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { startProxy, type CuttableProxy } from '../helpers/proxy';
import { spawnServer, type ServerProcess } from '../helpers/server';
import { appPage } from './app-page';
import { E2E_TIMEOUT_MS } from './rig';

// A grid worker goes offline and records five appeals; meanwhile a town official,
// online, adds a note to an appeal they share. When the link returns both screens
// show the same six appeals with the same statuses, and the note.

const ROOT = path.resolve(import.meta.dirname, '../..');
const OUT = path.join(ROOT, 'test-output');
const EXISTING = '村委会门口的排水沟堵塞，下雨就漫到路上。';
const NOTE = '镇里已安排清淤，周五前完成。';

let server: ServerProcess;
let gridLink: CuttableProxy;
let browser: Browser;
let gridCtx: BrowserContext;
let townCtx: BrowserContext;
let grid: ReturnType<typeof appPage>;
let town: ReturnType<typeof appPage>;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/index.html'))) throw new Error('Build the app first: npm run build (npm test does it)');
  mkdirSync(OUT, { recursive: true });
  server = await spawnServer({ MINSHENG_STATIC_DIR: path.join(ROOT, 'dist') });
  gridLink = await startProxy(server.port);
  browser = await launchChromium();
  gridCtx = await browser.newContext({ serviceWorkers: 'allow', viewport: { width: 360, height: 740 } });
  townCtx = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  grid = appPage(await gridCtx.newPage());
  town = appPage(await townCtx.newPage());
});

afterAll(async () => {
  await browser?.close();
  await gridLink?.close();
  await server?.stop();
});

describe('two devices, one offline', { timeout: E2E_TIMEOUT_MS }, () => {
  it('shares an appeal while both are online', async () => {
    await grid.page.goto(gridLink.url);
    await grid.login('grid');
    await grid.installShell();
    await grid.record(EXISTING, { category: 'infra.water' });
    await expect.poll(grid.pendingCount).toBe(0);

    await town.page.goto(server.url);
    await town.login('town');
    await town.page.getByTestId('appeal-list').getByText(EXISTING.slice(0, 12)).waitFor();
  });

  it('converges after offline recording on one and a note on the other', async () => {
    gridLink.cut();
    await gridCtx.setOffline(true);
    await grid.waitForLink('离线');
    for (let i = 1; i <= 5; i++) await grid.record(`离线登记第${i}件：村道${i}号路段需要修补。`);
    await expect.poll(grid.pendingCount).toBe(5);

    await town.page.getByTestId('appeal-list').getByText(EXISTING.slice(0, 12)).click();
    await town.page.locator('textarea[name=note]').fill(NOTE);
    await town.page.getByRole('button', { name: '保存备注' }).click();
    await town.page.getByText(NOTE).waitFor();
    await expect.poll(town.pendingCount).toBe(0);

    gridLink.restore();
    await gridCtx.setOffline(false);
    await grid.waitForLink('在线');
    await expect.poll(grid.pendingCount, { timeout: 30_000 }).toBe(0);

    // The town official's screen receives the five without reloading.
    await expect.poll(async () => (await town.listRows()).length, { timeout: 30_000 }).toBe(6);
    const gridRows = await grid.listRows();
    expect(gridRows).toHaveLength(6);
    expect(await town.listRows()).toEqual(gridRows);

    // And the grid worker sees the official's note on the shared appeal.
    await grid.page.getByTestId('appeal-list').getByText(EXISTING.slice(0, 12)).click();
    await grid.page.getByText(NOTE).waitFor({ timeout: 30_000 });
    await grid.page.screenshot({ path: path.join(OUT, 'e2e-two-devices-grid.png'), fullPage: true });
    await town.page.screenshot({ path: path.join(OUT, 'e2e-two-devices-town.png') });
  });

  it('co-edits the description live on both screens, with presence', async () => {
    // Both are on the shared appeal's page; each opens the co-editor.
    await town.page.getByTestId('appeal-list').getByText(EXISTING.slice(0, 12)).click();
    for (const p of [grid.page, town.page]) await p.getByRole('button', { name: '多人协同编辑内容' }).click();
    await town.page.getByTestId('coedit-others').filter({ hasText: '王芳' }).waitFor({ timeout: 15_000 });
    await grid.page.getByTestId('coedit-others').filter({ hasText: '刘洋' }).waitFor({ timeout: 15_000 });

    const editor = (p: typeof grid.page) => p.getByTestId('coedit').locator('textarea');
    await editor(grid.page).click();
    await editor(grid.page).press('End');
    await editor(grid.page).pressSequentially('已通知保洁员。');
    await expect.poll(() => editor(town.page).inputValue(), { timeout: 15_000 }).toBe(EXISTING + '已通知保洁员。');
    await town.page.screenshot({ path: path.join(OUT, 'e2e-coedit-town.png') });
  });
});
