import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { spawnServer, type ServerProcess } from '../helpers/server';
import { appPage } from './app-page';

// The app runs under its strict Content-Security-Policy: every screen a person visits,
// the service worker and the live co-editor, with no violation reported.

const ROOT = path.resolve(import.meta.dirname, '../..');
let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/index.html'))) throw new Error('Build the app first: npm run build (npm test does it)');
  server = await spawnServer({ MINSHENG_STATIC_DIR: path.join(ROOT, 'dist') });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('content security policy', () => {
  it('reports no violation anywhere in the app', { timeout: 60_000 }, async () => {
    const context = await browser.newContext({ serviceWorkers: 'allow' });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`Refused to: CSP ${e.violatedDirective} ${e.blockedURI}`));
    });
    const response = await page.goto(server.url);
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
    const app = appPage(page);
    await app.login('station');
    await app.installShell();
    await app.record('村口水塘护栏损坏，孩子上学经过很危险。', { category: 'infra.environment', channel: 'walk_in' });
    // Typing brings an explained category suggestion; one tap takes it.
    await page.getByRole('link', { name: /登记诉求/ }).click();
    await page.locator('textarea[name=description]').fill('村东头的路面塌陷了一大块，坑洼很深。');
    const suggestion = page.getByTestId('category-suggestions');
    await suggestion.getByText('道路交通').waitFor();
    expect(await suggestion.textContent()).toContain('路面');
    await suggestion.getByRole('button', { name: '采用' }).first().click();
    expect(await page.locator('select[name=category]').inputValue()).toBe('infra.roads');
    await page.getByRole('link', { name: '我的诉求' }).click();
    await page.getByTestId('appeal-list').locator('a.row').first().click();
    await page.getByTestId('timeline').waitFor();
    await page.getByRole('button', { name: '受理' }).click();
    await page.getByRole('button', { name: '确认' }).click();
    await page.getByTestId('detail-status').filter({ hasText: '已受理' }).waitFor();
    await page.getByRole('button', { name: '多人协同编辑内容' }).click();
    await page.getByText('协同编辑中').waitFor();
    await page.getByRole('link', { name: '我的诉求' }).click();
    await page.getByTestId('queue-all').click();
    await app.switchLanguage('English');
    await page.getByRole('link', { name: /Record/ }).waitFor();
    expect(violations).toEqual([]);
    await context.close();
  });

  it('lets an administrator create a user on the admin page, and shows it in the audit log', { timeout: 60_000 }, async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(server.url);
    await appPage(page).login('admin');
    await page.getByRole('link', { name: '用户管理' }).click();
    await page.getByTestId('users').getByText('grid', { exact: true }).waitFor();
    await page.getByRole('button', { name: /新建用户/ }).click();
    const form = page.getByTestId('user-form');
    await form.locator('input[name=username]').fill('grid3');
    await form.locator('input[name=displayName]').fill('网格员 三');
    await form.locator('input[name=regions]').fill('371324101');
    await form.locator('input[name=password]').fill('a-long-password');
    await form.getByRole('button', { name: '确认' }).click();
    await page.getByTestId('users').getByText('grid3', { exact: true }).waitFor();
    await page.getByTestId('audit').getByText('新建用户').first().waitFor();
    expect(violations).toEqual([]);
    await context.close();
  });
});
