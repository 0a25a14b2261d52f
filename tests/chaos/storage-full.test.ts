import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startOfflineRig, type OfflineRig } from '../e2e/rig';

// The phone's storage runs out: from a chosen moment every IndexedDB write fails with the
// QuotaExceededError a full disk gives (Chromium's DevTools quota override is not honoured
// by the Chromium this runs on, so the page's IndexedDB is made to fail the same way).
// Saving says so plainly and keeps what was typed; everything saved before is intact; once
// space is freed, the same form saves.

let rig: OfflineRig;
let page: Page;

beforeAll(async () => {
  rig = await startOfflineRig();
  page = rig.page;
  await rig.context.addInitScript(() => {
    const w = window as unknown as { diskFull: boolean };
    w.diskFull = false;
    for (const method of ['add', 'put'] as const) {
      const original = IDBObjectStore.prototype[method];
      IDBObjectStore.prototype[method] = function (this: IDBObjectStore, ...args: Parameters<typeof original>) {
        if (w.diskFull) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return original.apply(this, args);
      };
    }
  });
});
const diskFull = (full: boolean) => page.evaluate((f) => ((window as unknown as { diskFull: boolean }).diskFull = f), full);
afterAll(() => rig?.close());

const titles = () => page.getByTestId('appeal-list').locator('a.row .title').allTextContents();

describe('storage full', () => {
  it('refuses a save with a clear message, damages nothing, and saves once space is back', { timeout: 90_000 }, async () => {
    await page.goto(rig.proxy.url);
    await rig.app.login('grid');
    const before = ['村东桥栏杆松动', '自来水浑浊发黄', '垃圾清运不及时'];
    for (const text of before) await rig.app.record(text);
    await rig.goOffline();

    await diskFull(true);

    await page.getByRole('link', { name: /登记诉求/ }).click();
    await page.locator('select[name=category]').selectOption('infra.roads');
    await page.locator('select[name=kind]').selectOption('help');
    await page.locator('input[name=citizenName]').fill('王大爷');
    const long = `村西头的路灯坏了一个多月，${'晚上出行很不方便，'.repeat(300)}`;
    await page.locator('textarea[name=description]').fill(long);
    await page.getByRole('button', { name: '保存' }).click();
    const alert = page.getByText('手机存储空间已满，诉求未保存');
    await alert.waitFor({ timeout: 20_000 });
    // What was typed is still in the form.
    expect(await page.locator('textarea[name=description]').inputValue()).toBe(long);

    // Space freed: the very form that was kept saves, with every character typed.
    await diskFull(false);
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('appeal-list').waitFor();
    await page.getByRole('link', { name: '我的诉求' }).click();
    const listed = await titles();
    expect(listed.length).toBe(before.length + 1);
    await page.getByTestId('appeal-list').locator('a.row').filter({ hasText: '村西头的路灯坏了' }).click();
    expect(await page.locator('.description').textContent()).toBe(long);

    // Nothing saved before was damaged: the list and each appeal's text read back whole.
    await page.goBack();
    for (const text of before) expect(listed.some((t) => t.includes(text))).toBe(true);
    for (const text of before) {
      await page.getByTestId('appeal-list').locator('a.row').filter({ hasText: text }).click();
      expect(await page.locator('.description').textContent()).toBe(text);
      await page.goBack();
    }
    console.log(`storage full: the save was refused with the message, the form kept ${long.length} characters and saved them all once space was back, ${before.length} earlier appeals intact`);
  });
});
