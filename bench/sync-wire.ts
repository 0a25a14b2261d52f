import 'fake-indexeddb/auto';
import { gzipSync } from 'node:zlib';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startServer } from '../server/app';
import { loadConfig } from '../server/config';
import { loadAppeal, recordAppeal } from '../src/store/appeals';
import { openDb } from '../src/store/db';
import { deviceId } from '../src/store/meta';
import { SyncEngine } from '../src/sync/engine';
import { startProxy } from '../tests/helpers/proxy';
import { generateAppeals } from './generate';
import type { BenchRow } from './table';

const COUNT = 1000;


/**
 * 1,000 freshly recorded appeals, pushed through the real engine to the real server.
 * Compared with gzip -9 of the same records as compact JSON: the least a sync could send.
 */
export async function syncWire(): Promise<BenchRow[]> {
  const server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'bench-')), MINSHENG_STATIC_DIR: '' }));
  try {
    const login = (await (await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'town', password: 'demo1234' }) })).json()) as { token: string; user: { id: string; role: 'town_official'; scope: { regions: string[]; departments: [] } } };
    const regions = (await (await fetch(`${server.url}/api/regions`, { headers: { authorization: `Bearer ${login.token}` } })).json()) as { regions: { code: string; name: string; level: string; parent: string | null }[] };
    const db = openDb(`bench-${Date.now()}`);
    await db.regions.bulkPut(regions.regions as never);
    const villages = regions.regions.filter((r) => r.level === 'village');
    const inputs = generateAppeals(COUNT, villages, 42);
    const who = { id: login.user.id, role: login.user.role, scope: login.user.scope };

    const t0 = performance.now();
    const ids: string[] = [];
    for (const input of inputs) {
      const r = await recordAppeal(db, input, who);
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      ids.push(r.value.id);
    }
    const recordMs = performance.now() - t0;

    // Bytes are counted on TCP, through a proxy: framing, upgrade and compression included.
    const proxy = await startProxy(Number(new URL(server.url).port));
    const counter = proxy.bytes;
    const engine = new SyncEngine({ db, url: proxy.url.replace('http', 'ws') + '/sync', token: login.token, deviceId: await deviceId(db), WebSocketImpl: WebSocket as never });
    const t1 = performance.now();
    engine.start();
    while ((await db.outbox.count()) > 0) await new Promise((r) => setTimeout(r, 10));
    const syncMs = performance.now() - t1;
    engine.stop();
    const up = { ...counter };

    // A second, empty device catches up on the same appeals: compacted, merged per document.
    const before = { ...counter };
    const fresh = openDb(`bench-fresh-${Date.now()}`);
    const reader = new SyncEngine({ db: fresh, url: proxy.url.replace('http', 'ws') + '/sync', token: login.token, deviceId: await deviceId(fresh), WebSocketImpl: WebSocket as never });
    let caughtUp = false;
    reader.subscribe((s) => (caughtUp = s.link === 'online' && s.catchUp === null));
    const t2 = performance.now();
    reader.start();
    while (!caughtUp || (await fresh.appeals.count()) < COUNT) await new Promise((r) => setTimeout(r, 10));
    const catchUpMs = performance.now() - t2;
    reader.stop();
    fresh.close();
    const down = counter.down - before.down;
    await proxy.close();

    const records = [];
    for (const id of ids) {
      const s = (await loadAppeal(db, id))!;
      // The citizen's contact travels beside the document; a plain record would hold it inline.
      const { appealId: _id, ...contact } = (await db.contacts.get(id)) ?? { appealId: id };
      records.push({ id, ...s.fields, citizen: { ...(s.fields.citizen as object), ...contact }, description: s.description, events: s.events });
    }
    const json = Buffer.from(JSON.stringify(records));
    const gz = gzipSync(json, { level: 9 }).byteLength;
    const stored = server.store.appealRows().length;
    if (stored !== COUNT) throw new Error(`server holds ${stored} appeals, expected ${COUNT}`);
    db.close();
    return [
      { figure: `bytes up, sync ${COUNT} new appeals`, minsheng: up.up / 1024, comparison: gz / 1024, against: 'gzip -9 of the records as JSON (limit)', unit: 'KiB' },
      { figure: 'bytes up, same, uncompressed JSON', minsheng: up.up / 1024, comparison: json.byteLength / 1024, against: 'compact JSON of the records', unit: 'KiB' },
      { figure: `time to sync ${COUNT} (loopback)`, minsheng: syncMs, comparison: recordMs, against: 'time to record them locally', unit: 'ms' },
      { figure: 'bytes down while pushing (welcome, acks)', minsheng: up.down / 1024, comparison: up.up / 1024, against: 'bytes up', unit: 'KiB' },
      { figure: `bytes down, new device catches up ${COUNT}`, minsheng: down / 1024, comparison: gz / 1024, against: 'gzip -9 of the records as JSON (limit)', unit: 'KiB' },
      { figure: `time to catch up ${COUNT} (loopback)`, minsheng: catchUpMs, comparison: syncMs, against: 'time to push them', unit: 'ms' },
    ];
  } finally {
    await server.close();
  }
}
