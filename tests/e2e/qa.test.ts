import AxeBuilder from '@axe-core/playwright';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { LIVE_REFRESH_SECONDS } from '../../src/core/qa';
import { appPage } from './app-page';
import { appAndBrowserForFile, E2E_TIMEOUT_MS, OUT } from './rig';

// An online Q&A session (在线访谈) from both sides, on 360×640 phones. The town official
// schedules a live session in the app; a citizen with script turned off asks on the public
// page; the official approves the question, answers it and turns it into an appeal; the
// citizen's page reloads by itself and shows the answer and the appeal's code. axe finds
// nothing on the public pages nor on the official's screens.

const rig = appAndBrowserForFile();
const PHONE = '13912345678';
const QUESTION = `自来水一到晚上就没压力，能不能加个泵？我电话${PHONE}`;
const ANSWER = '镇水务站本周内加装增压泵，周五前完成。';
/** The live session's public page, as the first test found it. */
let sessionPath = '';

/** Hours and minutes as China Standard Time writes them, for the form's date and time inputs. */
function cst(ms: number): { date: string; time: string } {
  const iso = new Date(ms + 8 * 3_600_000).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 16) };
}

async function axe(page: Page, name: string): Promise<string[]> {
  await page.screenshot({ path: path.join(OUT, `qa-${name}.png`) });
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  return violations.map((v) => `${name}: ${v.id} (${v.impact}) ×${v.nodes.length}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

describe('an online Q&A session', () => {
  it('goes from a citizen’s question without script to the official’s live answer on the citizen’s reloading page', { timeout: 2 * E2E_TIMEOUT_MS }, async () => {
    const phone = { viewport: { width: 360, height: 640 }, locale: 'zh-CN', hasTouch: true, isMobile: true };
    const officialContext = await rig.browser.newContext(phone);
    const official = appPage(await officialContext.newPage());
    await official.page.goto(rig.server.url);
    await official.login('town');

    // Scheduled in the app: on now, for two hours.
    await official.page.goto(`${rig.server.url}/#/qa`);
    await official.page.getByRole('heading', { name: '安排一场访谈' }).waitFor();
    const start = cst(Date.now() - 60_000);
    await official.page.getByLabel('主题').fill('农村饮水安全');
    await official.page.getByLabel(/^主持人/).fill('镇长');
    await official.page.locator('input[name=date]').fill(start.date);
    await official.page.locator('input[name=time]').fill(start.time);
    await official.page.getByRole('button', { name: '发布预告' }).click();
    const card = official.page.getByTestId('qa-sessions').locator('li', { hasText: '农村饮水安全' });
    await card.getByText('直播中').waitFor();
    // Nothing sideways on a 360 px phone.
    expect(await official.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

    // The citizen, with no script at all, finds the live session and asks.
    const citizenContext = await rig.browser.newContext({ ...phone, javaScriptEnabled: false });
    const citizen = await citizenContext.newPage();
    await citizen.goto(`${rig.server.url}/p/qa`);
    await citizen.getByRole('link', { name: '农村饮水安全' }).click();
    const sessionUrl = citizen.url();
    await citizen.getByRole('link', { name: '我要提问' }).click();
    await citizen.getByLabel('您的问题').fill(QUESTION);
    await citizen.getByRole('button', { name: '提交问题' }).click();
    await citizen.getByText('问题已提交，审核通过后显示。').waitFor();
    expect(citizen.url()).toBe(`${sessionUrl}?asked=1`);
    expect(await citizen.content()).not.toContain('没压力');

    // Every reload of the citizen's page (the Refresh header's, not the citizen's) counts here.
    let loads = 0;
    citizen.on('load', () => loads++);

    // The official approves it, answers it and turns it into an appeal.
    await card.getByRole('link', { name: '管理提问' }).click();
    const pending = official.page.getByTestId('qa-pending').locator('li', { hasText: '没压力' });
    await pending.waitFor();
    expect(await official.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await pending.getByRole('button', { name: '公开', exact: true }).click();
    const shown = official.page.getByTestId('qa-shown').locator('li', { hasText: '没压力' });
    await shown.getByLabel('回答').fill(ANSWER);
    await shown.getByRole('button', { name: '发布回答' }).click();
    await shown.getByText(ANSWER).waitFor();
    await shown.getByRole('button', { name: '转为诉求' }).click();
    const converted = shown.getByText(/^已转为诉求 /);
    await converted.waitFor();
    const code = ((await converted.textContent()) ?? '').replace('已转为诉求', '').trim();
    expect(code).toMatch(/\S{4}/);

    // The citizen's page reloads by itself (no script) and shows the answer and the appeal's code;
    // the phone number in the question is masked.
    const loadsBefore = loads;
    await citizen.getByText(ANSWER).waitFor({ timeout: (LIVE_REFRESH_SECONDS + 10) * 1000 });
    expect(loads).toBeGreaterThan(loadsBefore);
    const html = await citizen.content();
    expect(html).toContain('139****5678');
    expect(html).not.toContain(PHONE);
    expect(html).toContain(code);
    expect(html).toContain('已转为诉求');
    await citizenContext.close();
    await officialContext.close();
    sessionPath = new URL(sessionUrl).pathname;
  });

  it('has no axe violations on the public pages (live, answered, in English) nor on the official’s screens', { timeout: 2 * E2E_TIMEOUT_MS }, async () => {
    expect(sessionPath).toMatch(/^\/p\/qa\//);
    // axe needs script to run; the pages have none of their own.
    const context = await rig.browser.newContext({ viewport: { width: 360, height: 640 }, locale: 'zh-CN' });
    const reader = await context.newPage();
    const found: string[] = [];
    for (const [name, url] of [['public-list', '/p/qa'], ['public-session', sessionPath], ['public-ask', `${sessionPath}/ask`], ['public-session-en', `${sessionPath}?lang=en&refresh=0`]] as const) {
      await reader.goto(`${rig.server.url}${url}`);
      found.push(...(await axe(reader, name)));
      expect(await reader.evaluate(() => document.documentElement.scrollWidth), name).toBeLessThanOrEqual(360);
    }
    const official = appPage(reader);
    await reader.goto(rig.server.url);
    await official.login('town');
    await reader.goto(`${rig.server.url}/#/qa`);
    await reader.getByTestId('qa-sessions').locator('li').first().waitFor();
    found.push(...(await axe(reader, 'app-sessions')));
    await reader.goto(`${rig.server.url}/#/qa/${sessionPath.split('/').pop()}`);
    await reader.getByTestId('qa-shown').locator('li').first().waitFor();
    found.push(...(await axe(reader, 'app-session')));
    expect(found).toEqual([]);
    await context.close();
  });
});
