import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { until } from '../helpers/clients';
import { gatewayEnv, SERVICE, startFakeSmsc, type FakeSmsc } from '../helpers/smsc';
import { E2E_TIMEOUT_MS, OUT, startAppAndBrowser } from './rig';
import { phoneAs } from './app-page';

// Replies by SMS, as the county dispatcher sees it on a phone: a citizen's SMS is an appeal on
// the SMS channel, and its timeline says what was texted back and whether it arrived, never
// to which number.

const NUMBER = '13900009999';
let smsc: FakeSmsc;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  smsc = await startFakeSmsc();
  ({ server, browser } = await startAppAndBrowser(gatewayEnv(smsc)));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await smsc?.stop();
});

describe('an SMS appeal on the dispatcher’s phone', { timeout: E2E_TIMEOUT_MS }, () => {
  it('shows the SMS channel and each message’s state on the timeline, without the number', async () => {
    await until(() => smsc.sessions() === 1, 10_000, 'a bind');
    await smsc.deliver({ source_addr: `86${NUMBER}`, destination_addr: SERVICE, short_message: '兰陵镇南关村的自来水管爆了，路上全是水', data_coding: 8 });
    const [appeal] = (await server.store.appealRows()).filter((a) => a.channel === 'sms');
    await until(async () => (await server.store.smsMessages(appeal!.id))[0]?.state === 'sent', 10_000, 'the code sent');
    const ids = smsc.of('submit_sm').map((_, i) => `m${i + 1}`);
    for (const id of ids) await smsc.deliver({ source_addr: NUMBER, destination_addr: SERVICE, esm_class: 0x04, short_message: `id:${id} stat:DELIVRD err:000` });
    await until(async () => (await server.store.smsMessages(appeal!.id))[0]?.state === 'delivered', 10_000, 'delivered');

    const page = await phoneAs(browser, server.url, 'dispatcher');
    await page.goto(`${server.url}/#/appeal/${appeal!.id}`);
    const timeline = page.getByTestId('timeline');
    await timeline.getByText('受理回执（评价码）：已送达').waitFor();
    await timeline.getByText('短信平台').waitFor();
    await timeline.getByText('受理回执（评价码）：待发送').waitFor();
    await timeline.getByText('受理回执（评价码）：已发出 · 2 条').waitFor();
    await page.getByText('短信', { exact: true }).first().waitFor();
    const body = await page.locator('body').innerText();
    // The contact shows masked, if at all; the timeline never carries it.
    expect(await timeline.innerText()).not.toContain(NUMBER);
    expect(body).not.toContain('sms-gateway');
    // Nothing spills past a 360 px screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    const axe = await new AxeBuilder({ page }).include('[data-testid="timeline"]').analyze();
    expect(axe.violations.map((v) => v.id)).toEqual([]);
    writeFileSync(path.join(OUT, 'sms-timeline.png'), await page.screenshot({ fullPage: true }));
    await page.context().close();
  });
});
