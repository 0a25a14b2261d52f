import 'fake-indexeddb/auto';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { ConfigError, loadConfig } from '../../server/config';
import { UPLOAD_CHUNK_BYTES } from '../../src/core/attachments';
import { recordAppeal } from '../../src/store/appeals';
import { openDb } from '../../src/store/db';
import { pendingUploadBytes, storeFile } from '../../src/store/files';
import { createUploader, uploadFile, UploadRefused, type UploadFetch, type UploadSource } from '../../src/sync/uploads';
import { addUser, device, login, until, type Login } from '../helpers/clients';
import { startProxy, type CuttableProxy } from '../helpers/proxy';
import { startTestServer, tempDir } from '../helpers/server';

// Attachments travel apart from the CRDT, through a resumable, content-addressed upload.
// These run the real client code against the real server, through a proxy that can cut
// the link in the middle of a chunk.

let server: RunningServer;
let proxy: CuttableProxy;
let dataDir: string;
const logins: Record<string, Login> = {};

/** A JPEG-looking file of random bytes: the server checks magic bytes and the hash. */
function fakeJpeg(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  bytes.set(randomBytes(size));
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
  return bytes;
}
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const source = (bytes: Uint8Array, type = 'image/jpeg'): UploadSource => ({ hash: sha(bytes), type, size: bytes.length, read: async (s, e) => bytes.subarray(s, e) });
const via = (base: string, who: string): UploadFetch => (p, init = {}) => fetch(base + p, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${logins[who]!.token}` } });
const status = async (hash: string, who = 'grid') => (await (await via(server.url, who)(`/api/uploads/${hash}`)).json()) as { received: number; complete: boolean };
/** A file's download as `who` sees it: status and body. */
const fetchFile = async (hash: string, who: string) => {
  const res = await via(server.url, who)(`/api/files/${hash}`);
  return { status: res.status, body: res.headers.get('content-type')?.startsWith('application/json') ? await res.json() : sha(new Uint8Array(await res.arrayBuffer())) };
};
/** Sends the first `bytes` of a declared file (1 byte by default) and returns the answer. */
const startUpload = (who: string, hash: string, type: string, size: number, bytes = new Uint8Array([0xff])) =>
  via(server.url, who)(`/api/uploads/${hash}?offset=0`, { method: 'PUT', headers: { 'x-upload-type': type, 'x-upload-size': String(size), 'content-type': 'application/octet-stream' }, body: bytes as BodyInit });
const ROAD = { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'yellow', description: '村口石桥栏杆断了，附照片。', citizen: { anonymous: true } };

beforeAll(async () => {
  dataDir = tempDir();
  server = await startTestServer({ MINSHENG_DATA_DIR: dataDir, MINSHENG_SCAN_INTERVAL_MS: '0' });
  proxy = await startProxy(Number(new URL(server.url).port));
  for (const u of ['grid', 'town', 'dept', 'bench']) logins[u] = await login(server, u);
  // Grid workers of a village in another town: never entitled to what is recorded in grid's.
  const village = logins.grid!.user.scope.regions[0]!;
  const other = (await server.store.regionsUnder([village.slice(0, 6)])).find((r) => r.level === 'village' && r.code.slice(0, 9) !== village.slice(0, 9))!;
  for (const u of ['outsider', 'hoarder', 'counter']) await addUser(server, u, 'grid_worker', [other.code]);
  for (const u of ['outsider', 'hoarder', 'counter']) logins[u] = await login(server, u);
});
afterAll(async () => {
  await proxy.close();
  await server.close();
});

describe('resumable upload', () => {
  it('resumes after the link is cut halfway and arrives intact', async () => {
    const photo = fakeJpeg(10 * UPLOAD_CHUNK_BYTES + 1234);
    const src = source(photo);
    const progress: number[] = [];
    proxy.cutAfterUp(Math.floor(photo.length / 2));
    await expect(uploadFile(src, via(proxy.url, 'grid'), { onProgress: (n) => progress.push(n) })).rejects.toThrow();
    const half = await status(src.hash);
    expect(half.complete).toBe(false);
    // Only whole chunks were kept: the one cut mid-flight left nothing behind.
    expect(half.received % UPLOAD_CHUNK_BYTES).toBe(0);
    expect(half.received).toBeGreaterThan(0);
    expect(half.received).toBeLessThan(photo.length);

    proxy.restore();
    const before = proxy.bytes.up;
    await uploadFile(src, via(proxy.url, 'grid'), { onProgress: (n) => progress.push(n) });
    const resent = proxy.bytes.up - before;
    console.log(`upload: cut at ${half.received} of ${photo.length} bytes; resumed with ${resent} bytes up (${(resent / (photo.length - half.received)).toFixed(2)}× the remainder)`);
    // The resume sent the remainder (plus headers), not the whole file again.
    expect(resent).toBeLessThan(photo.length - half.received + 16 * 1024);

    const res = await via(server.url, 'grid')(`/api/files/${src.hash}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(src.hash);
    expect(existsSync(path.join(dataDir, 'files', src.hash.slice(0, 2), src.hash))).toBe(true);
  });

  it('stores the same photo once, however often and by whom it is sent', async () => {
    const photo = fakeJpeg(3 * UPLOAD_CHUNK_BYTES);
    await uploadFile(source(photo), via(server.url, 'grid'));
    // The uploader again (another of their devices) only asks: no bytes of the file cross the link.
    let before = proxy.bytes.up;
    await uploadFile(source(photo), via(proxy.url, 'grid'));
    expect(proxy.bytes.up - before).toBeLessThan(1024);
    // Someone else is told nothing of it, so proves they hold the bytes by sending them...
    before = proxy.bytes.up;
    await uploadFile(source(photo), via(proxy.url, 'bench'));
    expect(proxy.bytes.up - before).toBeGreaterThanOrEqual(photo.length);
    // ...and the server still keeps one copy, now theirs as well.
    const dir = path.join(dataDir, 'files', sha(photo).slice(0, 2));
    expect(readdirSync(dir).filter((f) => f === sha(photo))).toHaveLength(1);
    expect(await status(sha(photo), 'bench')).toEqual({ received: photo.length, complete: true });
    expect((await via(server.url, 'bench')(`/api/files/${sha(photo)}`)).status).toBe(200);

    // On the device too: two appeals listing one photo keep one Blob.
    const db = openDb(`uploads-dedupe-${Date.now()}`);
    const blob = new Blob([photo], { type: 'image/jpeg' });
    const a = await storeFile(db, blob);
    const b = await storeFile(db, new Blob([photo], { type: 'image/jpeg' }));
    expect(a.ok && b.ok && a.ref.hash === b.ref.hash).toBe(true);
    expect(await db.files.count()).toBe(1);
    db.close();
  });

  it('refuses wrong types, oversize, empty and mislabelled files with a reason', async () => {
    const put = (hash: string, type: string, size: number, body: Uint8Array) =>
      via(server.url, 'grid')(`/api/uploads/${hash}?offset=0`, { method: 'PUT', headers: { 'x-upload-type': type, 'x-upload-size': String(size), 'content-type': 'application/octet-stream' }, body: body as BodyInit });
    const bytes = fakeJpeg(1000);
    const answers = {
      html: await put(sha(bytes), 'text/html', 1000, bytes),
      huge: await put(sha(bytes), 'video/mp4', 500 * 1024 * 1024, bytes),
      empty: await put(sha(new Uint8Array()), 'image/jpeg', 0, new Uint8Array([0])),
      // Declared a WebP photo, but the bytes are a JPEG: discarded after the last chunk.
      mislabelled: await put(sha(bytes), 'image/webp', 1000, bytes),
      // Bytes that are not the file named by the hash.
      forged: await put(sha(fakeJpeg(1000)), 'image/jpeg', 1000, bytes),
    };
    const codes = Object.fromEntries(await Promise.all(Object.entries(answers).map(async ([k, r]) => [k, [r.status, ((await r.json()) as { error: string }).error]])));
    expect(codes).toEqual({
      html: [415, 'wrong_type'],
      huge: [413, 'too_large'],
      empty: [400, 'empty'],
      mislabelled: [422, 'wrong_type'],
      forged: [422, 'hash_mismatch'],
    });
    // A refused file leaves nothing to resume from.
    expect((await status(sha(bytes))).received).toBe(0);
    await expect(uploadFile(source(bytes, 'text/html'), via(server.url, 'grid'))).rejects.toBeInstanceOf(UploadRefused);
  });

  it('lets only the uploader, and those who may see a document listing the file, download it', async () => {
    const grid = await device(server, logins.grid!);
    const photo = fakeJpeg(2 * UPLOAD_CHUNK_BYTES);
    const stored = await storeFile(grid.db, new Blob([photo], { type: 'image/jpeg' }));
    if (!stored.ok) throw new Error(stored.problem);
    expect(await pendingUploadBytes(grid.db)).toBe(photo.length);
    const read = (who: string) => via(server.url, who)(`/api/files/${stored.ref.hash}`).then((r) => r.status);

    // The device's uploader drains its queue; the badge's pending bytes fall to zero.
    await createUploader(grid.db, via(server.url, 'grid')).kick();
    expect(await pendingUploadBytes(grid.db)).toBe(0);
    expect([await read('grid'), await read('town')]).toEqual([200, 404]);

    const village = grid.who.scope.regions[0]!;
    const r = await recordAppeal(
      grid.db,
      { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'yellow', villageCode: village, description: '村口石桥栏杆断了，附照片。', citizen: { anonymous: true }, attachments: [stored.ref] },
      grid.who,
    );
    expect(r.ok).toBe(true);
    grid.engine.start();
    await grid.settled();
    expect(await grid.db.quarantine.count()).toBe(0);
    // The town sees the appeal, so the photo; a department it was never assigned to does not.
    expect([await read('town'), await read('dept')]).toEqual([200, 404]);
    grid.close();
  });
});

describe('a file is readable only by those entitled to the appeal that really owns it', () => {
  const villageOf = (who: string) => logins[who]!.user.scope.regions[0]!;
  /** Records an appeal listing `refs` on a fresh device of `who` and syncs it; returns the device and the appeal id. */
  async function recordWith(who: string, refs: { hash: string; type: string; size: number }[]) {
    const d = await device(server, logins[who]!);
    const r = await recordAppeal(d.db, { ...ROAD, villageCode: villageOf(who), attachments: refs }, d.who);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    d.engine.start();
    await d.settled();
    return { d, id: r.value.id };
  }
  const refOf = (bytes: Uint8Array) => ({ hash: sha(bytes), type: 'image/jpeg', size: bytes.length });

  it('refuses to attach a stored file to someone who only learned its hash, and tells them nothing of it', async () => {
    const photo = fakeJpeg(2 * UPLOAD_CHUNK_BYTES);
    await uploadFile(source(photo), via(server.url, 'grid'));
    const owner = await recordWith('grid', [refOf(photo)]);
    expect(await owner.d.db.quarantine.count()).toBe(0);
    owner.d.close();

    // Existence and size: the same answers as for a file the server never had.
    const hash = sha(photo);
    const never = sha(fakeJpeg(1000));
    expect(await status(hash, 'outsider')).toEqual({ received: 0, complete: false });
    expect(await status(hash, 'outsider')).toEqual(await status(never, 'outsider'));
    expect(await fetchFile(hash, 'outsider')).toEqual(await fetchFile(never, 'outsider'));
    expect((await fetchFile(hash, 'outsider')).status).toBe(404);

    // Listing the hash in an appeal of one's own is refused, with a reason, and stores nothing.
    const thief = await recordWith('outsider', [refOf(photo)]);
    expect((await thief.d.db.quarantine.toArray()).map((q) => q.reason)).toEqual(['attachment_not_yours']);
    expect(await server.store.appealScope(thief.id)).toBeNull();
    expect((await fetchFile(hash, 'outsider')).status).toBe(404);
    expect((await server.store.audit(50)).some((a) => a.actor === logins.outsider!.user.id && a.detail.reason === 'attachment_not_yours')).toBe(true);
    thief.d.close();

    // Those entitled are told, and may download: the uploader and the town that sees the appeal.
    for (const who of ['grid', 'town']) {
      expect(await status(hash, who)).toEqual({ received: photo.length, complete: true });
      expect(await fetchFile(hash, who)).toEqual({ status: 200, body: hash });
    }
  });

  it("keeps each user's unfinished upload their own: invisible to others and never in their way", async () => {
    const photo = fakeJpeg(3 * UPLOAD_CHUNK_BYTES);
    expect((await startUpload('grid', sha(photo), 'image/jpeg', photo.length, photo.subarray(0, UPLOAD_CHUNK_BYTES))).status).toBe(200);
    expect(await status(sha(photo), 'grid')).toEqual({ received: UPLOAD_CHUNK_BYTES, complete: false });
    expect(await status(sha(photo), 'outsider')).toEqual({ received: 0, complete: false });
    // Junk sent under the same name by someone else is theirs alone, and discarded at the end.
    expect((await startUpload('outsider', sha(photo), 'image/jpeg', photo.length, fakeJpeg(UPLOAD_CHUNK_BYTES))).status).toBe(200);
    await uploadFile(source(photo), via(server.url, 'grid'));
    expect(await fetchFile(sha(photo), 'grid')).toEqual({ status: 200, body: sha(photo) });
    expect(await status(sha(photo), 'outsider')).toEqual({ received: UPLOAD_CHUNK_BYTES, complete: false });
  });

  it('accepts an appeal pushed before its photo was sent; the photo opens to its readers once it arrives', async () => {
    const grid = await device(server, logins.grid!);
    const photo = fakeJpeg(3 * UPLOAD_CHUNK_BYTES);
    const stored = await storeFile(grid.db, new Blob([photo], { type: 'image/jpeg' }));
    if (!stored.ok) throw new Error(stored.problem);
    const r = await recordAppeal(grid.db, { ...ROAD, villageCode: villageOf('grid'), attachments: [stored.ref] }, grid.who);
    expect(r.ok).toBe(true);
    // Offline capture: the appeal reaches the server before a single byte of the photo.
    grid.engine.start();
    await grid.settled();
    expect(await grid.db.quarantine.count()).toBe(0);
    expect((await fetchFile(stored.ref.hash, 'town')).status).toBe(404);
    await createUploader(grid.db, via(server.url, 'grid')).kick();
    expect(await pendingUploadBytes(grid.db)).toBe(0);
    expect(await fetchFile(stored.ref.hash, 'town')).toEqual({ status: 200, body: stored.ref.hash });
    grid.close();
  });

  it('accepts the bytes someone else stored first while the phone is still sending its own copy', async () => {
    const photo = fakeJpeg(3 * UPLOAD_CHUNK_BYTES);
    await uploadFile(source(photo), via(server.url, 'outsider'));
    // grid holds the same bytes and has sent the first chunk when its appeal goes up.
    expect((await startUpload('grid', sha(photo), 'image/jpeg', photo.length, photo.subarray(0, UPLOAD_CHUNK_BYTES))).status).toBe(200);
    const own = await recordWith('grid', [refOf(photo)]);
    expect(await own.d.db.quarantine.count()).toBe(0);
    // The listing waits for grid's upload: until it is whole, the town learns nothing.
    expect((await fetchFile(sha(photo), 'town')).status).toBe(404);
    await uploadFile(source(photo), via(server.url, 'grid'));
    expect((await fetchFile(sha(photo), 'town')).status).toBe(200);
    own.d.close();
  });

  it('a listing made by someone who only knew the hash never opens the file, even once its owner uploads it', async () => {
    const photo = fakeJpeg(2 * UPLOAD_CHUNK_BYTES);
    // The hash leaks before the photo reaches the server (the owner's appeal went up first).
    const early = await recordWith('outsider', [refOf(photo)]);
    // Nothing is stored under that name yet, so it cannot be told apart from an honest phone: accepted, but it waits.
    expect(await early.d.db.quarantine.count()).toBe(0);
    early.d.close();
    // A colleague who sees that appeal lists it too: their listing waits on the same uploads, no more.
    const copy = await recordWith('counter', [refOf(photo)]);
    expect(await copy.d.db.quarantine.count()).toBe(0);
    copy.d.close();
    await uploadFile(source(photo), via(server.url, 'grid'));
    const owner = await recordWith('grid', [refOf(photo)]);
    owner.d.close();
    // The owner's readers may download; the outsider and their village's colleagues may not.
    expect((await fetchFile(sha(photo), 'town')).status).toBe(200);
    for (const who of ['outsider', 'counter']) {
      expect(await status(sha(photo), who)).toEqual({ received: 0, complete: false });
      expect((await fetchFile(sha(photo), who)).status).toBe(404);
    }
  });
});

describe('unfinished uploads are capped per user', () => {
  it('refuses a new upload beyond the bytes one user may hold unfinished', async () => {
    const MiB = 1024 * 1024;
    for (let i = 0; i < 10; i++) expect((await startUpload('hoarder', sha(fakeJpeg(64)), 'video/mp4', 20 * MiB)).status).toBe(200);
    const over = await startUpload('hoarder', sha(fakeJpeg(64)), 'video/mp4', 20 * MiB);
    expect([over.status, ((await over.json()) as { error: string }).error]).toEqual([429, 'upload_quota']);
    // Someone else is not held back by it.
    expect((await startUpload('counter', sha(fakeJpeg(64)), 'video/mp4', 20 * MiB)).status).toBe(200);
  });

  it('refuses a new upload beyond the number one user may hold unfinished', async () => {
    // 'counter' holds one from the test above.
    for (let i = 1; i < 20; i++) expect((await startUpload('counter', sha(fakeJpeg(64)), 'image/jpeg', 64)).status).toBe(200);
    const over = await startUpload('counter', sha(fakeJpeg(64)), 'image/jpeg', 64);
    expect([over.status, ((await over.json()) as { error: string }).error]).toEqual([429, 'upload_quota']);
  });
});

describe('unfinished uploads expire', () => {
  it('sweeps uploads older than the TTL, which frees the cap; the device shows the refusal, then sends', async () => {
    const dir = tempDir();
    const small = await startTestServer({ MINSHENG_DATA_DIR: dir, MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_UPLOAD_PARTIAL_TTL_HOURS: '0.0004', MINSHENG_UPLOAD_SWEEP_INTERVAL_MS: '200', MINSHENG_UPLOAD_PARTIAL_MAX_COUNT: '2' });
    try {
      const grid = await login(small, 'grid');
      const as = (p: string, init: RequestInit = {}) => fetch(small.url + p, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${grid.token}` } });
      const start = (hash: string) => as(`/api/uploads/${hash}?offset=0`, { method: 'PUT', headers: { 'x-upload-type': 'image/jpeg', 'x-upload-size': '64', 'content-type': 'application/octet-stream' }, body: new Uint8Array([0xff]) });
      const held = [sha(fakeJpeg(64)), sha(fakeJpeg(64))];
      for (const h of held) expect((await start(h)).status).toBe(200);
      // A file left by an older version in the shared partial directory, untouched for long.
      const legacy = path.join(dir, 'files', 'partial', sha(fakeJpeg(64)));
      writeFileSync(legacy, 'x');
      utimesSync(legacy, new Date(Date.now() - 86_400_000), new Date(Date.now() - 86_400_000));

      const db = openDb(`uploads-quota-${Date.now()}`);
      const photo = fakeJpeg(2 * UPLOAD_CHUNK_BYTES);
      const stored = await storeFile(db, new Blob([photo], { type: 'image/jpeg' }));
      if (!stored.ok) throw new Error(stored.problem);
      const uploader = createUploader(db, as);
      await uploader.kick();
      // Over the cap: the device keeps the file and shows why it waits.
      expect((await db.files.get(stored.ref.hash))?.failed).toMatch(/^upload_quota: /);

      await until(async () => (await Promise.all(held.map(async (h) => ((await (await as(`/api/uploads/${h}`)).json()) as { received: number }).received))).every((n) => n === 0), 10_000, 'expired uploads swept');
      await until(() => !existsSync(legacy), 5_000, 'stale partial file removed');
      expect(readdirSync(path.join(dir, 'files', 'partial'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile())).toEqual([]);
      expect(await small.store.openFileUploads(grid.user.id)).toEqual({ count: 0, bytes: 0 });

      // The next pass sends it.
      await uploader.kick();
      expect(await db.files.get(stored.ref.hash)).toMatchObject({ pending: 0, sent: photo.length });
      expect((await db.files.get(stored.ref.hash))?.failed).toBeUndefined();
      db.close();
    } finally {
      await small.close();
    }
  });

  it('checks its settings', () => {
    const base = { PORT: '0', MINSHENG_STATIC_DIR: '' };
    expect(loadConfig(base).uploads).toEqual({ partialTtlMs: 7 * 86_400_000, sweepIntervalMs: 3_600_000, maxPartialBytes: 200 * 1024 * 1024, maxPartialCount: 20 });
    for (const bad of [
      { MINSHENG_UPLOAD_PARTIAL_TTL_HOURS: '0' },
      { MINSHENG_UPLOAD_PARTIAL_TTL_HOURS: 'week' },
      { MINSHENG_UPLOAD_SWEEP_INTERVAL_MS: '-1' },
      // Smaller than one video: an honest phone could never send it.
      { MINSHENG_UPLOAD_PARTIAL_MAX_MB: '10' },
      { MINSHENG_UPLOAD_PARTIAL_MAX_COUNT: '0' },
      { MINSHENG_UPLOAD_PARTIAL_MAX_COUNT: '2.5' },
    ]) {
      expect(() => loadConfig({ ...base, ...bad }), JSON.stringify(bad)).toThrow(ConfigError);
    }
  });
});
