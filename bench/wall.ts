import 'fake-indexeddb/auto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServer } from '../server/app';
import { loadConfig } from '../server/config';
import { recordAppeal } from '../src/store/appeals';
import { launchChromium } from '../tests/helpers/browser';
import { device, login, until } from '../tests/helpers/clients';
import { tempDir } from '../tests/helpers/server';
import { appPage } from '../tests/e2e/app-page';
import type { BenchRow } from './table';

// The command-center wall screen's update latency: a town official's device records an
// appeal; from the server's durable commit of it (the commit bus) to the moment its feed item
// is in the wall's DOM (a MutationObserver in the page, same machine clock), on the demo
// county (~450 appeals), the wall at 1920×1080 signed in as the county dispatcher. Beside it,
// the same appeal's own trip from the device's push to that commit. And what one refresh costs
// the server, beside the leader home's one server call.

const ROOT = path.resolve(import.meta.dirname, '..');
/** `MINSHENG_BENCH_DIST` runs it against a scratch build instead of dist/. */
const DIST = process.env.MINSHENG_BENCH_DIST ? path.resolve(process.env.MINSHENG_BENCH_DIST) : path.join(ROOT, 'dist');
const RUNS = 20;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

export async function wall(): Promise<BenchRow[]> {
  if (!existsSync(path.join(DIST, 'index.html'))) throw new Error('Build the app first: npm run build');
  const server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: DIST, MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_DEMO: '1' }));
  const browser = await launchChromium();
  const committedAt = new Map<string, number>();
  const unsubscribe = server.bus.subscribe((commits) => {
    const now = Date.now();
    for (const c of commits) if (!committedAt.has(c.docId)) committedAt.set(c.docId, now);
  });
  const town = await device(server, await login(server, 'town'));
  try {
    const page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' })).newPage();
    await page.goto(server.url);
    await appPage(page).login('dispatcher');
    await page.goto(`${server.url}/#/wall`);
    await page.getByTestId('wall-feed').waitFor();
    // When each appeal's "recorded" item first enters the page, by the machine's clock.
    await page.evaluate(() => {
      const seen = new Map<string, number>();
      (window as unknown as { wallSeen: Map<string, number> }).wallSeen = seen;
      new MutationObserver(() => {
        const now = Date.now();
        for (const li of document.querySelectorAll<HTMLElement>('[data-testid=wall-feed] li[data-kind=recorded]')) if (!seen.has(li.dataset.appeal!)) seen.set(li.dataset.appeal!, now);
      }).observe(document.body, { childList: true, subtree: true });
    });
    town.engine.start();
    await town.settled();
    const villages = (await town.db.regions.toArray()).filter((r) => r.level === 'village' && r.code.startsWith(town.who.scope.regions[0]!)).map((r) => r.code);

    const toScreen: number[] = [];
    const toCommit: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const input = { channel: 'walk_in', category: 'infra.roads', kind: 'help', urgency: 'orange', villageCode: villages[i % villages.length], description: `第${i + 1}号：村口道路塌陷，车辆无法通行。`, citizen: { anonymous: true } };
      const done = await recordAppeal(town.db, input, town.who);
      if (!done.ok) throw new Error(JSON.stringify(done.errors));
      const id = done.value.id;
      const pushedAt = Date.now();
      town.engine.kick();
      await until(() => committedAt.has(id), 15_000, 'commit');
      let shownAt = 0;
      await until(async () => (shownAt = await page.evaluate((key) => (window as unknown as { wallSeen: Map<string, number> }).wallSeen.get(key) ?? 0, id)) > 0, 15_000, 'on the wall');
      toCommit.push(committedAt.get(id)! - pushedAt);
      toScreen.push(shownAt - committedAt.get(id)!);
      // Apart, so each is its own change on the wall, not one burst.
      await new Promise((r) => setTimeout(r, 800));
    }
    // What one refresh costs the server, beside the leader home's one call over the same scope.
    const { token } = await login(server, 'dispatcher');
    const timed = async (url: string) => {
      const out: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const res = await fetch(`${server.url}${url}`, { headers: { authorization: `Bearer ${token}` } });
        if (!res.ok) throw new Error(`${url}: ${res.status}`);
        await res.arrayBuffer();
        out.push(performance.now() - t);
      }
      return out;
    };
    const wallGet = await timed('/api/wall');
    const tallyGet = await timed('/api/map/tally?level=village');
    return [
      { figure: `wall screen update latency (commit → on screen), p50 (${RUNS})`, minsheng: quantile(toScreen, 0.5), comparison: quantile(toCommit, 0.5), against: 'the same appeal’s push → durable commit, p50', kind: 'peer', unit: 'ms' },
      { figure: '   same, p95', minsheng: quantile(toScreen, 0.95), comparison: quantile(toCommit, 0.95), against: 'the same appeal’s push → durable commit, p95', kind: 'peer', unit: 'ms' },
      { figure: '   same, p95', minsheng: quantile(toScreen, 0.95), comparison: 2000, against: 'a 2 s target for a dispatch hall’s wall', kind: 'target', unit: 'ms' },
      { figure: `GET /api/wall, demo county, p50 (${RUNS})`, minsheng: quantile(wallGet, 0.5), comparison: quantile(tallyGet, 0.5), against: 'GET /api/map/tally?level=village (the leader home’s call), p50', kind: 'peer', unit: 'ms' },
    ];
  } finally {
    unsubscribe();
    town.close();
    await browser.close();
    await server.close();
  }
}
