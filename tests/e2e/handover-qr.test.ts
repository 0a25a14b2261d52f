import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM } from '../helpers/browser';
import { grayOnWhite, writeY4m, type RgbaFrame } from '../helpers/y4m';
import { appPage } from './app-page';
import { E2E_TIMEOUT_MS, OUT, startOfflineRig, type OfflineRig } from './rig';

// Issue 30, item 2, by QR: a grid worker with no signal shows her pending records as a QR
// sequence; the town official's phone films it and relays the bundle on its own link.
// Nothing is mocked between the two screens: the test reads each QR frame's pixels off the
// sender's canvas, writes them into a .y4m video, and a second Chromium plays that video as its
// camera, so the frames are encoded, displayed, captured and decoded for real.

const RECORDS = ['离线交接第1件：村东头水井的抽水泵坏了，全组二十户吃水困难。', '离线交接第2件：通往小学的村道塌了一个坑，雨天孩子绕行危险。'];
const VIDEO = path.join(OUT, 'handover-qr.y4m');
/** Camera-sized frame with the QR in the middle, as a phone held over another would see it. */
const [VIDEO_W, VIDEO_H] = [640, 480];
/** Video frames per QR frame at 10 fps: the sender's default 5 codes a second. */
const REPEAT = 2;

let rig: OfflineRig;
let camBrowser: Browser | undefined;
let grid: ReturnType<typeof appPage>;

function serverDb<T>(read: (db: Database.Database) => T): T {
  const db = new Database(path.join(rig.server.dataDir, 'minsheng.sqlite'), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}
const appealsWith = (text: string) => serverDb((db) => (db.prepare('SELECT count(*) AS n FROM appeals WHERE title = ?').get(text) as { n: number }).n);

/** One frame off the sender's canvas as it plays: its index and its pixels as gray levels. */
async function grabFrame(page: Page): Promise<{ index: number; total: number; side: number; gray: string }> {
  return page.getByTestId('qr-send-canvas').evaluate((canvas: HTMLCanvasElement) => {
    const ctx = canvas.getContext('2d')!;
    const side = canvas.width;
    const { data } = ctx.getImageData(0, 0, side, side);
    let gray = '';
    for (let i = 0; i < data.length; i += 4) gray += String.fromCharCode(data[i]!);
    return { index: Number(canvas.dataset.index), total: Number(canvas.dataset.total), side, gray: btoa(gray) };
  });
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  rig = await startOfflineRig();
  grid = rig.app;
});

afterAll(async () => {
  await camBrowser?.close();
  await rig?.close();
});

describe('hand-over by animated QR', { timeout: E2E_TIMEOUT_MS }, () => {
  it('a grid worker with no signal shows her pending records as a QR sequence that goes on with mixed frames', async () => {
    const { page } = rig;
    await page.goto(rig.proxy.url);
    await grid.login('grid');
    await grid.installShell();
    // Online once on the hand-over page: the phone's signing key reaches the server.
    await page.evaluate(() => (location.hash = '#/handover'));
    await expect.poll(() => serverDb((db) => (db.prepare('SELECT count(*) AS n FROM device_keys').get() as { n: number }).n), { timeout: 15_000 }).toBeGreaterThan(0);

    await rig.goOffline();
    await grid.waitForLink('离线');
    for (const r of RECORDS) await grid.record(r);
    await expect.poll(grid.pendingCount).toBe(2);

    await page.evaluate(() => (location.hash = '#/handover'));
    await page.getByTestId('handover-make').click();
    await page.getByTestId('handover-made').waitFor();
    await page.getByTestId('qr-send-open').click();
    const canvas = page.getByTestId('qr-send-canvas');
    await expect.poll(() => canvas.getAttribute('data-index')).not.toBeNull();

    // Catch frames as they play, as a camera would. The plain frame 0 is left out of the video
    // on purpose: the receiver must rebuild it from the mixed frames that follow the plain ones.
    const frames = new Map<number, RgbaFrame>();
    let total = 0;
    const deadline = Date.now() + 25_000;
    // 12 frames to spare: each one past the missing count fails to help with odds of one half.
    while ((total === 0 || frames.size < total + 12) && Date.now() < deadline) {
      const f = await grabFrame(page);
      total = f.total;
      if (f.index !== 0 && !frames.has(f.index)) frames.set(f.index, grayOnWhite(new Uint8Array(Buffer.from(f.gray, 'base64')), f.side, f.side, VIDEO_W, VIDEO_H));
    }
    expect(total).toBeGreaterThan(1); // a real sequence, not one code
    expect(frames.size).toBe(total + 12);
    expect([...frames.keys()].filter((i) => i >= total).length).toBeGreaterThanOrEqual(13); // mixed frames
    await expect.poll(() => page.getByTestId('qr-send-count').textContent()).toMatch(/^补充码 \d+/);
    await page.screenshot({ path: path.join(OUT, 'e2e-handover-qr-send.png') });

    // Played in the order caught, looping: a receiver that starts mid-loop gets them out of order.
    const video: RgbaFrame[] = [];
    for (const frame of frames.values()) for (let k = 0; k < REPEAT; k++) video.push(frame);
    await writeY4m(VIDEO, video, 10);
  });

  it('says so plainly when the phone has no camera to scan with', async () => {
    // This Chromium has no camera, fake or real.
    const { page } = rig;
    await page.getByTestId('qr-scan-open').click();
    await expect.poll(() => page.getByTestId('qr-scan-problem').getAttribute('data-kind')).toMatch(/^(no-camera|denied)$/);
    expect(await page.getByTestId('qr-scan-problem').textContent()).toContain('改用文件交接');
  });

  it("the town official's camera reads it, one plain frame never seen, and her phone relays the exact bundle", async () => {
    camBrowser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${VIDEO}`],
    });
    const context = await camBrowser.newContext({ viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true, permissions: ['camera'] });
    const town = appPage(await context.newPage());
    await town.page.goto(rig.server.url);
    await town.login('town');
    await town.page.evaluate(() => (location.hash = '#/handover'));
    await town.page.getByTestId('qr-scan-open').click();

    const progress = town.page.getByTestId('qr-scan-progress');
    await expect.poll(() => progress.getAttribute('data-total'), { timeout: 20_000 }).not.toBe('0');
    await town.page.screenshot({ path: path.join(OUT, 'e2e-handover-qr-scanning.png') });
    await progress.filter({ hasText: '已全部收到' }).waitFor({ timeout: 20_000 });
    expect(await progress.getAttribute('data-got')).toBe(await progress.getAttribute('data-total'));
    // The camera is off once everything is in.
    expect(await town.page.locator('video').evaluate((v: HTMLVideoElement) => v.srcObject)).toBeNull();

    await expect.poll(() => town.page.getByTestId('handover-notice').textContent()).toContain('已收下 2 条');
    await town.page.screenshot({ path: path.join(OUT, 'e2e-handover-qr-scan.png') });
    // Relayed on the official's link: the server has both, once.
    for (const r of RECORDS) await expect.poll(() => appealsWith(r), { timeout: 20_000 }).toBe(1);
  });

  it('the grid phone syncing directly later adds no duplicate', async () => {
    await rig.goOnline();
    await grid.waitForLink('在线');
    await expect.poll(grid.pendingCount, { timeout: 30_000 }).toBe(0);
    for (const r of RECORDS) expect(appealsWith(r)).toBe(1);
  });
});
