import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import type { RunningServer } from '../../server/app';
import { generateRelayKeyPair, relayToken, verifyRelayToken, RELAY_TOKEN_SKEW_MS } from '../../server/services/relay-keys';
import { storeUpdate } from '../../server/sync/bus';
import { CLOSE_UNAUTHORIZED } from '../../server/sync/hub';
import { readAppeal, writeNewAppeal } from '../../src/core/doc';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { newId } from '../../src/core/id';
import { decodeServerFrame, encodeFrame, type ServerMessage } from '../../src/core/protocol';
import { validInput } from '../core/fixtures';
import { recordAppeal } from '../../src/store/appeals';
import { addUser, device, login, until } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// A county server's uplink credential (issue 25): a key pair whose public half the city's
// admin registers; the county proves it holds the private half in its sync hello; the city
// gives that uplink all of the county (and nothing of another), and revoking the key ends it.

const LANLING = '371324102201';
const LANSHAN = '371302001001';
const DAY = 86_400_000;
let server: RunningServer;
const tokens: Record<string, string> = {};
const keys = generateRelayKeyPair();
let keyId = '';
const appeals: Record<string, string> = {};

async function seedAppeal(village: string, at: number, anonymous: boolean): Promise<string> {
  const id = newId();
  const doc = new Y.Doc();
  writeNewAppeal(doc, validInput({ villageCode: village, citizen: anonymous ? { anonymous: true } : { anonymous: false, name: '刘大姐', phone: '13800001111' } }), { id: 'u-grid', role: 'grid_worker' }, at, newId());
  await server.store.inPushTx(async (tx) => {
    if (!anonymous) await tx.putContact(id, { name: '刘大姐', phone: '13800001111' }, 'u-grid', at);
    return storeUpdate(tx, { docId: id, deviceId: 'seed', clientSeq: at, userId: 'u-grid', bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), at, POLICY_PRESETS.linyi);
  });
  return id;
}

const api = (who: string, path: string, body?: unknown) =>
  fetch(server.url + path, { method: body === undefined ? 'GET' : 'POST', headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) });

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REGION: '371300' });
  appeals.old = await seedAppeal(LANLING, Date.now() - 40 * DAY, false);
  appeals.fresh = await seedAppeal(LANLING, Date.now() - DAY, true);
  appeals.elsewhere = await seedAppeal(LANSHAN, Date.now() - DAY, true);
  await addUser(server, 'lanlingadmin', 'admin', ['371324']);
  for (const name of ['admin', 'lanlingadmin', 'dispatcher']) tokens[name] = (await login(server, name)).token;
}, 60_000);
afterAll(() => server?.close());

describe('registering a county server’s key', () => {
  it('lets only the city’s administrator register one, for a county of the city, with a real key', async () => {
    const register = (who: string, body: unknown) => api(who, '/api/admin/relays', body);
    expect((await register('lanlingadmin', { county: '371324', publicKey: keys.publicKey, label: '兰陵县服务器' })).status).toBe(403);
    expect((await register('dispatcher', { county: '371324', publicKey: keys.publicKey, label: '兰陵县服务器' })).status).toBe(403);
    // Both attempts are in the audit log as refusals.
    expect((await server.store.audit(10)).filter((a) => a.action === 'permission_refused').map((a) => a.target)).toEqual(['/api/admin/relays', '/api/admin/relays']);
    for (const [body, status] of [
      [{ county: '371324', publicKey: 'bm90IGEga2V5', label: '兰陵县服务器' }, 400],
      [{ county: '510104', publicKey: keys.publicKey, label: '外市' }, 403],
      [{ county: '371399', publicKey: keys.publicKey, label: '无此县' }, 400],
      [{ county: '371300', publicKey: keys.publicKey, label: '市本身' }, 400],
    ] as const) {
      const res = await register('admin', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(((await res.json()) as { message: string }).message.length).toBeGreaterThan(10);
    }
    const ok = await register('admin', { county: '371324', publicKey: keys.publicKey, label: '兰陵县服务器' });
    expect(ok.status).toBe(201);
    keyId = ((await ok.json()) as { relay: { id: string } }).relay.id;
    expect((await register('admin', { county: '371324', publicKey: keys.publicKey, label: '再一次' })).status).toBe(409);
    const listed = (await (await api('admin', '/api/admin/relays')).json()) as { relays: { id: string; county: string; revokedAt: number | null }[] };
    expect(listed.relays).toEqual([expect.objectContaining({ id: keyId, county: '371324', revokedAt: null })]);
    expect((await server.store.audit(10)).map((a) => a.action)).toContain('relay_registered');
  });

  it('accepts a token only signed just now with a registered key', async () => {
    const now = Date.now();
    expect(await verifyRelayToken(server.store, relayToken(keyId, keys.privateKeyPem, now), now)).toEqual({ keyId, county: '371324' });
    expect(await verifyRelayToken(server.store, relayToken(keyId, keys.privateKeyPem, now - RELAY_TOKEN_SKEW_MS - 1000), now)).toBeNull();
    expect(await verifyRelayToken(server.store, relayToken(keyId, generateRelayKeyPair().privateKeyPem, now), now)).toBeNull();
    expect(await verifyRelayToken(server.store, relayToken(newId(), keys.privateKeyPem, now), now)).toBeNull();
    const token = relayToken(keyId, keys.privateKeyPem, now);
    expect(await verifyRelayToken(server.store, token.replace(/\.(\d+)\./, (_, t: string) => `.${Number(t) + 1}.`), now)).toBeNull();
  });
});

/** An uplink connection: the hello with a relay token, then every frame it receives. */
function uplink(token: string) {
  const frames: ServerMessage[] = [];
  const ws = new WebSocket(server.url.replace('http', 'ws') + '/sync');
  ws.binaryType = 'nodebuffer';
  let closed: number | null = null;
  ws.on('message', (data: Buffer) => frames.push(decodeServerFrame(new Uint8Array(data))));
  ws.on('close', (code) => (closed = code));
  ws.on('open', () => ws.send(encodeFrame({ t: 'hello', token, deviceId: newId(), cursor: 0 })));
  const received = () => new Set(frames.flatMap((f) => (f.t === 'changes' ? f.items.map((i) => i.docId) : [])));
  return { ws, frames, received, closed: () => closed };
}

describe('the uplink of a county server', () => {
  it('receives all of its county, contacts included, and nothing of another county', async () => {
    const link = uplink(relayToken(keyId, keys.privateKeyPem));
    await until(() => link.frames.some((f) => f.t === 'changes' && !f.more), 10_000, 'the catch-up');
    expect(link.received()).toEqual(new Set([appeals.old, appeals.fresh]));
    const withContact = link.frames.flatMap((f) => (f.t === 'changes' ? f.items : [])).find((i) => i.docId === appeals.old)!;
    expect(withContact.contact).toEqual({ name: '刘大姐', phone: '13800001111' });
    // Live: what phones push in the county reaches it; another county's does not.
    await addUser(server, 'lanshangrid', 'grid_worker', [LANSHAN]);
    const ids: string[] = [];
    for (const name of ['lanshangrid', 'grid']) {
      const phone = await device(server, await login(server, name));
      const r = await recordAppeal(phone.db, validInput({ villageCode: phone.session.user.scope.regions[0]! }), phone.who);
      if (!r.ok) throw new Error('not recorded');
      ids.push(r.value.id);
      phone.engine.start();
      await phone.settled();
      phone.close();
    }
    const [away, here] = ids as [string, string];
    await until(() => link.received().has(here), 10_000, 'the live appeal');
    expect(link.received().has(away)).toBe(false);
    link.ws.close();
  });

  it('takes from a county server only its county’s documents, each event by a person of that county it vouches for', async () => {
    const link = uplink(relayToken(keyId, keys.privateKeyPem));
    await until(() => link.frames.some((f) => f.t === 'changes' && !f.more), 10_000, 'the catch-up');
    const county = { id: newId(), username: 'lanling-grid', displayName: '兰陵网格员', role: 'grid_worker' as const, scope: { regions: ['371324102'], departments: [] } };
    const dispatcher = await server.store.userByUsername('dispatcher');
    const made = (village: string, author: { id: string; role: 'grid_worker' | 'city_dispatcher' }) => {
      const doc = new Y.Doc();
      writeNewAppeal(doc, validInput({ villageCode: village }), author, Date.now(), newId());
      return Y.encodeStateAsUpdate(doc);
    };
    const [inCounty, otherCounty, asCityDesk] = [newId(), newId(), newId()];
    link.ws.send(encodeFrame({
      t: 'push',
      batch: 1,
      items: [
        { docId: inCounty, seq: 1, update: made(LANLING, county) },
        { docId: otherCounty, seq: 2, update: made(LANSHAN, county) },
        // The city's own dispatcher, named by a record the county made up for them.
        { docId: asCityDesk, seq: 3, update: made(LANLING, { id: dispatcher!.id, role: 'city_dispatcher' }) },
      ],
      authors: [county, { ...county, id: dispatcher!.id, username: 'dispatcher', role: 'county_dispatcher', scope: { regions: ['371324'], departments: [] } }],
    }));
    await until(() => link.frames.some((f) => f.t === 'ack' || f.t === 'error'), 10_000, 'the ack');
    const ack = link.frames.find((f) => f.t === 'ack')!;
    expect(ack).toMatchObject({ accepted: [1], rejected: [{ seq: 2, reason: 'out_of_scope' }, { seq: 3, reason: 'not_creator' }] });
    expect((await server.store.appealsById([inCounty, otherCounty, asCityDesk])).map((a) => a.id)).toEqual([inCounty]);
    // A phone may not send records of authors.
    const phone = new WebSocket(server.url.replace('http', 'ws') + '/sync');
    phone.binaryType = 'nodebuffer';
    const said: ServerMessage[] = [];
    phone.on('message', (data: Buffer) => said.push(decodeServerFrame(new Uint8Array(data))));
    await new Promise((resolve) => phone.on('open', resolve));
    phone.send(encodeFrame({ t: 'hello', token: (await login(server, 'grid')).token, deviceId: newId(), cursor: 0 }));
    await until(() => said.some((f) => f.t === 'welcome'), 10_000, 'the phone welcomed');
    phone.send(encodeFrame({ t: 'push', batch: 1, items: [{ docId: newId(), seq: 1, update: made(LANLING, county) }], authors: [county] }));
    await until(() => said.some((f) => f.t === 'error'), 10_000, 'the refusal');
    expect(said.find((f) => f.t === 'error')).toMatchObject({ code: 'bad_message', message: expect.stringMatching(/only a county server/) });
    phone.close();
    link.ws.close();
  });

  it('ends at once when the city revokes its key, and the key opens nothing after', async () => {
    const link = uplink(relayToken(keyId, keys.privateKeyPem));
    await until(() => link.frames.some((f) => f.t === 'welcome'), 10_000, 'the welcome');
    expect((await api('admin', `/api/admin/relays/${keyId}/revoke`, {})).status).toBe(200);
    await until(() => link.closed() !== null, 10_000, 'the uplink closed');
    expect(link.closed()).toBe(CLOSE_UNAUTHORIZED);
    const again = uplink(relayToken(keyId, keys.privateKeyPem));
    await until(() => again.closed() !== null, 10_000, 'the refused hello');
    expect(again.frames.some((f) => f.t === 'welcome')).toBe(false);
    expect((await api('admin', `/api/admin/relays/${keyId}/revoke`, {})).status).toBe(409);
  });
});
