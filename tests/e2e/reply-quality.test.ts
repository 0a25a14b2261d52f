import 'fake-indexeddb/auto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordAppeal } from '../../src/store/appeals';
import { device, login } from '../helpers/clients';
import { appPage, phoneAs } from './app-page';
import { seen, step } from '../helpers/appeal-steps';
import { E2E_TIMEOUT_MS, OUT, appAndBrowserForFile } from './rig';

// Reply quality checks (issue 28, item 2): a town official answering on a phone types stock
// phrases; the form lists the rules that fire as they type, without blocking, and the list
// empties once the reply says what was done and when. The sent reply's timeline entry carries
// no quality note; a flagged one would.

const DESCRIPTION = '村西头机井的电线被风刮断了，浇不了麦子。';
const BOILERPLATE = '我镇高度重视，将认真研究，积极协调，妥善处理。';
const OTHER = '村口小桥的护栏松了，孩子上学路过很危险。';
const GOOD = '已于12月3日派电工上门更换断线，机井已恢复通电，可以正常浇地。';

const rig = appAndBrowserForFile();

describe('reply quality advice', { timeout: E2E_TIMEOUT_MS }, () => {
  it('warns about a boilerplate reply as it is typed and clears when the reply is concrete', async () => {
    const grid = await device(rig.server, await login(rig.server, 'grid'));
    const village = grid.session.user.scope.regions[0]!;
    const input = { channel: 'grid_patrol', category: 'infra.power', kind: 'help', urgency: 'orange', villageCode: village, description: DESCRIPTION, citizen: { anonymous: false, name: '王大娘' } };
    const record = async (description: string) => {
      const recorded = await recordAppeal(grid.db, { ...input, description }, grid.who);
      expect(recorded.ok).toBe(true);
      return (recorded as { value: { id: string } }).value.id;
    };
    const id = await record(DESCRIPTION);
    const other = await record(OTHER);
    grid.engine.start();
    await grid.settled();
    grid.close();

    const page = await phoneAs(rig.browser, rig.server.url, 'town');
    // The town takes an appeal at its own desk, then answers.
    const answer = async (appeal: string) => {
      await page.goto(`${rig.server.url}/#/appeal/${appeal}`);
      await page.getByTestId('action-assigned').click({ timeout: 20_000 });
      await page.getByTestId('action-tier-town').click();
      await page.getByTestId('action-submit').click();
      await page.getByTestId('action-replied').click({ timeout: 20_000 });
    };
    await answer(id);

    const advice = page.getByTestId('reply-quality');
    const note = page.getByTestId('action-note');
    await note.fill(BOILERPLATE);
    await expect.poll(() => advice.locator('li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-rule')))).toEqual(['boilerplate', 'no_action']);
    expect(await advice.textContent()).toContain('答复质量提示');
    expect(await advice.textContent()).toContain('高度重视、认真研究、积极协调、妥善处理');
    // Advice only: sending stays possible.
    expect(await page.getByTestId('action-submit').isEnabled()).toBe(true);
    await page.getByTestId('action-form').screenshot({ path: path.join(OUT, 'reply-quality-warnings.png') });

    await note.fill('已处理。');
    await expect.poll(() => advice.locator('li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-rule')))).toEqual(['too_short', 'no_action']);

    await note.fill(GOOD);
    await expect.poll(() => advice.locator('li').count()).toBe(0);
    expect((await advice.textContent())?.trim()).toBe('');
    await page.getByTestId('action-submit').click();

    const timeline = page.getByTestId('timeline');
    const reply = timeline.locator('li[data-type=replied]');
    await reply.waitFor();
    expect(await reply.textContent()).toContain(GOOD);
    expect(await reply.getByTestId('timeline-quality').count()).toBe(0);

    // A reply sent as it was typed, flagged: its timeline entry says which rules it tripped.
    await answer(other);
    await page.getByTestId('action-note').fill('已处理。');
    await page.getByTestId('action-submit').click();
    const flagged = page.getByTestId('timeline').locator('li[data-type=replied]').getByTestId('timeline-quality');
    await flagged.waitFor();
    expect(await flagged.textContent()).toMatch(/^质检提示：答复过短（\d+\/15 字）.* · 未写明采取的具体措施或办结时间$/);
    await page.getByTestId('timeline').screenshot({ path: path.join(OUT, 'reply-quality-timeline.png') });
  });

  it('a county reviewer sends a boilerplate reply back from 待质检; the town sees it back with the reviewer’s words', async () => {
    const grid = await device(rig.server, await login(rig.server, 'grid'));
    const town = await device(rig.server, await login(rig.server, 'town'));
    const village = grid.session.user.scope.regions[0]!;
    const recorded = await recordAppeal(grid.db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'complaint', urgency: 'yellow', villageCode: village, description: '村西桥护栏断了，孩子上学危险。', citizen: { anonymous: true } }, grid.who);
    expect(recorded.ok).toBe(true);
    const id = (recorded as { value: { id: string } }).value.id;
    grid.engine.start();
    town.engine.start();
    await grid.settled();
    await seen(town, id, (s) => s.status === 'new', 'the appeal');
    await step(town, id, { type: 'assigned', to: 'town', from: 'town' });
    await step(town, id, { type: 'replied', note: BOILERPLATE, via: 'grid_patrol' });
    grid.close();

    // The reviewer works at a desk: a wide screen.
    const desk = await (await rig.browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await desk.goto(rig.server.url);
    await appPage(desk).login('reviewer');
    await desk.getByTestId('queue-quality').click();
    const row = desk.getByTestId('appeal-list').locator('a.row', { hasText: '村西桥护栏' });
    await row.waitFor({ timeout: 20_000 });
    expect(await row.getByTestId('row-flags').textContent()).toBe('质检提示：官话套话、无具体措施或时间');
    await row.click();
    await desk.getByTestId('action-quality_reviewed').click({ timeout: 20_000 });
    expect(await desk.getByTestId('review-reply').textContent()).toBe(BOILERPLATE);
    await desk.getByTestId('review-redo').click();
    // The rules the checks found are ticked already; a redo needs the reviewer's words.
    expect(await desk.getByTestId('review-rules').locator('input:checked').evaluateAll((xs) => xs.map((x) => (x as HTMLInputElement).value))).toEqual(['boilerplate', 'no_action']);
    expect(await desk.getByTestId('action-submit').isDisabled()).toBe(true);
    await desk.getByTestId('action-note').fill('请写明护栏何时修好、由谁修');
    await desk.getByTestId('action-form').screenshot({ path: path.join(OUT, 'quality-review-redo.png') });
    await desk.getByTestId('action-submit').click();
    const verdict = desk.getByTestId('timeline').locator('li[data-type=quality_reviewed]');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-verdict')).toBe('redo');
    expect(await verdict.textContent()).toContain('退回重办 · 官话套话 · 无具体措施或时间');
    await desk.context().close();

    // Back on the town's phone: in progress again, tagged, with the reviewer's words on the timeline.
    await seen(town, id, (s) => s.status === 'in_progress' && s.quality === 'redo', 'the redo');
    town.close();
    const phone = await phoneAs(rig.browser, rig.server.url, 'town');
    await phone.getByTestId('queue-assigned').click();
    const back = phone.getByTestId('appeal-list').locator('a.row', { hasText: '村西桥护栏' });
    await back.getByTestId('row-redo').waitFor({ timeout: 20_000 });
    await back.click();
    expect(await phone.getByTestId('detail-status').textContent()).toBe('办理中');
    expect(await phone.getByTestId('timeline').locator('li[data-type=quality_reviewed]').textContent()).toContain('请写明护栏何时修好、由谁修');
    expect(await phone.getByTestId('action-replied').isVisible()).toBe(true);
    await phone.context().close();
  });
});
