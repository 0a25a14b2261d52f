import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedGeneratedAppeals } from '../../bench/seed-store';
import { ensureSeeded } from '../../server/services/seed';
import { openSqliteStore } from '../../server/store/sqlite';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { isOpen } from '../../src/core/fold';
import { countyOf, townOf } from '../../src/core/regions';
import { launchChromium } from '../helpers/browser';
import { spawnServer, tempDir, type ServerProcess } from '../helpers/server';
import { appPage } from './app-page';
import { E2E_TIMEOUT_MS, OUT, ROOT } from './rig';

// The map of a city deployment (MINSHENG_REGION=371300, Linyi), on a phone: the city center
// sees one marker per county with its open count and every county's name written on the map,
// taps 兰陵县 and sees its towns, and comes back to the whole city. A county platform of the
// same deployment still opens on its own towns.

const COUNT = 400;
const LANLING = '371324000000';
let server: ServerProcess;
let browser: Browser;
let page: Page;
/** Open appeals per county and per town, counted from the server's own rows: what the map must show. */
const openBy = new Map<string, number>();
/** Open red appeals per county: what the map shows with the urgency filter on red. */
const redBy = new Map<string, number>();
const names = new Map<string, string>();
const tier = () => page.getByTestId('map-tier').getAttribute('data-tier');
/** The phone's screen scrolled to the map, its tier line just below the app's sticky header. */
async function shoot(name: string): Promise<void> {
  // No finger rests on the screen: no marker's tooltip in the picture.
  await page.mouse.move(0, 0);
  await page.getByTestId('map-tier').evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - (document.querySelector('header')?.getBoundingClientRect().height ?? 0) - 8));
  await page.screenshot({ path: path.join(OUT, `e2e-map-city-tier-${name}.png`) });
}
/** The markers on the map: their classes, titles (full name and counts) and the number they show. */
const pins = (selector: string) => page.locator(selector).evaluateAll((els) => els.map((el) => ({ title: el.getAttribute('title') ?? '', count: el.querySelector('b')?.textContent ?? '', cls: el.className })));

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/index.html'))) throw new Error('Build the app first: npx vite build');
  mkdirSync(OUT, { recursive: true });
  const dataDir = tempDir();
  const store = openSqliteStore(dataDir);
  await ensureSeeded(store, '371300');
  const regions = await store.regionsUnder(['3713']);
  const official = (await store.userByUsername('town'))!;
  // Spread over five counties, most of it in 兰陵.
  const villagesOf = (county: string) => regions.filter((r) => r.level === 'village' && r.code.startsWith(county.slice(0, 6)));
  const spread = [...villagesOf(LANLING), ...villagesOf(LANLING), ...['371302', '371321', '371325', '371329'].flatMap((c) => villagesOf(c).slice(0, 60))];
  await seedGeneratedAppeals(store, { count: COUNT, villages: spread, seed: 11, official: { id: official.id, name: official.displayName }, from: Date.now() - 20 * 86_400_000, policy: POLICY_PRESETS.lanling });
  for (const r of regions) names.set(r.code, r.name);
  for (const row of await store.appealRows()) {
    if (!isOpen(row.status)) continue;
    for (const code of [countyOf(row.village), townOf(row.village)]) openBy.set(code, (openBy.get(code) ?? 0) + 1);
    if (row.urgency === 'red') redBy.set(countyOf(row.village), (redBy.get(countyOf(row.village)) ?? 0) + 1);
  }
  await store.close();
  server = await spawnServer({ MINSHENG_REGION: '371300', MINSHENG_DATA_DIR: dataDir, MINSHENG_STATIC_DIR: path.join(ROOT, 'dist') });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function openMap(username: string): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 }, locale: 'zh-CN' });
  page = await context.newPage();
  await page.goto(server.url);
  await appPage(page).login(username);
  await page.goto(`${server.url}/#/map`);
  await page.getByTestId('map').waitFor();
}

describe('the city tier of the map', { timeout: E2E_TIMEOUT_MS }, () => {
  it('opens on the counties, named on the map, and drills into 兰陵县’s towns and back', async () => {
    const counties = [...openBy].filter(([code]) => code.endsWith('000000'));
    expect(counties.length).toBe(5);
    await openMap('city');
    await page.locator('.map-pin.county').first().waitFor();
    expect(await tier()).toBe('county');

    // One marker per county with open appeals, showing its open count (the server's and the
    // device's agree); the title names the county in full.
    await expect.poll(async () => (await pins('.map-pin.county')).length).toBe(counties.length);
    const shown = new Map((await pins('.map-pin')).map((p) => [p.title.split('：')[0], p]));
    expect(shown.size).toBe(counties.length);
    for (const [code, open] of counties) {
      const pin = shown.get(names.get(code));
      expect(pin, names.get(code)).toBeDefined();
      expect(pin!.count).toBe(String(open));
      expect(pin!.title).toContain(`未办结 ${open}`);
    }
    // Every county's name is written on the map, not only in a hover tooltip: twelve outlines
    // and the development zone the outline data lacks (named in the note below the map).
    const labels = page.locator('.county-label');
    await expect.poll(() => labels.count()).toBe(13);
    for (const name of ['兰陵县', '沂南县', '兰山区', '费县', '沂水县', '高新区']) expect(await labels.filter({ hasText: new RegExp(`^${name}$`) }).isVisible(), name).toBe(true);
    expect(await page.getByText('临沂高新技术产业开发区没有边界数据').isVisible()).toBe(true);
    // The county outlines are credited on the map as the county's outline is.
    expect(await page.locator('.leaflet-control-attribution').textContent()).toContain('地点与县区边界：Vonng/adcode（CC BY 4.0）');
    await shoot('county');

    // Tap 兰陵县: its towns, each with its own open count.
    await page.locator(`.map-pin.county[title^="兰陵县："]`).click();
    await page.getByTestId('map-sheet-zoom').click();
    await expect.poll(tier).toBe('town');
    const lanlingTowns = [...openBy].filter(([code]) => code.startsWith('371324') && !code.endsWith('000000'));
    await expect.poll(async () => (await pins('.map-pin.town')).filter((p) => lanlingTowns.some(([code]) => p.title.startsWith(`${names.get(code)}：`))).length).toBe(lanlingTowns.length);
    const towns = new Map((await pins('.map-pin.town')).map((p) => [p.title.split('：')[0], p]));
    for (const [code, open] of lanlingTowns) expect(towns.get(names.get(code))?.count, names.get(code)).toBe(String(open));
    // The towns' names are written on the map too, beside their pins where there is room,
    // none over another; the county names give way to them.
    const townNames = await page.locator('.map-pin .pin-name, .town-label').evaluateAll((els) => els.map((el) => ({ text: el.textContent ?? '', ...(({ x, y, width, height }) => ({ x, y, width, height }))(el.getBoundingClientRect()) })));
    expect(townNames.length).toBeGreaterThan(3);
    for (const [i, a] of townNames.entries()) for (const b of townNames.slice(i + 1)) expect(a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height, `${a.text} / ${b.text}`).toBe(false);
    await expect.poll(() => labels.count()).toBe(0);
    await shoot('town');

    // Closer in, villages: the server counts those of the county in view only, not the city's 4,186.
    const villageCounts = page.waitForRequest((r) => r.url().includes('/api/map/tally?level=village&within=371324'));
    const zoom = () => page.getByTestId('map').getAttribute('data-zoom').then(Number);
    for (const to of [(await zoom()) + 1, (await zoom()) + 2]) {
      await page.locator('.leaflet-control-zoom-in').click();
      await expect.poll(zoom).toBe(to);
    }
    await expect.poll(tier).toBe('village');
    await villageCounts;

    // Filters apply at every tier: red only, counted by the server and the device alike.
    await page.getByTestId('map-filters-toggle').click();
    await page.locator('select[name=urgency]').selectOption('red');
    await page.getByTestId('map-home').click();
    await expect.poll(tier).toBe('county');
    const redPins = async () => (await pins('.map-pin.county')).map((p) => [p.title.split('：')[0], p.count, p.cls.includes('red')]);
    const expected = [...redBy].map(([code, n]) => [names.get(code), String(n), true]);
    await expect.poll(async () => (await redPins()).sort()).toEqual(expected.sort());
    await page.locator('select[name=urgency]').selectOption('');

    // Zooming out from a county also comes back to the counties.
    await page.locator(`.map-pin.county[title^="兰陵县："]`).click();
    await page.getByTestId('map-sheet-zoom').click();
    await expect.poll(tier).toBe('town');
    await page.locator('.leaflet-control-zoom-out').click();
    await expect.poll(tier).toBe('county');
    await page.context().close();
  });

  it('opens a county platform’s map on its own towns, as before', async () => {
    await openMap('dispatcher');
    await page.locator('.map-pin').first().waitFor();
    expect(await tier()).toBe('town');
    expect(await page.locator('.map-pin.county').count()).toBe(0);
    expect(await page.getByTestId('map-home').count()).toBe(0);
    const lanlingTowns = [...openBy].filter(([code]) => code.startsWith('371324') && !code.endsWith('000000'));
    expect((await pins('.map-pin')).length).toBe(lanlingTowns.length);
    expect(await page.locator('.leaflet-control-attribution').textContent()).toContain('地点：Vonng/adcode（CC BY 4.0）');
    await page.context().close();
  });
});
