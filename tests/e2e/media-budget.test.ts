import { truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPage, phoneAs } from './app-page';
import { OUT, startOfflineRig, type OfflineRig, E2E_TIMEOUT_MS } from './rig';
import { cameraPhoto as cameraPhotoOn } from '../helpers/camera-photo';

// Photos on a data budget, on a 360×640 phone: a photo attached with no signal keeps a small
// preview beside it; online, the preview reaches the server with the appeal while the
// original waits for WLAN; the town official asks for the original from the appeal page,
// and the grid worker's phone sends it. A video over the limit is refused when picked.

const DESCRIPTION = '村东头小桥护栏被货车撞断，附现场照片。';

let rig: OfflineRig;
let page: Page;
let app: OfflineRig['app'];
let appealPath = '';
const hashes = { original: '', preview: '' };

/** A camera-like JPEG (2000×1500, noisy), made by Chromium itself. */
const cameraPhoto = (p: Page) => cameraPhotoOn(p, { scale: 0.5, shapes: false });

/** What the server answers a town official for a file (200: there and theirs to see; 404: not there). */
async function townDownload(hash: string): Promise<number> {
  const res = await fetch(`${rig.server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'town', password: 'demo1234' }) });
  const { token } = (await res.json()) as { token: string };
  return (await fetch(`${rig.server.url}/api/files/${hash}`, { headers: { authorization: `Bearer ${token}` } })).status;
}

beforeAll(async () => {
  rig = await startOfflineRig();
  ({ page, app } = rig);
  await page.setViewportSize({ width: 360, height: 640 });
});

afterAll(() => rig?.close());

describe('photos on a data budget', { timeout: E2E_TIMEOUT_MS }, () => {
  it('logs in, installs the shell and chooses "only WLAN" for originals', async () => {
    await page.goto(rig.proxy.url);
    await app.login('grid');
    await app.installShell();
    await app.go('设置');
    await page.getByTestId('original-upload').getByLabel('仅 WLAN').check();
    await expect.poll(() => page.getByTestId('original-upload').getByLabel('仅 WLAN').isChecked()).toBe(true);
  });

  it('refuses a video over the limit and a photo the phone has no room for when picked, and keeps nothing', async () => {
    await app.go(/登记诉求/);
    const long = path.join(OUT, 'media-budget-long.mp4');
    writeFileSync(long, '');
    truncateSync(long, 21 * 1024 * 1024);
    await page.locator('input[name=video]').setInputFiles(long);
    const problem = page.getByTestId('attachment-problem').first();
    await expect.poll(() => problem.textContent()).toMatch(/media-budget-long\.mp4.*太大（21(\.0)? MB）.*20(\.0)? MB/);
    expect(await page.getByTestId('attachment-item').count()).toBe(0);

    // A phone with no room left says so when the photo is picked, not when the appeal is saved.
    await page.evaluate(() => {
      const storage = navigator.storage as StorageManager & { realEstimate?: StorageManager['estimate'] };
      storage.realEstimate = storage.estimate.bind(storage);
      storage.estimate = async () => ({ usage: 990_000, quota: 1_000_000 });
    });
    await page.locator('input[name=photo]').setInputFiles({ name: 'full.jpg', mimeType: 'image/jpeg', buffer: await cameraPhoto(page) });
    await expect.poll(() => problem.textContent(), { timeout: 20_000 }).toMatch(/手机存储空间不足（剩余 9\.8 kB），“full\.jpg”/);
    expect(await page.getByTestId('attachment-item').count()).toBe(0);
    await page.evaluate(() => {
      const storage = navigator.storage as StorageManager & { realEstimate?: StorageManager['estimate'] };
      storage.estimate = storage.realEstimate!;
    });
  });

  it('attaches a photo offline: the preview is made beside it and the original waits for WLAN', async () => {
    await rig.goOffline();
    await app.waitForLink('离线');
    await page.locator('input[name=photo]').setInputFiles({ name: 'bridge.jpg', mimeType: 'image/jpeg', buffer: await cameraPhoto(page) });
    const item = page.getByTestId('attachment-item');
    await item.waitFor({ timeout: 20_000 });
    const preview = Number(await item.getAttribute('data-preview'));
    const stored = Number(await item.getAttribute('data-size'));
    console.log(`photo: ${stored} bytes stored, preview ${preview} bytes (${(stored / preview).toFixed(0)}× smaller)`);
    expect(preview).toBeGreaterThan(0);
    expect(preview).toBeLessThanOrEqual(40 * 1024);
    expect(preview).toBeLessThan(stored);
    await expect.poll(() => item.textContent()).toContain('预览图');

    await page.locator('select[name=category]').selectOption('infra.roads');
    await page.locator('select[name=kind]').selectOption('help');
    await page.locator('input[name=anonymous]').check();
    await page.locator('textarea[name=description]').fill(DESCRIPTION);
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('appeal-list').getByText(DESCRIPTION.slice(0, 12)).click();
    const view = page.getByTestId('attachment-view');
    await view.waitFor();
    hashes.original = (await view.getAttribute('data-hash'))!;
    hashes.preview = (await view.getAttribute('data-preview'))!;
    expect(hashes.preview).toMatch(/^[0-9a-f]{64}$/);
    appealPath = new URL(page.url()).hash;
    await expect.poll(() => page.getByTestId('attachment-held').textContent()).toBe('原图等待 WLAN');
    await page.getByTestId('attachment-upload-now').waitFor();
    await page.screenshot({ path: path.join(OUT, 'e2e-media-budget-held.png'), fullPage: true });
  });

  it('online, the preview reaches the server with the appeal and the original stays on the phone', async () => {
    await rig.goOnline();
    await app.waitForLink('在线');
    await expect.poll(() => townDownload(hashes.preview), { timeout: 20_000 }).toBe(200);
    expect(await townDownload(hashes.original)).toBe(404);
    await expect.poll(() => page.getByTestId('attachment-held').textContent()).toBe('原图等待 WLAN');
  });

  it('the town official sees the preview, requests the original, and the phone sends it', async () => {
    const town = await phoneAs(rig.browser, rig.proxy.url, 'town');
    await town.goto(`${rig.proxy.url}/${appealPath}`);
    const view = town.getByTestId('attachment-view');
    await expect.poll(() => view.getAttribute('data-showing'), { timeout: 20_000 }).toBe('preview');
    await town.getByTestId('attachment-preview-note').waitFor();
    await town.getByTestId('attachment-request').click();
    await town.getByTestId('attachment-requested').waitFor();
    await town.screenshot({ path: path.join(OUT, 'e2e-media-budget-town.png'), fullPage: true });

    // The grid worker's phone hears of the request and sends the original on the same link.
    await expect.poll(() => townDownload(hashes.original), { timeout: 25_000 }).toBe(200);
    await expect.poll(() => page.getByTestId('attachment-view').getAttribute('data-upload')).toBe('none');
    await town.reload();
    await expect.poll(() => town.getByTestId('attachment-view').getAttribute('data-showing'), { timeout: 15_000 }).toBe('original');
    await town.context().close();
  });

  it('Settings shows the data the app used this month', async () => {
    await appPage(page).go('设置');
    const line = page.getByTestId('data-usage-this');
    await expect.poll(async () => Number(await line.getAttribute('data-bytes'))).toBeGreaterThan(0);
    expect(await line.textContent()).toMatch(/发送 .+，接收 .+，合计 .+/);
    await page.screenshot({ path: path.join(OUT, 'e2e-media-budget-settings.png'), fullPage: true });
  });
});
