import 'fake-indexeddb/auto';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { UPLOAD_CHUNK_BYTES } from '../../src/core/attachments';
import { recordAppeal } from '../../src/store/appeals';
import { openDb } from '../../src/store/db';
import { pendingUploadBytes, storeFile } from '../../src/store/files';
import { createUploader, uploadFile, UploadRefused, type UploadFetch, type UploadSource } from '../../src/sync/uploads';
import { device, login, until, type Login } from '../helpers/clients';
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
const status = async (hash: string) => (await (await via(server.url, 'grid')(`/api/uploads/${hash}`)).json()) as { received: number; complete: boolean };

beforeAll(async () => {
  dataDir = tempDir();
  server = await startTestServer({ MINSHENG_DATA_DIR: dataDir, MINSHENG_SCAN_INTERVAL_MS: '0' });
  proxy = await startProxy(Number(new URL(server.url).port));
  for (const u of ['grid', 'town', 'dept', 'bench']) logins[u] = await login(server, u);
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
    const before = proxy.bytes.up;
    await uploadFile(source(photo), via(proxy.url, 'bench'));
    // The second sender only asked: no bytes of the file crossed the link.
    expect(proxy.bytes.up - before).toBeLessThan(1024);
    const dir = path.join(dataDir, 'files', sha(photo).slice(0, 2));
    expect(readdirSync(dir).filter((f) => f === sha(photo))).toHaveLength(1);

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
