import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { seedGeneratedAppeals } from '../../bench/seed-store';
import { ensureSeeded } from '../../server/services/seed';
import { openSqliteStore } from '../../server/store/sqlite';
import { storeUpdate } from '../../server/sync/bus';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { readAppeal, writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { weekOf } from '../../src/core/metrics';
import { shortVillageName } from '../../src/core/regions';
import { tempDir } from '../helpers/server';
import { OUT, startOfflineRig, type OfflineRig } from './rig';

// A city dispatcher on a desktop reads the governance reports over twelve weeks of a county
// whose towns work at different speeds: the ranking, the red and black lists, the trends
// (with a surge of road complaints in one village last week), hot spots and special governance.

const WEEK = 7 * 86_400_000;
let rig: OfflineRig;
let page: Page;
let surgeVillage = '';

beforeAll(async () => {
  const dataDir = tempDir();
  const store = openSqliteStore(dataDir);
  await ensureSeeded(store, '371324');
  const villages = (await store.regionsUnder(['371324'])).filter((r) => r.level === 'village');
  const official = (await store.userByUsername('town'))!;
  const now = Date.now();
  await seedGeneratedAppeals(store, { count: 2400, villages, seed: 12, official: { id: official.id, name: official.displayName }, from: now - 12 * WEEK, spacingMs: Math.floor((12 * WEEK) / 2400), policy: POLICY_PRESETS.lanling, varied: true });
  // Last complete week: 30 road complaints from one village, well above its usual.
  const lastWeek = weekOf(weekOf(now).from - 1);
  const village = villages[7]!;
  surgeVillage = village.name;
  await store.inPushTx(async (tx) => {
    for (let i = 0; i < 30; i++) {
      const doc = new Y.Doc();
      const id = newId();
      writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.roads', kind: 'complaint', urgency: 'orange', villageCode: village.code, description: `村道塌陷第${i + 1}处`, citizen: { anonymous: true } }, { id: official.id, role: 'town_official' }, lastWeek.from + i * 3 * 3_600_000, newId());
      await storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: official.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), now, POLICY_PRESETS.lanling);
    }
  });
  await store.close();
  rig = await startOfflineRig({ dataDir });
  page = rig.page;
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(rig.proxy.url);
  await rig.app.login('dispatcher');
}, 120_000);
afterAll(() => rig?.close());

/** docs/screenshots/reports-*.png are copies of these. */
const shoot = (name: string) => page.screenshot({ path: path.join(OUT, `e2e-reports-${name}.png`), fullPage: true });
const tab = (name: string) => page.getByRole('navigation', { name: '治理报表' }).getByRole('link', { name, exact: true }).click();

describe('governance reports', () => {
  it('ranks the towns of a month, sorts by a figure and draws its bar chart', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: '报表' }).click();
    await page.locator('select[name="period"]').selectOption('month');
    const rows = page.getByTestId('ranking').locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBeGreaterThan(10);
    await page.getByRole('button', { name: '满意率' }).click();
    const rates = await page.getByTestId('ranking').locator('tbody td.sorted').allTextContents();
    const values = rates.filter((r) => r !== '—').map((r) => Number(r.replace('%', '')));
    expect(values).toEqual([...values].sort((a, b) => b - a));
    expect(new Set(values).size).toBeGreaterThan(3);
    await expect.poll(() => page.locator('.uplot canvas').count()).toBe(1);
    await shoot('ranking');
  });

  it('lists the best towns in red and the worst in black, with their scores and the lists before', { timeout: 60_000 }, async () => {
    await tab('红黑榜');
    const red = page.getByTestId('red-list').locator('li');
    await expect.poll(() => red.count(), { timeout: 20_000 }).toBe(3);
    expect(await page.getByTestId('black-list').locator('li').count()).toBe(3);
    const score = async (list: string) => (await page.getByTestId(list).locator('li strong').allTextContents()).map(Number);
    const [reds, blacks] = [await score('red-list'), await score('black-list')];
    expect(Math.min(...reds)).toBeGreaterThan(Math.max(...blacks));
    expect(reds).toEqual([...reds].sort((a, b) => b - a));
    expect(blacks).toEqual([...blacks].sort((a, b) => a - b));
    expect(await page.getByTestId('redblack-history').locator('tbody tr').count()).toBe(6);
    await shoot('redblack');
  });

  it('flags the village’s surge as a rising category and town, with a back-tested forecast', { timeout: 60_000 }, async () => {
    await tab('趋势研判');
    const rising = page.getByTestId('rising');
    await expect.poll(() => rising.textContent(), { timeout: 20_000 }).toContain('道路');
    expect(await page.getByTestId('total-forecast').textContent()).toMatch(/预测 [\d.]+ 件（回测 8 周平均误差 ±[\d.]+ 件/);
    expect(await page.getByTestId('town-trends').locator('tbody tr').count()).toBeGreaterThan(10);
    await expect.poll(() => page.locator('.uplot canvas').count()).toBe(2);
    await shoot('trends');
  });

  it('shows the hot-spot villages and the problems raised again and again', { timeout: 60_000 }, async () => {
    await tab('热点');
    await expect.poll(() => page.getByTestId('hot-spots').locator('tbody tr').count(), { timeout: 20_000 }).toBeGreaterThan(5);
    await tab('专项治理');
    const groups = page.getByTestId('special-groups').locator('details');
    await expect.poll(() => groups.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    // The surge is the biggest: 30 road complaints from one village.
    expect(await groups.first().locator('summary').textContent()).toContain(shortVillageName(surgeVillage));
    await groups.first().locator('summary').click();
    expect(await groups.first().locator('tbody tr').count()).toBeGreaterThanOrEqual(30);
  });
});
