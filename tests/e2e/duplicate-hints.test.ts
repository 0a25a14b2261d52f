import Database from 'better-sqlite3';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { OUT, startOfflineRig, type OfflineRig, E2E_TIMEOUT_MS } from './rig';

// Duplicate hints while recording, on a 360×640 phone with no signal: two appeals about the
// same leaking water main, then a third is hinted ("同一问题已有 2 件", with why), linked as a
// repeat, synced, and counted by the server's special governance. Dismissing never blocks saving.

const FIRST = '村东自来水管道漏水，路面全是水';
const SECOND = '自来水管又漏水了，水压很低';
const THIRD = '自来水管漏水好几天了，没人来修';

let rig: OfflineRig;
let page: Page;
/** The title of the appeal the third was linked to, for the server's check. */
let linkedTitle = '';

beforeAll(async () => {
  rig = await startOfflineRig();
  page = rig.page;
  await page.setViewportSize({ width: 360, height: 640 });
});

afterAll(() => rig?.close());

/** Opens the form and enters the category, then the text, as a worker would. */
async function startRecording(description: string): Promise<void> {
  await rig.app.go(/登记诉求/);
  await page.locator('select[name=category]').selectOption('infra.water');
  await page.locator('select[name=kind]').selectOption('help');
  await page.locator('input[name=citizenName]').fill('村民');
  await page.locator('textarea[name=description]').fill(description);
}

async function save(description: string): Promise<void> {
  await page.getByRole('button', { name: '保存' }).click();
  await page.getByTestId('appeal-list').getByText(description.slice(0, 12)).waitFor();
}

function serverDb(): Database.Database {
  return new Database(path.join(rig.server.dataDir, 'minsheng.sqlite'), { readonly: true });
}

describe('duplicate hints while recording', { timeout: E2E_TIMEOUT_MS }, () => {
  it('logs in, installs the shell and loses the signal', async () => {
    await page.goto(rig.proxy.url);
    await rig.app.login('grid');
    await rig.app.installShell();
    await rig.goOffline();
    await rig.app.waitForLink('离线');
  });

  it('records one, then a second after dismissing its hint: dismissing never blocks saving', async () => {
    await startRecording(FIRST);
    await save(FIRST);
    await startRecording(SECOND);
    const hints = page.getByTestId('duplicate-hints');
    await expect.poll(() => hints.textContent()).toContain('同一问题已有 1 件');
    await hints.getByRole('button', { name: /同一问题已有/ }).click();
    await page.getByTestId('dupes-dismiss').click();
    await expect.poll(() => hints.count()).toBe(0);
    await save(SECOND);
    expect(await rig.app.pendingCount()).toBe(2);
  });

  it('hints the third with why each matches, without taking the focus or the save button', async () => {
    await startRecording(THIRD);
    const textarea = page.locator('textarea[name=description]');
    await textarea.focus();
    await textarea.press('End');
    const hints = page.getByTestId('duplicate-hints');
    await expect.poll(() => hints.textContent()).toContain('同一问题已有 2 件');
    // Typing goes on where it was: the hint never takes the focus.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('description');
    // Closed, it is one thumb-high line.
    const bar = hints.getByRole('button', { name: /同一问题已有/ });
    const box = (await bar.boundingBox())!;
    expect(box.height).toBeGreaterThanOrEqual(44);
    expect(box.height).toBeLessThan(80);
    expect(box.x + box.width).toBeLessThanOrEqual(360);

    await bar.click();
    const items = page.getByTestId('dupes-hint');
    await expect.poll(() => items.count()).toBe(2);
    for (const why of await page.getByTestId('dupes-why').allTextContents()) {
      expect(why).toContain('同村');
      expect(why).toContain('同类别');
      expect(why).toMatch(/「自来水管」|「自来水」/);
      expect(why).toContain('「漏水」');
      expect(why).toContain('今天');
      expect(why).toContain('已登记');
    }
    await page.screenshot({ path: path.join(OUT, 'e2e-duplicate-hints.png'), fullPage: false });
    linkedTitle = (await items.first().locator('.title').textContent())!;
    await items.first().getByRole('button', { name: '是重复反映，关联此件' }).click();
    await expect.poll(() => page.getByTestId('dupes-linked').textContent()).toContain(linkedTitle);
    // The save button is still reached by scrolling down, a thumb's way, not hidden under anything.
    const saveButton = page.getByRole('button', { name: '保存' });
    await saveButton.scrollIntoViewIfNeeded();
    expect(await saveButton.isVisible()).toBe(true);
    await save(THIRD);
  });

  it('syncs the link, and the server keeps it and counts the three in special governance', async () => {
    await rig.goOnline();
    await rig.app.waitForLink('在线');
    await expect.poll(() => rig.app.pendingCount(), { timeout: 30_000 }).toBe(0);

    const db = serverDb();
    let ids: Record<string, string>;
    let repeatOf: unknown;
    try {
      const rows = db.prepare('SELECT id, title FROM appeals').all() as { id: string; title: string }[];
      ids = Object.fromEntries(rows.map((r) => [r.title, r.id]));
      expect(Object.keys(ids).sort()).toEqual([FIRST, SECOND, THIRD].sort());
      const updates = db.prepare('SELECT bytes FROM updates WHERE doc_id = ? ORDER BY seq').all(ids[THIRD]) as { bytes: Buffer }[];
      repeatOf = readAppeal(docFromUpdates(updates.map((u) => new Uint8Array(u.bytes))), ids[THIRD]!).fields.repeatOf;
    } finally {
      db.close();
    }
    expect(repeatOf).toBe(ids[linkedTitle]);

    const login = await fetch(`${rig.server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'town', password: 'demo1234' }) });
    const { token } = (await login.json()) as { token: string };
    const res = await fetch(`${rig.server.url}/api/reports/special`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const { groups } = (await res.json()) as { groups: { category: string; appealIds: string[] }[] };
    expect(groups).toHaveLength(1);
    expect(groups[0]!.category).toBe('infra.water');
    expect(new Set(groups[0]!.appealIds)).toEqual(new Set([ids[FIRST], ids[SECOND], ids[THIRD]]));
  });
});
