import 'fake-indexeddb/auto';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROFILES, startSlowLink, type SlowLink } from '../../bench/link';
import type { RunningServer } from '../../server/app';
import * as Y from 'yjs';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { act, loadAppeal, recordAppeal } from '../../src/store/appeals';
import { scratchDoc } from '../../src/store/docs';
import { pendingUploadBytes, storeFile } from '../../src/store/files';
import { createUploader } from '../../src/sync/uploads';
import { device, login, until, type Device, type Login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';
import { scale } from './scale';

// A grid worker's week without signal: hundreds of appeals and photos recorded over seven
// (simulated) days, while the town keeps working on appeals the worker also touches. Then
// the phone comes back on a 2G link that drops every few seconds. Everything converges, and
// nothing is left pending.

const DAY = 86_400_000;
const APPEALS = scale(20, 300);
const PHOTOS = scale(8, 200);
const SHARED = scale(5, 30);
const DROP_EVERY_MS = scale(3_000, 5_000);

let server: RunningServer;
let link: SlowLink;
const logins: Record<string, Login> = {};

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  link = await startSlowLink(Number(new URL(server.url).port), PROFILES['2g']);
  for (const u of ['grid', 'town']) logins[u] = await login(server, u);
});
afterAll(async () => {
  await link?.close();
  await server?.close();
});

const photo = () => {
  const bytes = new Uint8Array(scale(4_000, 8_000));
  bytes.set(randomBytes(bytes.length));
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
  return new Blob([bytes], { type: 'image/jpeg' });
};

describe('a week offline', () => {
  it(`brings ${APPEALS} appeals and ${PHOTOS} photos home over a dropping 2G link, converging with the town`, async () => {
    const grid: Device = await device(server, logins.grid!, { url: link.url });
    const town: Device = await device(server, logins.town!);
    const village = logins.grid!.user.scope.regions[0]!.padEnd(12, '0').slice(0, 12);
    const input = (text: string, attachments?: { hash: string; type: string; size: number }[]) => ({ channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'yellow', villageCode: village, description: text, citizen: { anonymous: true }, ...(attachments && { attachments }) });

    // Before the week: appeals both phones will hold and work on.
    const shared: string[] = [];
    for (let i = 0; i < SHARED; i++) {
      const r = await recordAppeal(grid.db, input(`周一前登记的第${i}件`), grid.who, Date.now() - 8 * DAY);
      if (!r.ok) throw new Error('not recorded');
      shared.push(r.value.id);
    }
    grid.engine.start();
    town.engine.start();
    await grid.settled(60_000);
    await town.settled();
    await until(async () => (await town.db.appeals.count()) === SHARED, 20_000, 'the town holds the shared appeals');
    grid.engine.stop();

    // Seven days offline: new appeals with photos, notes on the shared ones...
    const week = Date.now() - 7 * DAY;
    let photos = 0;
    for (let i = 0; i < APPEALS; i++) {
      const refs = [];
      for (let k = 0; k < Math.round(PHOTOS / APPEALS) + (i < PHOTOS % APPEALS ? 1 : 0) && photos < PHOTOS; k++, photos++) {
        const stored = await storeFile(grid.db, photo());
        if (!stored.ok) throw new Error('photo not stored');
        refs.push(stored.ref);
      }
      const r = await recordAppeal(grid.db, input(`离线第${Math.floor(i / (APPEALS / 7)) + 1}天：第${i}件`, refs.length ? refs : undefined), grid.who, week + (i / APPEALS) * 7 * DAY);
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
    }
    for (const id of shared) expect((await act(grid.db, id, logins.grid!.user, { type: 'commented', note: '网格员补充：现场又看了一次' }, week + DAY)).ok).toBe(true);
    // ...while the town accepts, assigns and comments on the same ones.
    for (const id of shared) {
      expect((await act(town.db, id, logins.town!.user, { type: 'accepted' })).ok).toBe(true);
      expect((await act(town.db, id, logins.town!.user, { type: 'assigned', tier: 'town' })).ok).toBe(true);
      expect((await act(town.db, id, logins.town!.user, { type: 'commented', note: '镇里已派人' })).ok).toBe(true);
    }
    town.engine.kick();
    await town.settled();

    // Home on 2G, the signal dropping every few seconds.
    link.reset();
    const uploader = createUploader(grid.db, (p, init = {}) => fetch(link.url + p, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${logins.grid!.token}` } }));
    let drops = 0;
    const dropper = setInterval(() => {
      link.drop();
      drops++;
    }, DROP_EVERY_MS);
    const started = Date.now();
    grid.engine.start();
    const kicker = setInterval(() => void uploader.kick(), 1_000);
    try {
      await until(async () => grid.status().link === 'online' && (await grid.db.outbox.count()) === 0 && grid.status().catchUp === null && (await pendingUploadBytes(grid.db)) === 0, scale(240_000, 1_500_000), 'outbox and uploads drained');
    } finally {
      clearInterval(dropper);
      clearInterval(kicker);
    }
    const seconds = (Date.now() - started) / 1000;

    // Every appeal everywhere, identical on both phones and the server: same content, and the
    // same CRDT state (state vector and deletions) — not only the shared ones.
    await until(async () => (await town.db.appeals.count()) === SHARED + APPEALS, 60_000, 'the town holds every appeal');
    const ids = (await server.store.appealRows()).map((r) => r.id);
    expect(ids).toHaveLength(SHARED + APPEALS);
    const differing = async () => {
      const off: string[] = [];
      for (const id of ids) {
        const docs = [docFromUpdates(await server.store.docParts(id)), await scratchDoc(grid.db, id), await scratchDoc(town.db, id)];
        const [s, g, t] = docs.map((d) => ({ snap: Y.snapshot(d), text: JSON.stringify(readAppeal(d, id)) }));
        if (!Y.equalSnapshots(s!.snap, g!.snap) || !Y.equalSnapshots(s!.snap, t!.snap) || s!.text !== g!.text || s!.text !== t!.text) off.push(id);
        docs.forEach((d) => d.destroy());
      }
      return off;
    };
    await until(async () => (await differing()).length === 0, 60_000, 'every appeal identical on the server and both phones');
    const merged = (await loadAppeal(grid.db, shared[0]!))!;
    // Both sides' events, each once: recorded, the worker's note, and the town's three steps.
    expect(merged.events.map((e) => (e as { type: string }).type).sort()).toEqual(['accepted', 'assigned', 'commented', 'commented', 'recorded']);
    const files = (await server.store.appealRows()).reduce((n, r) => n + r.attachments, 0);
    expect(files).toBe(PHOTOS);
    for (const f of await grid.db.files.toArray()) expect(await server.store.file(f.hash), f.hash).not.toBeNull();
    console.log(`long offline: ${APPEALS} appeals and ${PHOTOS} photos over 7 days, ${SHARED} shared appeals changed on both sides; home over ${PROFILES['2g'].name} with ${drops} drops: converged in ${seconds.toFixed(1)} s, ${(link.bytes.up / 1024).toFixed(0)} KiB up, ${(link.bytes.down / 1024).toFixed(0)} KiB down; pending 0`);
    grid.close();
    town.close();
  }, scale(300_000, 1_700_000));
});
