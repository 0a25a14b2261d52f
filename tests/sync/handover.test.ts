import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningServer } from '../../server/app';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { attachSignature, decodeBundle, encodeBundleBody, type BundleBody } from '../../src/core/handover';
import { recordAppeal } from '../../src/store/appeals';
import { deviceKey, registerDeviceKey, signBytes, type ApiFetch } from '../../src/store/device-key';
import { carriedBundles, makeBundle, receiveBundle, relayWaiting } from '../../src/store/handover';
import { deviceId } from '../../src/store/meta';
import { device, login, until, type Device, type Login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';
import { inflateRawBounded } from '../../server/services/handover';

// Hand-over without a network (issue 30, item 2), over a real server: a grid worker's phone
// with no signal signs its pending records into a bundle; the town official's phone takes it
// in and relays it; the server applies each record as the worker, once. Bundles that were
// changed, replayed with other content, or signed by a key it does not know are refused with
// a reason both phones can show; the worker's phone syncing later duplicates nothing.

let server: RunningServer;
const logins: Record<string, Login> = {};

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  for (const u of ['grid', 'town']) logins[u] = await login(server, u);
});
afterAll(async () => {
  await server?.close();
});

const apiFor =
  (session: Login): ApiFetch =>
  (path, init = {}) =>
    fetch(server.url + path, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${session.token}` } });

const village = () => logins.grid!.user.scope.regions[0]!.padEnd(12, '0').slice(0, 12);
const input = (description: string, citizen: object = { anonymous: true }) => ({ channel: 'grid_patrol', category: 'infra.water', kind: 'help', urgency: 'yellow', villageCode: village(), description, citizen });

async function record(d: Device, description: string, citizen?: object): Promise<string> {
  const r = await recordAppeal(d.db, input(description, citizen), { ...d.who, name: d.session.user.displayName });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.id;
}

/** The relay endpoint answered directly, for the cases a carrier's phone refuses before relaying. */
async function relayRaw(session: Login, bytes: Uint8Array): Promise<{ status: number; body: { error?: string; message?: string; accepted?: number[]; rejected?: { seq: number; reason: string }[] } }> {
  const res = await apiFor(session)('/api/handover/relay', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes as Uint8Array<ArrayBuffer> });
  return { status: res.status, body: (await res.json()) as never };
}

async function storedAppeal(docId: string) {
  const parts = await server.store.docParts(docId);
  return parts.length ? readAppeal(docFromUpdates(parts), docId) : null;
}

/** Re-signs `body` with `d`'s registered key: a bundle the device could really have made. */
async function signedBy(d: Device, body: BundleBody): Promise<Uint8Array> {
  const key = await deviceKey(d.db, d.session.user.id);
  const bytes = encodeBundleBody({ ...body, keyId: key.id, publicKey: key.publicKey });
  return attachSignature(bytes, await signBytes(key, bytes));
}

describe('hand-over by bundle', () => {
  let grid: Device;
  let town: Device;
  const docs: string[] = [];
  let bundle: Uint8Array;

  it('a grid worker offline hands pending records to the town official, who relays them; the server stores them as the worker', async () => {
    grid = await device(server, logins.grid!);
    town = await device(server, logins.town!);
    // The key is registered at the worker's last link, weeks before.
    expect(await registerDeviceKey(grid.db, grid.session.user.id, await deviceId(grid.db), apiFor(grid.session))).toBe(true);
    docs.push(await record(grid, '村东头水井塌了，二十户吃水困难。'));
    docs.push(await record(grid, '路灯坏了半个月。', { anonymous: false, name: '王大妈', phone: '13912345678' }));
    docs.push(await record(grid, '河道有人倒垃圾。'));
    const pending = await grid.db.outbox.count();

    const made = await makeBundle(grid.db, grid.session.user.id);
    expect(made).not.toBeNull();
    expect(made!.records).toBe(pending);
    expect(made!.remaining).toBe(0);
    bundle = made!.bytes;
    // The next bundle starts after this one's last record (for an outbox bigger than one bundle).
    expect(await makeBundle(grid.db, grid.session.user.id, Date.now(), made!.lastSeq)).toBeNull();
    expect((await makeBundle(grid.db, grid.session.user.id, Date.now(), made!.firstSeq))!.records).toBe(pending - 1);

    // The town official's phone, online: it takes the file in and relays it.
    town.engine.start();
    await town.settled();
    const row = await receiveBundle(town.db, bundle);
    expect(row.state).toBe('waiting');
    expect(row.records).toBe(pending);
    expect(await relayWaiting(town.db, apiFor(town.session))).toBe(1);
    const [carried] = await carriedBundles(town.db);
    expect(carried).toMatchObject({ state: 'relayed', accepted: pending, rejected: [] });

    for (const id of docs) {
      const a = await storedAppeal(id);
      expect(a, `appeal ${id} stored`).not.toBeNull();
      // Applied as its author, not as the carrier.
      expect(a!.fields.createdBy).toBe(grid.session.user.id);
      expect(a!.events.every((e) => (e as { actor?: string }).actor === grid.session.user.id)).toBe(true);
    }
    // The receipts are the worker's device's own: a direct push of the same records is known.
    const gridDevice = await deviceId(grid.db);
    const seqs = (await grid.db.outbox.toArray()).map((r) => r.seq);
    const seen = await server.store.inPushTx(async (tx) => Promise.all(seqs.map((s) => tx.seen(gridDevice, s, grid.session.user.id))));
    expect(seen.every(Boolean)).toBe(true);
    // The town's live phone gets them through the ordinary fan-out, the contact included.
    await until(async () => (await town.db.appeals.count()) >= docs.length, 10_000, 'town holds the relayed appeals');
    expect((await town.db.contacts.get(docs[1]!))?.name).toBe('王大妈');
    // The sender's outbox keeps every record: only the server's ack may remove them.
    expect(await grid.db.outbox.count()).toBe(pending);
  });

  it('the same bundle relayed again (a second carrier) is accepted and stores nothing twice', async () => {
    const receipts = await server.store.receiptCount();
    const again = await relayRaw(logins.town!, bundle);
    expect(again.status).toBe(200);
    const decoded = await decodeBundle(bundle, inflateRawBounded);
    expect(again.body.accepted!.length).toBe(decoded.ok ? decoded.bundle.entries.length : -1);
    expect(await server.store.receiptCount()).toBe(receipts);
  });

  it('refuses a tampered bundle: on the carrying phone at once, and at the server', async () => {
    const tampered = bundle.slice();
    // A byte inside the first record's update.
    tampered[100] = tampered[100]! ^ 0x01;
    const other = await device(server, logins.town!);
    const row = await receiveBundle(other.db, tampered);
    expect(row).toMatchObject({ state: 'refused', refused: { reason: 'bad_signature' } });
    const receipts = await server.store.receiptCount();
    const res = await relayRaw(logins.town!, tampered);
    expect(res.status).toBe(422);
    expect(res.body.error).toBe('bad_signature');
    // Re-signed by another key carried in the bundle: the server trusts only the registered key.
    const forger = await device(server, logins.grid!);
    const decoded = await decodeBundle(bundle, inflateRawBounded);
    if (!decoded.ok) throw new Error(decoded.detail);
    const forgedKey = await deviceKey(forger.db, logins.grid!.user.id);
    const body = encodeBundleBody({ ...decoded.bundle, publicKey: forgedKey.publicKey });
    const forged = attachSignature(body, await signBytes(forgedKey, body));
    expect((await receiveBundle(other.db, forged)).state).toBe('waiting');
    const res2 = await relayRaw(logins.town!, forged);
    expect(res2).toMatchObject({ status: 422, body: { error: 'bad_signature' } });
    expect(await server.store.receiptCount()).toBe(receipts);
    other.close();
    forger.close();
  });

  it('refuses a record replayed with changes (same device and seq, other content)', async () => {
    const decoded = await decodeBundle(bundle, inflateRawBounded);
    if (!decoded.ok) throw new Error(decoded.detail);
    const first = decoded.bundle.entries[0]!;
    // Another valid update of the same document under the same seq.
    const doc = docFromUpdates([first.update]);
    const before = Y.encodeStateVector(doc);
    doc.getMap('fields').set('description', '改过的内容');
    const changed = { ...first, update: Y.encodeStateAsUpdate(doc, before) };
    const replay = await signedBy(grid, { ...decoded.bundle, entries: [changed] });
    const receipts = await server.store.receiptCount();
    const res = await relayRaw(logins.town!, replay);
    expect(res.status).toBe(200);
    expect(res.body.accepted).toEqual([]);
    expect(res.body.rejected).toEqual([expect.objectContaining({ seq: first.seq, reason: 'replayed_changed' })]);
    expect(await server.store.receiptCount()).toBe(receipts);
  });

  it('refuses foreign bundles: an unregistered key, a revoked key, another author', async () => {
    const decoded = await decodeBundle(bundle, inflateRawBounded);
    if (!decoded.ok) throw new Error(decoded.detail);
    const receipts = await server.store.receiptCount();
    // A phone that never registered (another deployment's phone has a key this server never saw).
    const stranger = await device(server, logins.grid!);
    const foreign = await signedBy(stranger, decoded.bundle);
    expect(await relayRaw(logins.town!, foreign)).toMatchObject({ status: 422, body: { error: 'unknown_key' } });
    // The bundle names the carrier as author: the key is the grid worker's.
    const posing = await signedBy(grid, { ...decoded.bundle, authorId: logins.town!.user.id });
    expect(await relayRaw(logins.town!, posing)).toMatchObject({ status: 422, body: { error: 'wrong_author' } });
    // A revoked key verifies no more.
    expect(await registerDeviceKey(stranger.db, logins.grid!.user.id, await deviceId(stranger.db), apiFor(logins.grid!))).toBe(true);
    const strangerKey = await deviceKey(stranger.db, logins.grid!.user.id);
    expect(await server.store.revokeDeviceKey(strangerKey.id, Date.now())).toBe(true);
    expect(await relayRaw(logins.town!, foreign)).toMatchObject({ status: 422, body: { error: 'revoked_key' } });
    // Not a bundle at all.
    expect(await relayRaw(logins.town!, new Uint8Array([1, 2, 3]))).toMatchObject({ status: 422, body: { error: 'bad_bundle' } });
    expect(await server.store.receiptCount()).toBe(receipts);
    // The carrier's phone keeps a refused bundle with the server's reason.
    const carrier = await device(server, logins.town!);
    await receiveBundle(carrier.db, foreign);
    await relayWaiting(carrier.db, apiFor(logins.town!));
    expect((await carriedBundles(carrier.db))[0]).toMatchObject({ state: 'refused', refused: { reason: 'revoked_key' } });
    stranger.close();
    carrier.close();
  });

  it('binds a key to one user and device: bad bodies and a taken key id are refused', async () => {
    const post = (session: Login, body: unknown) => apiFor(session)('/api/handover/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const key = await deviceKey(grid.db, logins.grid!.user.id);
    const mine = { id: key.id, deviceId: await deviceId(grid.db), publicKey: Buffer.from(key.publicKey).toString('base64') };
    expect((await post(logins.grid!, mine)).status).toBe(200);
    // Someone else claiming the worker's key id, or the worker with another device or key under it.
    expect(await post(logins.town!, mine).then((r) => r.status)).toBe(409);
    expect(await post(logins.grid!, { ...mine, publicKey: Buffer.alloc(32, 1).toString('base64') }).then((r) => r.status)).toBe(409);
    const bad = await post(logins.grid!, { ...mine, publicKey: Buffer.alloc(31).toString('base64') });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/32 bytes/);
    expect((await post(logins.grid!, { ...mine, id: 'key-1' })).status).toBe(400);
    expect((await fetch(`${server.url}/api/handover/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(mine) })).status).toBe(401);
    // The worker's key is still the one that verifies.
    expect((await server.store.deviceKey(key.id))?.userId).toBe(logins.grid!.user.id);
  });

  it('the worker sees what became of its bundles', async () => {
    const res = await apiFor(logins.grid!)(`/api/handover/relays?keyId=${(await deviceKey(grid.db, logins.grid!.user.id)).id}`);
    const { relays } = (await res.json()) as { relays: { outcome: { accepted?: number[]; rejected?: { reason: string }[] } }[] };
    expect(relays.some((r) => r.outcome.rejected?.some((x) => x.reason === 'replayed_changed'))).toBe(true);
    expect(relays.some((r) => (r.outcome.accepted?.length ?? 0) > 0)).toBe(true);
    // Nobody else reads them.
    expect((await apiFor(logins.town!)(`/api/handover/relays?keyId=${(await deviceKey(grid.db, logins.grid!.user.id)).id}`)).status).toBe(404);
  });

  it('then the worker syncs directly: its outbox empties and nothing is stored twice', async () => {
    const receipts = await server.store.receiptCount();
    const updates = await server.store.updateCount();
    const events = await Promise.all(docs.map(async (id) => (await storedAppeal(id))!.events.length));
    grid.engine.start();
    await grid.settled();
    expect(await grid.db.outbox.count()).toBe(0);
    expect(await grid.db.quarantine.count()).toBe(0);
    expect(await server.store.receiptCount()).toBe(receipts);
    expect(await server.store.updateCount()).toBe(updates);
    expect(await Promise.all(docs.map(async (id) => (await storedAppeal(id))!.events.length))).toEqual(events);
    grid.close();
    town.close();
  });
});
