import 'fake-indexeddb/auto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { recordAppeal } from '../../src/store/appeals';
import { seen, step } from '../helpers/appeal-steps';
import { launchChromium } from '../helpers/browser';
import { addUser, device, login, type Device } from '../helpers/clients';
import { tempDir } from '../helpers/server';
import { appPage, phoneAs } from './app-page';
import { E2E_TIMEOUT_MS, OUT, ROOT } from './rig';

// Where a town's escalation goes, in words, in Wanyuan with an area sub-center: 太平镇 lies in
// 东片区中心, so its desk says "上报至东片区中心"; 河口镇 lies in none, so "上报至万源市调度中心".

const EAST = { id: 'wy-east', name: '东片区中心', towns: ['511781100', '511781101'] };
const OUTSIDE_TOWN = '511781104'; // 河口镇
let server: RunningServer;
let browser: Browser;
const descriptions = { east: '太平镇某村山体滑坡堵路。', outside: '河口镇某村桥梁开裂。' };

/** Records an appeal in `grid`'s village and has `town`'s desk take it, ready to escalate. */
async function readyToEscalate(grid: Device, town: Device, description: string): Promise<void> {
  const r = await recordAppeal(grid.db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'orange', villageCode: grid.session.user.scope.regions[0]!, description, citizen: { anonymous: true } }, grid.who);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  grid.engine.kick();
  await grid.settled();
  await seen(town, r.value.id, (s) => s.status === 'new', 'the new appeal');
  await step(town, r.value.id, { type: 'assigned', to: 'town', from: 'town' });
}

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/index.html'))) throw new Error('Build the app first: npm run build (npm test does it)');
  const file = path.join(tempDir(), 'subcenters.json');
  writeFileSync(file, JSON.stringify([EAST]));
  server = await startServer(
    loadConfig({ PORT: '0', MINSHENG_REGION: '511781', MINSHENG_SUBCENTERS: file, MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: path.join(ROOT, 'dist'), MINSHENG_SCAN_INTERVAL_MS: '0' }),
  );
  const village = (await server.store.regionsUnder([OUTSIDE_TOWN])).find((r) => r.level === 'village')!.code;
  await addUser(server, 'hekou', 'town_official', [OUTSIDE_TOWN]);
  await addUser(server, 'hekou-grid', 'grid_worker', [village]);
  browser = await launchChromium();
  mkdirSync(OUT, { recursive: true });
  const devices = await Promise.all(['grid', 'town', 'hekou-grid', 'hekou'].map(async (u) => device(server, await login(server, u))));
  for (const d of devices) d.engine.start();
  const [grid, town, hekouGrid, hekou] = devices as [Device, Device, Device, Device];
  await readyToEscalate(grid, town, descriptions.east);
  await readyToEscalate(hekouGrid, hekou, descriptions.outside);
  for (const d of devices) d.close();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const phone = (username: string): Promise<Page> => phoneAs(browser, server.url, username);

/** Opens the town's appeal and the escalation form; returns what the form says it goes to. */
async function escalationText(page: Page, description: string, shot: string): Promise<string> {
  await page.getByTestId('queue-all').click();
  await page.getByTestId('appeal-list').locator('a.row').filter({ hasText: description.slice(0, 8) }).click();
  await page.getByTestId('action-escalated').click();
  const where = page.getByTestId('action-destination');
  await expect.poll(() => where.getAttribute('data-to')).toBe('county');
  // The sub-center list arrives once the phone is online; the text follows it.
  await expect.poll(async () => (await where.textContent()) ?? '', { timeout: 15_000 }).toMatch(shot === 'east' ? /东片区中心/ : /调度中心/);
  await page.screenshot({ path: path.join(OUT, `subcenter-escalate-${shot}.png`), fullPage: true });
  return (await where.textContent()) ?? '';
}

describe('naming the county-tier desk of a town', { timeout: 2 * E2E_TIMEOUT_MS }, () => {
  it('a town inside a sub-center escalates to the sub-center; a town outside, to the county center', async () => {
    const [east, outside] = await Promise.all([phone('town'), phone('hekou')]);
    expect(await escalationText(east!, descriptions.east, 'east')).toContain('上报至东片区中心');
    expect(await escalationText(outside!, descriptions.outside, 'outside')).toContain('上报至万源市调度中心');
  });
});
