import AxeBuilder from '@axe-core/playwright';
import Database from 'better-sqlite3';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docFromUpdates, fieldsOf } from '../../src/core/doc';
import { appPage } from './app-page';
import { rawTextOn } from './raw-text';
import { OUT, startOfflineRig, type OfflineRig, E2E_TIMEOUT_MS } from './rig';

// 一日双巡 on a 360×640 phone with no signal: the grid worker starts a patrol, walks (the
// emulated position moves and the page's clock runs a minute ahead between fixes, as the
// sampling keeps at most a point a minute), checks in at the village office, records an
// appeal on the way and ends the patrol. Back online, the server's patrols table has it and
// the town official sees the village patrolled once today (✗ against the norm of two) and
// the trail on the map.

let rig: OfflineRig;
let page: Page;
let app: OfflineRig['app'];
const START = { latitude: 34.82, longitude: 117.55, accuracy: 10 };

beforeAll(async () => {
  rig = await startOfflineRig();
  ({ page, app } = rig);
  await page.setViewportSize({ width: 360, height: 640 });
  await rig.context.grantPermissions(['geolocation'], { origin: new URL(rig.proxy.url).origin });
  await rig.context.setGeolocation(START);
  // The page's clock runs on its own and jumps when the test walks a minute on.
  await rig.context.clock.install();
});

afterAll(() => rig?.close());

/** The number the points counter shows. */
const points = async () => Number(((await page.getByTestId('patrol-points').textContent()) ?? '').replace(/\D/g, ''));

describe('a grid patrol with no signal', { timeout: E2E_TIMEOUT_MS }, () => {
  it('starts, keeps a sparse trail, checks in, links an appeal and ends, offline', async () => {
    await page.goto(rig.proxy.url);
    await app.login('grid');
    await app.installShell();
    await rig.goOffline();
    await app.waitForLink('离线');

    await app.go('巡查');
    await page.getByTestId('patrol-start').click();
    await page.getByTestId('patrol-running').waitFor();
    await expect.poll(points).toBe(1);
    // Ten seconds and a few metres later: not kept.
    await rig.context.setGeolocation({ ...START, latitude: START.latitude + 0.00005 });
    await rig.context.clock.fastForward(10_000);
    // A minute and about 110 m on, twice: kept.
    for (let i = 1; i <= 2; i++) {
      await rig.context.clock.fastForward(61_000);
      await rig.context.setGeolocation({ ...START, latitude: START.latitude + i * 0.001 });
      await expect.poll(points).toBe(1 + i);
    }
    expect(Number(await page.getByTestId('patrol-timer').textContent().then((s) => s?.split(':')[1]))).toBeGreaterThanOrEqual(2);

    await page.locator('input[name=placeName]').fill('村委会');
    await page.getByTestId('patrol-checkin').click();
    await expect.poll(() => page.getByTestId('patrol-checkins').textContent()).toBe('打卡 1');

    // An appeal on the way: the form says it belongs to the patrol.
    await page.getByTestId('patrol-record').click();
    await page.getByTestId('patrol-context').waitFor();
    await page.locator('select[name=category]').selectOption('infra.roads');
    await page.locator('select[name=kind]').selectOption('help');
    await page.locator('input[name=citizenName]').fill('村民');
    await page.locator('textarea[name=description]').fill('巡查发现村东桥栏杆松动，需要加固。');
    await page.getByRole('button', { name: '保存' }).click();
    await page.getByTestId('appeal-list').getByText('巡查发现村东桥栏杆').waitFor();

    // The trail went on while the form was open.
    await rig.context.clock.fastForward(61_000);
    await rig.context.setGeolocation({ ...START, latitude: START.latitude + 0.003 });
    await app.go('巡查');
    await expect.poll(points).toBe(4);
    await page.screenshot({ path: path.join(OUT, 'e2e-patrol-running.png') });
    await page.getByTestId('patrol-end').click();
    await page.getByTestId('patrol-start').waitFor();
    await page.getByTestId('patrol-mine').getByText('轨迹点 4').waitFor();
    expect(await app.pendingCount()).toBeGreaterThan(0);

    await rig.goOnline();
    await app.waitForLink('在线');
    await expect.poll(() => app.pendingCount(), { timeout: 30_000 }).toBe(0);
    const db = new Database(path.join(rig.server.dataDir, 'minsheng.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT id, points, checkins, ended_at FROM patrols').all() as { id: string; points: number; checkins: number; ended_at: number | null }[];
    // The appeal recorded on the way names the patrol in its document.
    const appeal = (db.prepare('SELECT id FROM appeals').get() as { id: string }).id;
    const parts = db.prepare('SELECT state AS bytes, -1 AS seq FROM snapshots WHERE doc_id = ? UNION ALL SELECT bytes, seq FROM updates WHERE doc_id = ? ORDER BY seq').all(appeal, appeal) as { bytes: Buffer }[];
    db.close();
    expect(rows).toEqual([{ id: expect.any(String), points: 4, checkins: 1, ended_at: expect.any(Number) }]);
    expect(fieldsOf(docFromUpdates(parts.map((p) => new Uint8Array(p.bytes)))).get('patrolId')).toBe(rows[0]!.id);
  });

  it('shows the town official the village patrolled once today, and its trail', async () => {
    const townCtx = await rig.browser.newContext({ viewport: { width: 360, height: 640 }, hasTouch: true, isMobile: true, locale: 'zh-CN' });
    const town = appPage(await townCtx.newPage());
    await town.page.goto(rig.server.url);
    await town.login('town');
    await town.go('巡查');
    const today = town.page.getByTestId('patrol-coverage').locator('td[data-count="1"]');
    await today.waitFor();
    expect(await today.count()).toBe(1);
    expect(await today.textContent()).toContain('1✗');
    await expect.poll(() => town.page.getByTestId('patrol-map').getAttribute('data-lines')).toBe('1');
    expect(await town.page.getByTestId('patrol-shown').textContent()).toContain('打卡 1');
    await town.page.screenshot({ path: path.join(OUT, 'e2e-patrol-town.png'), fullPage: true });
    const { violations } = await new AxeBuilder({ page: town.page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
    expect(violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`)).toEqual([]);
    expect(await rawTextOn(town.page)).toEqual([]);
    await town.switchLanguage('English');
    await town.page.getByRole('heading', { name: 'Patrol coverage (2 a day per village)' }).waitFor();
    expect(await rawTextOn(town.page)).toEqual([]);
    await townCtx.close();
  });
});
