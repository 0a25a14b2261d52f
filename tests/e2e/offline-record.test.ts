import Database from 'better-sqlite3';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUT, startOfflineRig, type OfflineRig, E2E_TIMEOUT_MS } from './rig';

// A grid worker loses signal, records an appeal, reloads the app with no network,
// then gets a link back: the appeal must reach the server's SQLite exactly once.

const DESCRIPTION = '村西桥头路灯坏了三个月，晚上孩子放学很危险，请尽快修复。';

let rig: OfflineRig;
let server: OfflineRig['server'];
let page: Page;
let app: OfflineRig['app'];
const pendingCount = () => app.pendingCount();
const waitForLink = (text: string) => app.waitForLink(text);
const goOffline = () => rig.goOffline();
const goOnline = () => rig.goOnline();

beforeAll(async () => {
  rig = await startOfflineRig();
  ({ server, page, app } = rig);
});

afterAll(() => rig?.close());

describe('recording an appeal offline', { timeout: E2E_TIMEOUT_MS }, () => {
  it('logs in and installs the offline shell', async () => {
    await page.goto(rig.proxy.url);
    await app.login('grid');
    // The service worker must control the page before the network goes away.
    await app.installShell();
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  });

  it('refuses an empty description with a message and saves nothing', async () => {
    await page.getByRole('link', { name: /登记诉求/ }).click();
    await page.locator('select[name=category]').selectOption('infra.power');
    await page.locator('select[name=kind]').selectOption('help');
    await page.locator('input[name=citizenName]').fill('王大爷');
    await page.getByRole('button', { name: '保存' }).click();
    await expect.poll(() => page.getByTestId('form-error').textContent()).toContain('请修改');
    await expect.poll(() => page.locator('#err-description').textContent()).toBe('必填');
    expect(await pendingCount()).toBe(0);
  });

  it('records while offline and keeps it across an offline reload', async () => {
    await goOffline();
    await waitForLink('离线');

    await page.locator('textarea[name=description]').fill(DESCRIPTION);
    await page.locator('input[name=citizenPhone]').fill('13905391234');
    await page.locator('input[name=urgency][value=orange]').check();
    await page.getByRole('button', { name: '保存' }).click();

    const list = page.getByTestId('appeal-list');
    await list.getByText(DESCRIPTION.slice(0, 20)).waitFor();
    await expect.poll(pendingCount).toBe(1);

    // No network at all: the shell must come from the service worker.
    await page.reload();
    await list.getByText(DESCRIPTION.slice(0, 20)).waitFor();
    await expect.poll(pendingCount).toBe(1);
    await waitForLink('离线');
    await page.screenshot({ path: path.join(OUT, 'e2e-offline-recorded.png'), fullPage: true });
  });

  it('sends it when the link returns, and the server stores it once', async () => {
    await goOnline();
    await waitForLink('在线');
    await expect.poll(pendingCount, { timeout: 30_000 }).toBe(0);
    await page.screenshot({ path: path.join(OUT, 'e2e-online-synced.png'), fullPage: true });

    const db = new Database(path.join(server.dataDir, 'minsheng.sqlite'), { readonly: true });
    try {
      const appeals = db.prepare('SELECT title, village, urgency, category, status FROM appeals').all() as Record<string, string>[];
      expect(appeals).toHaveLength(1);
      expect(appeals[0]).toMatchObject({ title: DESCRIPTION, urgency: 'orange', category: 'infra.power', status: 'new' });
      expect(appeals[0]!.village).toMatch(/^371324\d{6}$/);
      expect((db.prepare('SELECT count(*) AS n FROM updates').get() as { n: number }).n).toBe(1);
    } finally {
      db.close();
    }
  });

  it('switches the interface to English and back', async () => {
    await rig.app.switchLanguage('English');
    await page.getByRole('link', { name: 'My appeals' }).waitFor();
    await rig.app.switchLanguage('中文');
    await page.getByRole('link', { name: '我的诉求' }).waitFor();
  });
});
