import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { spawnServer, type ServerProcess } from '../helpers/server';
import { appPage } from './app-page';

// After recording, the person lands on a list that shows what they just saved first, marked
// as just saved, whatever the sort would put first: a town's queue sorted by deadline holds
// older appeals due sooner, and the new one would sit out of sight.

const ROOT = path.resolve(import.meta.dirname, '../..');
let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/index.html'))) throw new Error('Build the app first: npm run build (npm test does it)');
  server = await spawnServer({ MINSHENG_STATIC_DIR: process.env.MINSHENG_E2E_DIST ?? path.join(ROOT, 'dist'), MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_DEMO: '1' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the appeal just saved', () => {
  it('comes first in the list, marked, and stays first back from another screen', { timeout: 90_000 }, async () => {
    const page = await (await browser.newContext({ viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true, locale: 'zh-CN' })).newPage();
    await page.goto(server.url);
    const app = appPage(page);
    await app.login('town');
    const list = page.getByTestId('appeal-list');
    await list.locator('a.row').first().waitFor();
    const before = await list.locator('a.row').count();
    expect(before).toBeGreaterThan(1);

    // To the form and back without saving: the list is as it was left (its tab and filter).
    await page.getByTestId('queue-assigned').click();
    await page.locator('select[name=list-urgency]').selectOption('red');
    await app.go(/登记诉求/);
    await page.locator('textarea[name=description]').waitFor();
    expect(await list.isVisible()).toBe(false);
    await page.goBack();
    expect(await page.getByTestId('queue-assigned').getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('select[name=list-urgency]').inputValue()).toBe('red');

    // After a save the list is the one a fresh screen shows, at its top: first queue, no filter.
    const text = '刚保存的诉求：村口桥面塌了一个坑';
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await app.go(/登记诉求/);
    await page.locator('select[name=channel]').selectOption('walk_in');
    await page.locator('select[name=category]').selectOption('infra.roads');
    await page.locator('select[name=kind]').selectOption('help');
    await page.locator('input[name=citizenName]').fill('村民');
    await page.locator('select[name=village]').selectOption({ index: 1 });
    await page.locator('textarea[name=description]').fill(text);
    await page.getByRole('button', { name: '保存' }).click();
    const first = list.locator('a.row').first();
    await expect.poll(() => first.locator('.title').textContent(), { timeout: 15_000 }).toContain(text.slice(0, 12));
    expect(await page.getByTestId('queue-new').getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('select[name=list-urgency]').inputValue()).toBe('');
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBe(0);
    expect(await first.getByTestId('row-just-saved').textContent()).toBe('刚保存');
    // Only that one is marked, and the rest are all still there.
    expect(await list.getByTestId('row-just-saved').count()).toBe(1);
    expect(await list.locator('a.row').count()).toBe(before + 1);

    // To the appeal and back: still first, the list shown from what it held.
    await first.click();
    await page.waitForURL(/#\/appeal\//);
    await page.goBack();
    await expect.poll(() => list.locator('a.row').first().locator('.title').textContent(), { timeout: 15_000 }).toContain(text.slice(0, 12));
  });
});
