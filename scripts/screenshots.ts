import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startServer } from '../server/app';
import { loadConfig } from '../server/config';
import { shootMap } from '../tests/e2e/screens';
import { launchChromium } from '../tests/helpers/browser';

// `npm run screenshots`: the lived-in demo as a newcomer first sees it, at 360×640 in Chinese,
// into docs/screenshots/ (linked from README). Needs `npm run build` and Chromium.

const ROOT = path.resolve(import.meta.dirname, '..');
const OUT = path.join(ROOT, 'docs/screenshots');
const ROLES = ['grid', 'bench', 'station', 'town', 'dept', 'dispatcher', 'leader', 'reviewer', 'admin'] as const;

async function phone(browser: Browser, url: string, username: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true, locale: 'zh-CN', deviceScaleFactor: 2 });
  const page = await context.newPage();
  await page.goto(url);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill('demo1234');
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByTestId('sync-link').filter({ hasText: '在线' }).waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid=sync-catchup]'), undefined, { timeout: 60_000 }).catch(() => undefined);
  await settle(page);
  return page;
}

async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(1_500);
}

async function shoot(page: Page, name: string): Promise<void> {
  // A passing notice ("可离线使用") is not part of the picture.
  await page.getByTestId('toast').waitFor({ state: 'hidden', timeout: 15_000 }).catch(() => undefined);
  await page.screenshot({ path: path.join(OUT, `${name}.png`) });
  console.log(`docs/screenshots/${name}.png`);
}

/** The command-center wall screen as the dispatch hall's kiosk shows it, at 1920×1080. */
async function shootWall(browser: Browser, url: string): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(url);
  await page.locator('input[name=username]').fill('dispatcher');
  await page.locator('input[name=password]').fill('demo1234');
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByTestId('sync-link').filter({ hasText: '在线' }).waitFor({ timeout: 60_000 });
  await page.goto(`${url}/#/wall`);
  await page.getByTestId('wall-feed').waitFor({ timeout: 60_000 });
  await settle(page);
  await shoot(page, 'wall');
  await context.close();
}

async function main(): Promise<void> {
  const dataDir = path.join(tmpdir(), `minsheng-shots-${process.pid}`);
  const server = await startServer(loadConfig({ ...process.env, PORT: '0', MINSHENG_DATA_DIR: dataDir, MINSHENG_STATIC_DIR: path.join(ROOT, 'dist'), MINSHENG_DEMO: '1' }));
  const browser = await launchChromium();
  mkdirSync(OUT, { recursive: true });
  try {
    for (const role of ROLES) {
      const page = await phone(browser, server.url, role);
      await shoot(page, `home-${role}`);
      if (role === 'dispatcher') await shootMap(page, OUT);
      if (role === 'town') {
        // 提醒: in the demo, the warnings and supervision of the town's overdue appeals.
        await page.goto(`${server.url}/#/alerts`);
        await page.getByTestId('alert-item').first().waitFor({ timeout: 30_000 });
        await shoot(page, 'alerts');
      }
      await page.context().close();
    }
    await shootWall(browser, server.url);
  } finally {
    await browser.close();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
