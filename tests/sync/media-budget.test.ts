import 'fake-indexeddb/auto';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { appendEvent } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import type { LinkInfo, OriginalUploadSetting } from '../../src/core/media-budget';
import { act, recordAppeal } from '../../src/store/appeals';
import { addUsage, readUsage } from '../../src/store/data-usage';
import { applyLocalChange } from '../../src/store/docs';
import { forceOriginal, pendingUploadBytes, retryFile, storeFile } from '../../src/store/files';
import { createUploader, type UploadFetch } from '../../src/sync/uploads';
import { device, login, until, type Device, type Login } from '../helpers/clients';
import { startTestServer, tempDir } from '../helpers/server';

// Photos on a data budget, end to end through the real server: the preview goes with the
// record, the original waits for the link or for a request by someone who works the appeal.

let server: RunningServer;
const logins: Record<string, Login> = {};

function fakeJpeg(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  bytes.set(randomBytes(size));
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
  return bytes;
}
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const via = (who: string): UploadFetch => (p, init = {}) => fetch(server.url + p, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${logins[who]!.token}` } });
const download = (hash: string, who: string) => via(who)(`/api/files/${hash}`).then((r) => r.status);
const ROAD = { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'yellow', description: '村口石桥栏杆断了，附照片。', citizen: { anonymous: true } };
const METERED: LinkInfo = { type: 'cellular', effectiveType: '2g' };

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_DATA_DIR: tempDir(), MINSHENG_SCAN_INTERVAL_MS: '0' });
  for (const u of ['grid', 'town', 'dept']) logins[u] = await login(server, u);
});
afterAll(async () => {
  await server.close();
});

/** A grid worker's phone with one appeal listing a photo and its preview, synced; its uploader on a given link. */
async function recordPhoto(link: LinkInfo | null, setting: OriginalUploadSetting = 'auto') {
  const grid = await device(server, logins.grid!);
  const original = fakeJpeg(200_000);
  const preview = fakeJpeg(12_000);
  const stored = await storeFile(grid.db, new Blob([original], { type: 'image/jpeg' }), Date.now(), new Blob([preview], { type: 'image/jpeg' }));
  if (!stored.ok) throw new Error(stored.problem);
  expect(stored.ref.preview).toEqual({ hash: sha(preview), type: 'image/jpeg', size: preview.length });
  const r = await recordAppeal(grid.db, { ...ROAD, villageCode: grid.who.scope.regions[0]!, attachments: [stored.ref] }, grid.who);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  grid.engine.start();
  await grid.settled();
  expect(await grid.db.quarantine.count()).toBe(0);
  // Every chunk the uploader sends, in order, and the bytes it counts for the month.
  const puts: string[] = [];
  let counted = 0;
  const fetcher: UploadFetch = (p, init) => {
    if (init?.method === 'PUT') puts.push(p.split('?')[0]!.split('/').pop()!);
    return via('grid')(p, init);
  };
  const uploader = createUploader(grid.db, fetcher, { link: () => link, setting: async () => setting, onBytes: (s) => (counted += s) });
  return { grid, id: r.value.id, original: sha(original), preview: sha(preview), sizes: { original: original.length, preview: preview.length }, puts, counted: () => counted, uploader };
}

describe('photos on a data budget', () => {
  it('sends the preview at once and keeps the original on a metered link; the badge still counts it', async () => {
    const p = await recordPhoto(METERED);
    await p.uploader.kick();
    expect(new Set(p.puts)).toEqual(new Set([p.preview]));
    expect(await download(p.preview, 'town')).toBe(200);
    expect(await download(p.original, 'town')).toBe(404);
    // The original is not on the server yet: the sync badge says so.
    expect(await pendingUploadBytes(p.grid.db)).toBe(p.sizes.original);
    expect(p.counted()).toBe(p.sizes.preview);
    p.grid.close();
  });

  it('sends the preview before the original when the link allows both', async () => {
    const p = await recordPhoto({ type: 'wifi' });
    await p.uploader.kick();
    expect(p.puts[0]).toBe(p.preview);
    expect(p.puts.lastIndexOf(p.preview)).toBeLessThan(p.puts.indexOf(p.original));
    expect(await download(p.original, 'town')).toBe(200);
    expect(await pendingUploadBytes(p.grid.db)).toBe(0);
    expect(p.counted()).toBe(p.sizes.preview + p.sizes.original);
    p.grid.close();
  });

  it("a town official's request makes the recording phone send the original even on 2G", async () => {
    const p = await recordPhoto(METERED, 'wifi_only');
    await p.uploader.kick();
    expect(await download(p.original, 'town')).toBe(404);

    const town = await device(server, logins.town!);
    town.engine.start();
    await until(async () => (await town.db.appeals.get(p.id)) !== undefined, 15_000, 'appeal reaches the town');
    const asked = await act(town.db, p.id, town.session.user, { type: 'original_requested', hash: p.original });
    expect(asked).toEqual({ ok: true });
    town.engine.kick();
    await town.settled();
    expect(await town.db.quarantine.count()).toBe(0);

    // The grid phone hears of it through sync, and its next pass sends the original first.
    await until(async () => (await p.grid.db.appeals.get(p.id))?.originalsRequested?.includes(p.original) === true, 15_000, 'request reaches the phone');
    await p.uploader.kick();
    expect(p.puts).toContain(p.original);
    expect(await download(p.original, 'town')).toBe(200);
    expect(await pendingUploadBytes(p.grid.db)).toBe(0);
    town.close();
    p.grid.close();
  });

  it('refuses a request by someone who may not ask for it, with a reason, and sends nothing', async () => {
    const p = await recordPhoto(METERED);
    await p.uploader.kick();
    // The app does not offer it to the grid worker...
    expect(await act(p.grid.db, p.id, p.grid.session.user, { type: 'original_requested', hash: p.original })).toEqual({ ok: false, reason: 'role_not_allowed' });
    // ...and a phone that writes it anyway is refused by the server.
    await forge(p.grid, p.id, p.original);
    await until(async () => (await p.grid.db.quarantine.count()) > 0, 15_000, 'refusal');
    const [q] = await p.grid.db.quarantine.toArray();
    expect(q!.reason).toBe('forbidden');
    expect(q!.detail).toContain('original_requested: role_not_allowed');
    // The device's copy goes back to the server's: no request stands, nothing is sent.
    await until(async () => (await p.grid.db.appeals.get(p.id))?.originalsRequested === undefined, 15_000, 'request undone');
    await p.uploader.kick();
    expect(p.puts).not.toContain(p.original);

    // A department the case was never given to is refused as well.
    const dept = await device(server, logins.dept!);
    dept.engine.start();
    await dept.settled();
    expect(await dept.db.appeals.get(p.id)).toBeUndefined();
    p.grid.close();
    dept.close();
  });

  it('a request for a file the appeal does not list is refused by the server', async () => {
    const p = await recordPhoto(METERED);
    const town = await device(server, logins.town!);
    town.engine.start();
    await until(async () => (await town.db.appeals.get(p.id)) !== undefined, 15_000, 'appeal reaches the town');
    // The preview is not an original to ask for, and a stranger's hash is nothing of this appeal's.
    expect(await act(town.db, p.id, town.session.user, { type: 'original_requested', hash: p.preview })).toEqual({ ok: false, reason: 'not_attachment' });
    await forge(town, p.id, sha(fakeJpeg(10)));
    await until(async () => (await town.db.quarantine.count()) > 0, 15_000, 'refusal');
    expect((await town.db.quarantine.toArray())[0]!.detail).toContain('original_requested: not_attachment');
    town.close();
    p.grid.close();
  });
});

describe('each file on its own', () => {
  it('keeps a refused file with its reason, out of the badge, until the user retries it', async () => {
    const grid = await device(server, logins.grid!);
    // Declared a WebP, but the bytes are a JPEG: the server refuses it after the last chunk.
    const bytes = fakeJpeg(40_000);
    const stored = await storeFile(grid.db, new Blob([bytes], { type: 'image/webp' }));
    if (!stored.ok) throw new Error(stored.problem);
    const uploader = createUploader(grid.db, via('grid'), { link: () => METERED });
    await uploader.kick();
    const row = await grid.db.files.get(stored.ref.hash);
    expect(row).toMatchObject({ pending: 1, failed: expect.stringMatching(/^wrong_type: /) });
    expect(await pendingUploadBytes(grid.db)).toBe(0);
    // 重试 puts it back in the queue, and the badge counts it again until it is refused again.
    await retryFile(grid.db, stored.ref.hash);
    expect((await grid.db.files.get(stored.ref.hash))!.failed).toBeUndefined();
    expect(await pendingUploadBytes(grid.db)).toBe(bytes.length);
    await uploader.kick();
    expect((await grid.db.files.get(stored.ref.hash))!.failed).toMatch(/^wrong_type: /);
    grid.close();
  });

  it('"upload original now" sends that original on a metered link, and only that one', async () => {
    const p = await recordPhoto(METERED, 'wifi_only');
    const other = await storeFile(p.grid.db, new Blob([fakeJpeg(150_000)], { type: 'image/jpeg' }), Date.now(), new Blob([fakeJpeg(9_000)], { type: 'image/jpeg' }));
    if (!other.ok) throw new Error(other.problem);
    const progress: number[] = [];
    p.grid.db.files.hook('updating', (mods, key) => {
      if (key === p.original && typeof (mods as { sent?: number }).sent === 'number') progress.push((mods as { sent: number }).sent);
    });
    await forceOriginal(p.grid.db, p.original);
    await p.uploader.kick();
    expect(p.puts).toContain(p.original);
    expect(p.puts).not.toContain(other.ref.hash);
    // Its own progress, chunk by chunk, up to its size.
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toBe(p.sizes.original);
    expect(await pendingUploadBytes(p.grid.db)).toBe(other.ref.size);
    p.grid.close();
  });
});

describe('data used this month', () => {
  it('adds bytes per calendar month and reads this month and the last', async () => {
    const { db } = await device(server, logins.grid!);
    const nov = new Date(2026, 10, 15).getTime();
    const dec = new Date(2026, 11, 2).getTime();
    await addUsage(db, 100, 2000, nov);
    await addUsage(db, 50, 0, nov);
    await addUsage(db, 7, 9, dec);
    expect(await readUsage(db, dec)).toEqual({ thisMonth: { sent: 7, received: 9 }, lastMonth: { sent: 150, received: 2000 } });
    expect(await readUsage(db, nov)).toEqual({ thisMonth: { sent: 150, received: 2000 }, lastMonth: { sent: 0, received: 0 } });
    db.close();
  });
});

/** Appends an original_requested event straight into the document, past the app's own check, and pushes it. */
async function forge(d: Device, id: string, hash: string): Promise<void> {
  await applyLocalChange(d.db, id, (doc) => appendEvent(doc, { id: newId(), type: 'original_requested', hash, actor: d.who.id, role: d.who.role, at: Date.now() }));
  d.engine.kick();
}
