import 'fake-indexeddb/auto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { act, recordAppeal } from '../../src/store/appeals';
import { launchChromium } from '../helpers/browser';
import { device, login, until } from '../helpers/clients';
import { tempDir } from '../helpers/server';
import { appPage, phoneAs } from './app-page';
import { E2E_TIMEOUT_MS, OUT, ROOT } from './rig';

// The city tier's dispatch loop as four people do it, each on their own phone (360×640):
// the city center sends a case to the county platform, the county to a town, the town
// returns it, the county gives it to its water bureau, the bureau returns it too, and the
// second return lands on the city's review queue, whose decision is final.

const DESCRIPTION = '东岭村自来水主管爆裂，全村停水两天。';
/** Recorded in the village: never on the city's phone, which finds it on the server. */
const VILLAGE_ONLY = '东岭村小学门口路灯不亮已一周。';
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist/index.html'))) throw new Error('Build the app first: npm run build (npm test does it)');
  server = await startServer(loadConfig({ PORT: '0', MINSHENG_REGION: '371300', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: path.join(ROOT, 'dist'), MINSHENG_SCAN_INTERVAL_MS: '0' }));
  browser = await launchChromium();
  mkdirSync(OUT, { recursive: true });
  // The villager calls the city's hotline: the case waits at the city center's desk.
  const grid = await device(server, await login(server, 'grid'));
  const hotline = await device(server, await login(server, 'city'));
  const village = grid.session.user.scope.regions[0]!;
  const recorded = await recordAppeal(hotline.db, { channel: 'hotline_12345', category: 'infra.water', kind: 'help', urgency: 'orange', villageCode: village, description: DESCRIPTION, citizen: { anonymous: false, name: '赵大爷' } }, hotline.who);
  const local = await recordAppeal(grid.db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'yellow', villageCode: village, description: VILLAGE_ONLY, citizen: { anonymous: true } }, grid.who);
  expect([recorded.ok, local.ok]).toEqual([true, true]);
  for (const d of [grid, hotline]) {
    d.engine.start();
    await d.settled();
    d.close();
  }
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const phone = (username: string): Promise<Page> => phoneAs(browser, server.url, username);

/** Opens the appeal from `queue` once it has arrived there. */
async function open(page: Page, queue: string): Promise<void> {
  // Back to the list from an appeal's page, as the back button does.
  if ((await page.getByTestId(`queue-${queue}`).count()) === 0) await page.goBack();
  await page.getByTestId(`queue-${queue}`).click();
  const row = page.getByTestId('appeal-list').locator('a.row').filter({ hasText: DESCRIPTION.slice(0, 10) });
  await row.waitFor({ timeout: 20_000 }).catch(async (err: unknown) => {
    await page.screenshot({ path: path.join(OUT, `city-loop-missing-${queue}.png`), fullPage: true });
    throw err;
  });
  await row.click();
  await page.getByTestId('timeline').waitFor();
}

/** Opens an action, fills it, checks where it says the case goes, and sends it. */
async function take(page: Page, action: string, fill: { tier?: string; dept?: string; note?: string }, destination: { to: string; text: RegExp }, shot: string): Promise<void> {
  await page.getByTestId(`action-${action}`).click();
  const form = page.getByTestId('action-form');
  await form.waitFor();
  if (fill.tier) await page.getByTestId(`action-tier-${fill.tier}`).click();
  if (fill.dept) await page.getByTestId('action-dept').selectOption(fill.dept);
  if (fill.note) await page.getByTestId('action-note').fill(fill.note);
  const where = page.getByTestId('action-destination');
  await expect.poll(() => where.getAttribute('data-to')).toBe(destination.to);
  expect(await where.textContent()).toMatch(destination.text);
  await page.screenshot({ path: path.join(OUT, `city-loop-${shot}.png`), fullPage: true });
  await page.getByTestId('action-submit').click();
  await form.waitFor({ state: 'detached' });
}

describe('the dispatch loop across a city, on four phones', { timeout: 4 * E2E_TIMEOUT_MS }, () => {
  it('city → county → town → 退回 → county water bureau → 退回 → city review (final)', async () => {
    const [city, county, town, water] = await Promise.all(['city', 'dispatcher', 'town', 'dept'].map(phone));

    await open(city!, 'unassigned');
    await take(city!, 'assigned', { tier: 'county' }, { to: 'county', text: /兰陵县/ }, '1-city-dispatch');

    await open(county!, 'escalated');
    await take(county!, 'assigned', { tier: 'town' }, { to: 'town', text: /镇|街道/ }, '2-county-dispatch');

    await open(town!, 'new');
    await take(town!, 'returned', { note: '供水主管归县水务局管理' }, { to: 'county', text: /退回至.*兰陵县/ }, '3-town-return');

    await open(county!, 'returned');
    await take(county!, 'assigned', { tier: 'county', dept: 'water' }, { to: 'county', text: /水务/ }, '4-county-to-water');

    await open(water!, 'dept_todo');
    await take(water!, 'returned', { note: '主管属市级管网' }, { to: 'city', text: /第2次退回/ }, '5-water-return');

    await open(city!, 'review');
    await expect.poll(() => city!.getByTestId('detail-returns').textContent()).toContain('2');
    await take(city!, 'reviewed', { tier: 'county', dept: 'water', note: '研判：县水务局负责，市水务局配合' }, { to: 'county', text: /水务/ }, '6-city-review');
    await city!.getByTestId('detail-review').waitFor();
    await expect.poll(() => city!.getByTestId('detail-review').getAttribute('data-review')).toBe('decided');
    await city!.screenshot({ path: path.join(OUT, 'city-loop-7-decided.png'), fullPage: true });

    // The bureau cannot send the decided case back again.
    await open(water!, 'dept_todo');
    expect(await water!.getByTestId('action-returned').count()).toBe(0);
    const row = (await server.store.appealRows()).find((r) => r.title.startsWith(DESCRIPTION.slice(0, 8)))!;
    expect(row).toMatchObject({ returns: 2, review: 'decided', tier: 'county', dept: 'water', leadTier: 'city' });
  });

  it('the city finds a village’s appeal it does not hold on the server, and opens it', async () => {
    const city = await phone('city');
    await city.getByTestId('queue-all').click();
    await city.getByTestId('browse-note').waitFor();
    const row = city.getByTestId('browse-list').locator('a.row').filter({ hasText: VILLAGE_ONLY.slice(0, 10) });
    await row.waitFor({ timeout: 20_000 });
    await city.screenshot({ path: path.join(OUT, 'city-loop-8-browse.png'), fullPage: true });
    await row.click();
    // Not on the phone: brought from the server whole, then shown like any other.
    await city.getByTestId('timeline').waitFor({ timeout: 20_000 });
    expect(await city.getByRole('heading', { level: 1 }).textContent()).toContain(VILLAGE_ONLY.slice(0, 10));
    await city.screenshot({ path: path.join(OUT, 'city-loop-9-fetched.png'), fullPage: true });
    // The village adds to it; the city's copy is not kept up to date, so opening it again online brings it anew.
    const grid = await device(server, await login(server, 'grid'));
    grid.engine.start();
    const id = (await server.store.appealRows()).find((r) => r.title.startsWith(VILLAGE_ONLY.slice(0, 8)))!.id;
    await until(async () => (await grid.db.appeals.get(id)) !== undefined, 15_000, 'the village phone has it');
    expect(await act(grid.db, id, grid.session.user, { type: 'commented', note: '网格员补充：已联系供电所。' })).toEqual({ ok: true });
    grid.engine.kick();
    await grid.settled();
    grid.close();
    await city.goBack();
    await city.getByTestId('queue-all').click();
    await row.click();
    await city.getByTestId('timeline').waitFor();
    await expect.poll(() => city.getByTestId('timeline').textContent(), { timeout: 15_000 }).toContain('已联系供电所');
  });
});
