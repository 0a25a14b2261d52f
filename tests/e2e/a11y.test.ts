import AxeBuilder from '@axe-core/playwright';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPage } from './app-page';
import { rawTextOn } from './raw-text';
import { OUT, startOfflineRig, type OfflineRig } from './rig';

// axe-core (WCAG 2.2 AA and best practice) on every main screen, at phone size in Chinese:
// no violations, no rule disabled, and every control at least 44 px tall. Each screen is
// also photographed at 360×640 for the record (test-output/a11y-*.png), and its visible text
// checked for raw message keys and unfilled placeholders (issue 26, item 10).

let rig: OfflineRig;
let page: Page;

async function audit(name: string): Promise<string[]> {
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: path.join(OUT, `a11y-${name}.png`) });
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  // Fingers, not mouse pointers: every control at least 44 px tall (links inside running text excepted).
  const small = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('button, select, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea, nav a, a.button, a.row, label.check, label.chip')]
      .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().height < 44)
      .map((el) => `${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ')[0] : ''} "${(el.textContent ?? '').trim().slice(0, 12)}" ${Math.round(el.getBoundingClientRect().height)}px`),
  );
  const raw = (await rawTextOn(page)).map((r) => `${name}: raw message text ${r}`);
  return [...raw, ...small.map((s) => `${name}: small target ${s}`), ...violations.map((v) => `${name}: ${v.id} (${v.impact}) ×${v.nodes.length}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`)];
}

beforeAll(async () => {
  rig = await startOfflineRig();
  page = rig.page;
  await page.setViewportSize({ width: 360, height: 640 });
});
afterAll(() => rig?.close());

// Three steps of one walk (the later ones use what the first recorded), each its own test so
// none comes near its time limit: axe takes seconds per screen.
describe('accessibility', { timeout: 120_000 }, () => {
  it('has no axe violations and no small touch targets on the field screens', async () => {
    const found: string[] = [];
    await page.goto(rig.server.url);
    found.push(...(await audit('login')));
    await rig.app.login('bench');
    await rig.app.record('村口的路灯坏了，晚上看不清路。', { channel: 'bench_meeting' });
    found.push(...(await audit('list')));
    await page.getByTestId('appeal-list').locator('a.row').first().click();
    await page.getByTestId('timeline').waitFor();
    found.push(...(await audit('appeal')));
    await page.getByRole('link', { name: /登记诉求/ }).click();
    found.push(...(await audit('new')));
    await page.getByRole('link', { name: '板凳会' }).click();
    await page.getByTestId('meeting-new').click();
    found.push(...(await audit('meeting-new')));
    await page.locator('input[name=attendees]').fill('12');
    await page.locator('textarea[name=topics]').fill('道路、饮水');
    await page.getByRole('button', { name: '保存并开始记录诉求' }).click();
    await page.getByTestId('meeting-ideas').waitFor({ state: 'attached' });
    found.push(...(await audit('meeting')));
    await page.getByRole('link', { name: '← 返回板凳会列表' }).click();
    await page.getByTestId('meetings').waitFor();
    found.push(...(await audit('meetings')));
    await page.getByRole('link', { name: '地图' }).click();
    await page.locator('.map-pin').first().waitFor();
    found.push(...(await audit('map')));
    await rig.app.go('设置');
    await page.getByTestId('storage').waitFor();
    found.push(...(await audit('settings')));
    // Hand-over without a network, from its link in Settings.
    await page.getByTestId('settings-handover').click();
    await page.locator('[data-testid=handover][data-registered=true]').waitFor();
    found.push(...(await audit('handover')));
    expect(found).toEqual([]);
  });

  it('has none on the administrator’s and the governance reports’ screens', async () => {
    const found: string[] = [];
    const admin = appPage(await (await rig.browser.newContext({ viewport: { width: 360, height: 640 }, locale: 'zh-CN' })).newPage());
    await admin.page.goto(rig.server.url);
    await admin.login('admin');
    await admin.page.getByRole('link', { name: '用户管理' }).click();
    await admin.page.getByTestId('audit').waitFor();
    page = admin.page;
    found.push(...(await audit('admin')));
    // The ranking: the county's one appeal so far, received this week in its town.
    await admin.page.getByRole('link', { name: '报表' }).click();
    // Reports open on the last complete week; this appeal is this week's.
    await admin.page.locator('input[name="at"]').fill(new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10));
    const ranking = admin.page.getByTestId('ranking');
    await ranking.waitFor();
    expect(await ranking.locator('tbody tr').count()).toBe(1);
    expect(await ranking.locator('tbody tr td').first().textContent()).toContain('1');
    // Ranked by on-time rate (shrunk toward the county's) until another figure is tapped.
    expect(await ranking.locator('th[aria-sort=descending]').textContent()).toContain('按时办结率');
    await ranking.getByRole('button', { name: /满意率/ }).click();
    await expect.poll(() => ranking.locator('th[aria-sort=descending]').textContent()).toContain('满意率');
    await admin.page.getByTestId('bar-chart').waitFor();
    found.push(...(await audit('reports')));
    const tab = (name: string) => admin.page.getByRole('navigation', { name: '治理报表' }).getByRole('link', { name, exact: true }).click();
    // Hot spots: the one village with an open appeal.
    await tab('热点');
    const hot = admin.page.getByTestId('hot-spots');
    await hot.waitFor();
    expect(await hot.locator('tbody tr').count()).toBe(1);
    expect(await hot.locator('tbody th').textContent()).toContain('大仲村镇');
    found.push(...(await audit('hot spots')));
    // Nothing answered yet: every town unscored, both lists empty.
    await tab('红黑榜');
    await admin.page.getByTestId('scores').waitFor();
    expect(await admin.page.getByTestId('red-list').locator('li').count()).toBe(0);
    found.push(...(await audit('red/black lists')));
    await tab('趋势研判');
    await admin.page.getByTestId('town-trends').waitFor({ state: 'attached' });
    found.push(...(await audit('trends')));
    await tab('专项治理');
    await admin.page.getByText('暂无反复出现的问题').waitFor();
    found.push(...(await audit('special governance')));
    expect(found).toEqual([]);
  });

  it('shows no raw message key or placeholder in English either', async () => {
    const found: string[] = [];
    const context = await rig.browser.newContext({ viewport: { width: 360, height: 640 }, locale: 'en' });
    await context.addInitScript(() => localStorage.setItem('minsheng.locale', 'en'));
    const en = await context.newPage();
    await en.goto(rig.server.url);
    await en.locator('input[name=username]').fill('admin');
    await en.locator('input[name=password]').fill('demo1234');
    await en.getByRole('button', { name: 'Log in' }).click();
    await en.getByTestId('sync-link').filter({ hasText: 'Online' }).waitFor();
    // Hash routes, not the menu: this walk checks words, whatever the navigation looks like.
    for (const hash of ['/', '/new', '/map', '/meetings', '/settings', '/admin', '/board', '/civic', ...['ranking', 'redblack', 'trends', 'hotspots', 'special'].map((tab) => `/reports/${tab}`)]) {
      await en.evaluate((h) => (location.hash = h), hash);
      await en.waitForLoadState('networkidle');
      await en.waitForTimeout(300);
      found.push(...(await rawTextOn(en)).map((r) => `${hash}: ${r}`));
    }
    expect(found).toEqual([]);
    await context.close();
  });

  it('has none on the town official’s civic screens and the public pages', async () => {
    const found: string[] = [];
    // A town official's civic screens, and the public pages a citizen opens without an account.
    const town = appPage(await (await rig.browser.newContext({ viewport: { width: 360, height: 640 }, locale: 'zh-CN' })).newPage());
    await town.page.goto(rig.server.url);
    await town.login('town');
    page = town.page;
    await town.go('问计·接访');
    await town.page.getByTestId('slots').waitFor({ state: 'attached' });
    found.push(...(await audit('campaigns and reception days')));
    await town.go('晾晒');
    await town.page.getByText('没有待审核的评论').waitFor();
    found.push(...(await audit('board moderation')));
    for (const [name, path] of [['public lookup', '/p/'], ['public board', '/p/board'], ['public campaigns', '/p/ask'], ['public reception days', '/p/reception'], ['public information', '/p/info'], ['deputies’ columns', '/p/deputies']] as const) {
      await town.page.goto(`${rig.server.url}${path}`);
      found.push(...(await audit(name)));
    }
    expect(found).toEqual([]);
  });
});
