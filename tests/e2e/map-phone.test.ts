import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedGeneratedAppeals } from '../../bench/seed-store';
import { ensureSeeded } from '../../server/services/seed';
import { openSqliteStore } from '../../server/store/sqlite';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { isOpen } from '../../src/core/fold';
import { townOf } from '../../src/core/regions';
import { launchChromium } from '../helpers/browser';
import { spawnServer, tempDir, type ServerProcess } from '../helpers/server';
import { phoneAs } from './app-page';
import { E2E_TIMEOUT_MS, OUT, ROOT } from './rig';
import { shootMap } from './screens';

// The map on a 360×640 phone with a county's backlog over all of Lanling's towns: the map
// comes first under the header, the filters are folded, every town's pin shows its count and
// the names shown never overlap, a tap names the town, and the heat layer has a legend.

let server: ServerProcess;
let browser: Browser;
let page: Page;
const openByTown = new Map<string, number>();
const townNames = new Map<string, string>();
const tier = () => page.getByTestId('map-tier').getAttribute('data-tier');
type Rect = { x: number; y: number; width: number; height: number };
const overlap = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const rects = (l: Locator) => l.evaluateAll((els) => els.map((el) => el.getBoundingClientRect()).map(({ x, y, width, height }) => ({ x, y, width, height })));

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/index.html'))) throw new Error('Build the app first: npm run build');
  const dataDir = tempDir();
  const store = openSqliteStore(dataDir);
  await ensureSeeded(store, '371324');
  const regions = await store.regionsUnder(['371324']);
  const official = (await store.userByUsername('town'))!;
  await seedGeneratedAppeals(store, { count: 300, villages: regions.filter((r) => r.level === 'village'), seed: 7, official: { id: official.id, name: official.displayName }, from: Date.now() - 5 * 86_400_000, policy: POLICY_PRESETS.lanling });
  for (const r of regions) if (r.level === 'town') townNames.set(r.code, r.name);
  for (const row of await store.appealRows()) if (isOpen(row.status)) openByTown.set(townOf(row.village), (openByTown.get(townOf(row.village)) ?? 0) + 1);
  await store.close();
  server = await spawnServer({ MINSHENG_REGION: '371324', MINSHENG_DATA_DIR: dataDir, MINSHENG_STATIC_DIR: path.join(ROOT, 'dist'), MINSHENG_DEMO: '0' });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the map on a phone', { timeout: E2E_TIMEOUT_MS }, () => {
  it('comes first, folds its filters, names towns without overlaps, and shows details on a tap', async () => {
    expect(openByTown.size).toBeGreaterThan(10);
    page = await phoneAs(browser, server.url, 'dispatcher');
    await page.goto(`${server.url}/#/map`);
    const map = page.getByTestId('map');
    await map.waitFor();
    // Every town with open appeals has its pin, counted by the server as well as the phone.
    await page.locator('.map-pin').first().waitFor();
    await expect.poll(() => page.locator('.map-pin').count(), { timeout: 20_000 }).toBe(openByTown.size);
    expect(await tier()).toBe('town');

    // Map first: its top is just under the header (one toolbar row), and it takes most of the screen.
    const headerBottom = await page.evaluate(() => document.querySelector('header')?.getBoundingClientRect().bottom ?? 0);
    const box = (await map.boundingBox())!;
    expect(box.y - headerBottom).toBeLessThan(100);
    expect(box.height).toBeGreaterThan(250);

    // The filters are folded into one button, which opens them and counts those in use.
    const toggle = page.getByTestId('map-filters-toggle');
    const panel = page.getByTestId('map-filters');
    expect(await panel.isVisible()).toBe(false);
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect((await toggle.textContent())?.trim()).toBe('筛选');
    await toggle.tap();
    await panel.waitFor();
    await page.locator('select[name=urgency]').selectOption('red');
    await expect.poll(() => toggle.textContent()).toContain('筛选（1 项）');
    await page.screenshot({ path: path.join(OUT, 'e2e-map-phone-filters.png') });
    await page.locator('select[name=urgency]').selectOption('');
    await expect.poll(() => toggle.textContent().then((s) => s?.trim())).toBe('筛选');
    await toggle.tap();
    await panel.waitFor({ state: 'hidden' });

    // Names: those shown overlap neither one another nor another pin; pins do not cover one
    // another (moved aside where they would), so every count can be read and tapped.
    await expect.poll(() => page.locator('.map-pin').count()).toBe(openByTown.size);
    const names = await rects(page.locator('.map-pin .pin-name, .town-label'));
    expect(names.length).toBeGreaterThan(3);
    for (const [i, a] of names.entries()) for (const b of names.slice(i + 1)) expect(overlap(a, b), JSON.stringify([a, b])).toBe(false);
    const pins = await page.locator('.map-pin').evaluateAll((els) =>
      els.map((el) => {
        const count = el.querySelector('b')!;
        const r = count.getBoundingClientRect();
        return { title: el.getAttribute('title') ?? '', name: el.querySelector('.pin-name')?.textContent ?? null, count: count.textContent ?? '', countVisible: r.width > 0 && r.height > 0, pin: (({ x, y, width, height }) => ({ x, y, width, height }))(el.getBoundingClientRect()) };
      }),
    );
    for (const p of pins) {
      const town = p.title.split('：')[0]!;
      const code = [...townNames].find(([, n]) => n === town)?.[0];
      expect(code, town).toBeDefined();
      expect(p.count).toBe(String(openByTown.get(code!)));
      expect(p.countVisible).toBe(true);
      if (p.name !== null) expect(town.startsWith(p.name)).toBe(true);
    }
    const pinBoxes = pins.map((p) => p.pin);
    const nameBoxes = await page.locator('.map-pin').evaluateAll((els) => els.map((el) => (el.querySelector('.pin-name') ? (({ x, y, width, height }) => ({ x, y, width, height }))(el.querySelector('.pin-name')!.getBoundingClientRect()) : null)));
    nameBoxes.forEach((n, i) => {
      if (n) pinBoxes.forEach((p, j) => i !== j && expect(overlap(n, p), JSON.stringify([n, p])).toBe(false));
    });
    for (const [i, a] of pinBoxes.entries()) for (const b of pinBoxes.slice(i + 1)) expect(overlap(a, b), JSON.stringify([a, b])).toBe(false);

    // A tap on a pin whose name has no room (else the first) names the town in a sheet, with its counts.
    const target = pins.findIndex((p) => p.name === null);
    const tapped = pins[target >= 0 ? target : 0]!;
    await page.locator('.map-pin').nth(target >= 0 ? target : 0).tap();
    const sheet = page.getByTestId('map-sheet');
    await sheet.waitFor();
    const town = tapped.title.split('：')[0]!;
    expect(await sheet.getByRole('heading').textContent()).toBe(town);
    expect(await sheet.textContent()).toContain(`未办结 ${tapped.count}`);
    await page.screenshot({ path: path.join(OUT, 'e2e-map-phone-sheet.png') });
    await sheet.getByRole('button', { name: '关闭' }).tap();
    await sheet.waitFor({ state: 'hidden' });
    expect(await tier()).toBe('town');

    // Heat in bands with a legend, at the county's zoom.
    await toggle.tap();
    await page.locator('input[name=heat]').check();
    await toggle.tap();
    const legend = page.getByTestId('heat-legend');
    await legend.waitFor();
    expect(await legend.isVisible()).toBe(true);
    expect(await legend.textContent()).toMatch(/每格约 \d+ (公里|米)/);
    expect(await legend.textContent()).toContain('红');
    expect(await page.locator('img.heat').getAttribute('src')).toMatch(/^data:image\/png/);

    // Closer in, the heat cells stay about the same size on the screen: the legend's cell shrinks.
    const before = await legend.textContent();
    await shootMap(page, path.join(OUT, 'map-phone'));
    expect(await tier()).toBe('village');
    await expect.poll(() => legend.textContent()).not.toBe(before);
    const villageNames = await rects(page.locator('.map-pin .pin-name, .town-label'));
    expect(villageNames.length).toBeGreaterThan(3);
    for (const [i, a] of villageNames.entries()) for (const b of villageNames.slice(i + 1)) expect(overlap(a, b)).toBe(false);
    await page.context().close();
  });
});
