import 'fake-indexeddb/auto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { recordAppeal } from '../../src/store/appeals';
import { launchChromium } from '../helpers/browser';
import { device, login, until } from '../helpers/clients';
import { tempDir } from '../helpers/server';
import { appPage } from './app-page';
import { E2E_TIMEOUT_MS } from './rig';

// A grid worker recorded an appeal three weeks ago and nobody dispatched it. The server's
// deadline scanner warns and climbs the supervision ladder; the town official opening
// their queue sees it marked severely overdue, in red and in words, with its supervision level.

const ROOT = path.resolve(import.meta.dirname, '../..');
const DESCRIPTION = '桥头路灯坏了三个星期，晚上过桥看不见路。';
const RED = 'rgb(179, 38, 30)';
const OUT = path.join(ROOT, 'test-output');

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/index.html'))) throw new Error('Build the app first: npm run build (npm test does it)');
  server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: path.join(ROOT, 'dist'), MINSHENG_SCAN_INTERVAL_MS: '300' }));
  browser = await launchChromium();
  mkdirSync(OUT, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('town queue', { timeout: E2E_TIMEOUT_MS }, () => {
  it('shows an overdue appeal in red with its supervision level', async () => {
    const grid = await device(server, await login(server, 'grid'));
    const village = grid.session.user.scope.regions[0]!;
    const threeWeeksAgo = Date.now() - 21 * 86_400_000;
    const input = { channel: 'grid_patrol', category: 'infra.power', kind: 'help', urgency: 'orange', villageCode: village, description: DESCRIPTION, citizen: { anonymous: false, name: '孙大爷' } };
    expect((await recordAppeal(grid.db, input, grid.who, threeWeeksAgo)).ok).toBe(true);
    grid.engine.start();
    await grid.settled();
    // The scanner runs every 300 ms: wait for its supervision step to reach the projection.
    await until(async () => (await server.store.appealRows()).some((r) => r.title === DESCRIPTION && r.supervisionLevel >= 3), 15_000, 'supervision');
    grid.close();

    const page = (await (await browser.newContext({ viewport: { width: 1024, height: 768 } })).newPage());
    const town = appPage(page);
    await page.goto(server.url);
    await town.login('town');
    await page.getByTestId('queue-overdue').click();
    const row = page.getByTestId('appeal-list').locator('a.row').filter({ hasText: DESCRIPTION.slice(0, 10) });
    const deadline = row.getByTestId('deadline');
    await expect.poll(() => deadline.getAttribute('data-warning')).toBe('severe');
    expect(await deadline.textContent()).toContain('严重超期');
    expect(await deadline.evaluate((el) => getComputedStyle(el).color)).toBe(RED);
    // Three weeks undispatched is 10+ working days overdue: the ladder has reached at least level 3.
    const supervision = row.getByTestId('supervision');
    expect(Number(await supervision.getAttribute('data-level'))).toBeGreaterThanOrEqual(3);
    expect(await supervision.textContent()).toMatch(/督办：(政府督查|人大政协监督|纪委监委问责)/);
    await page.screenshot({ path: path.join(OUT, 'town-overdue-queue.png'), fullPage: true });

    // The detail page's timeline shows the scanner's warning and supervision, by the system.
    await row.click();
    const timeline = page.getByTestId('timeline');
    await timeline.locator('li[data-type=warned]').first().waitFor();
    expect(await timeline.locator('li[data-type=supervised]').first().textContent()).toContain('系统');
    await page.screenshot({ path: path.join(OUT, 'town-overdue-detail.png'), fullPage: true });
  });
});
