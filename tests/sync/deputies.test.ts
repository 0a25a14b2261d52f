import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { decodeServerFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../src/core/protocol';
import type { AppealInput } from '../../src/core/appeal';
import { recordAppeal } from '../../src/store/appeals';
import { seen, step } from '../helpers/appeal-steps';
import { addUser, device, login, until, type Device, type Login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// Deputies' columns over the real hub (issue 29, item 3): a deputy's post recorded on the phone
// is pushed, waits at the county platform, is assigned to a department that answers it through
// the post's own channel; the deputy's phone follows its status and never receives anyone
// else's appeals. Refused: a post by any other role, an appeal on another channel by a deputy,
// malformed links, a citizen's contact on a post. The public page and the report follow.

let server: RunningServer;
let deputy: Device, dispatcher: Device, dept: Device, grid: Device;
let deputyLogin: Login, gridLogin: Login, deputy2Login: Login;

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  deputyLogin = await login(server, 'deputy');
  gridLogin = await login(server, 'grid');
  await addUser(server, 'deputy2', 'deputy', deputyLogin.user.scope.regions);
  deputy2Login = await login(server, 'deputy2');
  // The county vouches for the body each deputy sits in (the demo seed does this for `deputy`).
  const admin = await login(server, 'admin');
  const set = await fetch(`${server.url}/api/admin/deputies`, { method: 'PUT', headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: deputyLogin.user.id, body: 'npc' }) });
  if (set.status !== 200) throw new Error(`setting the body: ${set.status}`);
  [deputy, dispatcher, dept, grid] = await Promise.all([device(server, deputyLogin), device(server, await login(server, 'dispatcher')), device(server, await login(server, 'dept')), device(server, gridLogin)]);
  for (const d of [deputy, dispatcher, dept, grid]) d.engine.start();
});

afterAll(async () => {
  for (const d of [deputy, dispatcher, dept, grid]) d?.close();
  await server?.close();
});

const village = () => gridLogin.user.scope.regions[0]!.padEnd(12, '0');
const post = (over: Partial<AppealInput> = {}) => ({ channel: 'deputy', column: 'voice', kind: 'help', category: 'infra.water', urgency: 'yellow', villageCode: village(), description: '代群众反映：村里自来水时断时续，请水务局限期解决。', citizen: { anonymous: true }, gps: null, shownAs: '王代表', ...over });

/** A raw socket for `login`: sends one new document and answers the ack. */
async function pushRaw(who: Login, input: Record<string, unknown>, desk: 'county' | null = 'county'): Promise<Extract<ServerMessage, { t: 'ack' }>> {
  const doc = new Y.Doc();
  const docId = newId();
  writeNewAppeal(doc, input as unknown as AppealInput, { id: who.user.id, role: who.user.role, ...(desk && { desk }) }, Date.now(), newId());
  const ws = new WebSocket(server.url.replace('http', 'ws') + '/sync');
  ws.binaryType = 'arraybuffer';
  const messages: ServerMessage[] = [];
  ws.on('message', (d: ArrayBuffer) => messages.push(decodeServerFrame(new Uint8Array(d))));
  await new Promise((r) => ws.on('open', r));
  ws.send(encodeFrame({ t: 'hello', token: who.token, deviceId: newId(), cursor: 0 } satisfies ClientMessage));
  await until(() => messages.some((m) => m.t === 'changes' && !m.more), 10_000, 'caught up');
  ws.send(encodeFrame({ t: 'push', batch: 1, items: [{ docId, seq: 1, update: Y.encodeStateAsUpdate(doc) }] } satisfies ClientMessage));
  await until(() => messages.some((m) => m.t === 'ack'), 10_000, 'ack');
  ws.close();
  return messages.find((m) => m.t === 'ack') as Extract<ServerMessage, { t: 'ack' }>;
}

describe('a deputy’s post through the pipeline', () => {
  let id: string;
  let citizenAppeal: string;

  it('is recorded on the deputy’s phone, pushed, and waits at the county platform', async () => {
    const a = await recordAppeal(grid.db, { channel: 'grid_patrol', category: 'infra.water', kind: 'help', urgency: 'orange', villageCode: village(), description: '自来水断了三天，老人做饭困难。', citizen: { anonymous: false, name: '赵小红', phone: '13900001111' } }, grid.who);
    if (!a.ok) throw new Error(JSON.stringify(a.errors));
    citizenAppeal = a.value.id;
    grid.engine.kick();
    await grid.settled();
    const r = await recordAppeal(deputy.db, post({ supports: [citizenAppeal] }), deputy.who);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    id = r.value.id;
    deputy.engine.kick();
    await deputy.settled();
    expect(await deputy.db.quarantine.toArray()).toEqual([]);
    const [row] = await server.store.appealsById([id]);
    expect(row).toMatchObject({ channel: 'deputy', status: 'new', tier: 'county', createdBy: deputyLogin.user.id, anonymous: true });
    await seen(dispatcher, id, (s) => s.status === 'new' && s.tier === 'county', 'the post at its desk');
  });

  it('is assigned by the county dispatcher, answered by the department in public, and the deputy sees each step', async () => {
    await step(dispatcher, id, { type: 'accepted' });
    await step(dispatcher, id, { type: 'assigned', to: 'county', from: 'county', dept: 'water', note: '代表建议，请限期答复' } as never);
    await seen(dept, id, (s) => s.status === 'assigned' && s.dept === 'water', 'the assignment');
    await seen(deputy, id, (s) => s.status === 'assigned', 'its post assigned');
    await step(dept, id, { type: 'replied', note: '已更换破损管道，供水恢复正常。联系电话 13812345678。', via: 'deputy' } as never);
    await seen(deputy, id, (s) => s.status === 'replied', 'the answer');

    const page = await fetch(`${server.url}/p/deputies/${id}`);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('已更换破损管道');
    expect(html).toContain('王代表');
    expect(html).toContain('县人大代表');
    // The linked appeal shows only by category and status: never the citizen, their words or their code.
    expect(html).toContain('饮水与水利');
    for (const secret of ['赵小红', '13900001111', '13812345678', '自来水断了三天']) expect(html).not.toContain(secret);
    const [linked] = await server.store.appealsById([citizenAppeal]);
    expect(html).not.toContain(linked!.evalCode!);
    expect(Buffer.byteLength(html)).toBeLessThan(10 * 1024);
    const list = await (await fetch(`${server.url}/p/deputies?lang=en`)).text();
    expect(list).toContain(`/p/deputies/${id}`);
    expect(list).toContain('Speaking for constituents');
  });

  it('counts in the report per department', async () => {
    const res = await fetch(`${server.url}/api/reports/deputies?period=week`, { headers: { authorization: `Bearer ${dispatcher.session.token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { byDept: { dept: string; received: number; answered: number; onTime: number; overdue: number }[] };
    expect(body.byDept).toContainEqual({ dept: 'water', received: 1, answered: 1, onTime: 1, overdue: 0 });
    const refused = await fetch(`${server.url}/api/reports/deputies?period=week`, { headers: { authorization: `Bearer ${deputyLogin.token}` } });
    expect(refused.status).toBe(403);
  });

  it('keeps the deputy’s phone to their own posts: no citizen’s appeal, no other deputy’s post', async () => {
    const other = await pushRaw(deputy2Login, post({ description: '另一位代表的建言', column: 'proposal', kind: 'suggestion' }));
    expect(other.accepted).toEqual([1]);
    // A fresh device of the deputy catches up with everything it may have.
    const fresh = await device(server, deputyLogin);
    fresh.engine.start();
    try {
      await fresh.settled();
      const held = await fresh.db.appeals.toArray();
      expect(held.map((r) => r.id)).toEqual([id]);
      const browse = await fetch(`${server.url}/api/appeals?limit=200`, { headers: { authorization: `Bearer ${deputyLogin.token}` } });
      expect(((await browse.json()) as { rows: { id: string }[] }).rows.map((r) => r.id)).toEqual([id]);
      // The live room of their own post opens; a citizen's appeal's is answered like a missing one.
      const ticket = (docId: string) => fetch(`${server.url}/api/room-ticket`, { method: 'POST', headers: { authorization: `Bearer ${deputyLogin.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ docId }) });
      expect((await ticket(id)).status).toBe(200);
      expect((await ticket(citizenAppeal)).status).toBe(404);
    } finally {
      fresh.close();
    }
  });
});

describe('refusals', () => {
  it('refuses a post in the columns by a grid worker, and an appeal on another channel by a deputy', async () => {
    const byGrid = await pushRaw(gridLogin, post(), null);
    expect(byGrid.rejected).toEqual([expect.objectContaining({ seq: 1, reason: 'forbidden', detail: 'recorded: role_not_allowed' })]);
    const byDeputy = await pushRaw(deputyLogin, { ...post(), channel: 'walk_in', column: undefined, shownAs: undefined });
    expect(byDeputy.rejected).toEqual([expect.objectContaining({ seq: 1, reason: 'forbidden', detail: 'recorded: role_not_allowed' })]);
  });

  it('refuses malformed links, too many links, a column on another channel and a named citizen', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [post({ supports: ['not-an-id'] }), 'supports: invalid_links'],
      [post({ supports: Array.from({ length: 11 }, () => newId()) }), 'supports: too_many_links'],
      [post({ column: 'criticism' }), 'kind: kind_follows_column'],
      [{ ...post(), column: undefined }, 'column: required'],
      [{ ...post(), citizen: { anonymous: false } }, 'citizenName: personal_data_in_document'],
    ];
    for (const [input, detail] of cases) {
      const ack = await pushRaw(deputyLogin, input);
      expect(ack.rejected, detail).toEqual([expect.objectContaining({ seq: 1, reason: 'invalid_fields', detail: expect.stringContaining(detail) })]);
    }
  });

  it('lets only an administrator set a deputy’s body, and only for a deputy', async () => {
    const put = (token: string, body: unknown) => fetch(`${server.url}/api/admin/deputies`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const admin = await login(server, 'admin');
    expect((await put(deputyLogin.token, { id: deputy2Login.user.id, body: 'cppcc' })).status).toBe(403);
    expect((await put(admin.token, { id: gridLogin.user.id, body: 'cppcc' })).status).toBe(404);
    expect((await put(admin.token, { id: deputy2Login.user.id, body: 'senate' })).status).toBe(400);
    expect((await put(admin.token, { id: deputy2Login.user.id, body: 'cppcc' })).status).toBe(200);
    const listed = await fetch(`${server.url}/api/admin/deputies`, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(((await listed.json()) as { bodies: Record<string, string> }).bodies).toEqual({ [deputyLogin.user.id]: 'npc', [deputy2Login.user.id]: 'cppcc' });
    expect((await fetch(`${server.url}/api/admin/deputies`, { headers: { authorization: `Bearer ${deputyLogin.token}` } })).status).toBe(403);
    const list = await (await fetch(`${server.url}/p/deputies`)).text();
    expect(list).toContain('县政协委员');
  });
});

describe('the public list', () => {
  it('stays under 10 KB in both languages with a full page of long posts', async () => {
    const long = '代群众反映：镇村公路养护不到位，雨后多处坑洼积水，群众多次反映仍未修复，请交通部门限期修复并说明原因。';
    for (let i = 0; i < 20; i++) {
      const ack = await pushRaw(deputy2Login, post({ description: `${i} ${long}`, column: (['voice', 'proposal', 'criticism'] as const)[i % 3], kind: (['help', 'suggestion', 'complaint'] as const)[i % 3], shownAs: '一位很长名字的代表委员' }));
      expect(ack.accepted).toEqual([1]);
    }
    for (const lang of ['', '?lang=en']) {
      const res = await fetch(`${server.url}/p/deputies${lang}`);
      const html = await res.text();
      expect((html.match(/<article>/g) ?? []).length).toBe(20);
      expect(Buffer.byteLength(html), lang).toBeLessThan(10 * 1024);
    }
  });
});
