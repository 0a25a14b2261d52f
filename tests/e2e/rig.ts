import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium } from '../helpers/browser';
import { startProxy, type CuttableProxy } from '../helpers/proxy';
import { spawnServer, tempDir, type ServerProcess } from '../helpers/server';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { appPage } from './app-page';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const OUT = path.join(ROOT, 'test-output');
/** The built app the browser suites serve; `MINSHENG_E2E_DIST` points elsewhere (a scratch build beside another's). */
export const DIST = process.env.MINSHENG_E2E_DIST ? path.resolve(process.env.MINSHENG_E2E_DIST) : path.join(ROOT, 'dist');
/**
 * Per-test limit of the browser suites. Each of their tests takes at most ~13 s alone on two
 * cores; CI shares them with Chromium and servers, and a test must stay under half its limit.
 */
export const E2E_TIMEOUT_MS = 60_000;

/**
 * The built app on a real server in this process (SQLite, no deadline scan, `env` added), and a
 * Chromium to reach it. It starts empty: `MINSHENG_DEMO: '1'` in `env` seeds the demo county.
 */
export async function startAppAndBrowser(env: Record<string, string> = {}): Promise<{ server: RunningServer; browser: Browser }> {
  if (!existsSync(path.join(DIST, 'index.html'))) throw new Error('Build the app first: npm run build (npm test does it)');
  const server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: DIST, MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_DEMO: '0', ...env }));
  const browser = await launchChromium();
  mkdirSync(OUT, { recursive: true });
  return { server, browser };
}

/** `startAppAndBrowser` for a whole test file: started before its tests, closed after them. */
export function appAndBrowserForFile(env: Record<string, string> = {}): { readonly server: RunningServer; readonly browser: Browser } {
  const rig = {} as { server: RunningServer; browser: Browser };
  beforeAll(async () => void Object.assign(rig, await startAppAndBrowser(env)), 120_000);
  afterAll(async () => {
    await rig.browser?.close();
    await rig.server?.close();
  });
  return rig;
}

/**
 * The built app served by a real server, reached by a phone-sized Chromium page through a
 * proxy the test can cut: the setting of every offline test.
 */
export interface OfflineRig {
  server: ServerProcess;
  proxy: CuttableProxy;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  app: ReturnType<typeof appPage>;
  goOffline(): Promise<void>;
  goOnline(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `staticDir`: serve the app from elsewhere than dist/ (a test that deploys a second build);
 * `dataDir`: a data directory the test seeded beforehand; `demo`: seed the demo county (empty by default).
 */
export async function startOfflineRig({ staticDir = DIST, dataDir, demo = false }: { staticDir?: string; dataDir?: string; demo?: boolean } = {}): Promise<OfflineRig> {
  if (!existsSync(path.join(DIST, 'index.html'))) throw new Error('Build the app first: npm run build (npm test does it)');
  mkdirSync(OUT, { recursive: true });
  const server = await spawnServer({ MINSHENG_STATIC_DIR: staticDir, MINSHENG_DEMO: demo ? '1' : '0', ...(dataDir ? { MINSHENG_DATA_DIR: dataDir } : {}) });
  const proxy = await startProxy(server.port);
  const browser = await launchChromium();
  const context = await browser.newContext({ serviceWorkers: 'allow', viewport: { width: 360, height: 740 }, locale: 'zh-CN' });
  const page = await context.newPage();
  return {
    server,
    proxy,
    browser,
    context,
    page,
    app: appPage(page),
    // The socket first: a WebSocket severed after the context went offline may never
    // report its close in Chromium's network emulation.
    async goOffline() {
      proxy.cut();
      await context.setOffline(true);
    },
    async goOnline() {
      proxy.restore();
      await context.setOffline(false);
    },
    async close() {
      await browser.close();
      await proxy.close();
      await server.stop();
    },
  };
}
