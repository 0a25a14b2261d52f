import 'fake-indexeddb/auto';
import AxeBuilder from '@axe-core/playwright';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { recordAppeal } from '../../src/store/appeals';
import { zhCN } from '../../src/i18n/zh-CN';
import { device, login, until } from '../helpers/clients';
import { appPage, phoneAs } from './app-page';
import { E2E_TIMEOUT_MS, OUT, startAppAndBrowser } from './rig';

// Phone-first layout (issue 26, items 3 and 8) at 360×640 in Chinese: a one-line header that
// does not repeat the role, a tab bar where the thumb is, the leader's key figures as their
// first screen with each figure leading to its list, and the ranking and its bar chart
// fitting the phone without names colliding.

const ROLE_WORDS = Object.entries(zhCN).filter(([key]) => key.startsWith('role.')).map(([, word]) => word);
const THREE_WEEKS_AGO = Date.now() - 21 * 86_400_000;

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  // The deadline scanner runs often, so the seeded appeals are overdue and supervised in seconds.
  ({ server, browser } = await startAppAndBrowser({ MINSHENG_SCAN_INTERVAL_MS: '300' }));
  // Eight towns' villages each get an appeal nobody dispatched three weeks ago: overdue,
  // supervised, and eight units for the ranking and its chart.
  const desk = await device(server, await login(server, 'dispatcher'));
  const villages = await desk.db.regions.where('level').equals('village').toArray();
  const oneVillagePerTown = [...new Map(villages.map((v) => [v.code.slice(0, 9), v.code])).values()].slice(0, 8);
  expect(oneVillagePerTown.length).toBe(8);
  for (const [i, village] of oneVillagePerTown.entries()) {
    const input = { channel: 'walk_in', category: 'infra.roads', kind: 'help', urgency: 'orange', villageCode: village, description: `第${i + 1}个村的路面塌了，三周没人管。`, citizen: { anonymous: false, name: '村民' } };
    const recorded = await recordAppeal(desk.db, input, desk.who, THREE_WEEKS_AGO + i * 60_000);
    expect(recorded, JSON.stringify(recorded)).toMatchObject({ ok: true });
  }
  desk.engine.start();
  await desk.settled();
  desk.close();
  const mine = (title: string) => title.includes('三周没人管');
  await until(async () => (await server.store.appealRows()).filter((r) => mine(r.title) && r.supervisionLevel >= 1).length === 8, 20_000, 'supervision');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Sets the reports to the month holding the seeded appeals. */
async function showSeededMonth(page: Page) {
  await page.locator('select[name="period"]').selectOption('month');
  const day = new Date(THREE_WEEKS_AGO + 8 * 3_600_000).toISOString().slice(0, 10);
  await page.locator('input[name="at"]').fill(day);
  const [y, m] = day.split('-').map(Number);
  await expect.poll(() => page.getByTestId('report-period').textContent(), { timeout: 20_000 }).toBe(`${y}年${m}月`);
}

/** axe's violations on the screen as it is (the same rules as a11y.test.ts). */
async function axe(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  return violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

const box = async (page: Page, testId: string) => (await page.getByTestId(testId).boundingBox())!;

describe('phone layout', { timeout: E2E_TIMEOUT_MS }, () => {
  it('has a one-line header without the role, and the places in a tab bar at the bottom', async () => {
    const page = await phoneAs(browser, server.url, 'grid');
    // At rest: a catch-up in progress shows its bar on a line of its own under the header line.
    await page.getByTestId('sync-progress').waitFor({ state: 'hidden' });
    const header = (await page.locator('header').boundingBox())!;
    expect(header.y).toBe(0);
    expect(header.height).toBeLessThanOrEqual(56);
    const headerText = (await page.locator('header').innerText()).trim();
    for (const word of ROLE_WORDS) expect(headerText, word).not.toContain(word);
    expect(await page.getByTestId('sync-link').isVisible()).toBe(true);

    // The tab bar sits on the bottom edge, its targets thumb-sized, the daily places in it.
    const bar = await box(page, 'tab-bar');
    expect(bar.y + bar.height).toBeCloseTo(640, 0);
    expect(bar.height).toBeGreaterThanOrEqual(48);
    expect(bar.height).toBeLessThanOrEqual(80);
    const tabs = page.getByTestId('tab-bar').getByRole('link');
    expect(await page.getByTestId('tab-bar').locator('a:visible .label').allInnerTexts()).toEqual(['登记诉求', '我的诉求', '板凳会', '地图']);
    for (const tab of await tabs.all()) expect((await tab.boundingBox())!.height).toBeGreaterThanOrEqual(44);
    // The map helper sizes the map with what the header and the tab bar take.
    const vars = await page.evaluate(() => ['--header-h', '--tabbar-h'].map((v) => document.documentElement.style.getPropertyValue(v)));
    expect(vars).toEqual([`${Math.round(header.height)}px`, `${Math.round(bar.height)}px`]);

    // The rest of the places in 更多, the role and logout in the account menu.
    expect(await axe(page)).toEqual([]);
    await page.getByTestId('more-button').click();
    expect(await axe(page)).toEqual([]);
    await page.getByTestId('more-sheet').getByRole('link', { name: '问计·接访' }).click();
    await expect.poll(() => page.evaluate(() => location.hash)).toBe('#/civic');
    expect(await page.getByTestId('more-sheet').isVisible()).toBe(false);
    await page.getByTestId('account-button').click();
    const menu = page.getByTestId('account-menu');
    expect(await menu.innerText()).toContain('网格员');
    expect(await menu.getByRole('link', { name: '设置' }).isVisible()).toBe(true);
    expect(await menu.getByRole('button', { name: '退出' }).isVisible()).toBe(true);
    expect(await axe(page)).toEqual([]);
    await page.keyboard.press('Escape');
    expect(await menu.isVisible()).toBe(false);
    // Content scrolls clear of the bar: the page's bottom padding is the bar's height at least.
    const padding = await page.locator('main').evaluate((m) => parseFloat(getComputedStyle(m).paddingBottom));
    expect(padding).toBeGreaterThanOrEqual(bar.height);
    await page.screenshot({ path: path.join(OUT, 'layout-grid.png') });

    // A wide screen: every place in one bar under the header line, no 更多, nothing fixed at the bottom.
    await page.setViewportSize({ width: 1024, height: 768 });
    await expect.poll(() => page.getByTestId('tab-bar').locator('a:visible .label').allInnerTexts()).toEqual(['登记诉求', '我的诉求', '板凳会', '地图', '巡查', '问计·接访', '为您服务']);
    expect(await page.getByTestId('more-button').isVisible()).toBe(false);
    await expect.poll(() => page.evaluate(() => document.documentElement.style.getPropertyValue('--tabbar-h'))).toBe('0px');
    const wideBar = await box(page, 'tab-bar');
    const wideHeader = (await page.locator('header').boundingBox())!;
    expect(wideBar.y + wideBar.height).toBeLessThanOrEqual(wideHeader.y + wideHeader.height);
    await page.context().close();
  });

  it('lands the leader on the key figures, each a link to its list', async () => {
    const page = await phoneAs(browser, server.url, 'leader');
    const home = page.getByTestId('leader-home');
    await home.waitFor();
    const figure = (name: string) => page.getByTestId(`figure-${name}`).locator('.value');
    // Open and overdue from the server's tallies once they arrive (the local hint goes away).
    await page.getByTestId('home-local').waitFor({ state: 'detached' });
    await expect.poll(async () => Number(await figure('supervised').textContent())).toBeGreaterThanOrEqual(8);
    expect(Number(await figure('open').textContent())).toBeGreaterThanOrEqual(8);
    expect(Number(await figure('overdue').textContent())).toBeGreaterThanOrEqual(8);
    expect(await page.getByTestId('home-hotspots').locator('li').count()).toBe(5);
    expect(await page.getByTestId('home-hotspots').innerText()).toMatch(/超期 \d+ · 未办结 \d+/);
    // The home fits the screen: figures and the first hot spots without a long scroll.
    expect(await page.evaluate(() => document.scrollingElement!.scrollHeight)).toBeLessThan(1600);
    await page.screenshot({ path: path.join(OUT, 'layout-leader-home.png'), fullPage: true });
    expect(await axe(page)).toEqual([]);

    const leader = appPage(page);
    // The ranking figures follow the reports' period: the month holding the seeded appeals.
    await leader.go('报表');
    await showSeededMonth(page);
    await leader.go('概况');
    const [year, month] = new Date(THREE_WEEKS_AGO + 8 * 3_600_000).toISOString().slice(0, 7).split('-').map(Number);
    await expect.poll(() => page.getByTestId('home-period').textContent()).toContain(`${year}年${month}月`);
    const follow = async (name: string, queue: string) => {
      await page.getByTestId(`figure-${name}`).click();
      await expect.poll(() => page.getByTestId(`queue-${queue}`).getAttribute('aria-selected')).toBe('true');
      await leader.go('概况');
      await home.waitFor();
    };
    await follow('supervised', 'supervised');
    await page.getByTestId('figure-overdue').click();
    await expect.poll(() => page.getByTestId('queue-overdue').getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => page.getByTestId('appeal-list').locator('a.row').filter({ hasText: '三周没人管' }).count()).toBe(8);
    await leader.go('概况');
    await follow('open', 'all');
    await page.getByTestId('figure-satisfaction').click();
    await expect.poll(() => page.getByTestId('ranking').locator('th[aria-sort=descending]').textContent()).toContain('满意率');
    await leader.go('概况');
    await page.getByTestId('figure-dispatch').click();
    await expect.poll(() => page.getByTestId('ranking').locator('th[aria-sort=ascending]').textContent()).toContain('派单用时');
    await leader.go('概况');
    await page.getByTestId('home-hotspots').getByRole('link').first().click();
    await expect.poll(() => page.getByTestId('hot-spots').locator('tbody tr').count()).toBeGreaterThanOrEqual(8);
    await page.context().close();
  });

  it('shows every figure of the ranking in a card and a bar chart whose names do not collide', async () => {
    const page = await phoneAs(browser, server.url, 'leader');
    await appPage(page).go('报表');
    await showSeededMonth(page);
    const cards = page.getByTestId('ranking').locator('tbody tr');
    await expect.poll(() => cards.count(), { timeout: 20_000 }).toBe(8);
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360);
    // Each column's value is on screen in the card, labelled.
    const cells = await cards.first().locator('td').evaluateAll((tds) => tds.map((td) => ({ label: getComputedStyle(td, '::before').content, text: td.textContent ?? '', ...td.getBoundingClientRect().toJSON() as DOMRect })));
    expect(cells).toHaveLength(14); // with sync wait and raised again (fair ranking), called back and passed review (质检)
    for (const c of cells) {
      expect(c.left >= 0 && c.right <= 360 && c.width > 0, `${c.label} at ${c.left}–${c.right}`).toBe(true);
      expect(c.label).not.toBe('none');
      expect(c.text.trim()).not.toBe('');
    }
    // The chart: one row per unit, names on the left, none overlapping another, all on screen.
    const chart = page.getByTestId('bar-chart');
    const labels = await chart.locator('.bar-label').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().toJSON() as DOMRect));
    expect(labels).toHaveLength(8);
    for (const [i, a] of labels.entries()) {
      expect(a.left).toBeGreaterThanOrEqual(0);
      expect(a.right).toBeLessThanOrEqual(360);
      for (const b of labels.slice(i + 1)) {
        const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        expect(overlap, `labels ${JSON.stringify(a)} and ${JSON.stringify(b)}`).toBe(false);
      }
    }
    await page.screenshot({ path: path.join(OUT, 'layout-ranking.png'), fullPage: true });
    expect(await axe(page)).toEqual([]);

    // The other report tables fit the phone too: each row a card whose figures are all on screen.
    const tab = (name: string) => page.getByRole('navigation', { name: '治理报表' }).getByRole('link', { name, exact: true }).click();
    for (const [name, table] of [['红黑榜', 'scores'], ['趋势研判', 'town-trends']] as const) {
      await tab(name);
      const rows = page.getByTestId(table).locator('tbody tr');
      await expect.poll(() => rows.count(), { timeout: 20_000 }).toBeGreaterThan(0);
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth), name).toBeLessThanOrEqual(360);
      const spans = await rows.first().locator('td').evaluateAll((tds) => tds.map((td) => ({ left: td.getBoundingClientRect().left, right: td.getBoundingClientRect().right })));
      for (const { left, right } of spans) expect(left >= 0 && right <= 360, `${name}: a figure at ${left}–${right}`).toBe(true);
      expect(await axe(page), name).toEqual([]);
    }
    await page.screenshot({ path: path.join(OUT, 'layout-trends.png'), fullPage: true });
    await page.context().close();
  });
});
