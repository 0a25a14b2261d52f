import 'fake-indexeddb/auto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startServer } from '../server/app';
import { loadConfig } from '../server/config';
import { POLICY_PRESETS } from '../src/core/deadline';
import type { AppealSnapshot } from '../src/core/doc';
import type { Region } from '../src/core/regions';
import type { SessionUser } from '../src/core/roles';
import { act, loadAppeal, recordAppeal } from '../src/store/appeals';
import { openDb, type MinshengDB } from '../src/store/db';
import { deviceId } from '../src/store/meta';
import { SyncEngine, type SyncStatus } from '../src/sync/engine';
import { compressJson, ZSTD_SOURCE, type Compressed } from './compress';
import { distinctRatio, generateAppeals } from './generate';
import { seedThroughHub } from './seed-hub';
import { PROFILES, startSlowLink, type LinkProfile, type SlowLink } from './link';
import { pouchDevice, startPouchServer, via } from './peer';
import type { BenchRow } from './table';

// Figures 1–3: what a sync costs on the wire and in time over emulated 2G/3G, for
// Minsheng and for PouchDB replicating the same records as JSON documents (with its default
// batches and with large ones), each beside general-purpose compressors at their strongest
// (gzip -9, brotli -11, zstd -19) applied to the same records as one JSON file: references,
// not limits. The goal ratio is the one against gzip -9.
//
// The 1,000 appeals of figure 1 are recorded through the app's own write path; the 9,000
// more of figure 3 are pushed through the hub step by step, each step from a device of
// whoever does it (seed-hub.ts), with descriptions put together from a phrase bank.

const FIRST = 1000;
const CATCH_UP = 10_000;

type JsonRecord = { _id: string } & Record<string, unknown>;

/** An appeal as a plain JSON document: fields, text, events and the contact inline. */
function asRecord(s: AppealSnapshot, contact: object | undefined): JsonRecord {
  return { _id: s.id, ...s.fields, citizen: { ...(s.fields.citizen as object), ...contact }, description: s.description, events: s.events };
}

/** PouchDB with large batches: 1,000 documents a request instead of 100, and up to 2 batches buffered (the best of 1, 2, 5 and 10 on the 3G pull). */
const POUCH_TUNED = { batch_size: 1000, batches_limit: 2 };
const TUNED = `batch_size ${POUCH_TUNED.batch_size}, batches_limit ${POUCH_TUNED.batches_limit}`;
/** The fastest a payload could cross a link: its bytes at the link's rate, plus one round trip. */
const wireMs = (bytes: number, bps: number, p: LinkProfile) => (bytes * 8 * 1000) / bps + p.rttMs;
export const until = async (cond: () => Promise<boolean> | boolean) => {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 20));
};

/**
 * The benches' phone: Node's `ws`, which offers permessage-deflate as browsers do
 * (client_max_window_bits, context takeover both ways, zlib's default level, memLevel and
 * 32 KiB window, as Chromium's) and, with context takeover, compresses every frame whatever
 * its size. Checked at each connection, so a change of defaults cannot leave the bench
 * measuring a phone that sends less compressed frames than a browser.
 */
export class PhoneSocket extends WebSocket {
  constructor(url: string) {
    super(url);
    this.once('open', () => {
      // `extensions` names the extension only; its parameters live on ws's instance (ws 8).
      const deflate = (this as unknown as { _extensions?: Record<string, { params?: Record<string, unknown> }> })._extensions?.['permessage-deflate'];
      if (!deflate?.params || deflate.params.client_no_context_takeover) {
        throw new Error(`the bench's phone negotiated ${JSON.stringify(deflate?.params ?? this.extensions)}, not permessage-deflate with the client's context takeover as a browser does`);
      }
    });
  }
}

export function engineFor(db: MinshengDB, link: SlowLink, token: string, id: string) {
  let status: SyncStatus | null = null;
  const engine = new SyncEngine({ db, url: link.url.replace('http', 'ws') + '/sync', token, deviceId: id, WebSocketImpl: PhoneSocket as never });
  engine.subscribe((s) => (status = s));
  return { engine, caughtUp: () => status?.link === 'online' && status.catchUp === null };
}

export async function sync(): Promise<BenchRow[]> {
  const server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'bench-sync-')), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }));
  const pouch = await startPouchServer();
  const links: SlowLink[] = [];
  const link = async (port: number, p: LinkProfile) => (links.push(await startSlowLink(port, p)), links.at(-1)!);
  const serverPort = Number(new URL(server.url).port);
  const g2 = PROFILES['2g'];
  const g3 = PROFILES['3g'];
  try {
    const login = (await (await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'town', password: 'demo1234' }) })).json()) as { token: string; user: SessionUser };
    const { regions } = (await (await fetch(`${server.url}/api/regions`, { headers: { authorization: `Bearer ${login.token}` } })).json()) as { regions: Region[] };
    const villages = regions.filter((r) => r.level === 'village');
    const user = login.user;

    // A device records 1,000 appeals offline, through the app's own write path.
    const db = openDb(`bench-field-${Date.now()}`);
    await db.regions.bulkPut(regions);
    const ids: string[] = [];
    for (const input of generateAppeals(FIRST, villages, 42)) {
      const r = await recordAppeal(db, input, { id: user.id, role: user.role, name: user.displayName, scope: user.scope });
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      ids.push(r.value.id);
    }
    const records: JsonRecord[] = [];
    for (const id of ids) records.push(asRecord((await loadAppeal(db, id))!, await db.contacts.get(id).then((c) => c && { name: c.name, phone: c.phone })));

    // 1. First sync over 2G.
    const mLink = await link(serverPort, g2);
    const field = engineFor(db, mLink, login.token, await deviceId(db));
    let t = performance.now();
    field.engine.start();
    await until(async () => (await db.outbox.count()) === 0);
    const m1 = { ms: performance.now() - t, bytes: mLink.bytes.up + mLink.bytes.down };

    const pLink = await link(pouch.port, g2);
    const pd = pouchDevice('field');
    await pd.bulkDocs(records);
    t = performance.now();
    await pd.replicate.to(via(pouch.url('appeals'), pLink.port));
    const p1 = { ms: performance.now() - t, bytes: pLink.bytes.up + pLink.bytes.down };
    // The same first sync with large batches, into a database of its own.
    const ptLink = await link(pouch.port, g2);
    const ptd = pouchDevice('field-tuned');
    await ptd.bulkDocs(records);
    t = performance.now();
    await ptd.replicate.to(via(pouch.url('appeals-tuned'), ptLink.port), POUCH_TUNED);
    const pt1 = { ms: performance.now() - t, bytes: ptLink.bytes.up + ptLink.bytes.down };
    const ref1 = compressJson(records);

    // 2. One status change on one appeal, each side already connected.
    await until(field.caughtUp);
    mLink.reset();
    const accepted = await act(db, ids[0]!, user, { type: 'accepted' });
    if (!accepted.ok) throw new Error(accepted.reason);
    field.engine.kick();
    await until(async () => (await db.outbox.count()) === 0);
    await new Promise((r) => setTimeout(r, g2.rttMs * 2)); // the ack's bytes
    const m2 = mLink.bytes.up + mLink.bytes.down;
    const event = (await loadAppeal(db, ids[0]!))!.events.at(-1)!;

    const live = pd.replicate.to(via(pouch.url('appeals'), pLink.port), { live: true, retry: false });
    const idle = () => new Promise<void>((resolve) => void live.on('paused', () => resolve()));
    await idle();
    pLink.reset();
    const doc = await pd.get(ids[0]!);
    (doc.events as unknown[]).push(event);
    const pushed = idle();
    await pd.put(doc);
    await pushed;
    await new Promise((r) => setTimeout(r, g2.rttMs * 2));
    const p2 = pLink.bytes.up + pLink.bytes.down;
    live.cancel();
    field.engine.stop();
    const ref2 = compressJson(event);

    // 3. A new device catches up 10,000 appeals over 3G. The server gets 9,000 more, with
    // events through the pipeline; the peer's server the same records.
    const seeded = await seedThroughHub(server, { count: CATCH_UP - FIRST, villages, seed: 43, from: Date.now() - 30 * 86_400_000, policy: POLICY_PRESETS.lanling });
    const more = seeded.appeals.map((a) => asRecord(a.snapshot, a.contact ?? undefined));
    await pouch.seed('appeals', more);
    const all = [...records, ...more];
    const descriptions = all.map((r) => r.description as string);
    const distinct = new Set(descriptions).size;
    console.log(`sync: ${seeded.appeals.length} appeals seeded through the hub by ${seeded.devices} devices in ${seeded.updates} updates (${(seeded.ms / 1000).toFixed(1)} s); ${distinct} distinct descriptions of ${all.length} (${distinctRatio(descriptions).toFixed(3)})`);

    const fresh = openDb(`bench-fresh-${Date.now()}`);
    const m3Link = await link(serverPort, g3);
    const reader = engineFor(fresh, m3Link, login.token, await deviceId(fresh));
    t = performance.now();
    reader.engine.start();
    await until(async () => reader.caughtUp() && (await fresh.appeals.count()) >= CATCH_UP);
    const m3 = { ms: performance.now() - t, bytes: m3Link.bytes.up + m3Link.bytes.down };
    reader.engine.stop();
    fresh.close();

    const p3Link = await link(pouch.port, g3);
    const pfresh = pouchDevice('fresh');
    t = performance.now();
    await pfresh.replicate.from(via(pouch.url('appeals'), p3Link.port));
    const p3 = { ms: performance.now() - t, bytes: p3Link.bytes.up + p3Link.bytes.down };
    const got = (await pfresh.info()).doc_count;
    if (got !== CATCH_UP) throw new Error(`the peer received ${got} of ${CATCH_UP} records`);
    const pt3Link = await link(pouch.port, g3);
    const ptfresh = pouchDevice('fresh-tuned');
    t = performance.now();
    await ptfresh.replicate.from(via(pouch.url('appeals'), pt3Link.port), POUCH_TUNED);
    const pt3 = { ms: performance.now() - t, bytes: pt3Link.bytes.up + pt3Link.bytes.down };
    const gotTuned = (await ptfresh.info()).doc_count;
    if (gotTuned !== CATCH_UP) throw new Error(`the tuned peer received ${gotTuned} of ${CATCH_UP} records`);
    const ref3 = compressJson(all);
    const tr = pouch.traffic;
    console.log(`sync: the peer's server gzipped ${tr.gzippedResponses} of ${tr.responses} responses (the rest under compression's 1 KiB threshold); ${tr.compressedRequests} of ${tr.requests} request bodies came compressed`);
    console.log(`sync: zstd -19 ${ZSTD_SOURCE ? `from ${ZSTD_SOURCE}` : `not available: node:zlib in ${process.version} has no zstdCompressSync and there is no zstd command`}`);
    db.close();

    const KiB = (n: number) => n / 1024;
    const s = (ms: number) => ms / 1000;
    /** Rows for the compressors, in `unit`, beside one figure of Minsheng's. */
    const refs = (m: number, c: Compressed, what: string, scale: (n: number) => number, unit: string): BenchRow[] => [
      { figure: '   same', minsheng: m, comparison: scale(c.gzip), against: `gzip -9 of ${what} as JSON (goal)`, kind: 'reference', unit },
      { figure: '   same', minsheng: m, comparison: scale(c.brotli), against: `brotli -11, large window, of ${what}`, kind: 'reference', unit },
      ...(c.zstd === null ? [] : [{ figure: '   same', minsheng: m, comparison: scale(c.zstd), against: `zstd -19 --long of ${what}`, kind: 'reference' as const, unit }]),
    ];
    return [
      { figure: `1. first sync of ${FIRST} appeals, bytes (2G)`, minsheng: KiB(m1.bytes), comparison: KiB(p1.bytes), against: 'PouchDB → express-pouchdb, same records, defaults', kind: 'peer', unit: 'KiB' },
      { figure: '   same', minsheng: KiB(m1.bytes), comparison: KiB(pt1.bytes), against: `PouchDB, ${TUNED}`, kind: 'peer', unit: 'KiB' },
      ...refs(KiB(m1.bytes), ref1, 'the records', KiB, 'KiB'),
      { figure: '   time over 2G', minsheng: s(m1.ms), comparison: s(p1.ms), against: 'PouchDB, same link, defaults', kind: 'peer', unit: 's' },
      { figure: '   same', minsheng: s(m1.ms), comparison: s(pt1.ms), against: `PouchDB, same link, ${TUNED}`, kind: 'peer', unit: 's' },
      { figure: '   same', minsheng: s(m1.ms), comparison: s(wireMs(ref1.gzip, g2.upBps, g2)), against: 'gzip -9 bytes at 64 kbit/s + 1 RTT (goal)', kind: 'reference', unit: 's' },
      { figure: '   same', minsheng: s(m1.ms), comparison: s(wireMs(ref1.brotli, g2.upBps, g2)), against: 'brotli -11 bytes at 64 kbit/s + 1 RTT', kind: 'reference', unit: 's' },
      { figure: '2. one status change, bytes (2G)', minsheng: m2, comparison: p2, against: 'PouchDB live replication (whole revision)', kind: 'peer', unit: 'B' },
      ...refs(m2, ref2, 'the event', (n) => n, 'B'),
      { figure: `3. new device catches up ${CATCH_UP.toLocaleString('en-US')}, bytes (3G)`, minsheng: KiB(m3.bytes), comparison: KiB(p3.bytes), against: 'PouchDB pull replication, defaults', kind: 'peer', unit: 'KiB' },
      { figure: '   same', minsheng: KiB(m3.bytes), comparison: KiB(pt3.bytes), against: `PouchDB pull, ${TUNED}`, kind: 'peer', unit: 'KiB' },
      ...refs(KiB(m3.bytes), ref3, 'the records', KiB, 'KiB'),
      { figure: '   time over 3G', minsheng: s(m3.ms), comparison: s(p3.ms), against: 'PouchDB, same link, defaults', kind: 'peer', unit: 's' },
      { figure: '   same', minsheng: s(m3.ms), comparison: s(pt3.ms), against: `PouchDB, same link, ${TUNED}`, kind: 'peer', unit: 's' },
      { figure: '   same', minsheng: s(m3.ms), comparison: s(wireMs(ref3.gzip, g3.downBps, g3)), against: 'gzip -9 bytes at 1.6 Mbit/s + 1 RTT (goal)', kind: 'reference', unit: 's' },
      { figure: '   same', minsheng: s(m3.ms), comparison: s(wireMs(ref3.brotli, g3.downBps, g3)), against: 'brotli -11 bytes at 1.6 Mbit/s + 1 RTT', kind: 'reference', unit: 's' },
      { figure: `   distinct descriptions in the ${all.length.toLocaleString('en-US')} records`, minsheng: distinct, comparison: all.length, against: 'all records (1.00× = no two alike)', kind: 'reference', unit: '' },
    ];
  } finally {
    for (const l of links) await l.close();
    await pouch.close();
    await server.close();
  }
}
