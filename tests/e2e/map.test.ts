import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUT, startOfflineRig, type OfflineRig, E2E_TIMEOUT_MS } from './rig';

// The map from the local store, with no signal: a marker per town with its open count and
// urgency as icon and number, then per village, then single appeals.

let rig: OfflineRig;
let page: Page;
const tier = () => page.getByTestId('map-tier').getAttribute('data-tier');

beforeAll(async () => {
  rig = await startOfflineRig();
  page = rig.page;
});
afterAll(() => rig?.close());

describe('the map', { timeout: E2E_TIMEOUT_MS }, () => {
  it('shows the village worker’s open appeals on town, village and appeal tiers, offline', async () => {
    await page.goto(rig.proxy.url);
    await rig.app.login('grid');
    await rig.app.installShell();
    await rig.app.record('村东头变压器冒烟，全村停电，请马上来人。', { category: 'infra.power', kind: 'help' });
    await page.getByRole('link', { name: /登记诉求/ }).click();
    await page.locator('select[name=category]').selectOption('infra.roads');
    await page.locator('select[name=kind]').selectOption('complaint');
    await page.locator('input[name=urgency][value=red]').check();
    await page.locator('input[name=anonymous]').check();
    await page.locator('textarea[name=description]').fill('村口桥面塌了一个大坑，车辆无法通过。');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('appeal-list').getByText('村口桥面塌了').waitFor();

    await rig.goOffline();
    await page.goto('about:blank');
    await page.goto(`${rig.proxy.url}/#/map`);
    await page.getByTestId('map').waitFor();
    expect(await tier()).toBe('town');
    const pin = page.locator('.map-pin');
    await pin.first().waitFor();
    expect(await pin.count()).toBe(1);
    // Red is the worst open urgency: the icon and the count say it, not only the colour.
    expect(await pin.first().getAttribute('class')).toContain('red');
    expect((await pin.first().textContent())?.trim()).toMatch(/2$/);
    expect(await pin.first().getAttribute('title')).toContain('未办结 2');
    // Hot spots: an image drawn on the device, no tiles, no network.
    await page.getByTestId('map-filters-toggle').click();
    await page.locator('input[name=heat]').check();
    await page.locator('img.heat').waitFor({ state: 'attached' });
    expect(await page.locator('img.heat').getAttribute('src')).toMatch(/^data:image\/png/);
    await page.screenshot({ path: path.join(OUT, 'e2e-map-town.png') });

    // A tap shows the town's details; zooming in is one more tap.
    await pin.first().click();
    await page.getByTestId('map-sheet').getByRole('heading').waitFor();
    await page.getByTestId('map-sheet-zoom').click();
    await expect.poll(tier).toBe('village');
    await page.locator('.map-pin').first().click();
    await page.getByTestId('map-sheet-zoom').click();
    await expect.poll(tier).toBe('appeal');
    // Close together, the two appeals form one cluster; tapping it zooms until they part.
    const cluster = page.locator('.map-pin.cluster');
    if ((await cluster.count()) > 0) {
      expect((await cluster.first().textContent())?.trim()).toBe('2');
      await cluster.first().click();
      await expect.poll(() => cluster.count()).toBe(0);
    }
    await page.screenshot({ path: path.join(OUT, 'e2e-map-appeals.png') });
    // Filters: only red ones.
    await page.locator('select[name=urgency]').selectOption('red');
    await expect.poll(() => page.getByTestId('map-tier').textContent()).toContain('1 件');
  });

  it('sets an appeal’s place by tapping the offline map while recording', async () => {
    await page.goto(`${rig.proxy.url}/#/new`);
    await page.locator('textarea[name=description]').fill('河堤边的护栏被冲走了，孩子上学经过很危险。');
    await page.locator('select[name=category]').selectOption('infra.roads');
    await page.locator('select[name=kind]').selectOption('help');
    await page.locator('input[name=anonymous]').check();
    await page.getByTestId('pick-on-map').click();
    const picker = page.getByTestId('point-picker');
    await picker.waitFor();
    await page.getByRole('button', { name: '使用此位置' }).isDisabled();
    const box = (await picker.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.getByText(/已选：北纬/).waitFor();
    await page.getByRole('button', { name: '使用此位置' }).click();
    await page.getByTestId('gps-state').filter({ hasText: '已在地图上选点' }).waitFor();
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('appeal-list').getByText('河堤边的护栏').waitFor();
    const saved = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve) => {
        const r = indexedDB.open('minsheng');
        r.onsuccess = () => resolve(r.result);
      });
      return new Promise<{ lat: number | null; lng: number | null }[]>((resolve) => {
        const r = db.transaction('appeals').objectStore('appeals').getAll();
        r.onsuccess = () => resolve((r.result as { title: string; lat: number | null; lng: number | null }[]).filter((a) => a.title.startsWith('河堤边')));
      });
    });
    // A point inside Lanling, in WGS84.
    expect(saved).toHaveLength(1);
    expect(saved[0]!.lat).toBeGreaterThan(34.5);
    expect(saved[0]!.lat).toBeLessThan(35.2);
    expect(saved[0]!.lng).toBeGreaterThan(117.6);
    expect(saved[0]!.lng).toBeLessThan(118.3);
  });

  it('lets an administrator drag a town to where it really is', async () => {
    await rig.goOnline();
    const ctx = await rig.browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'zh-CN' });
    const admin = await ctx.newPage();
    await admin.goto(`${rig.server.url}/#/map`);
    await admin.locator('input[name=username]').fill('admin');
    await admin.locator('input[name=password]').fill('demo1234');
    await admin.getByRole('button', { name: '登录' }).click();
    await admin.locator('.map-pin').first().waitFor();
    await admin.getByTestId('map-filters-toggle').click();
    await admin.locator('input[name=correcting]').check();
    // Correcting makes the pins draggable, which draws them again, and so does each page of the
    // administrator's first sync: a pin measured just before a redraw is gone when the finger
    // lands. Once a drag has begun the map holds its redraws until the drop; before, a person
    // simply tries again, and so does this test (at most three times).
    const pin = admin.locator('.map-pin').first();
    const toast = admin.getByTestId('toast');
    for (let attempt = 1; ; attempt++) {
      let box: { x: number; y: number; width: number; height: number } | null = null;
      await expect.poll(async () => (box = await pin.boundingBox()) !== null).toBe(true);
      const { x, y, width, height } = box!;
      await admin.mouse.move(x + width / 2, y + height / 2);
      await admin.mouse.down();
      await admin.mouse.move(x + width / 2 + 40, y + height / 2 + 30, { steps: 8 });
      await admin.mouse.up();
      const corrected = await expect
        .poll(async () => ((await toast.count()) > 0 ? await toast.first().textContent() : ''), { timeout: 4_000 })
        .toContain('已校正')
        .then(() => true, () => false);
      if (corrected || attempt === 3) {
        expect(corrected).toBe(true);
        break;
      }
    }
    const token = await admin.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((resolve) => {
        const r = indexedDB.open('minsheng');
        r.onsuccess = () => resolve(r.result);
      });
      return new Promise<string>((resolve) => {
        const r = db.transaction('meta').objectStore('meta').get('session');
        r.onsuccess = () => resolve((r.result as { value: { token: string } }).value.token);
      });
    });
    const { corrections } = (await (await fetch(`${rig.server.url}/api/places`, { headers: { authorization: `Bearer ${token}` } })).json()) as { corrections: Record<string, { lat: number }> };
    expect(Object.keys(corrections)).toEqual(['371324101000']);
    await ctx.close();
  });
});
