import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Page } from 'playwright-core';
import { readAppeal } from '../../src/core/doc';
import { project } from '../../src/core/projection';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appPage } from '../e2e/app-page';
import { startOfflineRig, type OfflineRig } from '../e2e/rig';
import { scale } from './scale';

// The browser tab dies (its renderer crashed through the DevTools protocol) in the middle of
// a burst of saves, again and again. Reopened, the app shows every save it had confirmed, and
// no appeal is half-written: each row has its CRDT, each CRDT its row, and the row is what
// the CRDT projects to.

const ROUNDS = scale(2, 8);
const SAVES_PER_ROUND = scale(10, 25);

let rig: OfflineRig;

beforeAll(async () => {
  rig = await startOfflineRig();
  await rig.page.goto(rig.proxy.url);
  await rig.app.login('grid');
  await rig.app.installShell();
  await rig.goOffline();
});
afterAll(() => rig?.close());

/** The raw IndexedDB: appeal rows, the CRDT updates per document, the outbox. */
async function rawState(page: Page) {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('minsheng');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const all = <T,>(store: string) =>
      new Promise<T[]>((resolve, reject) => {
        const r = db.transaction(store).objectStore(store).getAll();
        r.onsuccess = () => resolve(r.result as T[]);
        r.onerror = () => reject(r.error);
      });
    const rows = (await all<Record<string, unknown>>('appeals')).map(({ doc: _doc, ...row }) => row);
    // y-dexie's compaction keeps a stamp row (i = 0, no update) among the updates.
    const updates = (await all<{ k: string; u?: Uint8Array }>('$appeals.doc_updates')).flatMap((x) => (x.u ? [{ k: x.k, u: [...x.u] }] : []));
    const outbox = (await all<{ docId: string }>('outbox')).map((o) => o.docId);
    db.close();
    return { rows, updates, outbox };
  });
}

describe('the tab killed mid-save', () => {
  it(`keeps every confirmed save and no half-written appeal over ${ROUNDS} crashes`, { timeout: scale(120_000, 600_000) }, async () => {
    const confirmed: string[] = [];
    let page = rig.page;
    let crashes = 0;
    let insideBurst = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const app = appPage(page);
      // The renderer dies while a save is in flight, after a random number of confirmed ones.
      const crashAt = 1 + Math.floor(Math.random() * (SAVES_PER_ROUND - 1));
      for (let i = 0; i < SAVES_PER_ROUND; i++) {
        const text = `第${round}轮第${i}件：井盖缺失`;
        if (i < crashAt) {
          await app.record(text);
          confirmed.push(text);
          continue;
        }
        // The crash lands at a random moment of the save itself (tapped, not yet listed), so
        // each phase of it (CRDT, rows, outbox, list) gets its turn to be cut.
        await app.submitRecord(text);
        let settled = false;
        const listed = page.getByTestId('appeal-list').getByText(text.slice(0, 12)).waitFor();
        const save = listed.then(() => confirmed.push(text), () => undefined).finally(() => (settled = true));
        await new Promise((r) => setTimeout(r, Math.random() * 10));
        if (!settled) insideBurst++;
        const cdp = await rig.context.newCDPSession(page);
        // The renderer dies at once; the command itself never answers.
        void cdp.send('Page.crash').catch(() => undefined);
        crashes++;
        await save;
        break;
      }
      await page.close().catch(() => undefined);
      page = await rig.context.newPage();
      await page.goto(rig.proxy.url);
      await page.getByTestId('appeal-list').waitFor();
    }
    // Most crashes must land with a save still in flight, or the test proves little.
    expect(insideBurst).toBeGreaterThanOrEqual(Math.ceil(crashes / 2));

    // Every confirmed save is listed.
    const titles = await page.getByTestId('queue-all').click().then(() => page.getByTestId('appeal-list').locator('a.row .title').allTextContents());
    for (const text of confirmed) expect(titles.some((t) => t.includes(text)), text).toBe(true);

    // Rows and CRDTs agree one to one, and each row is its CRDT's projection.
    const { rows, updates, outbox } = await rawState(page);
    const ids = new Set(rows.map((r) => r.id as string));
    const docs = new Map<string, Y.Doc>();
    for (const { k, u } of updates) {
      const doc = docs.get(k) ?? new Y.Doc();
      // y-dexie keeps its updates in Yjs's V2 encoding.
      Y.applyUpdateV2(doc, new Uint8Array(u));
      docs.set(k, doc);
    }
    // Offline throughout: every appeal must still be waiting in the outbox, or it would never sync.
    const waiting = new Set(outbox);
    let halfWritten = 0;
    for (const id of ids) if (!docs.has(id) || !waiting.has(id)) halfWritten++;
    for (const id of docs.keys()) if (!ids.has(id)) halfWritten++;
    for (const id of outbox) if (!ids.has(id)) halfWritten++;
    for (const row of rows) {
      const doc = docs.get(row.id as string);
      if (!doc) continue;
      // The whole row is its CRDT's projection, not a few fields of it.
      expect(row).toEqual(JSON.parse(JSON.stringify(project(readAppeal(doc, row.id as string), POLICY_PRESETS.lanling))));
    }
    console.log(`tab killed: ${crashes} crashes, ${insideBurst} with a save in flight; ${confirmed.length} saves confirmed, all ${confirmed.length} present (${rows.length} stored); half-written ${halfWritten}; outbox ${outbox.length} waiting for a link`);
    expect(halfWritten).toBe(0);
    expect(rows.length).toBeGreaterThanOrEqual(confirmed.length);
    expect(rows.length).toBeLessThanOrEqual(confirmed.length + crashes);
  });
});
