import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { startServer } from '../server/app';
import { loadConfig } from '../server/config';
import { appendInTx } from '../server/services/intake';
import { POLICY_PRESETS } from '../src/core/deadline';
import type { AppealEvent } from '../src/core/events';
import { newId } from '../src/core/id';
import { login } from '../tests/helpers/clients';
import { tempDir } from '../tests/helpers/server';
import { PROFILES } from './link';
import { seedGeneratedAppeals } from './seed-store';
import type { BenchRow } from './table';

// What a citizen's phone downloads for the public pages (bytes on the wire, gzip as served),
// beside what the app's first visit downloads, and both over the 2G profile of the link
// emulator (bandwidth plus one round trip per request; no connection set-up counted).

const DIST = path.join(import.meta.dirname, '..', 'dist');

/** Bytes on the wire for one GET, asking for gzip like a phone's browser. */
function wire(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.byteLength));
      res.on('end', () => resolve(n));
    }).on('error', reject);
  });
}

export async function publicPages(): Promise<BenchRow[]> {
  const server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir('bench-public-'), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }));
  try {
    const town = await login(server, 'town');
    const villages = (await server.store.regionsUnder(['371324'])).filter((r) => r.level === 'village');
    const seeded = await seedGeneratedAppeals(server.store, { count: 40, villages, seed: 9, official: { id: town.user.id, name: town.user.displayName }, from: Date.now() - 20 * 86_400_000, policy: POLICY_PRESETS.lanling });
    // Twenty of them on the board, each with a summary and an answer of ordinary length.
    const by = { actor: town.user.id, role: 'town_official', at: Date.now() };
    await server.store.inPushTx(async (tx) => {
      for (const a of seeded.slice(0, 20)) {
        await appendInTx(tx, POLICY_PRESETS.lanling, a.id, 'bench', Date.now(), () => [
          { id: newId(), type: 'accepted', ...by },
          { id: newId(), type: 'published', summary: a.description.slice(0, 40), reply: '镇相关站所已到现场处理，问题已解决，并已电话告知群众。', ...by },
        ] as AppealEvent[]);
      }
    });
    const first = seeded[0]!;
    const code = first.fields.evalCode as string;
    const [board, item, codePage, style] = (await Promise.all([`/p/board`, `/p/board/${first.id}`, `/p/c/${code}`, '/p/style.css'].map((p) => wire(`${server.url}${p}`)))) as [number, number, number, number];
    const items = (await (await fetch(`${server.url}/p/board`)).text()).split('<article>').length - 1;
    if (items !== 20) throw new Error(`the board shows ${items} appeals, not 20`);

    // The app's first visit: index.html, its scripts and style sheets, gzip -9 as served.
    const html = readFileSync(path.join(DIST, 'index.html'));
    const assets = [...html.toString('utf8').matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
    const app = gzipSync(html, { level: 9 }).byteLength + assets.reduce((n, a) => n + gzipSync(readFileSync(path.join(DIST, a)), { level: 9 }).byteLength, 0);

    const g2 = PROFILES['2g'];
    const over2g = (bytes: number, requests: number) => (bytes * 8 * 1000) / g2.downBps + requests * g2.rttMs;
    const KiB = (n: number) => n / 1024;
    return [
      { figure: 'public board, 20 appeals, + style sheet (first visit)', minsheng: KiB(board + style), comparison: KiB(app), against: "the app's first visit (HTML, JS, CSS)", kind: 'peer', unit: 'KiB' },
      { figure: '   one appeal on the board, with comments form', minsheng: KiB(item), comparison: KiB(app), against: "the app's first visit", kind: 'peer', unit: 'KiB' },
      { figure: '   an appeal by its evaluation code, with rating form', minsheng: KiB(codePage), comparison: KiB(app), against: "the app's first visit", kind: 'peer', unit: 'KiB' },
      { figure: '   board first visit over 2G (256 kbit/s, 300 ms RTT)', minsheng: over2g(board + style, 2), comparison: over2g(app, 1 + assets.length), against: "the app's first visit over the same link", kind: 'peer', unit: 'ms' },
    ];
  } finally {
    await server.close();
  }
}
