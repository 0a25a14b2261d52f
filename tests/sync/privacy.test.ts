import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { fieldsOf, writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { decodeServerFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../src/core/protocol';
import { act, recordAppeal } from '../../src/store/appeals';
import { device, login, type Device, type Login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// A citizen's name and phone reach only those who need them: the village, the town, the
// hotline desk, and the department once the appeal is assigned to it. Never leaders or
// administrators, never anyone for an anonymous appeal, never inside a document.

const NAME = '赵小红';
const PHONE = '13900001111';
let server: RunningServer;
let grid: Device;
const logins: Record<string, Login> = {};

/** Everything a user's socket receives, as raw bytes and as messages. */
async function listen(username: string) {
  const ws = new WebSocket(server.url.replace('http', 'ws') + '/sync');
  ws.binaryType = 'arraybuffer';
  const raw: Buffer[] = [];
  const messages: ServerMessage[] = [];
  ws.on('message', (d: ArrayBuffer) => {
    raw.push(Buffer.from(d));
    messages.push(decodeServerFrame(new Uint8Array(d)));
  });
  await new Promise((r) => ws.on('open', r));
  ws.send(encodeFrame({ t: 'hello', token: logins[username]!.token, deviceId: newId(), cursor: 0 } satisfies ClientMessage));
  const caughtUp = async () => {
    while (!messages.some((m) => m.t === 'changes' && !m.more)) await new Promise((r) => setTimeout(r, 10));
  };
  await caughtUp();
  const leaks = () => {
    const all = Buffer.concat(raw);
    return { name: all.includes(Buffer.from(NAME)), phone: all.includes(Buffer.from(PHONE)) };
  };
  return { ws, raw, messages, leaks };
}

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  for (const u of ['grid', 'bench', 'station', 'town', 'dept', 'dispatcher', 'leader', 'admin']) logins[u] = await login(server, u);
  grid = await device(server, logins.grid!);
  grid.engine.start();
});
afterAll(async () => {
  grid?.close();
  await server?.close();
});

describe('citizen contact details', () => {
  let named: string;

  it('go only to the roles that need them, and are never part of the document', async () => {
    const village = logins.grid!.user.scope.regions[0]!;
    const base = { channel: 'grid_patrol', category: 'disputes.wages', kind: 'help', urgency: 'red', villageCode: village };
    const a = await recordAppeal(grid.db, { ...base, description: '包工头拖欠工资。', citizen: { anonymous: false, name: NAME, phone: PHONE } }, grid.who);
    const b = await recordAppeal(grid.db, { ...base, description: '匿名反映：村干部优亲厚友。', citizen: { anonymous: true } }, grid.who);
    named = (a as { value: { id: string } }).value.id;
    expect(b.ok).toBe(true);
    grid.engine.kick();
    await grid.settled();

    for (const part of await server.store.docParts(named)) expect(Buffer.from(part).includes(Buffer.from(PHONE))).toBe(false);
    expect(await server.store.contact(named)).toEqual({ name: NAME, phone: PHONE });

    const expected: Record<string, boolean> = { grid: true, bench: true, station: true, town: true, dispatcher: true, dept: false, leader: false, admin: false };
    for (const [username, sees] of Object.entries(expected)) {
      const c = await listen(username);
      expect(c.leaks(), username).toEqual({ name: sees, phone: sees });
      c.ws.close();
    }
  });

  it('reach the department once the appeal is assigned to it, through the live fan-out', async () => {
    const dept = await listen('dept');
    expect(dept.leaks()).toEqual({ name: false, phone: false });
    const town = await device(server, logins.town!);
    town.engine.start();
    await town.settled();
    expect(await act(town.db, named, town.session.user, { type: 'assigned', tier: 'town', dept: 'water' })).toEqual({ ok: true });
    town.engine.kick();
    await town.settled();
    const deadline = Date.now() + 10_000;
    while (!dept.leaks().phone && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(dept.leaks()).toEqual({ name: true, phone: true });
    // The leader, still connected, gets the assignment but not the contact.
    const leader = await listen('leader');
    expect(leader.leaks()).toEqual({ name: false, phone: false });
    expect((await town.db.contacts.get(named))?.phone).toBe(PHONE);
    dept.ws.close();
    leader.ws.close();
    town.close();
  });

  it('refuses a contact on an anonymous appeal, from anyone but the recorder, or inside the document', async () => {
    const village = logins.grid!.user.scope.regions[0]!;
    const input = { channel: 'walk_in', category: 'services.other', kind: 'consultation', urgency: 'yellow', villageCode: village, description: '咨询补贴政策。', citizen: { anonymous: true } } as const;
    const push = async (username: string, docId: string, update: Uint8Array, contact?: { name?: string; phone?: string }) => {
      const c = await listen(username);
      c.ws.send(encodeFrame({ t: 'push', batch: 1, items: [{ docId, seq: 1, update, ...(contact && { contact }) }] }));
      while (!c.messages.some((m) => m.t === 'ack')) await new Promise((r) => setTimeout(r, 10));
      c.ws.close();
      return c.messages.find((m) => m.t === 'ack') as Extract<ServerMessage, { t: 'ack' }>;
    };
    const user = logins.grid!.user;
    const anon = new Y.Doc();
    writeNewAppeal(anon, input, { id: user.id, role: user.role }, Date.now(), newId());
    const r1 = await push('grid', newId(), Y.encodeStateAsUpdate(anon), { name: NAME });
    expect(r1.rejected).toEqual([expect.objectContaining({ reason: 'forbidden', detail: 'contact: anonymous appeal' })]);

    const smuggled = new Y.Doc();
    writeNewAppeal(smuggled, { ...input, citizen: { anonymous: false, name: NAME } }, { id: user.id, role: user.role }, Date.now(), newId());
    fieldsOf(smuggled).set('citizen', { anonymous: false, name: NAME, phone: PHONE });
    const r2 = await push('grid', newId(), Y.encodeStateAsUpdate(smuggled));
    expect(r2.rejected).toEqual([expect.objectContaining({ reason: 'invalid_fields', detail: expect.stringContaining('personal_data_in_document') })]);

    const r3 = await push('station', named, new Uint8Array([0, 0]), { phone: '13700000000' });
    expect(r3.accepted).toEqual([]);
    expect(await server.store.contact(named)).toEqual({ name: NAME, phone: PHONE });
  });
});
