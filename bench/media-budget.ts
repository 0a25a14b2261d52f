import 'fake-indexeddb/auto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startServer } from '../server/app';
import { loadConfig } from '../server/config';
import { PHOTO_MAX_SIDE, PHOTO_QUALITY } from '../src/core/attachments';
import { choosePreview, PREVIEW_QUALITIES, PREVIEW_TARGET_BYTES, previewSize } from '../src/core/media-budget';
import type { Region } from '../src/core/regions';
import type { SessionUser } from '../src/core/roles';
import { recordAppeal } from '../src/store/appeals';
import { openDb } from '../src/store/db';
import { storeFile } from '../src/store/files';
import { deviceId } from '../src/store/meta';
import { SyncEngine, type SyncStatus } from '../src/sync/engine';
import { createUploader } from '../src/sync/uploads';
import { launchChromium } from '../tests/helpers/browser';
import { cameraPhoto } from '../tests/helpers/camera-photo';
import { startSlowLink } from './link';
import type { BenchRow } from './table';

// Photos on a data budget (issue 30, item 3): the bytes one appeal with one photo costs on the
// wire, both directions, counted by a loopback proxy between the phone and a real server: the
// sync socket (hello, push, ack, catch-up) and the HTTP upload (headers included). Minsheng's
// figure is what goes at once on a metered link, the record with its preview; the comparison
// is the same record sent with its original, as every photo went before previews. The photo is
// a 4000×3000 camera-like JPEG, shrunk and previewed by Chromium's own encoder with the app's
// rules (src/ui/media.ts, src/core/media-budget.ts).

const FAST = { name: 'loopback', downBps: 1e10, upBps: 1e10, rttMs: 0 };

/** The app's stored photo and its preview, as the phone's canvas makes them. */
async function photoAndPreview(): Promise<{ photo: Buffer; preview: Buffer }> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    // tsx keeps function names with a helper the page does not have.
    await page.evaluate('globalThis.__name = (f) => f');
    const target = previewSize(4000, 3000);
    const shot = (await cameraPhoto(page)).toString('base64');
    const [photo, previews] = await page.evaluate(
      async ([cameraB64, maxSide, quality, pw, ph, qualities]) => {
        const camera = new Blob([Uint8Array.from(atob(cameraB64), (ch) => ch.charCodeAt(0))], { type: 'image/jpeg' });
        const bitmap = await createImageBitmap(camera);
        const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
        const s = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
        s.getContext('2d')!.drawImage(bitmap, 0, 0, s.width, s.height);
        const stored = await s.convertToBlob({ type: 'image/jpeg', quality });
        const p = new OffscreenCanvas(pw, ph);
        p.getContext('2d')!.drawImage(bitmap, 0, 0, pw, ph);
        const attempts: string[] = [];
        const b64 = async (b: Blob) => {
          const bytes = new Uint8Array(await b.arrayBuffer());
          let str = '';
          for (let i = 0; i < bytes.length; i += 0x8000) str += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
          return btoa(str);
        };
        for (const q of qualities) attempts.push(await b64(await p.convertToBlob({ type: 'image/jpeg', quality: q })));
        return [await b64(stored), attempts] as const;
      },
      [shot, PHOTO_MAX_SIDE, PHOTO_QUALITY, target.width, target.height, [...PREVIEW_QUALITIES]] as const,
    );
    const stored = Buffer.from(photo, 'base64');
    const attempts = previews.map((p) => Buffer.from(p, 'base64'));
    // The first within the target, as the phone keeps it (media.ts stops there).
    const firstFit = attempts.findIndex((a) => a.length <= PREVIEW_TARGET_BYTES);
    const i = firstFit >= 0 ? firstFit : choosePreview(attempts.map((a) => a.length), stored.length);
    if (i === null) throw new Error('no preview fits');
    return { photo: stored, preview: attempts[i]! };
  } finally {
    await browser.close();
  }
}

export async function mediaBudget(): Promise<BenchRow[]> {
  const { photo, preview } = await photoAndPreview();
  const server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'bench-media-')), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }));
  const link = await startSlowLink(Number(new URL(server.url).port), FAST);
  try {
    const login = (await (await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'grid', password: 'demo1234' }) })).json()) as { token: string; user: SessionUser };
    const { regions } = (await (await fetch(`${server.url}/api/regions`, { headers: { authorization: `Bearer ${login.token}` } })).json()) as { regions: Region[] };
    const who = { id: login.user.id, role: login.user.role, scope: login.user.scope };
    const fetcher = (p: string, init: RequestInit = {}) => fetch(link.url + p, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${login.token}` } });

    /** Bytes on the wire for one appeal with one photo, sent as the phone would on a metered link. */
    async function bytesFor(withPreview: boolean, n: number): Promise<number> {
      const db = openDb(`bench-media-${withPreview}-${n}-${Date.now()}`);
      await db.regions.bulkPut(regions);
      // A photo of its own per run: the server never holds it already.
      const own = Buffer.concat([photo.subarray(0, photo.length - 2), Buffer.from([n, withPreview ? 1 : 0]), photo.subarray(photo.length - 2)]);
      const stored = await storeFile(db, new Blob([own], { type: 'image/jpeg' }), Date.now(), withPreview ? new Blob([Buffer.concat([preview, Buffer.from([n])])], { type: 'image/jpeg' }) : null);
      if (!stored.ok) throw new Error(stored.problem);
      const r = await recordAppeal(db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'yellow', villageCode: who.scope.regions[0]!, description: '村东头小桥护栏被货车撞断，附现场照片。', citizen: { anonymous: true }, attachments: [stored.ref] }, who);
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      link.reset();
      const engine = new SyncEngine({ db, url: `${link.url.replace('http', 'ws')}/sync`, token: login.token, deviceId: await deviceId(db), WebSocketImpl: WebSocket as never, random: () => 0 });
      let status!: SyncStatus;
      engine.subscribe((s) => (status = s));
      engine.start();
      const end = Date.now() + 30_000;
      while (!(status.link === 'online' && status.catchUp === null && (await db.outbox.count()) === 0)) {
        if (Date.now() > end) throw new Error('bench: sync did not settle');
        await new Promise((res) => setTimeout(res, 20));
      }
      await createUploader(db, fetcher, { link: () => ({ type: 'cellular', effectiveType: '3g' }), setting: async () => 'auto' }).kick();
      engine.stop();
      db.close();
      // Let the last close frames through before reading the counter.
      await new Promise((res) => setTimeout(res, 100));
      return link.bytes.up + link.bytes.down;
    }

    const runs = 3;
    let previewOnly = 0;
    let original = 0;
    for (let n = 0; n < runs; n++) {
      previewOnly += await bytesFor(true, n);
      original += await bytesFor(false, n);
    }
    previewOnly /= runs;
    original /= runs;
    console.log(`media-budget: photo ${photo.length} B stored, preview ${preview.length} B; on the wire per appeal: ${Math.round(previewOnly)} B with the preview, ${Math.round(original)} B with the original`);
    return [
      {
        figure: 'bytes per appeal with one photo, on a metered link (preview only vs original)',
        minsheng: previewOnly / 1024,
        comparison: original / 1024,
        against: 'the same appeal sent with its 1600 px original, as before previews',
        kind: 'reference',
        unit: 'KiB',
      },
    ];
  } finally {
    await link.close();
    await server.close();
  }
}
