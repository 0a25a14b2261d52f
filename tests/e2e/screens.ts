import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';

// Screenshots for docs/screenshots, reusable by any test that has a signed-in phone (360×640):
// the map at county zoom (heat on, names on the pins) and zoomed into the busiest town's villages.

const tierOf = (page: Page) => page.getByTestId('map-tier').getAttribute('data-tier');
async function until(what: () => Promise<boolean>, label: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await what()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`shootMap: ${label}`);
}

/**
 * Opens the map on the signed-in page and saves `map-county.png` and `map-village.png` into
 * `dir`. Leaves the page on the map at the village tier with the heat layer on.
 */
export async function shootMap(page: Page, dir: string, { heat = true }: { heat?: boolean } = {}): Promise<{ county: string; village: string }> {
  mkdirSync(dir, { recursive: true });
  const base = page.url().split('#')[0];
  await page.goto(`${base}#/map`);
  await page.locator('.map-pin').first().waitFor();
  // Whichever tier the map opened on (a city starts on its counties), go to the county's towns.
  if ((await tierOf(page)) === 'county') {
    await page.locator('.map-pin').first().click();
    await page.getByTestId('map-sheet-zoom').click();
    await until(async () => (await tierOf(page)) === 'town', 'no town tier');
  }
  const toggle = page.getByTestId('map-filters-toggle');
  if (heat !== (await page.locator('input[name=heat]').isChecked())) {
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    await page.locator('input[name=heat]').setChecked(heat);
  }
  if ((await toggle.getAttribute('aria-expanded')) === 'true') await toggle.click();
  if (heat) await page.getByTestId('heat-legend').waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  // A passing notice (a toast) is not part of the picture.
  await page.getByTestId('toast').waitFor({ state: 'hidden', timeout: 15_000 }).catch(() => {});
  const county = path.join(dir, 'map-county.png');
  await page.screenshot({ path: county });

  // Into the town with the most: its villages, named.
  const counts = await page.locator('.map-pin').evaluateAll((els) => els.map((el) => Number(el.querySelector('b')?.textContent ?? 0)));
  const busiest = counts.indexOf(Math.max(...counts));
  await page.locator('.map-pin').nth(busiest).click();
  await page.getByTestId('map-sheet-zoom').click();
  await until(async () => (await tierOf(page)) === 'village', 'no village tier');
  await page.locator('.map-pin').first().waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.getByTestId('toast').waitFor({ state: 'hidden', timeout: 15_000 }).catch(() => {});
  const village = path.join(dir, 'map-village.png');
  await page.screenshot({ path: village });
  return { county, village };
}
