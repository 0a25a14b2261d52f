import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { QUESTION_LIMIT } from '../../server/http/qa';
import { showEvalCode } from '../../src/core/evalcode';
import { newId } from '../../src/core/id';
import { LIVE_REFRESH_SECONDS, type QaQuestion, type QaSession } from '../../src/core/qa';
import { addUser, login, type Login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// Online Q&A sessions through the real server: officials schedule within their scope; citizens
// ask on the public pages without an account (held for moderation, rate-limited, refused after
// the end); the page (reloading itself while live) shows only approved questions, scrubbed of phone numbers, in under 10 KB;
// an answer shows on the next load; a question becomes an appeal with one call.

const HOUR = 3_600_000;
const PHONE = '13812345678';
let server: RunningServer;
let town: Login;
let otherTown: Login;
let dept: Login;
let grid: Login;
let dispatcher: Login;
let townRegion = '';

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  [town, dept, grid, dispatcher] = await Promise.all([login(server, 'town'), login(server, 'dept'), login(server, 'grid'), login(server, 'dispatcher')]);
  townRegion = `${town.user.scope.regions[0]}000`;
  const other = (await server.store.regionsUnder([dispatcher.user.scope.regions[0]!])).find((r) => r.level === 'town' && r.code !== townRegion)!;
  await addUser(server, 'town-qa-other', 'town_official', [other.code.slice(0, 9)]);
  otherTown = await login(server, 'town-qa-other');
});
afterAll(() => server?.close());

const api = (who: Login, path: string, body?: object) =>
  fetch(`${server.url}${path}`, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${who.token}`, ...(body && { 'content-type': 'application/json' }) }, ...(body && { body: JSON.stringify(body) }) });
const page = (path: string) => fetch(`${server.url}${path}`, { redirect: 'manual' });
const ask = (id: string, question: string) =>
  fetch(`${server.url}/p/qa/${id}/ask`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ question }) });
const schedule = (who: Login, over: object = {}) =>
  api(who, '/api/qa/sessions', { topic: '农村饮水安全', host: '镇长', region: townRegion, startsAt: Date.now() - 60_000, endsAt: Date.now() + 2 * HOUR, ...over });
async function questions(who: Login, session: string): Promise<QaQuestion[]> {
  return ((await (await api(who, `/api/qa/questions?session=${session}`)).json()) as { questions: QaQuestion[] }).questions;
}

describe('scheduling', () => {
  it('lets an official schedule within their scope and refuses outside it', async () => {
    expect((await schedule(town)).status).toBe(201);
    expect((await schedule(town, { region: town.user.scope.regions[0]!.slice(0, 6) })).status).toBe(403);
    expect((await schedule(otherTown)).status).toBe(403);
    expect((await schedule(grid)).status).toBe(403);
    expect((await api(grid, '/api/qa/sessions')).status).toBe(403);
    // A department hosts for its own department only.
    const county = dispatcher.user.scope.regions[0]!;
    expect((await schedule(dept, { region: county, host: '县水务局局长', dept: 'water' })).status).toBe(201);
    expect((await schedule(dept, { region: county, host: '县水务局局长' })).status).toBe(403);
    expect((await schedule(dept, { region: county, host: '县水务局局长', dept: 'roads' })).status).toBe(403);
    // Bodies are checked: a phone in the host's title, an end before the start, an unknown field, a past session.
    expect((await schedule(town, { host: `镇长 ${PHONE}` })).status).toBe(400);
    expect((await schedule(town, { endsAt: Date.now() - 2 * HOUR })).status).toBe(400);
    expect((await schedule(town, { extra: true })).status).toBe(400);
    expect((await schedule(town, { startsAt: Date.now() - 3 * HOUR, endsAt: Date.now() - HOUR })).status).toBe(400);
    // The town's session is seen (not run) by the county; not by another town.
    const listed = async (who: Login) => ((await (await api(who, '/api/qa/sessions')).json()) as { sessions: (QaSession & { manage: boolean })[] }).sessions;
    // The town runs its own; it sees the county-wide water session but does not run it.
    const ofTown = await listed(town);
    expect(ofTown.filter((s) => s.region === townRegion).every((s) => s.manage)).toBe(true);
    expect(ofTown.filter((s) => s.region === county).map((s) => s.manage)).toEqual([false]);
    expect((await listed(otherTown)).filter((s) => s.region === townRegion)).toEqual([]);
    expect((await listed(dispatcher)).some((s) => s.region === townRegion && s.manage)).toBe(true);
  });
});

describe('a live session, from question to answer to appeal', () => {
  let live: QaSession;
  beforeAll(async () => {
    live = ((await (await schedule(town, { topic: '自来水改造' })).json()) as { session: QaSession }).session;
  });

  it('holds a question for moderation, shows it approved and scrubbed, then the answer, reloading itself while live', async () => {
    const live1 = await page(`/p/qa/${live.id}`);
    expect(live1.headers.get('refresh')).toBe(String(LIVE_REFRESH_SECONDS));
    const before = await live1.text();
    expect(before).not.toContain('<script');
    // The reader may turn the reload off (WCAG 2.2.1), and on again.
    expect(before).toContain(`/p/qa/${live.id}?refresh=0`);
    const still = await page(`/p/qa/${live.id}?refresh=0`);
    expect(still.headers.get('refresh')).toBeNull();
    expect(await still.text()).toContain('恢复自动刷新');
    // Live: the form is on its own page, which never reloads.
    expect(before).toContain(`/p/qa/${live.id}/ask`);
    expect((await page(`/p/qa/${live.id}/ask`)).headers.get('refresh')).toBeNull();

    const posted = await ask(live.id, `我家停水三天了，电话${PHONE}，什么时候恢复？`);
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe(`/p/qa/${live.id}?asked=1`);
    expect(await (await page(`/p/qa/${live.id}?asked=1`)).text()).not.toContain('停水三天');

    const [q] = await questions(town, live.id);
    expect(q).toMatchObject({ status: 'pending' });
    // Another town cannot see or touch it.
    expect((await api(otherTown, `/api/qa/questions?session=${live.id}`)).status).toBe(404);
    expect((await api(otherTown, '/api/qa/questions/verdict', { id: q!.id, verdict: 'approved' })).status).toBe(404);
    expect((await api(town, '/api/qa/questions/answer', { id: q!.id, answer: '先审后答' })).status).toBe(409);
    expect((await api(town, '/api/qa/questions/verdict', { id: q!.id, verdict: 'approved' })).status).toBe(200);
    expect((await api(town, '/api/qa/questions/verdict', { id: q!.id, verdict: 'rejected' })).status).toBe(409);
    expect((await api(town, '/api/qa/questions/verdict', { id: q!.id, verdict: 'maybe' })).status).toBe(400);

    const shown = await (await page(`/p/qa/${live.id}`)).text();
    expect(shown).toContain('我家停水三天了，电话138****5678，什么时候恢复？');
    expect(shown).not.toContain(PHONE);
    expect(shown).toContain('等待回答');

    expect((await api(town, '/api/qa/questions/answer', { id: q!.id, answer: `今晚八点前恢复供水，值班电话${PHONE}` })).status).toBe(200);
    const answered = await (await page(`/p/qa/${live.id}`)).text();
    expect(answered).toContain('今晚八点前恢复供水，值班电话138****5678');
    for (const path of [`/p/qa/${live.id}`, `/p/qa/${live.id}?lang=en`, '/p/qa', '/p/qa?lang=en', `/p/qa/${live.id}/ask`]) {
      const body = await (await page(path)).text();
      expect(body, path).not.toContain(PHONE);
      expect(Buffer.byteLength(body), path).toBeLessThan(10 * 1024);
    }
    expect(await (await page('/p/qa')).text()).toContain(`/p/qa/${live.id}`);
  });

  it('turns a question into an appeal on the online channel, once, and the page says so with the code', async () => {
    const [q] = await questions(town, live.id);
    expect((await api(otherTown, '/api/qa/questions/appeal', { id: q!.id })).status).toBe(404);
    const res = await api(town, '/api/qa/questions/appeal', { id: q!.id });
    expect(res.status).toBe(201);
    const { appealId, evalCode } = (await res.json()) as { appealId: string; evalCode: string };
    const [appeal] = await server.store.appealsById([appealId]);
    expect(appeal).toMatchObject({ channel: 'online_opinion', town: townRegion });
    expect((await api(town, '/api/qa/questions/appeal', { id: q!.id })).status).toBe(409);
    const html = await (await page(`/p/qa/${live.id}`)).text();
    expect(html).toContain('已转为诉求');
    expect(html).toContain(showEvalCode(evalCode));
    expect(html).toContain(`/p/c/${evalCode}`);
  });

  it('refuses bad questions without counting them, then slows down a flood from one address', async () => {
    expect((await ask(live.id, '路？')).status).toBe(400);
    expect((await ask(live.id, '问'.repeat(301))).status).toBe(400);
    // One question went in above; the rest of the window's allowance goes in, the next is refused.
    for (let i = 1; i < QUESTION_LIMIT.max; i++) expect((await ask(live.id, `第${i}个问题：水费怎么算？`)).status).toBe(303);
    const refused = await ask(live.id, '再问一个问题可以吗');
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('提问太频繁');
    expect((await questions(town, live.id)).length).toBe(QUESTION_LIMIT.max);
  });

});

describe('before and after a session', () => {
  it('takes questions on an upcoming session’s own page, without a refresh; refuses them once it has ended', async () => {
    const upcoming = ((await (await schedule(town, { startsAt: Date.now() + HOUR, endsAt: Date.now() + 3 * HOUR })).json()) as { session: QaSession }).session;
    const res0 = await page(`/p/qa/${upcoming.id}`);
    expect(res0.headers.get('refresh')).toBeNull();
    expect(await res0.text()).toContain(`action="/p/qa/${upcoming.id}/ask"`);

    const ended: QaSession = { id: newId(), topic: '秋收政策', host: '镇长', region: townRegion, dept: null, startsAt: Date.now() - 3 * HOUR, endsAt: Date.now() - HOUR, createdBy: town.user.id, createdAt: Date.now() - 4 * HOUR };
    await server.store.putQaSession(ended);
    const res = await ask(ended.id, '结束了还能问吗？');
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('访谈已结束');
    expect(await questions(town, ended.id)).toEqual([]);
    const endedRes = await page(`/p/qa/${ended.id}`);
    expect(endedRes.headers.get('refresh')).toBeNull();
    const endedPage = await endedRes.text();
    expect(endedPage).not.toContain('<form');
    expect((await page(`/p/qa/${newId()}`)).status).toBe(404);
  });

  it('keeps every page of a long archive under 10 KB, paging the rest', async () => {
    const s: QaSession = { id: newId(), topic: '长档案', host: '县长', region: townRegion, dept: null, startsAt: Date.now() - 5 * HOUR, endsAt: Date.now() - 3 * HOUR, createdBy: town.user.id, createdAt: Date.now() - 6 * HOUR };
    await server.store.putQaSession(s);
    for (let i = 0; i < 30; i++) {
      const id = newId();
      await server.store.addQaQuestion({ id, sessionId: s.id, body: `${i}号问题：${'很长的问题'.repeat(58)}`, createdAt: s.startsAt + i });
      await server.store.moderateQaQuestion(id, 'approved', town.user.id, s.startsAt + i);
      await server.store.answerQaQuestion(id, `${i}号回答：${'很长的回答'.repeat(198)}`, town.user.id, s.startsAt + 100 + i);
    }
    const seen = new Set<string>();
    let path: string | null = `/p/qa/${s.id}`;
    while (path) {
      const html: string = await (await page(path)).text();
      expect(Buffer.byteLength(html), path).toBeLessThan(10 * 1024);
      for (const m of html.matchAll(/(\d+)号问题/g)) seen.add(m[1]!);
      path = /href="(\/p\/qa\/[^"?]+\?skip=\d+)"/.exec(html)?.[1] ?? null;
    }
    expect(seen.size).toBe(30);
  });
});
