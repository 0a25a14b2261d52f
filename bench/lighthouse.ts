import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { CHROMIUM } from '../tests/helpers/browser';
import { spawnServer } from '../tests/helpers/server';
import type { BenchRow } from './table';
import path from 'node:path';

// Lighthouse 11 (the last with a PWA category) on the first visit, with its default
// mobile emulation and simulated slow 4G, in the same Debian Chromium as the tests.
// Each score is printed beside the most it can be (100).

const CATEGORIES = ['pwa', 'accessibility', 'best-practices', 'performance'] as const;

export async function lighthouseScores(): Promise<BenchRow[]> {
  const server = await spawnServer({ MINSHENG_STATIC_DIR: path.resolve(import.meta.dirname, '../dist'), MINSHENG_SCAN_INTERVAL_MS: '0' });
  const chrome = await chromeLauncher.launch({ chromePath: CHROMIUM, chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const result = await lighthouse(server.url, { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: [...CATEGORIES] });
    if (!result) throw new Error('Lighthouse returned nothing');
    const { categories, audits } = result.lhr;
    const rows: BenchRow[] = CATEGORIES.map((c) => ({ figure: `Lighthouse ${categories[c]!.title}`, minsheng: Math.round((categories[c]!.score ?? 0) * 100), comparison: 100, against: 'the best score there is', kind: 'target', unit: '' }));
    for (const id of ['installable-manifest', 'service-worker', 'first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time']) {
      const a = audits[id];
      if (a) console.log(`lighthouse ${id}: ${a.displayValue ?? (a.score === 1 ? 'pass' : a.score === 0 ? 'fail' : a.score)}`);
    }
    const failing = Object.values(audits).filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'manual' && a.scoreDisplayMode !== 'notApplicable');
    for (const a of failing) console.log(`lighthouse below 0.9: ${a.id} (${a.score}) ${a.displayValue ?? ''}`);
    return rows;
  } finally {
    await chrome.kill();
    await server.stop();
  }
}
