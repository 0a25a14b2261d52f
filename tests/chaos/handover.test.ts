import 'fake-indexeddb/auto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { planQrFrames, QrFrameReceiver, sendIndex } from '../../src/core/qr-frames';
import { act, loadAppeal, recordAppeal } from '../../src/store/appeals';
import { registerDeviceKey, type ApiFetch } from '../../src/store/device-key';
import { carriedBundles, makeBundle, receiveBundle, relayWaiting } from '../../src/store/handover';
import { deviceId } from '../../src/store/meta';
import { device, login, type Device, type Login } from '../helpers/clients';
import { startTestServer, tempDir } from '../helpers/server';
import { scale } from './scale';

// "A month with no signal, handed over twice by QR and once by file, then the phone itself
// syncs: nothing lost, nothing duplicated" (issue 30). A grid worker's phone records appeals
// and comments over 35 days with no link. Three times it hands everything still pending (its
// outbox keeps what no ack has removed, so each bundle repeats the earlier ones) to someone
// going to town: twice as an animated QR sequence caught by a camera that misses frames and
// sees some twice, once as a file. The carriers relay out of order, one of them twice. Then
// the phone gets a signal: its outbox empties, the server stores nothing it did not already
// have, and every appeal on the server is the phone's, whole.

const DAY = 86_400_000;
const PER_LEG = scale(6, 40);

let server: RunningServer;
const logins: Record<string, Login> = {};

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  for (const u of ['grid', 'town', 'station']) logins[u] = await login(server, u);
});
afterAll(async () => {
  await server?.close();
});

const apiFor =
  (session: Login): ApiFetch =>
  (p, init = {}) =>
    fetch(server.url + p, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${session.token}` } });

/** A seeded generator: the camera's misses are the same on every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * The QR leg, through the real frame codec: the sender loops its frames; the camera misses a
 * third of them, sees some twice, and takes them in a shuffled order within each burst.
 */
function viaQr(bytes: Uint8Array, seed: number): { bytes: Uint8Array; shown: number } {
  const random = rng(seed);
  const plan = planQrFrames(bytes, 300);
  const camera = new QrFrameReceiver();
  for (let step = 0; step < plan.total * 20; step += 8) {
    const burst: string[] = [];
    for (let k = step; k < step + 8; k++) {
      const r = random();
      if (r < 0.33) continue;
      burst.push(plan.frame(sendIndex(plan.total, k)));
      if (r > 0.85) burst.push(plan.frame(sendIndex(plan.total, k)));
    }
    burst.sort(() => random() - 0.5);
    for (const text of burst) {
      const got = camera.accept(text);
      if (got.kind === 'done') return { bytes: got.bytes, shown: step + 8 };
      if (got.kind === 'refused' || got.kind === 'failed') throw new Error(`QR leg: ${JSON.stringify(got)}`);
    }
  }
  throw new Error('QR leg: the camera never completed the transfer');
}

describe('a month with no signal', () => {
  it('handed over twice by QR and once by file, then the phone syncs: nothing lost, nothing duplicated', async () => {
    const grid: Device = await device(server, logins.grid!);
    const town: Device = await device(server, logins.town!);
    const station: Device = await device(server, logins.station!);
    const who = { ...grid.who, name: logins.grid!.user.displayName };
    const village = logins.grid!.user.scope.regions[0]!.padEnd(12, '0').slice(0, 12);
    // The last link, 36 days ago: the phone's key is registered.
    expect(await registerDeviceKey(grid.db, who.id, await deviceId(grid.db), apiFor(logins.grid!))).toBe(true);

    const start = Date.now() - 36 * DAY;
    const ids: string[] = [];
    let n = 0;
    /** Records a leg's appeals, spread over its days, and comments on earlier ones. */
    const live = async (fromDay: number, toDay: number) => {
      for (let i = 0; i < PER_LEG; i++) {
        const at = start + (fromDay + ((toDay - fromDay) * i) / PER_LEG) * DAY;
        const citizen = i % 3 === 0 ? { anonymous: false, name: `村民${n}`, phone: `1391234${String(n).padStart(4, '0')}` } : { anonymous: true };
        const r = await recordAppeal(grid.db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'yellow', villageCode: village, description: `第${fromDay + 1}天起登记的第${++n}件：村道破损需要修补。`, citizen }, who, at);
        if (!r.ok) throw new Error(JSON.stringify(r.errors));
        ids.push(r.value.id);
        if (ids.length > 2 && i % 2 === 0) {
          const earlier = ids[(i * 7) % (ids.length - 1)]!;
          expect(await act(grid.db, earlier, logins.grid!.user, { type: 'commented', note: `第${n}次回访补充` }, at + 60_000)).toEqual({ ok: true });
        }
      }
    };

    // Days 1-10, then the first QR hand-over to the town official at a meeting.
    await live(1, 10);
    const leg1 = await makeBundle(grid.db, who.id);
    const qr1 = viaQr(leg1!.bytes, 1);
    expect(qr1.bytes).toEqual(leg1!.bytes);
    expect((await receiveBundle(town.db, qr1.bytes)).state).toBe('waiting');

    // Days 11-20, then a QR hand-over to the village station's worker going to town.
    await live(11, 20);
    const leg2 = await makeBundle(grid.db, who.id);
    // Still pending: everything of the first leg goes again.
    expect(leg2!.records).toBeGreaterThan(leg1!.records);
    const qr2 = viaQr(leg2!.bytes, 2);
    expect((await receiveBundle(station.db, qr2.bytes)).state).toBe('waiting');
    // The camera caught it twice: still one bundle to relay.
    expect((await receiveBundle(station.db, viaQr(leg2!.bytes, 3).bytes)).state).toBe('waiting');
    expect(await station.db.carried.count()).toBe(1);

    // Days 21-35, then a file to the town official.
    await live(21, 35);
    const leg3 = await makeBundle(grid.db, who.id);
    const file = path.join(tempDir('handover-chaos-'), 'bundle.msho');
    writeFileSync(file, leg3!.bytes);
    expect((await receiveBundle(town.db, new Uint8Array(readFileSync(file)))).state).toBe('waiting');

    // The town relays first (the first QR leg and the file), the station days later.
    expect(await relayWaiting(town.db, apiFor(logins.town!))).toBe(2);
    expect(await relayWaiting(station.db, apiFor(logins.station!))).toBe(1);
    for (const d of [town, station]) for (const b of await carriedBundles(d.db)) expect(b).toMatchObject({ state: 'relayed', accepted: b.records, rejected: [] });
    // Relayed again by mistake: accepted, nothing new stored.
    const receipts = await server.store.receiptCount();
    const res = await apiFor(logins.town!)('/api/handover/relay', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: leg2!.bytes as Uint8Array<ArrayBuffer> });
    expect(res.status).toBe(200);
    expect(await server.store.receiptCount()).toBe(receipts);

    // Every record the phone made is on the server, once: one receipt per outbox entry.
    const pending = await grid.db.outbox.count();
    expect(receipts).toBe(pending);

    // Then the phone itself gets a signal.
    const updates = await server.store.updateCount();
    grid.engine.start();
    await grid.settled(30_000);
    expect(await grid.db.outbox.count()).toBe(0);
    expect(await grid.db.quarantine.count()).toBe(0);
    expect(await server.store.receiptCount()).toBe(receipts);
    expect(await server.store.updateCount()).toBe(updates);

    // Nothing lost: every appeal on the server is the phone's, fields and events alike, times kept.
    for (const id of ids) {
      const mine = await loadAppeal(grid.db, id);
      const parts = await server.store.docParts(id);
      const theirs = readAppeal(docFromUpdates(parts), id);
      expect(theirs.fields).toEqual(mine!.fields);
      expect(theirs.events).toEqual(mine!.events);
    }
    const first = await loadAppeal(grid.db, ids[0]!);
    expect(Date.now() - (first!.events[0] as { at: number }).at).toBeGreaterThan(30 * DAY);
    for (const d of [grid, town, station]) d.close();
  }, 60_000);
});
