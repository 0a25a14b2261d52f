import AxeBuilder from '@axe-core/playwright';
import Database from 'better-sqlite3';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawTextOn } from './raw-text';
import { OUT, startOfflineRig, type OfflineRig, E2E_TIMEOUT_MS } from './rig';

// 积分 at the bench meeting on a 360×640 phone with no signal: the facilitator picks a
// household on the number pad, taps a rule and saves; half-typed input survives a reload;
// a recent household is one tap away for a second award and an exchange for fertiliser.
// Back online it all reaches the server, and the village's public board shows the standings
// by household number only, small, script-free and axe-clean in both languages.

let rig: OfflineRig;
let page: Page;
let app: OfflineRig['app'];
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

beforeAll(async () => {
  rig = await startOfflineRig();
  ({ page, app } = rig);
  await page.setViewportSize({ width: 360, height: 640 });
});

afterAll(() => rig?.close());

const household = () => page.getByTestId('points-household').locator('output').textContent();
const pad = (keys: string[]) => keys.reduce<Promise<void>>((p, k) => p.then(() => page.locator(`.pad button[data-key="${k}"]`).click()), Promise.resolve());

describe('village points with no signal', { timeout: E2E_TIMEOUT_MS }, () => {
  let village = '';

  it('records awards and an exchange offline, keeps a draft across a reload, and syncs', async () => {
    await page.goto(rig.proxy.url);
    await app.login('bench');
    await app.installShell();
    await rig.goOffline();
    await app.waitForLink('离线');

    await app.go('积分');
    await page.getByTestId('points-tab-award').waitFor();
    // 3, 组, 1, 2: the pad builds the household number.
    await pad(['3', 'group', '1', '2']);
    expect(await household()).toBe('3组-12');
    await page.locator('.rules button[data-rule="filial"]').click();
    await page.locator('input[name=note]').fill('照顾老人');
    await page.getByTestId('points-save').click();
    await expect.poll(household).toBe('—');
    await expect.poll(() => page.getByTestId('points-balance').count()).toBe(0);

    // Half-typed: a household and a rule, then the page reloads (from the phone's shell, offline).
    await pad(['7']);
    await page.locator('.rules button[data-rule="clutter"]').click();
    await page.waitForTimeout(300);
    await page.reload();
    await page.getByTestId('points-tab-award').waitFor();
    await expect.poll(household).toBe('7');
    expect(await page.locator('.rules button[data-rule="clutter"]').getAttribute('aria-pressed')).toBe('true');
    await page.getByTestId('points-save').click();
    await expect.poll(household).toBe('—');

    // The recent households are one tap away.
    await page.getByRole('group', { name: '最近的户' }).getByRole('button', { name: '3组-12' }).click();
    await expect.poll(() => page.getByTestId('points-balance').textContent()).toBe('余额 10 分');
    await page.locator('.rules button[data-rule="front_clean"]').click();
    await page.getByTestId('points-save').click();
    await expect.poll(household).toBe('—');
    await page.screenshot({ path: path.join(OUT, 'e2e-points-award.png') });

    await page.getByTestId('points-tab-exchange').click();
    await page.getByRole('group', { name: '最近的户' }).getByRole('button', { name: '3组-12' }).click();
    await expect.poll(() => page.getByTestId('points-balance').textContent()).toBe('余额 15 分');
    await page.locator('input[name=goods]').fill('化肥1袋');
    await page.locator('input[name=spend]').fill('10');
    await page.getByTestId('points-exchange-save').click();
    await expect.poll(household).toBe('—');

    await page.getByTestId('points-tab-ledger').click();
    const row = page.getByTestId('points-ledger').locator('tr[data-household="3组-12"] td');
    await expect.poll(() => row.allTextContents()).toEqual(['15', '0', '10', '5']);
    expect(await page.getByTestId('points-ledger').locator('tr[data-household="7"] td').last().textContent()).toBe('-5');
    await page.screenshot({ path: path.join(OUT, 'e2e-points-ledger.png') });
    const { violations } = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
    expect(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([]);
    expect(await rawTextOn(page)).toEqual([]);
    expect(await app.pendingCount()).toBeGreaterThan(0);

    await rig.goOnline();
    await app.waitForLink('在线');
    await expect.poll(() => app.pendingCount(), { timeout: 30_000 }).toBe(0);
    const db = new Database(path.join(rig.server.dataDir, 'minsheng.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT village, kind, body FROM points_docs').all() as { village: string; kind: string; body: string }[];
    db.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.kind).toBe('sheet');
    const entries = JSON.parse(rows[0]!.body) as { kind: string; household: string; points: number }[];
    expect(entries.map((e) => `${e.kind} ${e.household} ${e.points}`)).toEqual(['award 3组-12 10', 'award 7 -5', 'award 3组-12 5', 'exchange 3组-12 10']);
    village = rows[0]!.village;
  });

  it('shows the public board by household number, small, script-free and axe-clean in two languages', async () => {
    const ctx = await rig.browser.newContext({ viewport: { width: 360, height: 640 }, locale: 'zh-CN' });
    const board = await ctx.newPage();
    const res = await board.goto(`${rig.server.url}/p/points/${village}`);
    expect(res!.status()).toBe(200);
    const html = await res!.text();
    expect(Buffer.byteLength(html)).toBeLessThan(10 * 1024);
    expect(html).not.toMatch(/<script/i);
    const text = (await board.locator('main').textContent()) ?? '';
    expect(text).toContain('3组-12');
    expect(text).toContain('5 分');
    expect(text).toContain('孝老爱亲');
    for (const secret of ['照顾老人', '化肥', '李建国']) expect(text).not.toContain(secret);
    await board.screenshot({ path: path.join(OUT, 'e2e-points-board.png'), fullPage: true });
    for (const lang of ['zh-CN', 'en']) {
      if (lang === 'en') await board.getByRole('link', { name: 'English' }).click();
      const { violations } = await new AxeBuilder({ page: board }).withTags(AXE_TAGS).analyze();
      expect(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`), lang).toEqual([]);
    }
    expect(await board.locator('html').getAttribute('lang')).toBe('en');
    expect(await board.locator('main').textContent()).toContain('Standings');
    await ctx.close();
  });
});
