import 'fake-indexeddb/auto';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { recordAppeal } from '../../src/store/appeals';
import { seen, step } from '../helpers/appeal-steps';
import { device, login, type Device } from '../helpers/clients';
import { appPage } from './app-page';
import { E2E_TIMEOUT_MS, OUT, startOfflineRig, type OfflineRig } from './rig';

// Bounded storage on a 360×640 phone: a grid worker's phone holds an appeal the town closed;
// a hundred days later (the page's clock moved on) the phone lets go of it, Settings says so,
// and the appeal opened from its link comes back from the server.

const DESCRIPTION = '村西头路灯坏了三盏，晚上看不见路。';
const DAY = 24 * 3_600_000;

let rig: OfflineRig;
let context: BrowserContext;
let page: Page;
const devices: Device[] = [];
let id = '';

beforeAll(async () => {
  rig = await startOfflineRig();
  // The Node devices reach the spawned server by its url, as the sync tests do.
  const server = { url: rig.server.url } as RunningServer;
  for (const name of ['grid', 'town', 'dept', 'station']) devices.push(await device(server, await login(server, name)));
  for (const d of devices) d.engine.start();
  context = await rig.browser.newContext({ viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true, locale: 'zh-CN' });
  await context.clock.install();
  page = await context.newPage();
}, 60_000);

afterAll(async () => {
  for (const d of devices) d.close();
  await rig?.close();
});

describe('a year on the phone: a closed appeal let go of and fetched again', { timeout: E2E_TIMEOUT_MS }, () => {
  it('the phone holds the closed appeal, then lets go of it after the retention window', async () => {
    const [grid, town, dept, station] = devices as [Device, Device, Device, Device];
    const village = grid.session.user.scope.regions[0]!;
    const r = await recordAppeal(grid.db, { channel: 'grid_patrol', category: 'infra.power', kind: 'help', urgency: 'yellow', villageCode: village, description: DESCRIPTION, citizen: { anonymous: true } }, grid.who);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    id = r.value.id;
    grid.engine.kick();
    await grid.settled();
    await seen(town, id, (s) => s.status === 'new', 'the appeal');
    await step(town, id, { type: 'accepted' });
    await step(town, id, { type: 'assigned', tier: 'town', dept: 'water' });
    await seen(dept, id, (s) => s.status === 'assigned', 'the assignment');
    await step(dept, id, { type: 'replied', note: '已更换灯泡。', via: 'grid_patrol' });
    await seen(station, id, (s) => s.status === 'replied', 'the reply');
    await step(station, id, { type: 'visited', satisfaction: 'satisfied' });
    await seen(town, id, (s) => s.status === 'visited', 'the visit');
    await step(town, id, { type: 'closed' });

    await page.goto(rig.server.url);
    const app = appPage(page);
    await app.login('grid');
    /** Settings read once per visit: open them afresh until `testId` says `text`. */
    const settingsSay = (testId: string, text: string) =>
      expect
        .poll(async () => {
          await page.goto(`${rig.server.url}/#/settings`);
          await page.reload();
          return (await page.getByTestId(testId).textContent({ timeout: 5_000 }).catch(() => '')) ?? '';
        }, { timeout: 20_000, interval: 500 })
        .toContain(text);
    await settingsSay('storage-counts', '诉求 1 件');
    expect(await page.getByTestId('storage-retention').textContent()).toContain('90 天');

    // A hundred days on: the next start's catch-up ends with the purge.
    await context.clock.setSystemTime(Date.now() + 100 * DAY);
    await settingsSay('storage-purged', '1 件');
    expect(await page.getByTestId('storage-counts').textContent()).toContain('诉求 0 件');
    await page.screenshot({ path: path.join(OUT, 'e2e-retention-settings.png'), fullPage: true });
  });

  it('the appeal opened from its link comes back from the server', async () => {
    await page.goto(`${rig.server.url}/#/appeal/${id}`);
    await page.getByTestId('detail-status').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('detail-status').textContent()).toBe('已销号');
    expect(await page.locator('p.description').textContent()).toBe(DESCRIPTION);
  });
});
