import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedGeneratedAppeals } from '../../bench/seed-store';
import { ensureSeeded } from '../../server/services/seed';
import { openSqliteStore } from '../../server/store/sqlite';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { isOpen } from '../../src/core/fold';
import { townOf } from '../../src/core/regions';
import { tempDir } from '../helpers/server';
import { OUT, startOfflineRig, type OfflineRig } from './rig';

// The city dispatcher's map with a county's backlog spread over all of Lanling's towns, on
// a desktop, with no signal: one marker per town with that town's count, then its villages,
// then single appeals in clusters.

const COUNT = 600;
let rig: OfflineRig;
let page: Page;
/** Open appeals per town, counted from the server's own rows: what the map must show. */
const openByTown = new Map<string, number>();
const townNames = new Map<string, string>();
const tier = () => page.getByTestId('map-tier').getAttribute('data-tier');

beforeAll(async () => {
  const dataDir = tempDir();
  const store = openSqliteStore(dataDir);
  await ensureSeeded(store, '371324');
  const regions = await store.regionsUnder(['371324']);
  const official = (await store.userByUsername('town'))!;
  await seedGeneratedAppeals(store, {
    count: COUNT,
    villages: regions.filter((r) => r.level === 'village'),
    seed: 5,
    official: { id: official.id, name: official.displayName },
    // Within the week a county desk's phone keeps (src/core/holdings.ts), so all of it is there offline.
    from: Date.now() - 5 * 86_400_000,
    policy: POLICY_PRESETS.lanling,
  });
  for (const r of regions) if (r.level === 'town') townNames.set(r.code, r.name);
  for (const row of await store.appealRows()) if (isOpen(row.status)) openByTown.set(townOf(row.village), (openByTown.get(townOf(row.village)) ?? 0) + 1);
  await store.close();
  rig = await startOfflineRig({ dataDir });
  page = rig.page;
  await page.setViewportSize({ width: 1280, height: 860 });
});
afterAll(() => rig?.close());

/** One per tier; docs/screenshots/map-*.png are copies of these. */
const shoot = (tier: string) => page.screenshot({ path: path.join(OUT, `e2e-map-city-${tier}.png`) });

describe('the city map, offline', () => {
  it('shows one marker per town with its open count, then villages, then clustered appeals', { timeout: 120_000 }, async () => {
    expect(openByTown.size).toBeGreaterThan(10);
    await page.goto(rig.proxy.url);
    await rig.app.login('dispatcher');
    await rig.app.installShell();
    // The whole backlog (this week's, which a county desk keeps) reaches the desktop before the link goes.
    const stored = () =>
      page.evaluate(async () => {
        const db = await new Promise<IDBDatabase>((resolve) => {
          const r = indexedDB.open('minsheng');
          r.onsuccess = () => resolve(r.result);
        });
        return new Promise<number>((resolve) => {
          const r = db.transaction('appeals').objectStore('appeals').count();
          r.onsuccess = () => resolve(r.result);
        });
      });
    await expect
      .poll(stored, { timeout: 60_000 })
      .toBe(COUNT)
      .catch(async (err: Error) => {
        throw new Error(`${err.message}\nsync: ${await page.getByTestId('sync-link').textContent()}\nserver:\n${rig.server.output().slice(-3000)}`);
      });
    await rig.goOffline();
    await page.goto('about:blank');
    await page.goto(`${rig.proxy.url}/#/map`);
    await page.locator('.map-pin').first().waitFor();
    expect(await tier()).toBe('town');

    const pins = await page.locator('.map-pin').evaluateAll((els) => els.map((el) => ({ title: el.getAttribute('title') ?? '', count: el.querySelector('b')?.textContent ?? '' })));
    expect(pins).toHaveLength(openByTown.size);
    const shown = new Map(pins.map((p) => [p.title.split('：')[0], p]));
    for (const [town, open] of openByTown) {
      const pin = shown.get(townNames.get(town));
      expect(pin, townNames.get(town)).toBeDefined();
      expect(pin!.count).toBe(String(open));
      expect(pin!.title).toContain(`未办结 ${open}`);
    }
    await shoot('town');

    // Into the town with the most open appeals: its villages.
    const [busiest] = [...openByTown].sort((a, b) => b[1] - a[1])[0]!;
    await page.locator(`.map-pin[title^="${townNames.get(busiest)}："]`).click();
    await page.getByTestId('map-sheet-zoom').click();
    await expect.poll(tier).toBe('village');
    const villagePins = page.locator('.map-pin');
    await villagePins.first().waitFor();
    expect(await villagePins.count()).toBeGreaterThan(1);
    await shoot('village');

    // Into the village with the most (pins may overlap a little where villages have no known
    // point: a tap goes to the one on top): single appeals, clustered where they sit together.
    const view = (await page.getByTestId('map').boundingBox())!;
    const inView = await villagePins.evaluateAll((els, v) => els.map((el) => ({ r: el.getBoundingClientRect(), n: Number(el.querySelector('b')?.textContent) })).map(({ r, n }) => ({ x: r.x + r.width / 2, y: r.y + r.height / 2, n })).filter((p) => p.x > v.x + 60 && p.x < v.x + v.width - 30 && p.y > v.y + 30 && p.y < v.y + v.height - 30), view);
    const target = inView.sort((a, b) => b.n - a.n)[0]!;
    await page.mouse.click(target.x, target.y);
    await page.getByTestId('map-sheet-zoom').click();
    await expect.poll(tier).toBe('appeal');
    await page.locator('.leaflet-interactive').first().waitFor();
    await shoot('appeal');
    const clusters = page.locator('.map-pin.cluster');
    if ((await clusters.count()) > 0) {
      const zoom = () => page.getByTestId('map').getAttribute('data-zoom').then(Number);
      const before = { hash: await page.evaluate(() => location.hash), zoom: await zoom() };
      expect(Number(await clusters.first().textContent())).toBeGreaterThan(1);
      await clusters.first().click({ force: true });
      // Tapping a cluster zooms in until it parts; it does not open anything.
      await expect.poll(zoom).toBeGreaterThan(before.zoom);
      expect(await page.evaluate(() => location.hash)).toBe(before.hash);
    }
  });
});
