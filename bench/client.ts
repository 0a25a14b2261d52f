import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchChromium } from '../tests/helpers/browser';
import { spawnServer } from '../tests/helpers/server';
import { PROFILES } from './link';
import type { BenchRow } from './table';

// Figures 6–7: the app as a phone runs it. 6 in headless Chromium against the built app:
// recording (tap save → the appeal in the list) and opening a town queue of 10k and 50k
// appeals, each beside the bare IndexedDB work underneath. 7: what the first visit
// downloads, beside the peer's sync library alone.

const ROOT = path.resolve(import.meta.dirname, '..');
/** `MINSHENG_BENCH_DIST` runs it against a scratch build instead of dist/ (as bench/wall.ts does). */
const DIST = process.env.MINSHENG_BENCH_DIST ? path.resolve(process.env.MINSHENG_BENCH_DIST) : path.join(ROOT, 'dist');
const RECORDS = 30;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

export async function client(): Promise<BenchRow[]> {
  if (!existsSync(path.join(DIST, 'index.html'))) throw new Error('Build the app first: npm run build');
  return [...(await local()), ...build()];
}

async function local(): Promise<BenchRow[]> {
  const server = await spawnServer({ MINSHENG_STATIC_DIR: DIST, MINSHENG_SCAN_INTERVAL_MS: '0' });
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })).newPage();
    await page.goto(server.url);
    await page.locator('input[name=username]').fill('town');
    await page.locator('input[name=password]').fill('demo1234');
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByTestId('sync-link').filter({ hasText: '在线' }).waitFor();

    // 6a. Tap save → the new appeal shows in the list, 30 times.
    const saves: number[] = [];
    for (let i = 0; i < RECORDS; i++) {
      await page.getByRole('link', { name: /登记诉求/ }).click();
      await page.locator('select[name=channel]').selectOption('walk_in');
      await page.locator('select[name=category]').selectOption('infra.roads');
      await page.locator('select[name=kind]').selectOption('help');
      await page.locator('input[name=anonymous]').check();
      // The form remembers the village after the first save.
      if (!(await page.locator('select[name=village]').inputValue())) await page.locator('select[name=village]').selectOption({ index: 1 });
      const text = `第${i + 1}号：村东头道路坑洼积水，雨天电动车无法通行，请尽快修补。`;
      await page.locator('textarea[name=description]').fill(text);
      const t = await page.evaluate(() => performance.now());
      await page.getByRole('button', { name: '保存' }).click();
      await page.getByTestId('appeal-list').getByText(text.slice(0, 8)).first().waitFor();
      saves.push((await page.evaluate(() => performance.now())) - t);
    }
    // The floor: one bare IndexedDB transaction writing a row of the same size.
    const barePuts = await page.evaluate(async (n) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open('bench-floor', 1);
        r.onupgradeneeded = () => r.result.createObjectStore('rows', { keyPath: 'id' });
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await new Promise<void>((resolve, reject) => {
          const tx = db.transaction('rows', 'readwrite');
          tx.objectStore('rows').put({ id: String(i), text: '村东头道路坑洼积水'.repeat(20), n: i, at: Date.now() });
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        });
        out.push(performance.now() - t);
      }
      db.close();
      return out;
    }, RECORDS);

    const rows: BenchRow[] = [
      { figure: `6. record an appeal: tap save → in the list, p50 (${RECORDS})`, minsheng: quantile(saves, 0.5), comparison: quantile(barePuts, 0.5), against: 'one bare IndexedDB put, p50', kind: 'peer', unit: 'ms' },
      { figure: '   same, p95', minsheng: quantile(saves, 0.95), comparison: quantile(barePuts, 0.95), against: 'one bare IndexedDB put, p95', kind: 'peer', unit: 'ms' },
      { figure: '   same, p95', minsheng: quantile(saves, 0.95), comparison: 100, against: 'the 100 ms a response may take to feel instant', kind: 'target', unit: 'ms' },
    ];

    // 6b. The town queue with 10k and 50k appeals on the device.
    for (const total of [10_000, 50_000]) {
      await page.evaluate(async (count) => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const r = indexedDB.open('minsheng');
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
        const existing = await new Promise<number>((resolve) => {
          const r = db.transaction('appeals').objectStore('appeals').count();
          r.onsuccess = () => resolve(r.result);
        });
        const template = await new Promise<Record<string, unknown>>((resolve) => {
          const r = db.transaction('appeals').objectStore('appeals').openCursor();
          r.onsuccess = () => resolve(r.result!.value as Record<string, unknown>);
        });
        // Spread over the town's villages, as a town's backlog is.
        const villages = await new Promise<string[]>((resolve) => {
          const r = db.transaction('regions').objectStore('regions').getAll();
          r.onsuccess = () => resolve((r.result as { code: string; level: string }[]).filter((x) => x.level === 'village').map((x) => x.code));
        });
        const statuses = ['new', 'accepted', 'assigned', 'in_progress', 'replied', 'closed'];
        const urgencies = ['red', 'orange', 'yellow'];
        const tx = db.transaction('appeals', 'readwrite');
        const store = tx.objectStore('appeals');
        const now = Date.now();
        for (let i = existing; i < count; i++) {
          const id = `0190${i.toString(16).padStart(4, '0')}-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;
          store.put({ ...template, id, village: villages[i % villages.length] ?? template.village, status: statuses[i % statuses.length], urgency: urgencies[i % 3], title: `第${i}号诉求：道路、供水或邻里纠纷的现场反映`, createdAt: now - i * 60_000, updatedAt: now - i * 30_000, dueAt: now + ((i % 200) - 50) * 3_600_000 });
        }
        await new Promise<void>((resolve, reject) => {
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        });
        db.close();
      }, total);
      // A fresh page (Dexie caches live queries, and the rows above bypassed it), then open
      // the queue from another screen: the query, the queue counts and the first page.
      await page.goto('about:blank');
      await page.goto(`${server.url}/#/meetings`);
      await page.getByTestId('meetings').waitFor({ state: 'attached' });
      const openMs = await page.evaluate(async () => {
        const t = performance.now();
        location.hash = '#/';
        while (!document.querySelector('[data-testid=appeal-list] a.row')) await new Promise((r) => requestAnimationFrame(r));
        return performance.now() - t;
      });
      const listed = Number(await page.getByTestId('queue-all').locator('.count').textContent());
      if (listed < total) throw new Error(`the queue lists ${listed} appeals, expected ${total}`);
      const getAllMs = await page.evaluate(async () => {
        const db = await new Promise<IDBDatabase>((resolve) => {
          const r = indexedDB.open('minsheng');
          r.onsuccess = () => resolve(r.result);
        });
        const t = performance.now();
        await new Promise((resolve) => (db.transaction('appeals').objectStore('appeals').getAll().onsuccess = resolve));
        db.close();
        return performance.now() - t;
      });
      rows.push({ figure: `6. open the town queue, ${total.toLocaleString('en-US')} appeals on the device`, minsheng: openMs, comparison: getAllMs, against: 'bare IndexedDB getAll() of the same rows', kind: 'peer', unit: 'ms' });
      // The map from another screen of a fresh page: Leaflet's chunk (from the HTTP cache after
      // the first time), the query, placing and counting, and the first town markers.
      await page.goto('about:blank');
      await page.goto(`${server.url}/#/meetings`);
      await page.getByTestId('meetings').waitFor({ state: 'attached' });
      const mapMs = await page.evaluate(async () => {
        const t = performance.now();
        location.hash = '#/map';
        while (!document.querySelector('.map-pin')) await new Promise((r) => requestAnimationFrame(r));
        return performance.now() - t;
      });
      rows.push({ figure: `   open the map, ${total.toLocaleString('en-US')} appeals`, minsheng: mapMs, comparison: getAllMs, against: 'bare IndexedDB getAll() of the same rows', kind: 'peer', unit: 'ms' });
      if (total === 50_000) rows.push(...(await panFrames(page)));
    }
    return rows;
  } finally {
    await browser.close();
    await server.stop();
  }
}

/**
 * Frame times while a finger drags the map at the single-appeal tier (clusters of the
 * 50,000), beside the 16.7 ms a frame has at 60 Hz; and the one frame that redraws the
 * clusters when the drag ends.
 */
async function panFrames(page: import('playwright-core').Page): Promise<BenchRow[]> {
  const tier = (name: string) => page.waitForFunction((n) => document.querySelector('[data-testid=map-tier]')?.getAttribute('data-tier') === n, name);
  // Town → village → single appeals: tap a marker in view, then zoom in from its sheet (a tap
  // only names the place). The map keeps a marker for every place, also those outside the
  // view, which no finger can reach: the first in the DOM need not be one on the screen.
  await zoomInFromPin(page);
  await tier('village');
  await zoomInFromPin(page);
  await tier('appeal');
  await page.locator('.map-pin.cluster').first().waitFor();
  const box = (await page.getByTestId('map').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const during: number[] = [];
  let settle = 0;
  for (const [dx, dy] of [[120, 60], [-160, -40], [80, -120], [-40, 100]] as const) {
    // A string: the bench runs under tsx, whose name-keeping helper does not exist in the page.
    // Each drag gets its own chain of callbacks: a chain from the drag before must not go on.
    await page.evaluate(`window.frames_ = []; const run = (window.framesRun = (window.framesRun ?? 0) + 1);
      requestAnimationFrame(function tick() { if (window.framesRun !== run) return; window.frames_.push(performance.now()); requestAnimationFrame(tick); });`);
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    for (let i = 1; i <= 30; i++) {
      await page.mouse.move(cx + (dx * i) / 30, cy + (dy * i) / 30);
      await page.waitForTimeout(16);
    }
    const released = await page.evaluate(() => performance.now());
    await page.mouse.up();
    const frames = await page.evaluate(async () => {
      await new Promise((r) => setTimeout(r, 500));
      const w = window as unknown as { frames_: number[]; framesRun: number };
      w.framesRun++;
      return w.frames_;
    });
    // The drag's frames, then the longest after release (moveend re-clusters and redraws).
    for (let i = 1; i < frames.length; i++) {
      const gap = frames[i]! - frames[i - 1]!;
      if (frames[i]! <= released) during.push(gap);
      else settle = Math.max(settle, gap);
    }
  }
  return [
    { figure: '   pan the map at the appeal tier, 50,000 appeals: frame p50', minsheng: quantile(during, 0.5), comparison: 1000 / 60, against: 'one frame at 60 Hz', kind: 'target', unit: 'ms' },
    { figure: '   same, frame p95', minsheng: quantile(during, 0.95), comparison: 1000 / 60, against: 'one frame at 60 Hz', kind: 'target', unit: 'ms' },
    { figure: '   longest frame after release (re-cluster)', minsheng: settle, comparison: 100, against: 'the 100 ms a response may take to feel instant', kind: 'target', unit: 'ms' },
  ];
}

/**
 * Taps a place's marker that is on the screen (its centre inside the map and on top there, not
 * under a control, a name or the sheet) and zooms in from the sheet the tap opens. Tried again
 * if the markers are redrawn between the choice and the tap (each move redraws them).
 */
async function zoomInFromPin(page: import('playwright-core').Page): Promise<void> {
  const pins = page.locator('.map-pin:not(.cluster)');
  await pins.first().waitFor();
  for (let attempt = 1; ; attempt++) {
    const i = await pins.evaluateAll((els) => {
      const map = document.querySelector('[data-testid=map]')!.getBoundingClientRect();
      return els.findIndex((el) => {
        const r = el.getBoundingClientRect();
        const x = r.x + r.width / 2;
        const y = r.y + r.height / 2;
        return r.width > 0 && r.height > 0 && x > map.left && x < map.right && y > map.top && y < map.bottom && el.contains(document.elementFromPoint(x, y));
      });
    });
    try {
      if (i < 0) throw new Error('no place marker in view');
      await pins.nth(i).click({ timeout: 5_000 });
      await page.getByTestId('map-sheet-zoom').click({ timeout: 5_000 });
      return;
    } catch (e) {
      if (attempt >= 5) throw e;
      await page.waitForTimeout(300);
    }
  }
}

/** The first visit: the entry script, its preloaded chunks and the stylesheet, as served (gzip -9). */
function build(): BenchRow[] {
  const html = readFileSync(path.join(DIST, 'index.html'), 'utf8');
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  const gz = (rel: string) => gzipSync(readFileSync(path.join(DIST, rel)), { level: 9 }).byteLength;
  const js = assets.filter((a) => a.endsWith('.js')).reduce((n, a) => n + gz(a), 0);
  const css = assets.filter((a) => a.endsWith('.css')).reduce((n, a) => n + gz(a), 0);
  const sw = readFileSync(path.join(DIST, 'sw.js'), 'utf8');
  const precached = [...sw.matchAll(/url:"([^"]+)"/g)].map((m) => path.join(DIST, m[1]!)).filter((f) => existsSync(f));
  const precache = precached.reduce((n, f) => n + statSync(f).size, 0);
  const pouch = gzipSync(readFileSync(path.join(ROOT, 'node_modules/pouchdb/dist/pouchdb.min.js')), { level: 9 }).byteLength;
  const g2 = PROFILES['2g'];
  const KiB = (n: number) => n / 1024;
  return [
    { figure: '7. initial JS, gzip', minsheng: KiB(js), comparison: KiB(pouch), against: "PouchDB's browser build alone, gzip", kind: 'peer', unit: 'KiB' },
    { figure: '   initial CSS, gzip', minsheng: KiB(css), comparison: KiB(js), against: 'initial JS', kind: 'peer', unit: 'KiB' },
    { figure: `   first visit over 2G (JS + CSS)`, minsheng: ((js + css) * 8) / g2.downBps, comparison: (pouch * 8) / g2.downBps, against: 'PouchDB alone over the same link', kind: 'peer', unit: 's' },
    { figure: `   precache (${precached.length} files, uncompressed)`, minsheng: KiB(precache), comparison: KiB(js + css), against: 'initial JS + CSS, gzip', kind: 'peer', unit: 'KiB' },
  ];
}
