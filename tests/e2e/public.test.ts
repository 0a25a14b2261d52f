import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ensureSeeded } from '../../server/services/seed';
import { openSqliteStore } from '../../server/store/sqlite';
import { storeUpdate } from '../../server/sync/bus';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, fieldsOf, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { showEvalCode } from '../../src/core/evalcode';
import { newId } from '../../src/core/id';
import { tempDir } from '../helpers/server';
import { OUT, startOfflineRig, type OfflineRig } from './rig';

// A citizen on a small phone reads the public board and comments; then, with nothing but the
// evaluation code from a slip of paper, finds their own appeal and rates the answer. The town
// official, who has the appeal open, sees the return visit arrive in its timeline, and lets
// the comment show on the board.

const NAME = '赵桂芳';
const PHONE = '13598765432';
const DESCRIPTION = '村西头桥面护栏断了，孩子上学危险';
let rig: OfflineRig;
let code = '';

beforeAll(async () => {
  const dataDir = tempDir();
  const store = openSqliteStore(dataDir);
  await ensureSeeded(store, '371324');
  const town = (await store.userByUsername('town'))!;
  const village = (await store.regionsUnder(town.scope.regions)).find((r) => r.level === 'village')!.code;
  const doc = new Y.Doc();
  const id = newId();
  const by = { actor: town.id, role: 'town_official' as const, by: town.displayName };
  writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.roads', kind: 'help', urgency: 'orange', villageCode: village, description: DESCRIPTION, citizen: { anonymous: false, name: NAME, phone: PHONE } }, { id: town.id, role: 'town_official', name: town.displayName }, Date.now() - 2 * 86_400_000, newId());
  appendEvent(doc, { id: newId(), type: 'assigned', tier: 'town', at: Date.now() - 86_400_000, ...by } as never);
  appendEvent(doc, { id: newId(), type: 'replied', note: `${NAME}您好，护栏已焊好`, via: 'walk_in', at: Date.now() - 3_600_000, ...by } as never);
  appendEvent(doc, { id: newId(), type: 'published', summary: '大仲村村西桥面护栏断裂，学生上学有危险', reply: '镇城建办当天焊接修复护栏', at: Date.now() - 1_800_000, ...by } as never);
  code = fieldsOf(doc).get('evalCode') as string;
  await store.inPushTx(async (tx) => {
    await tx.putContact(id, { name: NAME, phone: PHONE }, town.id, Date.now());
    return storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: town.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), Date.now(), POLICY_PRESETS.lanling);
  });
  await store.close();
  rig = await startOfflineRig({ dataDir });
}, 60_000);
afterAll(() => rig?.close());

describe('the evaluation code', () => {
  it('lets a citizen read the board, comment, rate by code and book a reception day; the official sees each on the timeline and lets the comment show', { timeout: 90_000 }, async () => {
    // The town official has the appeal open, with its code and QR code.
    const official = rig.page;
    await official.goto(rig.proxy.url);
    await rig.app.login('town');
    await official.getByTestId('queue-all').click();
    await official.getByTestId('appeal-list').getByText(DESCRIPTION.slice(0, 10)).click();
    // On a 360×640 phone the QR code is there to scan, nothing to unfold: labelled, big
    // enough for another phone's camera, inside the page, with the code written beneath.
    await official.setViewportSize({ width: 360, height: 640 });
    const box = official.getByTestId('eval-code');
    const qr = box.getByTestId('eval-qr');
    await qr.locator('path').waitFor();
    expect(await qr.isVisible()).toBe(true);
    const qrBox = (await qr.boundingBox())!;
    expect(qrBox.width).toBeGreaterThanOrEqual(120);
    expect(qrBox.height).toBeGreaterThanOrEqual(120);
    expect(qrBox.x).toBeGreaterThanOrEqual(0);
    expect(qrBox.x + qrBox.width).toBeLessThanOrEqual(360);
    const label = box.getByText('群众扫码查询进度');
    expect(await label.isVisible()).toBe(true);
    const codeText = box.getByTestId('eval-code-text');
    expect(await codeText.textContent()).toBe(showEvalCode(code));
    expect((await codeText.boundingBox())!.y).toBeGreaterThan(qrBox.y + qrBox.height - 1);
    expect((await label.boundingBox())!.y).toBeLessThan(qrBox.y);
    await qr.scrollIntoViewIfNeeded();
    await official.screenshot({ path: path.join(OUT, 'e2e-public-official-code.png') });

    // The citizen: a small phone, no account, the code typed by hand.
    const phone = await (await rig.browser.newContext({ viewport: { width: 360, height: 640 }, locale: 'zh-CN' })).newPage();
    let bytes = 0;
    phone.on('response', (res) => void res.body().then((b) => (bytes += b.byteLength)).catch(() => undefined));
    await phone.goto(`${rig.server.url}/p/board`);
    await phone.getByRole('link', { name: '大仲村村西桥面护栏断裂，学生上学有危险' }).click();
    expect(await phone.locator('.reply').textContent()).toContain('镇城建办当天焊接修复护栏');
    await phone.locator('textarea[name=comment]').fill('修得快，点赞');
    await phone.getByRole('button', { name: '提交评论' }).click();
    await phone.getByText('评论已提交，审核通过后显示').waitFor();
    expect(await phone.locator('.comment').count()).toBe(0);
    await phone.screenshot({ path: path.join(OUT, 'e2e-public-board.png'), fullPage: true });
    const boardBytes = bytes;

    await phone.getByRole('link', { name: '诉求进度查询' }).click();
    await phone.locator('input[name=code]').fill(showEvalCode(code).toLowerCase());
    await phone.getByRole('button', { name: '查询' }).click();
    await phone.getByText('已反馈').waitFor();
    const page = await phone.content();
    expect(page).toContain('道路交通');
    // The answer, the citizen's name in it masked, comes before the rating it asks for.
    const answer = phone.locator('.answer');
    expect(await answer.textContent()).toContain(`${NAME[0]}**您好，护栏已焊好`);
    expect((await answer.boundingBox())!.y).toBeLessThan((await phone.getByRole('button', { name: '提交评价' }).boundingBox())!.y);
    expect(page.indexOf('护栏已焊好')).toBeLessThan(page.indexOf('name="satisfaction"'));
    for (const secret of [NAME, PHONE, DESCRIPTION.slice(0, 6)]) expect(page).not.toContain(secret);
    await phone.getByLabel('满意', { exact: true }).check();
    await phone.locator('textarea[name=note]').fill('焊得很结实，谢谢');
    await phone.getByRole('button', { name: '提交评价' }).click();
    await phone.getByText('谢谢您的评价').waitFor();
    await phone.screenshot({ path: path.join(OUT, 'e2e-public-rated.png'), fullPage: true });
    console.log(`public pages: board, item and comment ${boardBytes} bytes; with lookup, code page and rating ${bytes} bytes in all, no script`);

    // The official's open timeline gains the citizen's return visit, live.
    const visit = official.getByTestId('timeline').locator('li[data-type=visited]');
    await visit.waitFor({ timeout: 30_000 });
    expect(await visit.textContent()).toContain('群众（凭评价码）');
    expect(await visit.textContent()).toContain('满意');

    // The official publishes a reception day; the citizen books it with the code; the booking
    // reaches the open timeline, and the official records the outcome there.
    // By address: on a phone these places sit in the tab bar's 更多 sheet.
    const open = (hash: string) => official.evaluate((h) => (location.hash = h), hash);
    await open('#/civic');
    const tomorrow = new Date(Date.now() + 8 * 3_600_000 + 86_400_000).toISOString().slice(0, 10);
    await official.locator('input[name=host]').fill('镇党委书记 李强');
    await official.locator('input[name=place]').fill('镇便民服务中心');
    await official.locator('input[name=date]').fill(tomorrow);
    await official.getByRole('button', { name: '发布', exact: true }).click();
    await official.getByTestId('slots').getByText('镇党委书记 李强').waitFor();
    await phone.goto(`${rig.server.url}/p/reception`);
    await phone.locator('input[name=code]').fill(code);
    await phone.getByRole('button', { name: '预约' }).click();
    await phone.getByText('预约成功').waitFor();
    await open('#/');
    await official.getByTestId('queue-all').click();
    await official.getByTestId('appeal-list').getByText(DESCRIPTION.slice(0, 10)).click();
    const booking = official.getByTestId('timeline').locator('li[data-type=reception_booked]');
    await booking.waitFor({ timeout: 30_000 });
    expect(await booking.textContent()).toContain('镇党委书记 李强');
    await official.locator('button[data-action=reception_held]').click();
    const form = official.getByTestId('action-form');
    await form.locator('textarea[name=note]').fill('李书记当面答复，护栏加装防撞墩');
    await form.getByRole('button', { name: '确认' }).click();
    await official.getByTestId('timeline').locator('li[data-type=reception_held]').waitFor();
    await official.screenshot({ path: path.join(OUT, 'e2e-public-timeline.png'), fullPage: true });

    // The official lets the comment show; the citizen sees it on the board.
    await open('#/board');
    const pending = official.getByTestId('pending-comments').locator('li');
    await pending.first().waitFor();
    expect(await pending.first().textContent()).toContain('修得快，点赞');
    await pending.first().getByRole('button', { name: '通过', exact: true }).click();
    await expect.poll(() => pending.count()).toBe(0);
    await phone.goto(`${rig.server.url}/p/board`);
    await phone.getByRole('link', { name: '大仲村村西桥面护栏断裂，学生上学有危险' }).click();
    expect(await phone.locator('.comment').textContent()).toContain('修得快，点赞');
  });
});
