import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningServer } from '../../server/app';
import { appendOnServer } from '../../server/services/intake';
import { CODE_MISSES } from '../../server/http/public';
import { loadConfig } from '../../server/config';
import { expectedAnswerBy } from '../../src/core/citizen-view';
import { longDate } from '../../src/core/calendar';
import { policyFor } from '../../src/core/policy-book';
import { storeUpdate } from '../../server/sync/bus';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, docFromUpdates, fieldsOf, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { showEvalCode } from '../../src/core/evalcode';
import type { AppealEvent } from '../../src/core/events';
import { newId } from '../../src/core/id';
import { login, type Login } from '../helpers/clients';
import { startTestServer, tempDir } from '../helpers/server';

// The public pages through the real server: an appeal found by its evaluation code shows
// its progress, who handles it and by when, and the answer before the rating form; never a
// name, a phone or the citizen's own text; and guessing codes is stopped.

const NAME = '王秀兰';
const PHONE = '13812345678';
let server: RunningServer;
let town: Login;
let id = '';
let code = '';

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  town = await login(server, 'town');
  const village = (await server.store.regionsUnder(town.user.scope.regions)).find((r) => r.level === 'village')!.code;
  const doc = new Y.Doc();
  id = newId();
  // Citizens put themselves in the free text too; none of it may leave through a public page.
  writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.roads', kind: 'complaint', urgency: 'yellow', villageCode: village, description: `我是${NAME}，电话${PHONE}，村口路灯坏了`, citizen: { anonymous: false, name: NAME, phone: PHONE } }, { id: town.user.id, role: 'town_official' }, Date.now() - 3_600_000, newId());
  const by = { actor: town.user.id, role: 'town_official' as const };
  appendEvent(doc, { id: newId(), type: 'assigned', tier: 'town', at: Date.now() - 3_000_000, ...by } as never);
  appendEvent(doc, { id: newId(), type: 'replied', note: `${NAME}您好，路灯已修复，如有问题请回电${PHONE}`, via: 'walk_in', at: Date.now() - 60_000, ...by } as never);
  code = fieldsOf(doc).get('evalCode') as string;
  await server.store.inPushTx(async (tx) => {
    await tx.putContact(id, { name: NAME, phone: PHONE }, town.user.id, Date.now());
    return storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: town.user.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), Date.now(), POLICY_PRESETS.lanling);
  });
});
afterAll(() => server?.close());

/** Appends an event by the town official to the stored appeal, as a pushed update would. */
async function append(event: object): Promise<void> {
  await appendOnServer(server.store, server.bus, POLICY_PRESETS.lanling, id, 'town-phone', () => ({ id: newId(), at: Date.now(), actor: town.user.id, role: 'town_official', ...event }) as AppealEvent);
}

const get = (path: string) => fetch(`${server.url}${path}`, { redirect: 'manual' });
const rate = (satisfaction: string, note = '') => fetch(`${server.url}/p/c/${code}/rate`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ satisfaction, note }) });

describe('looking up an appeal by its evaluation code', () => {
  it('shows its progress, the answer and then a rating form, in a small page with no script, and never personal data', async () => {
    const res = await get(`/p/c/${code}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(showEvalCode(code));
    expect(html).toContain('道路交通');
    expect(html).toContain('已反馈');
    expect(html).toContain('name="satisfaction" value="unsatisfied"');
    // The citizen reads what they are asked to rate first: the handler's reply, the name and phone in it masked.
    const answer = html.indexOf('王**您好，路灯已修复，如有问题请回电138****5678');
    expect(answer).toBeGreaterThan(0);
    expect(answer).toBeLessThan(html.indexOf('<form method="post"'));
    expect(html).toContain('办理答复');
    expect(html).not.toContain('<script');
    expect(Buffer.byteLength(html)).toBeLessThan(4 * 1024);

    // Every public answer, raw: the pages, the JSON, the lookup redirect, English, the style sheet.
    const answers = await Promise.all([`/p/c/${code}`, `/p/c/${code}?lang=en`, `/api/public/code/${code}`, `/p/c?code=${showEvalCode(code).toLowerCase()}`, '/p/', '/p/style.css', '/p/info', '/p/info?q=%E8%B7%AF%E7%81%AF&lang=en'].map(async (path) => ({ path, body: await (await get(path)).text() })));
    for (const { path, body } of answers) {
      expect(body, path).not.toContain(NAME);
      expect(body, path).not.toContain(PHONE);
      // The citizen's own description never; the reply only in the code's own answers.
      expect(body, path).not.toContain('村口路灯坏了');
    }
    expect(answers[1]!.body).toContain('路灯已修复');
    expect(answers[4]!.body).not.toContain('路灯');
    expect(answers[3]!.body).toBe('');
    expect((await get(`/p/c?code=${showEvalCode(code).toLowerCase()}`)).headers.get('location')).toBe(`/p/c/${code}`);
    expect(JSON.parse(answers[2]!.body)).toMatchObject({ code, category: 'infra.roads', status: 'replied', mayRate: true, answer: '王**您好，路灯已修复，如有问题请回电138****5678', handledBy: null, expectedBy: null });
  });

  it('takes the citizen’s rating as the return visit, once', async () => {
    expect((await rate('delighted')).status).toBe(400);
    const res = await rate('unsatisfied', '路灯晚上还是不亮');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/p/c/${code}?rated=1`);
    const doc = docFromUpdates(await server.store.docParts(id));
    const visit = readAppeal(doc, id).events.at(-1)!;
    expect(visit).toMatchObject({ type: 'visited', satisfaction: 'unsatisfied', note: '路灯晚上还是不亮', actor: 'citizen', role: 'citizen' });
    expect((await server.store.appealsById([id]))[0]).toMatchObject({ status: 'visited', satisfaction: 'unsatisfied' });
    // The appeal no longer awaits a return visit: a second rating changes nothing.
    expect((await rate('satisfied')).headers.get('location')).toBe(`/p/c/${code}?rated=0`);
    expect(readAppeal(docFromUpdates(await server.store.docParts(id)), id).events.filter((e) => (e as { type: string }).type === 'visited')).toHaveLength(1);
    const page = await (await get(`/p/c/${code}`)).text();
    expect(page).toContain('不满意');
    expect(page).not.toContain('name="satisfaction"');
  });

  it('shows an open appeal’s desk or department and the day its answer is due, with no answer and no rating form', async () => {
    const regions = await server.store.regionsUnder(town.user.scope.regions);
    const village = regions.find((r) => r.level === 'village')!;
    const county = (await server.store.regionsUnder([village.code.slice(0, 6)])).find((r) => r.level === 'county')!;
    const policies = loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '' }).policies;
    /** A fresh appeal of this village with `events` after its recording, stored as a device would push it. */
    const seed = async (events: object[]) => {
      const doc = new Y.Doc();
      const docId = newId();
      writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.water', kind: 'help', urgency: 'orange', villageCode: village.code, description: `${NAME}家门口水管爆了，电话${PHONE}`, citizen: { anonymous: false, name: NAME, phone: PHONE } }, { id: town.user.id, role: 'town_official' }, Date.now() - 600_000, newId());
      for (const e of events) appendEvent(doc, { id: newId(), at: Date.now() - 300_000, ...e } as never);
      await server.store.inPushTx(async (tx) => {
        await tx.putContact(docId, { name: NAME, phone: PHONE }, town.user.id, Date.now());
        return storeUpdate(tx, { docId, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: town.user.id, bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, docId), Date.now(), policyFor(policies, village.code));
      });
      return { evalCode: fieldsOf(doc).get('evalCode') as string, row: (await server.store.appealsById([docId]))[0]! };
    };

    // Just recorded: it waits at the village's desk; the answer is due after dispatch and handling.
    const fresh = await seed([]);
    const expected = expectedAnswerBy(fresh.row, policyFor(policies, village.code))!;
    expect(expected).toBeGreaterThan(fresh.row.dueAt!);
    let html = await (await get(`/p/c/${fresh.evalCode}`)).text();
    expect(html).toContain('<dt>承办单位</dt><dd>' + village.name.replace(/村民委员会$|居民委员会$/, ''));
    expect(html).toMatch(/<dt>预计答复<\/dt><dd>\d{4}年\d{1,2}月\d{1,2}日<\/dd>/);
    expect(html).toContain(`<dt>预计答复</dt><dd>${longDate(expected, 'zh-CN')}</dd>`);
    expect(html).not.toContain('name="satisfaction"');
    expect(html).not.toContain('办理答复');

    // With a county department: its name, and the handling deadline.
    const dispatcher = { actor: 'dispatcher-1', role: 'county_dispatcher' };
    const withDept = await seed([{ type: 'assigned', to: 'county', dept: 'water', ...dispatcher }]);
    expect(withDept.row).toMatchObject({ status: 'assigned', dept: 'water', stage: 'handle' });
    html = await (await get(`/p/c/${withDept.evalCode}`)).text();
    expect(html).toContain(`<dt>承办单位</dt><dd>${county.name}水务局</dd>`);
    expect(html).toContain(`<dt>预计答复</dt><dd>${longDate(withDept.row.dueAt!, 'zh-CN')}</dd>`);
    const en = await (await get(`/p/c/${withDept.evalCode}?lang=en`)).text();
    expect(en).toMatch(/<dt>Answer expected by<\/dt><dd>\d{1,2} [A-Z][a-z]{2} \d{4}<\/dd>/);
    for (const body of [html, en]) {
      expect(body).not.toContain(NAME);
      expect(body).not.toContain(PHONE);
      expect(body).not.toContain('水管爆了');
    }
  });

  it('answers a malformed address with not found, and stays up', async () => {
    expect((await get('/p/c/%E0%A4%A')).status).toBe(404);
    expect((await get('/p/board/not-an-id')).status).toBe(404);
    expect((await get('/api/health')).status).toBe(200);
  });

  it('stops an address guessing codes after a few misses, even for a right code', async () => {
    let refused = 0;
    for (let i = 0; i < CODE_MISSES.max + 5; i++) {
      const res = await get(`/api/public/code/${'Z'.repeat(9)}${'0123456789ABCDEF'[i]}`);
      if (res.status === 429) refused++;
      else expect(res.status).toBe(404);
    }
    console.log(`guessing codes: ${CODE_MISSES.max + 5} tries, ${CODE_MISSES.max + 5 - refused} answered "not found", ${refused} refused; a right code has 50 random bits`);
    // The malformed address above was this address's first miss.
    expect(refused).toBe(6);
    const blocked = await get(`/p/c/${code}`);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('the public board', () => {
  const comment = (text: string) => fetch(`${server.url}/p/board/${id}/comment`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ comment: text }) });
  const moderation = (method: 'GET' | 'POST', body?: object) =>
    fetch(`${server.url}/api/moderation/comments`, { method, headers: { authorization: `Bearer ${town.token}`, 'content-type': 'application/json' }, ...(body && { body: JSON.stringify(body) }) });

  it('shows a published appeal in the publisher’s words, with a slipped name and phone masked', async () => {
    expect(await (await get('/p/board')).text()).toContain('暂无公开的诉求');
    expect((await get(`/p/board/${id}`)).status).toBe(404);
    // The publisher's summary slips: the citizen's name and phone are in it.
    await append({ type: 'published', summary: `${NAME}反映村口路灯坏了，电话${PHONE}`, reply: '镇电管站已更换灯泡' });
    const board = await (await get('/p/board')).text();
    expect(board).toContain('王**反映村口路灯坏了，电话138****5678');
    expect(board).toContain('镇电管站已更换灯泡');
    expect(board).toContain('不满意'); // the citizen's rating above
    expect(board).toContain(`/p/board/${id}`);
  });

  it('holds a comment until a moderator in the area lets it show', async () => {
    const res = await comment(`灯修好又坏了，我是${NAME}，电话${PHONE}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/p/board/${id}?commented=1`);
    expect(await (await get(`/p/board/${id}`)).text()).not.toContain('灯修好又坏了');
    expect((await comment('   ')).status).toBe(400);

    const pending = (await (await moderation('GET')).json()) as { comments: { id: string; body: string }[] };
    expect(pending.comments).toHaveLength(1);
    const dispatcherOf = await login(server, 'grid');
    expect((await fetch(`${server.url}/api/moderation/comments`, { headers: { authorization: `Bearer ${dispatcherOf.token}` } })).status).toBe(403);
    expect((await moderation('POST', { id: pending.comments[0]!.id, verdict: 'approved' })).status).toBe(200);
    expect((await moderation('POST', { id: pending.comments[0]!.id, verdict: 'rejected' })).status).toBe(409);
    const page = await (await get(`/p/board/${id}`)).text();
    expect(page).toContain('灯修好又坏了，我是王**，电话138****5678');
  });

  it('never lets a name or phone out of any public page, and slows down comment floods', async () => {
    const pointsBoard = `/p/points/${(await server.store.regionsUnder(town.user.scope.regions)).find((r) => r.level === 'village')!.code}`;
    // A deputy's post linking the citizen's appeal, answered (deputies' columns, issue 29): its pages show the link by category and status only.
    const deputy = await login(server, 'deputy');
    const post = new Y.Doc();
    const postId = newId();
    const village = (await server.store.regionsUnder(town.user.scope.regions)).find((r) => r.level === 'village')!.code;
    writeNewAppeal(post, { channel: 'deputy', column: 'voice', kind: 'help', category: 'infra.roads', urgency: 'yellow', villageCode: village, description: '代群众反映村口路灯问题', citizen: { anonymous: true }, supports: [id], shownAs: '李代表' }, { id: deputy.user.id, role: 'deputy', desk: 'county' }, Date.now() - 60_000, newId());
    appendEvent(post, { id: newId(), type: 'assigned', to: 'county', from: 'county', dept: 'transport', at: Date.now() - 30_000, actor: town.user.id, role: 'county_dispatcher' } as never);
    appendEvent(post, { id: newId(), type: 'replied', note: `已联系${NAME}，路灯已修复，回电${PHONE}`, via: 'deputy', at: Date.now(), actor: town.user.id, role: 'town_official' } as never);
    await server.store.inPushTx(async (tx) => storeUpdate(tx, { docId: postId, deviceId: 'seed', clientSeq: await tx.nextClientSeq('seed'), userId: deputy.user.id, bytes: Y.encodeStateAsUpdate(post) }, readAppeal(post, postId), Date.now(), POLICY_PRESETS.lanling));
    const answers = await Promise.all(['/p/', '/p/board', `/p/board/${id}`, `/p/board/${id}?lang=en`, `/p/c/${code}`, `/api/public/code/${code}`, '/p/ask', '/p/reception', '/p/qa', pointsBoard, `/p/cards/${village}`, '/p/deputies', `/p/deputies/${postId}`, `/p/deputies/${postId}?lang=en`].map(async (path) => ({ path, body: await (await get(path)).text() })));
    for (const { path, body } of answers) {
      expect(body, path).not.toContain(NAME);
      expect(body, path).not.toContain(PHONE);
      expect(body, path).not.toContain('村口路灯坏了，'.repeat(2));
      if (path.startsWith('/p/deputies')) expect(body, path).not.toContain(code);
    }
    expect(answers.find((a) => a.path === `/p/deputies/${postId}`)!.body).toContain('路灯已修复');
    // Four more comments fill this address's window (one was posted above); the next is refused.
    for (let i = 0; i < 4; i++) expect((await comment(`第${i}条`)).status).toBe(303);
    expect((await comment('再来一条')).status).toBe(429);
  });

  it('takes an appeal off the board', async () => {
    await append({ type: 'unpublished', reason: '群众要求撤下' });
    expect((await get(`/p/board/${id}`)).status).toBe(404);
    expect(await (await get('/p/board')).text()).not.toContain(`/p/board/${id}`);
  });
});
