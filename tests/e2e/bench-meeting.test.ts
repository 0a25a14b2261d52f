import Database from 'better-sqlite3';
import { truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPage, phoneAs } from './app-page';
import { OUT, startOfflineRig, type OfflineRig, E2E_TIMEOUT_MS } from './rig';
import { cameraPhoto as cameraPhotoOn } from '../helpers/camera-photo';

// A facilitator holds a bench meeting where there is no signal: records the meeting with a
// photo, three appeals in a row (one solved on the spot) and a good idea. When the link
// returns, the town official sees the meeting, its appeals, the idea and the photo.

const APPEALS = [
  { text: '村北头机井的水泵坏了，浇不上麦子，请帮忙联系维修。', category: 'infra.water', kind: 'help' },
  { text: '村里低保名单一年没公示了，希望公开一下评定标准。', category: 'livelihood.social_security', kind: 'consultation' },
  { text: '村卫生室下午经常没人，老人拿药不方便。', category: 'livelihood.medical', kind: 'complaint', onSpot: '村医当场答应下午两点到五点坐诊，并在门口贴出值班表。' },
];
const IDEA = '在村委会门口设一个意见箱，每月板凳会集中答复。';

let rig: OfflineRig;
let server: OfflineRig['server'];
let browser: Browser;
let page: Page;
let app: OfflineRig['app'];
const photo = { before: 0, after: 0, preview: 0 };

/** A camera-like photo (tests/helpers/camera-photo.ts) made on a page of its own. */
async function cameraPhoto(browser: Browser, seed = 7, scale = 1): Promise<Buffer> {
  const scratch = await browser.newPage();
  try {
    return await cameraPhotoOn(scratch, { seed, scale });
  } finally {
    await scratch.close();
  }
}

beforeAll(async () => {
  rig = await startOfflineRig();
  ({ server, browser, page, app } = rig);
});

afterAll(() => rig?.close());

describe('a bench meeting with no signal', { timeout: E2E_TIMEOUT_MS }, () => {
  it('records the meeting, three appeals, a good idea and a photo offline', async () => {
    await page.goto(rig.proxy.url);
    await app.login('bench');
    await app.installShell();
    await rig.goOffline();
    await app.waitForLink('离线');

    const file = path.join(OUT, 'generated-photo.jpg');
    writeFileSync(file, await cameraPhoto(browser));

    await page.getByRole('link', { name: '板凳会', exact: true }).click();
    await page.getByTestId('meeting-new').click();
    await page.locator('input[name=attendees]').fill('18');
    await page.locator('input[name=place]').fill('村委会门前大槐树下');
    await page.locator('textarea[name=topics]').fill('春灌用水、低保公示、卫生室坐诊时间');
    await page.locator('input[name=photo]').setInputFiles(file);
    const item = page.getByTestId('attachment-item');
    await item.waitFor({ timeout: 30_000 });
    photo.before = Number(await item.getAttribute('data-original'));
    photo.after = Number(await item.getAttribute('data-size'));
    // The small preview made beside it (photos on a data budget): it travels too.
    photo.preview = Number(await item.getAttribute('data-preview'));
    console.log(`photo: ${photo.before} bytes as taken → ${photo.after} bytes stored (${((1 - photo.after / photo.before) * 100).toFixed(0)}% smaller)`);
    expect(photo.after).toBeLessThan(photo.before / 4);
    await page.getByRole('button', { name: '保存并开始记录诉求' }).click();

    // Three villagers in a row: the form stays, keeps the meeting, clears the rest.
    await page.getByTestId('meeting-record').click();
    for (const a of APPEALS) {
      await page.locator('select[name=category]').selectOption(a.category);
      await page.locator('select[name=kind]').selectOption(a.kind);
      await page.locator('input[name=anonymous]').check();
      await page.locator('textarea[name=description]').fill(a.text);
      if (a.onSpot) {
        await page.locator('input[name=solvedOnSpot]').check();
        await page.locator('textarea[name=onSpot]').fill(a.onSpot);
      }
      await page.getByRole('button', { name: '保存，记录下一件' }).click();
      await expect.poll(() => page.locator('textarea[name=description]').inputValue()).toBe('');
    }
    await expect.poll(() => page.getByTestId('meeting-context').textContent()).toContain('已记录 3 件');
    await page.getByTestId('meeting-done').click();

    await page.locator('textarea[name=idea]').fill(IDEA);
    await page.locator('input[name=adoptedNow]').check();
    await page.getByRole('button', { name: '保存金点子' }).click();
    await page.getByTestId('meeting-ideas').getByText(IDEA).waitFor();
    expect(await page.getByTestId('meeting-appeals').locator('a.row').count()).toBe(3);
    // The meeting, three appeals and the idea wait in the outbox; the photo's bytes wait beside.
    await expect.poll(() => app.pendingCount()).toBe(5);
    expect(Number(await page.getByTestId('sync-upload').getAttribute('data-bytes'))).toBe(photo.after + photo.preview);
    await page.screenshot({ path: path.join(OUT, 'e2e-bench-meeting-offline.png'), fullPage: true });
  });

  it('sends everything, photo included, when the link returns', async () => {
    await rig.goOnline();
    await app.waitForLink('在线');
    await expect.poll(() => app.pendingCount(), { timeout: 30_000 }).toBe(0);
    await page.getByTestId('sync-upload').waitFor({ state: 'detached', timeout: 60_000 });

    const db = new Database(path.join(server.dataDir, 'minsheng.sqlite'), { readonly: true });
    try {
      const meeting = db.prepare('SELECT id, attendees, ideas, adopted FROM meetings').all() as { id: string; attendees: number; ideas: number; adopted: number }[];
      expect(meeting).toEqual([expect.objectContaining({ attendees: 18, ideas: 1, adopted: 1 })]);
      const appeals = db.prepare('SELECT status, on_spot, channel FROM appeals WHERE meeting_id = ? ORDER BY created_at').all(meeting[0]!.id);
      expect(appeals).toEqual([
        { status: 'new', on_spot: 0, channel: 'bench_meeting' },
        { status: 'new', on_spot: 0, channel: 'bench_meeting' },
        { status: 'replied', on_spot: 1, channel: 'bench_meeting' },
      ]);
      expect(db.prepare('SELECT size FROM files ORDER BY size').all()).toEqual([{ size: photo.preview }, { size: photo.after }]);
    } finally {
      db.close();
    }
  });

  it('shows the town official the meeting per village, its appeals, idea and photo', async () => {
    const townCtx = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'zh-CN' });
    const town = appPage(await townCtx.newPage());
    await town.page.goto(server.url);
    await town.login('town');
    await town.page.getByRole('link', { name: '板凳会', exact: true }).click();
    const perVillage = town.page.getByTestId('meetings-per-village');
    await perVillage.locator('tbody tr').first().getByRole('cell').first().filter({ hasText: '1' }).waitFor({ timeout: 30_000 });
    await town.page.getByTestId('meetings').locator('a').first().click();
    await town.page.getByTestId('meeting-ideas').getByText(IDEA).waitFor();
    expect(await town.page.getByTestId('idea-state').textContent()).toContain('已采纳');
    expect(await town.page.getByTestId('meeting-appeals').locator('a.row').count()).toBe(3);
    // The photo is fetched once from the server and shown.
    await town.page.getByTestId('attachment-view').locator('img').waitFor({ timeout: 30_000 });
    await town.page.screenshot({ path: path.join(OUT, 'e2e-bench-meeting-town.png'), fullPage: true });
    await townCtx.close();
  });

  it('refuses bad files with a clear message, and saves the text when the phone is full', async () => {
    await page.getByRole('link', { name: /登记诉求/ }).click();
    const problems = page.getByTestId('attachment-problem');
    await page.locator('input[name=photo]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') });
    await expect.poll(() => problems.first().textContent()).toContain('不能附加“notes.txt”');
    await page.locator('input[name=photo]').setInputFiles({ name: 'empty.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(0) });
    await expect.poll(() => problems.first().textContent()).toContain('空文件');
    // A file on disk, not a buffer: 21 MiB pushed through the DevTools protocol as base64 took most of this test's time.
    const long = path.join(OUT, 'long.mp4');
    writeFileSync(long, '');
    truncateSync(long, 21 * 1024 * 1024);
    await page.locator('input[name=video]').setInputFiles(long);
    await expect.poll(() => problems.first().textContent()).toContain('太大');
    expect(await page.getByTestId('attachment-item').count()).toBe(0);

    // The device runs out of room for the photo's bytes, not for the appeal.
    await page.evaluate(() => {
      const add = IDBObjectStore.prototype.add;
      IDBObjectStore.prototype.add = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
        if (this.name === 'files') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return add.apply(this, args);
      };
    });
    // Another photo: the meeting's is already stored, and a stored file is never written twice.
    const second = path.join(OUT, 'generated-photo-2.jpg');
    writeFileSync(second, await cameraPhoto(browser, 11));
    await page.locator('input[name=photo]').setInputFiles(second);
    await page.getByTestId('attachment-item').waitFor({ timeout: 30_000 });
    await page.locator('select[name=category]').selectOption('infra.roads');
    await page.locator('select[name=kind]').selectOption('help');
    await page.locator('input[name=anonymous]').check();
    await page.locator('textarea[name=description]').fill('村南小桥护栏松动，附照片。');
    await page.getByRole('button', { name: '保存' }).click();
    await expect.poll(() => page.getByTestId('toast').textContent()).toContain('诉求已保存，但手机存储已满');
    await page.getByTestId('appeal-list').getByText('村南小桥护栏松动').waitFor();
  });

  it('keeps each next step in view on a 360×640 phone: the record button, the next villager’s first field, and no toast over 记录完毕', async () => {
    const phone = await phoneAs(browser, server.url, 'bench');
    type Box = { x: number; y: number; width: number; height: number };
    const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    /** The strip of the screen not under the sticky header nor the bottom tab bar. */
    const visibleStrip = () => phone.evaluate(() => {
      const header = document.querySelector('header')?.getBoundingClientRect().bottom ?? 0;
      const bar = document.querySelector('[data-testid=tab-bar]');
      const fixedBar = bar && getComputedStyle(bar).position === 'fixed' ? bar.getBoundingClientRect().top : innerHeight;
      return { top: Math.max(0, header), bottom: Math.min(innerHeight, fixedBar) };
    });
    const inStrip = async (box: Box | null) => {
      const strip = await visibleStrip();
      return !!box && box.y >= strip.top && box.y + box.height <= strip.bottom;
    };

    await phone.evaluate(() => (location.hash = '#/meetings/new'));
    await phone.locator('input[name=attendees]').fill('12');
    await phone.locator('input[name=place]').fill('村委会院内');
    await phone.locator('textarea[name=topics]').fill('冬季取暖、村道照明、\n新农合缴费、\n村里的垃圾清运时间');
    // A photo of the meeting, as facilitators take one: the meeting page shows it above its appeals.
    const file = path.join(OUT, 'generated-photo-phone.jpg');
    writeFileSync(file, await cameraPhoto(browser, 3, 0.4));
    await phone.locator('input[name=photo]').setInputFiles(file);
    await phone.getByTestId('attachment-item').waitFor({ timeout: 30_000 });
    await phone.getByRole('button', { name: '保存并开始记录诉求' }).click();
    // The meeting page opens with its primary action on screen, no scrolling needed.
    const record = phone.getByTestId('meeting-record');
    await record.waitFor();
    expect(await inStrip(await record.boundingBox())).toBe(true);
    await phone.screenshot({ path: path.join(OUT, 'e2e-bench-meeting-phone-arrival.png') });
    const toastOnArrival = await phone.getByTestId('toast').boundingBox();
    if (toastOnArrival) expect(overlap(toastOnArrival, (await record.boundingBox())!)).toBe(false);

    await record.click();
    await phone.locator('select[name=category]').selectOption('infra.roads');
    await phone.locator('select[name=kind]').selectOption('help');
    await phone.locator('input[name=anonymous]').check();
    await phone.locator('textarea[name=description]').fill('村东头路灯坏了三盏，晚上出门看不见。');
    await phone.getByRole('button', { name: '保存，记录下一件' }).click();
    await expect.poll(() => phone.locator('textarea[name=description]').inputValue()).toBe('');

    // The next villager starts at the top: the form's first field has the focus and is in view.
    const first = phone.locator('main form').locator('input:not([type=hidden]):not(:disabled), select:not(:disabled), textarea:not(:disabled)').first();
    await expect.poll(() => first.evaluate((el) => el === document.activeElement)).toBe(true);
    await expect.poll(async () => inStrip(await first.boundingBox())).toBe(true);
    const toast = phone.getByTestId('toast');
    await expect.poll(() => toast.textContent()).toContain('已保存第 1 件');
    // The toast is fixed on the screen: it covers neither the first field nor, with the page
    // scrolled to its end, 记录完毕.
    const toastBox = (await toast.boundingBox())!;
    expect(overlap(toastBox, (await first.boundingBox())!)).toBe(false);
    await phone.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const done = phone.getByTestId('meeting-done');
    await expect.poll(async () => inStrip(await done.boundingBox())).toBe(true);
    expect(overlap(toastBox, (await done.boundingBox())!)).toBe(false);
    if (await toast.isVisible()) expect(overlap((await toast.boundingBox())!, (await done.boundingBox())!)).toBe(false);
    await phone.screenshot({ path: path.join(OUT, 'e2e-bench-meeting-phone-next.png') });
    await phone.context().close();
  });
});
