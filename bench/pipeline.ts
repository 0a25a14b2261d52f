import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import { scanDeadlines } from '../server/jobs/deadlines';
import { openSqliteStore } from '../server/store/sqlite';
import { createCommitBus, storeUpdate } from '../server/sync/bus';
import { POLICY_PRESETS } from '../src/core/deadline';
import { docFromUpdates, readAppeal, writeNewAppeal } from '../src/core/doc';
import { fold } from '../src/core/fold';
import { newId } from '../src/core/id';
import { generateAppeals } from './generate';
import type { BenchRow } from './table';

const COUNT = 2000;
const DAY = 86_400_000;

/**
 * The deadline scanner over a county backlog: 2,000 appeals recorded 1–40 days ago and
 * never dispatched. Compared with merely reading and folding every one of those documents
 * from the same store, the least any scan must do.
 */
export async function pipeline(): Promise<BenchRow[]> {
  const store = openSqliteStore(mkdtempSync(path.join(os.tmpdir(), 'bench-scan-')));
  const policy = POLICY_PRESETS.lanling;
  const now = Date.now();
  try {
    const villages = Array.from({ length: 60 }, (_, i) => ({ code: `371324${String(101 + (i % 17)).padStart(3, '0')}${String(201 + i).padStart(3, '0')}`, name: `第${i + 1}村村民委员会` }));
    const inputs = generateAppeals(COUNT, villages, 7);
    await store.inPushTx(async (tx) => {
      for (const [i, input] of inputs.entries()) {
        const doc = new Y.Doc();
        const id = newId();
        writeNewAppeal(doc, input, { id: 'bench-recorder', role: 'grid_worker' }, now - (1 + (i % 40)) * DAY, newId());
        await storeUpdate(tx, { docId: id, deviceId: 'bench', clientSeq: i + 1, userId: 'bench-recorder', bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), now, policy);
        doc.destroy();
      }
    });
    const ids = (await store.appealRows()).map((r) => r.id);

    const r0 = performance.now();
    for (const id of ids) {
      const doc = docFromUpdates(await store.docParts(id));
      fold(readAppeal(doc, id).events, id);
      doc.destroy();
    }
    const readMs = performance.now() - r0;

    const bus = createCommitBus();
    const t0 = performance.now();
    const first = await scanDeadlines(store, bus, policy, now);
    const firstMs = performance.now() - t0;
    const t1 = performance.now();
    const second = await scanDeadlines(store, bus, policy, now);
    const secondMs = performance.now() - t1;
    if (second.warned + second.supervised !== 0) throw new Error('the scanner is not idempotent');
    console.log(`scanner: ${first.scanned} due, ${first.warned} warnings, ${first.supervised} supervision steps; second pass ${second.warned + second.supervised} events`);
    return [
      { figure: `scan ${COUNT} overdue appeals (appends)`, minsheng: firstMs, comparison: readMs, against: 'read + fold the same docs', kind: 'peer', unit: 'ms' },
      { figure: 'second scan, nothing owed', minsheng: secondMs, comparison: readMs, against: 'read + fold the same docs', kind: 'peer', unit: 'ms' },
    ];
  } finally {
    await store.close();
  }
}
