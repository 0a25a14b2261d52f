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
    await page.getByTestId('appeal-list').locator('a.row').first().click();
    await page.getByTestId('timeline').waitFor();
    await page.getByRole('button', { name: '受理' }).click();
    await page.getByRole('button', { name: '确认' }).click();
    await page.getByTestId('detail-status').filter({ hasText: '已受理' }).waitFor();
    await page.getByRole('button', { name: '多人协同编辑内容' }).click();
    await page.getByText('协同编辑中').waitFor();
    await page.getByRole('link', { name: '我的诉求' }).click();
    await page.getByTestId('queue-all').click();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('link', { name: /Record/ }).waitFor();
    expect(violations).toEqual([]);
    await context.close();
  });
});
