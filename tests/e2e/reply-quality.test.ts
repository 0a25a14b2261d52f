import 'fake-indexeddb/auto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordAppeal } from '../../src/store/appeals';
import { device, login } from '../helpers/clients';
import { phoneAs } from './app-page';
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
});
