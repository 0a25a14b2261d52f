import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningServer } from '../../server/app';
import { appendOnServer } from '../../server/services/intake';
import { CODE_MISSES } from '../../server/http/public';
import { storeUpdate } from '../../server/sync/bus';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, docFromUpdates, fieldsOf, readAppeal, writeNewAppeal } from '../../src/core/doc';
import { showEvalCode } from '../../src/core/evalcode';
import type { AppealEvent } from '../../src/core/events';
import { newId } from '../../src/core/id';
import { login, type Login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// The public pages through the real server: an appeal found by its evaluation code shows
// its progress and takes the citizen's rating, never a name, a phone or free text; and
// guessing codes is stopped.

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
  it('shows its progress and a rating form, in a small page with no script, and never personal data', async () => {
    const res = await get(`/p/c/${code}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(showEvalCode(code));
    expect(html).toContain('道路交通');
    expect(html).toContain('已反馈');
    expect(html).toContain('name="satisfaction" value="unsatisfied"');
    expect(html).not.toContain('<script');
    expect(Buffer.byteLength(html)).toBeLessThan(4 * 1024);

    // Every public answer, raw: the pages, the JSON, the lookup redirect, English, the style sheet.
    const answers = await Promise.all([`/p/c/${code}`, `/p/c/${code}?lang=en`, `/api/public/code/${code}`, `/p/c?code=${showEvalCode(code).toLowerCase()}`, '/p/', '/p/style.css'].map(async (path) => ({ path, body: await (await get(path)).text() })));
    for (const { path, body } of answers) {
      expect(body, path).not.toContain(NAME);
      expect(body, path).not.toContain(PHONE);
      expect(body, path).not.toContain('路灯');
    }
    expect(answers[3]!.body).toBe('');
    expect((await get(`/p/c?code=${showEvalCode(code).toLowerCase()}`)).headers.get('location')).toBe(`/p/c/${code}`);
    expect(JSON.parse(answers[2]!.body)).toMatchObject({ code, category: 'infra.roads', status: 'replied', mayRate: true });
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
    const answers = await Promise.all(['/p/', '/p/board', `/p/board/${id}`, `/p/board/${id}?lang=en`, `/p/c/${code}`, `/api/public/code/${code}`, '/p/ask', '/p/reception'].map(async (path) => ({ path, body: await (await get(path)).text() })));
    for (const { path, body } of answers) {
      expect(body, path).not.toContain(NAME);
      expect(body, path).not.toContain(PHONE);
      expect(body, path).not.toContain('村口路灯坏了，'.repeat(2));
    }
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
