import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { generateRelayKeyPair } from '../../server/services/relay-keys';
import { launchChromium } from '../helpers/browser';
import { tempDir } from '../helpers/server';
import { phoneAs } from './app-page';
import { E2E_TIMEOUT_MS, OUT, ROOT } from './rig';

// The city's administrator registers 兰陵's server key on the admin page, on a phone, sees it
// listed, and revokes it; the audit log says both.

let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/index.html'))) throw new Error('Build the app first: npm run build (npm test does it)');
  server = await startServer(loadConfig({ PORT: '0', MINSHENG_REGION: '371300', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: path.join(ROOT, 'dist'), MINSHENG_SCAN_INTERVAL_MS: '0' }));
  browser = await launchChromium();
  mkdirSync(OUT, { recursive: true });
  page = await phoneAs(browser, server.url, 'admin');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('county servers on the city admin’s page', { timeout: E2E_TIMEOUT_MS }, () => {
  it('registers a county server’s key, lists it, and revokes it', async () => {
    await page.goto(`${server.url}/#/admin`);
    const form = page.getByTestId('relay-form');
    await form.waitFor();
    await form.locator('input[name=relay-county]').fill('371324');
    await form.locator('input[name=relay-label]').fill('兰陵县服务器');
    await form.locator('textarea[name=relay-key]').fill(generateRelayKeyPair().publicKey);
    await form.getByRole('button', { name: '登记' }).click();
    const row = page.getByTestId('relays').locator('tr', { hasText: '兰陵县服务器' });
    await row.waitFor();
    expect(await row.textContent()).toContain('371324');
    await page.screenshot({ path: path.join(OUT, 'relays-registered.png'), fullPage: true });
    await row.getByRole('button', { name: '吊销' }).click();
    await expect.poll(() => row.textContent()).toContain('吊销');
    await expect.poll(() => row.getByRole('button', { name: '吊销' }).count()).toBe(0);
    expect((await server.store.relayKeys())[0]!.revokedAt).not.toBeNull();
    await expect.poll(() => page.getByTestId('audit').textContent()).toContain('登记县级服务器密钥');
  });
});
