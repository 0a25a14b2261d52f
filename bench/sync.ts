import 'fake-indexeddb/auto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
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
import { generateAppeals } from './generate';
import { seedGeneratedAppeals } from './seed-store';
import { PROFILES, startSlowLink, type LinkProfile, type SlowLink } from './link';
import { pouchDevice, startPouchServer, via } from './peer';
import type { BenchRow } from './table';

// Figures 1–3: what a sync costs on the wire and in time over emulated 2G/3G, for
// Minsheng and for PouchDB replicating the same records as JSON documents, each beside
// gzip -9 of those records (the least any sync could send).

const FIRST = 1000;
const CATCH_UP = 10_000;

type JsonRecord = { _id: string } & Record<string, unknown>;

/** An appeal as a plain JSON document: fields, text, events and the contact inline. */
function asRecord(s: AppealSnapshot, contact: object | undefined): JsonRecord {
  return { _id: s.id, ...s.fields, citizen: { ...(s.fields.citizen as object), ...contact }, description: s.description, events: s.events };
}

const gz = (v: unknown) => gzipSync(Buffer.from(JSON.stringify(v)), { level: 9 }).byteLength;
/** The fastest a payload could cross a link: its bytes at the link's rate, plus one round trip. */
const wireMs = (bytes: number, bps: number, p: LinkProfile) => (bytes * 8 * 1000) / bps + p.rttMs;
const until = async (cond: () => Promise<boolean> | boolean) => {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 20));
};

function engineFor(db: MinshengDB, link: SlowLink, token: string, id: string) {
  let status: SyncStatus | null = null;
  const engine = new SyncEngine({ db, url: link.url.replace('http', 'ws') + '/sync', token, deviceId: id, WebSocketImpl: WebSocket as never });
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
    const limit1 = gz(records);

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
    const limit2 = gz(event);

    // 3. A new device catches up 10,000 appeals over 3G. The server gets 9,000 more, with
    // events through the pipeline; the peer's server the same records.
    const more = (await seedGeneratedAppeals(server.store, { count: CATCH_UP - FIRST, villages, seed: 43, official: { id: user.id, name: user.displayName }, from: Date.now() - 30 * 86_400_000, policy: POLICY_PRESETS.lanling })).map((snapshot) =>
      asRecord(snapshot, undefined),
    );
    await pouch.seed('appeals', more);
    const all = [...records, ...more];

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
    const limit3 = gz(all);
    db.close();

    const KiB = (n: number) => n / 1024;
    const s = (ms: number) => ms / 1000;
    return [
      { figure: `1. first sync of ${FIRST} appeals, bytes (2G)`, minsheng: KiB(m1.bytes), comparison: KiB(p1.bytes), against: 'PouchDB → express-pouchdb, same records', unit: 'KiB' },
      { figure: '   same', minsheng: KiB(m1.bytes), comparison: KiB(limit1), against: 'gzip -9 of the records as JSON (limit)', unit: 'KiB' },
      { figure: '   time over 2G', minsheng: s(m1.ms), comparison: s(p1.ms), against: 'PouchDB, same link', unit: 's' },
      { figure: '   same', minsheng: s(m1.ms), comparison: s(wireMs(limit1, g2.upBps, g2)), against: 'the gzip limit at 64 kbit/s + 1 RTT', unit: 's' },
      { figure: '2. one status change, bytes (2G)', minsheng: m2, comparison: p2, against: 'PouchDB live replication (whole revision)', unit: 'B' },
      { figure: '   same', minsheng: m2, comparison: limit2, against: 'gzip -9 of the event as JSON (limit)', unit: 'B' },
      { figure: `3. new device catches up ${CATCH_UP.toLocaleString('en-US')}, bytes (3G)`, minsheng: KiB(m3.bytes), comparison: KiB(p3.bytes), against: 'PouchDB pull replication', unit: 'KiB' },
      { figure: '   same', minsheng: KiB(m3.bytes), comparison: KiB(limit3), against: 'gzip -9 of the records as JSON (limit)', unit: 'KiB' },
      { figure: '   time over 3G', minsheng: s(m3.ms), comparison: s(p3.ms), against: 'PouchDB, same link', unit: 's' },
      { figure: '   same', minsheng: s(m3.ms), comparison: s(wireMs(limit3, g3.downBps, g3)), against: 'the gzip limit at 1.6 Mbit/s + 1 RTT', unit: 's' },
    ];
  } finally {
    for (const l of links) await l.close();
    await pouch.close();
    await server.close();
  }
}
