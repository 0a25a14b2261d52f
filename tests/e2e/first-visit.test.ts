import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { spawnServer, type ServerProcess } from '../helpers/server';

// A first visit on a slow link shows the login form from the small entry script alone: the
// app's chunk (Dexie, Yjs, sync and the screens) is fetched while the person types, and the
// form works whatever order things arrive in. Someone signed in goes straight to the app.

const ROOT = path.resolve(import.meta.dirname, '../..');
let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/index.html'))) throw new Error('Build the app first: npm run build (npm test does it)');
  server = await spawnServer({ MINSHENG_STATIC_DIR: process.env.MINSHENG_E2E_DIST ?? path.join(ROOT, 'dist') });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('first visit', () => {
  it('shows the login form before the app chunk arrives, refuses a wrong password, signs in, and reopens signed in', { timeout: 90_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 640 }, hasTouch: true });
    const page = await context.newPage();
    // Hold the session chunk (store, CRDT, sync) until the test lets it go.
    const held: Route[] = [];
    let holding = true;
    const requested: string[] = [];
    await context.route(/\/assets\/session\.svelte-[^/]+\.js$/, (route) => {
      requested.push(route.request().url());
      if (holding) held.push(route);
      else void route.continue();
    });
    await page.goto(server.url);
    await page.locator('input[name=username]').waitFor();
    expect(await page.getByRole('button', { name: '登录' }).isVisible()).toBe(true);

    // The person types while the chunk is still on its way; submitting waits for it.
    await page.locator('input[name=username]').fill('grid');
    await page.locator('input[name=password]').fill('wrong-password');
    await page.getByRole('button', { name: '登录' }).click();
    await expect.poll(() => held.length).toBeGreaterThan(0);
    holding = false;
    for (const route of held.splice(0)) await route.continue();
    await page.getByRole('alert').filter({ hasText: '用户名或密码错误' }).waitFor();
    // What was typed stays for a second try.
    expect(await page.locator('input[name=username]').inputValue()).toBe('grid');

    await page.locator('input[name=password]').fill('demo1234');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByTestId('tab-bar').waitFor();
    await page.getByTestId('sync-link').filter({ hasText: '在线' }).waitFor({ timeout: 30_000 });
    expect(requested.length).toBeGreaterThan(0);

    // Reopened: straight to the app, the login form never shown.
    let formSeen = false;
    await page.exposeFunction('formSeen', () => (formSeen = true));
    await page.addInitScript(() => {
      new MutationObserver(() => {
        if (document.querySelector('input[name=username]')) (window as unknown as { formSeen: () => void }).formSeen();
      }).observe(document, { childList: true, subtree: true });
    });
    await page.reload();
    await page.getByTestId('tab-bar').waitFor();
    expect(formSeen).toBe(false);

    // Signing out brings the form back, from within the app.
    await page.getByTestId('account-button').click();
    await page.getByRole('button', { name: '退出', exact: true }).click();
    await page.locator('input[name=username]').waitFor();
    await context.close();
  });
});
