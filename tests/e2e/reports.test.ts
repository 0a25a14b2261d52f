import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { seedGeneratedAppeals } from '../../bench/seed-store';
import { ensureSeeded } from '../../server/services/seed';
import { openSqliteStore } from '../../server/store/sqlite';
import { storeUpdate } from '../../server/sync/bus';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { weekOf } from '../../src/core/metrics';
import { shortVillageName, type Region } from '../../src/core/regions';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { launchChromium } from '../helpers/browser';
import { tempDir } from '../helpers/server';
import { appPage } from './app-page';
import { OUT, ROOT, startOfflineRig, type OfflineRig } from './rig';

// A county dispatcher on a desktop reads the governance reports over twelve weeks of a county
// whose towns work at different speeds: the ranking (and on a phone, its cards), the red and
// black lists, the trends (with a surge of road complaints in one village last week), hot spots
// and special governance. Then a city's leader on a phone reads the city's.

const WEEK = 7 * 86_400_000;
let rig: OfflineRig;
let page: Page;
let surgeVillage = '';

describe('governance reports', () => {
  beforeAll(async () => {
    const dataDir = tempDir();
    const store = openSqliteStore(dataDir);
    await ensureSeeded(store, '371324');
    const villages = (await store.regionsUnder(['371324'])).filter((r) => r.level === 'village');
    const official = (await store.userByUsername('town'))!;
    const now = Date.now();
    await seedGeneratedAppeals(store, { count: 2400, villages, seed: 12, official: { id: official.id, name: official.displayName }, from: now - 12 * WEEK, spacingMs: Math.floor((12 * WEEK) / 2400), policy: POLICY_PRESETS.lanling, varied: true });
    // Last complete week: 30 road complaints from one village, well above its usual.
    const lastWeek = weekOf(weekOf(now).from - 1);
    const village = villages[7]!;
    surgeVillage = village.name;
    await store.inPushTx(async (tx) => {
      for (let i = 0; i < 30; i++) {
        const doc = new Y.Doc();
        const id = newId();
        writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.roads', kind: 'complaint', urgency: 'orange', villageCode: village.code, description: `村道塌陷第${i + 1}处`, citizen: { anonymous: true } }, { id: official.id, role: 'town_official' }, lastWeek.from + i * 3 * 3_600_000, newId());
        await storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: official.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), now, POLICY_PRESETS.lanling);
      }
    });
    await store.close();
    rig = await startOfflineRig({ dataDir });
    page = rig.page;
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(rig.proxy.url);
    await rig.app.login('dispatcher');
  }, 120_000);
  afterAll(() => rig?.close());

  /** docs/screenshots/reports-*.png are copies of these. */
  const shoot = (name: string) => page.screenshot({ path: path.join(OUT, `e2e-reports-${name}.png`), fullPage: true });
  const tab = (name: string) => page.getByRole('navigation', { name: '治理报表' }).getByRole('link', { name, exact: true }).click();

  it('ranks the towns of a month, sorts by a figure and draws its bar chart', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: '报表' }).click();
    await page.locator('select[name="period"]').selectOption('month');
    const rows = page.getByTestId('ranking').locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBeGreaterThan(10);
    await page.getByRole('button', { name: '满意率' }).click();
    const rates = await page.getByTestId('ranking').locator('tbody td.sorted').allTextContents();
    // Each rate is the shrunk rate with its own 95% interval, "92.3% (85–96%)", sorted by the shrunk rate.
    const shown = rates.filter((r) => r !== '—');
    for (const r of shown) expect(r).toMatch(/^\d+\.\d% \(\d+–\d+%\)$/);
    const values = shown.map((r) => parseFloat(r));
    expect(values).toEqual([...values].sort((a, b) => b - a));
    await expect.poll(() => page.getByTestId('how-ranked').textContent()).toMatch(/如何排名.*收缩率/);
    expect(new Set(values).size).toBeGreaterThan(3);
    await expect.poll(() => page.getByTestId('bar-chart').count()).toBe(1);
    await shoot('ranking');
  });

  it('on a 360 px phone, shows each town as a card with every figure, the ledger too, sorted by tapping a figure', { timeout: 60_000 }, async () => {
    await page.setViewportSize({ width: 360, height: 640 });
    try {
      const first = page.getByTestId('ranking').locator('tbody tr').first();
      await expect.poll(async () => (await first.boundingBox())?.width ?? 999).toBeLessThanOrEqual(360);
      // Every figure of the card is on screen, labelled: nothing to scroll sideways to, nothing behind hover.
      const cells = await first.locator('td').evaluateAll((tds) => tds.map((td) => ({ label: getComputedStyle(td, '::before').content, right: td.getBoundingClientRect().right, left: td.getBoundingClientRect().left })));
      expect(cells).toHaveLength(14); // with sync wait and raised again (fair ranking), called back and passed review (质检)
      for (const c of cells) expect(c.left >= 0 && c.right <= 360, `${c.label} at ${c.left}–${c.right}`).toBe(true);
      expect(cells.map((c) => c.label).join()).toMatch(/退回.*改派.*派单用时/);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      // The column headers wrap above the cards as sort buttons, all on screen: fewest returns first, again for most.
      const sortButtons = await page.getByTestId('ranking').locator('thead button').evaluateAll((bs) => bs.map((b) => b.getBoundingClientRect().right));
      expect(sortButtons).toHaveLength(14);
      for (const right of sortButtons) expect(right).toBeLessThanOrEqual(360);
      const returns = async () => (await page.getByTestId('ranking').locator('tbody td.sorted').allTextContents()).map(Number);
      await page.getByTestId('ranking').getByRole('button', { name: '退回' }).click();
      const fewest = await returns();
      expect(fewest).toEqual([...fewest].sort((a, b) => a - b));
      await page.getByTestId('ranking').getByRole('button', { name: /退回/ }).click();
      const most = await returns();
      expect(most).toEqual([...most].sort((a, b) => b - a));
      await page.screenshot({ path: path.join(OUT, 'e2e-reports-ranking-phone.png') });
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('lists the best towns in red and the worst in black, with their scores and the lists before', { timeout: 60_000 }, async () => {
    await tab('红黑榜');
    const red = page.getByTestId('red-list').locator('li');
    await expect.poll(() => red.count(), { timeout: 20_000 }).toBe(3);
    expect(await page.getByTestId('black-list').locator('li').count()).toBe(3);
    const score = async (list: string) => (await page.getByTestId(list).locator('li strong').allTextContents()).map(Number);
    const [reds, blacks] = [await score('red-list'), await score('black-list')];
    expect(Math.min(...reds)).toBeGreaterThan(Math.max(...blacks));
    expect(reds).toEqual([...reds].sort((a, b) => b - a));
    expect(blacks).toEqual([...blacks].sort((a, b) => a - b));
    expect(await page.getByTestId('redblack-history').locator('tbody tr').count()).toBe(6);
    await shoot('redblack');
  });

  it('flags the village’s surge as a rising category and town, with a back-tested forecast', { timeout: 60_000 }, async () => {
    await tab('趋势研判');
    const rising = page.getByTestId('rising');
    await expect.poll(() => rising.textContent(), { timeout: 20_000 }).toContain('道路');
    expect(await page.getByTestId('total-forecast').textContent()).toMatch(/预测 [\d.]+ 件（回测 8 周平均误差 ±[\d.]+ 件/);
    expect(await page.getByTestId('town-trends').locator('tbody tr').count()).toBeGreaterThan(10);
    await expect.poll(() => page.locator('.uplot canvas').count()).toBe(2);
    await shoot('trends');
  });

  it('shows the hot-spot villages and the problems raised again and again', { timeout: 60_000 }, async () => {
    await tab('热点');
    await expect.poll(() => page.getByTestId('hot-spots').locator('tbody tr').count(), { timeout: 20_000 }).toBeGreaterThan(5);
    await tab('专项治理');
    const groups = page.getByTestId('special-groups').locator('details');
    await expect.poll(() => groups.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    // The surge is the biggest: 30 road complaints from one village.
    expect(await groups.first().locator('summary').textContent()).toContain(shortVillageName(surgeVillage));
    await groups.first().locator('summary').click();
    expect(await groups.first().locator('tbody tr').count()).toBeGreaterThanOrEqual(30);
  });
});

// The city (Linyi) on a phone: its leader ranks the county platforms and the city bureaus with
// the bounce-back ledger, looks into one county, and reads trends by county.
describe('governance reports of a city', () => {
  let server: RunningServer;
  let browser: Browser;
  let phone: Page;
  const COUNTIES = 13;

  beforeAll(async () => {
    const config = loadConfig({ PORT: '0', MINSHENG_REGION: '371300', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: path.join(ROOT, 'dist'), MINSHENG_SCAN_INTERVAL_MS: '0' });
    server = await startServer(config);
    const store = server.store;
    // Eight villages of each of the city's counties.
    const perCounty = new Map<string, Region[]>();
    for (const r of await store.regionsUnder(['3713'])) if (r.level === 'village') perCounty.set(r.code.slice(0, 6), [...(perCounty.get(r.code.slice(0, 6)) ?? []), r]);
    const villages = [...perCounty.values()].flatMap((vs) => vs.filter((_, i) => i % Math.ceil(vs.length / 8) === 0));
    const official = (await store.userByUsername('town'))!;
    const desk = (await store.userByUsername('city'))!;
    const county = (await store.userByUsername('dispatcher'))!;
    const townVillage = (await store.regionsUnder(official.scope.regions)).find((r) => r.level === 'village')!.code;
    const policy = config.policy;
    const now = Date.now();
    await seedGeneratedAppeals(store, { count: 1200, villages, seed: 7, official: { id: official.id, name: official.displayName }, from: now - 6 * WEEK, spacingMs: Math.floor((6 * WEEK) / 1200), policy, varied: true });
    // Last week, the city center gave three cases to the city water bureau, and sent one to
    // 兰陵, whose platform sent it to a town, which returned it.
    await store.inPushTx(async (tx) => {
      for (let i = 0; i < 4; i++) {
        const doc = new Y.Doc();
        const id = newId();
        const at = weekOf(now).from - WEEK + i * 60_000;
        writeNewAppeal(doc, { channel: 'hotline_12345', category: 'infra.water', kind: 'help', urgency: 'orange', villageCode: townVillage, description: `主管漏水第${i + 1}处`, citizen: { anonymous: true } }, { id: desk.id, role: 'city_dispatcher' }, at, newId());
        const step = (who: { id: string; role: string }, minutes: number, e: object) => appendEvent(doc, { id: newId(), actor: who.id, role: who.role, at: at + minutes * 60_000, ...e } as never);
        if (i < 3) step(desk, i + 2, { type: 'assigned', to: 'city', from: 'city', dept: 'water' });
        else {
          step(desk, 1, { type: 'assigned', to: 'county', from: 'city' });
          step(county, 5, { type: 'assigned', to: 'town', from: 'county' });
          step(official, 30, { type: 'returned', reason: '不属本镇', to: 'county' });
        }
        await storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: desk.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), now, policy);
      }
    });
    browser = await launchChromium();
    phone = await (await browser.newContext({ viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true, locale: 'zh-CN' })).newPage();
    await phone.goto(server.url);
    await appPage(phone).login('cityleader');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const cards = () => phone.getByTestId('ranking').locator('tbody tr');
  const names = () => phone.getByTestId('ranking').locator('tbody th').allTextContents();

  it('ranks the county platforms, one card each with its ledger, and the city bureaus', { timeout: 60_000 }, async () => {
    await phone.getByRole('link', { name: '报表' }).click();
    // Last week, complete (this one may have just begun).
    await phone.locator('input[name="at"]').fill(weekOf(weekOf(Date.now()).from - 1).label);
    await expect.poll(() => cards().count(), { timeout: 20_000 }).toBe(COUNTIES);
    // Named from the division list the phone holds (it may still be arriving).
    await expect.poll(async () => (await names()).join(), { timeout: 20_000 }).toContain('兰陵县');
    expect(await phone.locator('select[name="by"] option').allTextContents()).toEqual(['县（市、区）', '市直部门', '乡镇（街道）']);
    const card = cards().filter({ hasText: '兰陵县' });
    expect(await card.locator('td.dispatchMinutes').isVisible()).toBe(true);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await phone.screenshot({ path: path.join(OUT, 'e2e-reports-city-ranking.png'), fullPage: true });

    await phone.locator('select[name="by"]').selectOption('dept');
    await expect.poll(() => names(), { timeout: 20_000 }).toEqual(['1临沂市水务局']);
    // Three received that week, dispatched in 2, 3 and 4 minutes: a mean of 3, on target.
    expect(await cards().first().locator('td.received').textContent()).toBe('3');
    expect(await cards().first().locator('td.dispatchMinutes').textContent()).toBe('3.0');
  });

  it('looks into one county: its towns and county bureaus, as its own staff see them', { timeout: 60_000 }, async () => {
    await phone.locator('select[name="county"]').selectOption({ label: '兰陵县' });
    expect(await phone.locator('select[name="by"] option').allTextContents()).toEqual(['乡镇（街道）', '部门']);
    // 兰陵's towns only, named without their county (as its own staff see them), none another county's.
    const lanling = new Set((await server.store.regionsUnder(['371324'])).filter((r) => r.level === 'town').map((r) => r.name));
    const ofLanling = async () => {
      const towns = (await names()).map((n) => n.replace(/^\d+/, ''));
      return towns.length > 0 && towns.every((n) => lanling.has(n));
    };
    await expect.poll(ofLanling, { timeout: 20_000 }).toBe(true);
    expect(await phone.locator('select[name="by"]').inputValue()).toBe('town');
    await phone.locator('select[name="county"]').selectOption('');
    await expect.poll(() => cards().count(), { timeout: 20_000 }).toBe(COUNTIES);
  });

  it('lists the county platforms red and black, each scored on a card that fits the phone', { timeout: 60_000 }, async () => {
    await phone.getByRole('navigation', { name: '治理报表' }).getByRole('link', { name: '红黑榜', exact: true }).click();
    await expect.poll(() => phone.getByTestId('red-list').locator('li').count(), { timeout: 20_000 }).toBe(3);
    expect(await phone.getByTestId('black-list').locator('li').count()).toBe(3);
    const rows = phone.getByTestId('scores').locator('tbody tr');
    expect(await rows.count()).toBe(COUNTIES);
    const rights = await rows.evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().right));
    for (const right of rights) expect(right).toBeLessThanOrEqual(360);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await phone.screenshot({ path: path.join(OUT, 'e2e-reports-city-redblack.png'), fullPage: true });
  });

  it('reads trends by county, with the towns of the city folded away', { timeout: 60_000 }, async () => {
    await phone.getByRole('navigation', { name: '治理报表' }).getByRole('link', { name: '趋势研判', exact: true }).click();
    const rows = phone.getByTestId('county-trends').locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(COUNTIES);
    expect(await phone.getByTestId('town-trends').isVisible()).toBe(false);
    await phone.screenshot({ path: path.join(OUT, 'e2e-reports-city-trends.png'), fullPage: true });
  });
});
