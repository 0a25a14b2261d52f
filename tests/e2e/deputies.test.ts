import 'fake-indexeddb/auto';
import AxeBuilder from '@axe-core/playwright';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { seen, step } from '../helpers/appeal-steps';
import { device, login, until, type Device } from '../helpers/clients';
import { E2E_TIMEOUT_MS, OUT, startOfflineRig, type OfflineRig } from './rig';

// Deputies' columns end to end (issue 29, item 3): a county deputy on a 360×640 phone with no
// signal writes a 代言 post, which waits on the phone; back online it syncs to the county
// platform, whose dispatcher assigns it to the water bureau; the bureau answers; the deputy's
// phone shows the answer, and the public page shows post, department and answer, axe-clean.

const TEXT = '代群众反映：大仲村自来水时断时续，群众用水困难，请县水务局限期解决。';
const ANSWER = '已更换破损管道两处并增设夜间蓄水，供水已恢复正常。';

let rig: OfflineRig;
let dispatcher: Device;
let dept: Device;
let id = '';

beforeAll(async () => {
  rig = await startOfflineRig();
  const server = rig.server as unknown as RunningServer;
  dispatcher = await device(server, await login(server, 'dispatcher'));
  dept = await device(server, await login(server, 'dept'));
  dispatcher.engine.start();
  dept.engine.start();
  const admin = await login(server, 'admin');
  const deputy = await login(server, 'deputy');
  const res = await fetch(`${server.url}/api/admin/deputies`, { method: 'PUT', headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: deputy.user.id, body: 'npc' }) });
  if (res.status !== 200) throw new Error(`body: ${res.status}`);
}, 120_000);

afterAll(async () => {
  dispatcher?.close();
  dept?.close();
  await rig?.close();
});

async function axe(page: import('playwright-core').Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  return violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

describe('a deputy’s post, from a phone without signal to the public page', { timeout: E2E_TIMEOUT_MS }, () => {
  it('is written offline at 360×640 and kept on the phone; online again, it reaches the county platform', async () => {
    const { page, app } = rig;
    await page.setViewportSize({ width: 360, height: 640 });
    await page.goto(rig.proxy.url);
    await app.login('deputy');
    await app.installShell();
    // The phone holds the county's villages before it goes out of signal.
    await app.go(/登记诉求/);
    await page.getByTestId('deputy-form').waitFor();
    await rig.goOffline();
    await app.waitForLink('离线');

    await page.getByRole('radio', { name: /代言/ }).check();
    await page.locator('textarea[name=description]').fill(TEXT);
    await page.locator('select[name=category]').selectOption('infra.water');
    const town = page.locator('select[name=town]');
    await until(async () => (await town.locator('option').count()) > 1, 10_000, 'towns listed');
    await town.selectOption({ index: 1 });
    await page.locator('select[name=villageCode]').selectOption({ index: 1 });
    await page.locator('input[name=shownAs]').fill('李代表');
    await page.getByTestId('deputy-form').screenshot({ path: path.join(OUT, 'deputy-form.png') });
    // Nothing overflows the phone's width.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.getByRole('button', { name: '保存并提交' }).click();
    await page.waitForURL(/#\/appeal\//);
    id = /#\/appeal\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    expect(await app.pendingCount()).toBeGreaterThan(0);
    expect(await page.getByTestId('detail-status').textContent()).toBe('已登记');

    await rig.goOnline();
    await app.waitForLink('在线');
    await expect.poll(() => app.pendingCount(), { timeout: 20_000 }).toBe(0);
    await seen(dispatcher, id, (s) => s.status === 'new' && s.tier === 'county', 'the post at the county desk');
  });

  it('is assigned by the dispatcher and answered by the water bureau; the deputy’s phone shows the answer', async () => {
    await step(dispatcher, id, { type: 'accepted' });
    await step(dispatcher, id, { type: 'assigned', to: 'county', from: 'county', dept: 'water', note: '代表建议，请限期答复' } as never);
    await seen(dept, id, (s) => s.status === 'assigned' && s.dept === 'water', 'the assignment');
    await step(dept, id, { type: 'replied', note: ANSWER, via: 'deputy' } as never);
    const { page } = rig;
    await expect.poll(() => page.getByTestId('detail-status').textContent(), { timeout: 20_000 }).toBe('已反馈');
    await page.getByTestId('timeline').getByText(ANSWER).waitFor();
    await page.goto(`${rig.proxy.url}/#/list`);
    await page.getByTestId('appeal-list').locator('a.row', { hasText: TEXT.slice(0, 10) }).waitFor();
  });

  it('shows on the public pages, with its department and the answer, small, script-free and axe-clean', async () => {
    const page = await (await rig.browser.newContext({ viewport: { width: 360, height: 640 }, locale: 'zh-CN' })).newPage();
    for (const lang of ['', '?lang=en']) {
      const list = await page.goto(`${rig.server.url}/p/deputies${lang}`);
      const listHtml = await list!.text();
      expect(Buffer.byteLength(listHtml)).toBeLessThan(10 * 1024);
      // Server-rendered with no script at all (axe below injects its own).
      expect(listHtml).not.toContain('<script');
      expect(await axe(page)).toEqual([]);
      await page.locator(`a[href^="/p/deputies/${id}"]`).click();
      await page.locator('.answer').waitFor();
      const html = await page.content();
      expect(html).toContain(ANSWER);
      expect(html).toContain(lang ? 'Water' : '水务局');
      expect(html).toContain(lang ? 'County people' : '县人大代表');
      expect(html).toContain('李代表');
      expect(await axe(page)).toEqual([]);
    }
    await page.screenshot({ path: path.join(OUT, 'deputies-public.png'), fullPage: true });
    await page.context().close();
  });
});
