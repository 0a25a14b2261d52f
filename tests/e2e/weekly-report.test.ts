import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedGeneratedAppeals } from '../../bench/seed-store';
import { ensureSeeded } from '../../server/services/seed';
import { openSqliteStore } from '../../server/store/sqlite';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { weekOf } from '../../src/core/metrics';
import { issuable, lastClosedPeriod, periodBefore } from '../../src/core/weekly-report';
import { tempDir } from '../helpers/server';
import { E2E_TIMEOUT_MS, OUT, startOfflineRig, type OfflineRig } from './rig';

// A county leader on a phone reads the last complete week's report (民情数据周报), prints it
// to an A4 PDF, then loses signal, reloads the app with no network at all, and opens the same
// report again from the device.

const WEEK = 7 * 86_400_000;
let rig: OfflineRig;
let page: Page;

describe('the weekly report', () => {
  beforeAll(async () => {
    const dataDir = tempDir();
    const store = openSqliteStore(dataDir);
    await ensureSeeded(store, '371324');
    const villages = (await store.regionsUnder(['371324'])).filter((r) => r.level === 'village');
    const official = (await store.userByUsername('town'))!;
    const from = weekOf(Date.now()).from - 6 * WEEK;
    await seedGeneratedAppeals(store, { count: 900, villages, seed: 28, official: { id: official.id, name: official.displayName }, from, spacingMs: Math.floor((6 * WEEK) / 900), policy: POLICY_PRESETS.lanling, varied: true });
    await store.close();
    rig = await startOfflineRig({ dataDir });
    page = rig.page;
    await page.goto(rig.proxy.url);
    await rig.app.login('leader');
    await rig.app.installShell();
  }, 120_000);
  afterAll(() => rig?.close());

  /** The last week whose report is issued (in the first hours after a week closes, the one before it): only issued reports are kept. */
  const issuedWeek = () => {
    const last = lastClosedPeriod('week', Date.now());
    return issuable(last, Date.now()) ? last : periodBefore('week', last);
  };
  const report = () => page.getByTestId('weekly-report');

  it('shows the last complete week: figures beside the week before, ranked towns with bars, red and black lists', { timeout: E2E_TIMEOUT_MS }, async () => {
    await page.goto(`${rig.proxy.url}/#/reports/weekly`);
    await report().waitFor({ timeout: 20_000 });
    await page.locator('input[name="at"]').fill(issuedWeek().label);
    await expect.poll(() => page.getByTestId('weekly-period').textContent()).toContain('起的一周');
    await expect.poll(() => report().locator('.head .hint').textContent()).toMatch(/发布/);
    const cards = page.getByTestId('weekly-headline').locator('.card');
    expect(await cards.count()).toBe(6);
    expect(await cards.first().textContent()).toMatch(/受理量\s*\d+\s*上期 \d+ · [+−±]\d+/);
    const towns = page.getByTestId('weekly-ranking-town').locator('tbody tr');
    expect(await towns.count()).toBeGreaterThan(10);
    // Each row's bar is as wide as the rate printed beside it.
    const first = towns.first().locator('td.barcell').first();
    const rate = parseFloat((await first.locator('.num').textContent())!);
    const fill = await first.locator('.fill').evaluate((el) => el.getBoundingClientRect().width / el.parentElement!.getBoundingClientRect().width);
    expect(Math.abs(fill * 100 - rate)).toBeLessThan(2.5);
    expect(await page.getByTestId('weekly-red-town').locator('li').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('weekly-black-town').locator('li').count()).toBeGreaterThan(0);
    await page.getByTestId('weekly-special').waitFor();
    // On a phone the page does not scroll sideways: the wide ranking scrolls within its own region.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: path.join(OUT, 'e2e-report-weekly.png'), fullPage: true });
  });

  it('prints on A4 with the report alone, and gives a PDF', { timeout: E2E_TIMEOUT_MS }, async () => {
    await page.emulateMedia({ media: 'print' });
    try {
      expect(await page.getByTestId('tab-bar').isVisible()).toBe(false);
      expect(await page.getByTestId('sync-link').isVisible()).toBe(false);
      expect(await page.getByTestId('print-report').isVisible()).toBe(false);
      expect(await page.getByTestId('weekly-past').isVisible()).toBe(false);
      expect(await report().isVisible()).toBe(true);
      // What the paper shows, at A4's width in CSS pixels (a picture for reviewers; the PDF below is the check).
      await page.setViewportSize({ width: 794, height: 1123 });
      await page.screenshot({ path: path.join(OUT, 'e2e-report-weekly-print.png'), fullPage: true });
    } finally {
      await page.setViewportSize({ width: 360, height: 740 });
      await page.emulateMedia({ media: 'screen' });
    }
    const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    writeFileSync(path.join(OUT, 'e2e-report-weekly.pdf'), pdf);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page\b(?!s)/g)?.length ?? 0;
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(pages).toBeLessThanOrEqual(8);
    // A4 portrait: 595 × 842 points.
    expect(pdf.toString('latin1')).toMatch(/\/MediaBox\s*\[\s*0 0 595\.?\d* 841\.?\d*\s*\]|\/MediaBox\s*\[\s*0 0 595\.?\d* 842\.?\d*\s*\]/);
  });

  it('opens the same report with no network after a reload, from the device', { timeout: E2E_TIMEOUT_MS }, async () => {
    const period = await page.getByTestId('weekly-period').textContent();
    const firstTown = await page.getByTestId('weekly-ranking-town').locator('tbody tr th').first().textContent();
    await rig.goOffline();
    await rig.app.waitForLink('离线');
    await page.reload();
    await rig.app.waitForLink('离线');
    await page.locator('input[name="at"]').fill(issuedWeek().label);
    await report().waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('weekly-period').textContent()).toBe(period);
    expect(await page.getByTestId('weekly-from-device').textContent()).toContain('离线查看');
    // Names come from the device's division list, read a moment after the report.
    await expect.poll(() => page.getByTestId('weekly-ranking-town').locator('tbody tr th').first().textContent()).toBe(firstTown);
    await expect.poll(() => page.getByTestId('weekly-past').textContent()).toContain('已存本机');
    // A report never opened here cannot be shown offline, and says so.
    await page.locator('select[name="period"]').selectOption('month');
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('离线时只能查看曾在本机打开过的往期报告');
  });
});
