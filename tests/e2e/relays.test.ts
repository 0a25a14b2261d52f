import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { writeFileSync } from 'node:fs';
import { generateRelayKeyPair } from '../../server/services/relay-keys';
import { recordOnServer } from '../../server/services/intake';
import { newId } from '../../src/core/id';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { validInput } from '../core/fixtures';
import { tempDir } from '../helpers/server';
import { phoneAs } from './app-page';
import { E2E_TIMEOUT_MS, OUT, ROOT, startAppAndBrowser } from './rig';

// The city's administrator registers 兰陵's server key on the admin page, on a phone, sees it
// listed, and revokes it; the audit log says both. With a county server connected, both
// administrators see the line: the city what it received, the county what waits to go up.

let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  ({ server, browser } = await startAppAndBrowser({ MINSHENG_REGION: '371300' }));
  page = await phoneAs(browser, server.url, 'admin');
}, 120_000);

let county: RunningServer | null = null;

afterAll(async () => {
  await browser?.close();
  await county?.close();
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

  it('shows both administrators the line between a county server and the city', async () => {
    const keys = generateRelayKeyPair();
    const keyId = newId();
    await server.store.insertRelayKey({ id: keyId, county: '371324', publicKey: keys.publicKey, label: '兰陵县自建服务器', createdBy: 'test', createdAt: Date.now() });
    const dir = tempDir();
    writeFileSync(path.join(dir, 'key.pem'), keys.privateKeyPem, { mode: 0o600 });
    county = await startServer(loadConfig({
      PORT: '0', MINSHENG_REGION: '371324', MINSHENG_DATA_DIR: dir, MINSHENG_STATIC_DIR: path.join(ROOT, 'dist'), MINSHENG_SCAN_INTERVAL_MS: '0',
      MINSHENG_UPSTREAM: server.url.replace('http', 'ws') + '/sync', MINSHENG_UPSTREAM_KEY_ID: keyId, MINSHENG_UPSTREAM_KEY: path.join(dir, 'key.pem'),
    }));
    // The county's public page takes a suggestion; it goes up to the city.
    const { id } = await recordOnServer(county.store, county.bus, POLICY_PRESETS.lanling, validInput({ villageCode: '371324102201', citizen: { anonymous: true } }), { id: 'public-suggestions', role: 'county_dispatcher' });
    await expect.poll(async () => (await server.store.appealsById([id])).length, { timeout: 15_000 }).toBe(1);

    // The page is open on the registry already: load it again to see the new key.
    await page.reload();
    const row = page.getByTestId(`relay-${keyId}`);
    await expect.poll(() => row.getByTestId('relay-link').textContent(), { timeout: 15_000 }).toMatch(/在线[\s\S]*收到 1 件，拒收 0 件/);

    const countyAdmin = await phoneAs(browser, county.url, 'admin');
    await countyAdmin.goto(`${county.url}/#/admin`);
    const status = countyAdmin.getByTestId('uplink-status');
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 15_000 }).toBe('live');
    expect(await countyAdmin.getByTestId('uplink-pending').textContent()).toContain('待上传 0 件');
    await countyAdmin.screenshot({ path: path.join(OUT, 'uplink-county-admin.png'), fullPage: true });
    await countyAdmin.close();
  });
});
