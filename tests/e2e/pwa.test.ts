import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/server';
import { OUT, ROOT, startOfflineRig, type OfflineRig, E2E_TIMEOUT_MS } from './rig';

// The installed app as a grid worker lives with it: opened once online, then every screen
// from the service worker with no network; a new version announced but never swapped in
// under unsaved input, and the unsent outbox carried across the update.

let rig: OfflineRig;
let page: Page;
let site: string;
let v2: string;
const ROUTES: [string, string][] = [
  ['#/', '我的诉求'],
  ['#/new', '登记诉求'],
  ['#/meetings', '板凳会'],
  ['#/meetings/new', '记录板凳会'],
  ['#/settings', '设置'],
  ['#/map', '诉求地图'],
];

/** Replaces what the server serves with another build, as a deployment does. */
function deploy(from: string): void {
  for (const f of readdirSync(site)) rmSync(path.join(site, f), { recursive: true, force: true });
  cpSync(from, site, { recursive: true });
}

beforeAll(async () => {
  site = tempDir('minsheng-site-');
  cpSync(path.join(ROOT, 'dist'), site, { recursive: true });
  // The next version: same code, another version string (and so other hashes and a new worker).
  v2 = tempDir('minsheng-v2-');
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', v2, '--emptyOutDir', '--logLevel', 'error'], { cwd: ROOT, env: { ...process.env, MINSHENG_BUILD: 'v2' } });
  rig = await startOfflineRig({ staticDir: site });
  page = rig.page;
}, 180_000);

afterAll(() => rig?.close());

const heading = (text: string) => page.getByRole('heading', { level: 1, name: text }).waitFor();

describe('the installed app', { timeout: E2E_TIMEOUT_MS }, () => {
  it('opens every screen offline from the service worker, and records', async () => {
    await page.goto(rig.proxy.url);
    await rig.app.login('grid');
    await rig.app.installShell();
    await rig.goOffline();
    for (const [route, title] of ROUTES) {
      // A fresh document each time: nothing but the service worker can answer.
      await page.goto('about:blank');
      await page.goto(`${rig.proxy.url}/${route}`);
      await heading(title);
    }
    await rig.app.waitForLink('离线');
    await page.screenshot({ path: path.join(OUT, 'e2e-pwa-settings-offline.png'), fullPage: true });
    await rig.app.record('村口水泥路裂缝越来越大，雨后有积水，请安排修补。');
    await expect.poll(() => rig.app.pendingCount()).toBe(1);
  });

  it('announces a new version, holds it while a form has input, and keeps the outbox across it', async () => {
    deploy(v2);
    // The network is back for pages, but the sync socket answers nothing: the outbox stays full.
    let socketAnswers = false;
    await page.routeWebSocket(/\/sync$/, (ws) => {
      if (socketAnswers) ws.connectToServer();
    });
    await rig.goOnline();
    await page.reload();
    await expect.poll(() => rig.app.pendingCount()).toBe(1);
    await page.goto(`${rig.proxy.url}/#/settings`);
    expect(await page.getByTestId('app-version').textContent()).toBe('0.1.0');
    await page.getByRole('button', { name: '检查更新' }).click();
    await page.getByTestId('update-banner').waitFor({ timeout: 30_000 });

    await page.getByRole('link', { name: /登记诉求/ }).click();
    await page.locator('textarea[name=description]').fill('还没说完的话');
    await page.getByRole('button', { name: '重新加载' }).click();
    await expect.poll(() => page.getByTestId('update-held').textContent()).toContain('未保存');
    expect(await page.getByTestId('app-version').count()).toBe(0);

    await page.locator('textarea[name=description]').fill('');
    await page.getByRole('button', { name: '重新加载' }).click();
    await page.waitForEvent('load', { timeout: 30_000 });
    await page.goto(`${rig.proxy.url}/#/settings`);
    await expect.poll(() => page.getByTestId('app-version').textContent(), { timeout: 30_000 }).toBe('0.1.0+v2');
    await expect.poll(() => rig.app.pendingCount()).toBe(1);

    // The socket answers again: the appeal recorded before the update reaches the server.
    socketAnswers = true;
    await page.reload();
    await rig.app.waitForLink('在线');
    await expect.poll(() => rig.app.pendingCount(), { timeout: 30_000 }).toBe(0);
  }, 90_000);

  it('warns plainly when the phone is nearly out of storage', async () => {
    const ctx = await rig.browser.newContext({ viewport: { width: 360, height: 640 }, locale: 'zh-CN' });
    // 980 MB of 1 GB used: what a phone full of photos and chat history reports.
    await ctx.addInitScript(() => {
      Object.defineProperty(navigator.storage, 'estimate', { value: async () => ({ usage: 980e6, quota: 1e9 }) });
    });
    const phone = await ctx.newPage();
    await phone.goto(`${rig.server.url}/#/settings`);
    await phone.locator('input[name=username]').fill('grid');
    await phone.locator('input[name=password]').fill('demo1234');
    await phone.getByRole('button', { name: '登录' }).click();
    await phone.getByTestId('storage-banner').waitFor();
    expect(await phone.getByTestId('storage-banner').textContent()).toContain('存储空间快满了');
    await phone.getByTestId('storage-warning').waitFor();
    expect(await phone.getByTestId('storage-used').textContent()).toContain('剩余');
    await ctx.close();
  });
});
