import AxeBuilder from '@axe-core/playwright';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPage } from './app-page';
import { E2E_TIMEOUT_MS, OUT, startOfflineRig, type OfflineRig } from './rig';

// Policy information (为您服务) end to end: a town official publishes an article from the app
// (the draft survives a reload), a grid worker's phone at 360×640 keeps it, loses every link,
// reloads and still opens it in the village. The public list and the printable contact cards
// are axe-clean, small and script-free.

const TITLE = '2026年耕地地力保护补贴发放通知';
const BODY = '一、补贴对象：拥有耕地承包权的种地农民。\n\n二、补贴标准：每亩125元，12月底前打卡发放。\n\n三、咨询：镇农业综合服务中心。';

let rig: OfflineRig;
let official: BrowserContext;
let town: ReturnType<typeof appPage>;
let grid: ReturnType<typeof appPage>;
let cardsHref = '';

async function axe(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  return violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

beforeAll(async () => {
  rig = await startOfflineRig();
  official = await rig.browser.newContext({ viewport: { width: 360, height: 640 }, locale: 'zh-CN' });
  town = appPage(await official.newPage());
  await rig.page.setViewportSize({ width: 360, height: 640 });
  grid = rig.app;
});
afterAll(() => rig?.close());

describe('policy information', { timeout: E2E_TIMEOUT_MS }, () => {
  it('is published by a town official from the phone, the draft kept across a reload', async () => {
    const page = town.page;
    await page.goto(rig.server.url);
    await town.login('town');
    await town.go('为您服务');
    await page.getByTestId('article-new').click();
    await page.locator('input[name=title]').fill(TITLE);
    await page.locator('textarea[name=body]').fill(BODY);
    // Closed by accident: what was typed is back when the form opens again.
    const drafted = () =>
      page.evaluate(
        () =>
          new Promise<boolean>((resolve) => {
            const open = indexedDB.open('minsheng');
            open.onsuccess = () => {
              const get = open.result.transaction('meta').objectStore('meta').getAll();
              get.onsuccess = () => resolve((get.result as { key: string; value: { body?: string } }[]).some((r) => r.key.startsWith('draft:article:') && !!r.value.body));
            };
          }),
      );
    await expect.poll(drafted).toBe(true);
    await page.reload();
    await page.getByTestId('article-new').click();
    await expect.poll(() => page.locator('input[name=title]').inputValue()).toBe(TITLE);
    expect(await page.locator('textarea[name=body]').inputValue()).toBe(BODY);
    await page.locator('select[name=category]').selectOption('policy');
    await page.getByRole('button', { name: '发布', exact: true }).click();
    await page.getByTestId('article').getByRole('heading', { name: TITLE }).waitFor();
    await page.getByRole('link', { name: /返回信息列表/ }).click();
    cardsHref = (await page.getByTestId('cards-print').getByRole('link').getAttribute('href'))!;
    expect(cardsHref).toMatch(/^\/p\/cards\/\d{12}$/);
    expect(await axe(page)).toEqual([]);
  });

  it('reaches the grid worker’s phone, which opens it with no signal after a reload', async () => {
    const page = grid.page;
    await page.goto(rig.proxy.url);
    await grid.login('grid');
    await grid.installShell();
    await grid.go('为您服务');
    const list = page.getByTestId('info-list');
    await list.getByRole('link', { name: TITLE }).waitFor();
    expect(await axe(page)).toEqual([]);

    await rig.goOffline();
    await grid.waitForLink('离线');
    await page.reload();
    await grid.waitForLink('离线');
    await page.getByTestId('info-kept').filter({ hasText: '离线' }).waitFor();
    // The search works offline too.
    await page.locator('input[name=q]').fill('补贴');
    await list.getByRole('link', { name: TITLE }).click();
    const article = page.getByTestId('article');
    await article.getByText('每亩125元').waitFor();
    expect(await article.locator('p.para').count()).toBe(3);
    // A grid worker reads, never edits.
    expect(await page.getByRole('button', { name: '修改' }).count()).toBe(0);
    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: path.join(OUT, 'e2e-info-offline.png'), fullPage: true });
    await rig.goOnline();
    await grid.waitForLink('在线');
  });

  it('shows citizens an axe-clean public list and article, and a printable card sheet', async () => {
    const page = await official.newPage();
    for (const target of ['/p/info', cardsHref]) {
      const res = await page.goto(`${rig.server.url}${target}`);
      expect(res!.status(), target).toBe(200);
      expect(Buffer.byteLength(await res!.text()), target).toBeLessThan(10 * 1024);
      expect(await page.locator('script').count(), target).toBe(0);
      expect(await axe(page), target).toEqual([]);
    }
    await page.goto(`${rig.server.url}/p/info`);
    await page.getByRole('link', { name: TITLE }).click();
    await page.getByRole('heading', { name: TITLE }).waitFor();
    expect(await axe(page)).toEqual([]);
    await page.goto(`${rig.server.url}${cardsHref}`);
    expect(await page.locator('.card').count()).toBe(8);
    await page.screenshot({ path: path.join(OUT, 'e2e-contact-cards.png'), fullPage: true });
  });
});
