import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as Y from 'yjs';
import { startServer, type RunningServer } from '../server/app';
import { loadConfig } from '../server/config';
import { generateRelayKeyPair } from '../server/services/relay-keys';
import { storeUpdate, type Committed } from '../server/sync/bus';
import { POLICY_PRESETS } from '../src/core/deadline';
import type { Policies } from '../src/core/policy-book';
import { appendEvent, docFromUpdates, readAppeal, type AppealSnapshot } from '../src/core/doc';
import type { AppealEvent } from '../src/core/events';
import { newId } from '../src/core/id';
import { until } from '../tests/helpers/clients';
import { tempDir } from '../tests/helpers/server';
import { compressJson, ZSTD_SOURCE } from './compress';
import { prng } from './generate';
import { startSlowLink, type LinkProfile, type SlowLink } from './link';
import { seedThroughHub } from './seed-hub';
import type { BenchRow } from './table';

// `npm run bench -- federation` (opt-in): a county server's week of work going up to its city
// after the line between them was cut (issue 25). A city (临沂 371300) and a county (兰陵
// 371324) run in this process on SQLite, the county's uplink through `link.ts` at 2 Mbit/s
// each way with a 100 ms round trip. The county connects once, the line is cut (the uplink
// paused), and the county works a week: its appeals recorded by the villages' grid workers and
// walked through the pipeline by the towns, the county's departments and its return-visit
// center, each step pushed from a device of whoever takes it through the county's own hub
// (seed-hub.ts); then some of them are commented on by their village's grid worker. The line
// comes back and the uplink catches up: what crossed the line each way and how long it took,
// beside gzip -9 of the same records as JSON and the line's own limit. Every event is judged
// at the city as its author's; a refusal fails the bench.

const CITY = '371300';
const COUNTY = '371324';
const APPEALS = Number(process.env.BENCH_FEDERATION_APPEALS ?? 2000);
const SEED = 25;
const DAY = 86_400_000;
/** A county's leased line or a good mobile router: 2 Mbit/s each way, 100 ms round trip. */
const LINE: LinkProfile = { name: '2 Mbit/s each way, 100 ms RTT', upBps: 2_000_000, downBps: 2_000_000, rttMs: 100 };
/** Share of appeals a grid worker comments on (once or twice) after the pipeline's steps. */
const COMMENTED = 0.3;
const COMMENTS = ['群众再次来电询问办理进度。', '已入户核实，情况属实。', '现场查看，问题仍然存在，已拍照留存。', '已电话联系群众，群众表示理解，等待处理。', '村两委已开会研究，建议尽快协调。'];
/** How long the catch-up may take before the bench gives up (and says where it stood). */
const CATCH_UP_LIMIT_MS = 10 * 60_000;

/**
 * Some of the county's appeals get a comment or two from their village's grid worker, after
 * the last step: written into the county's store as a commit of a device of theirs (as
 * seed-store.ts writes), so the city judges them as any other relayed event.
 */
async function comment(county: RunningServer, policy: Policies, ids: string[], villageOf: Map<string, string>): Promise<number> {
  const { store } = county;
  const rnd = prng(SEED * 13 + 1);
  const now = Date.now();
  const work: { id: string; userId: string; deviceId: string; diff: Uint8Array; snapshot: AppealSnapshot; at: number }[] = [];
  const devices = new Map<string, string>();
  let count = 0;
  for (const id of ids) {
    if (rnd() >= COMMENTED) continue;
    const grid = await store.userByUsername(`seed-grid-${villageOf.get(id)}`);
    if (!grid) throw new Error(`federation: no seeded grid worker for ${villageOf.get(id)}`);
    const doc = docFromUpdates(await store.docParts(id));
    const before = Y.encodeStateVector(doc);
    let at = Math.max(...readAppeal(doc, id).events.map((e) => (e as { at: number }).at));
    for (let k = rnd() < 0.3 ? 2 : 1; k > 0; k--) {
      at = Math.min(now - 60_000, at + 600_000 + rnd() * 12 * 3_600_000);
      appendEvent(doc, { type: 'commented', note: COMMENTS[Math.floor(rnd() * COMMENTS.length)]!, id: newId(), actor: grid.id, role: grid.role, by: grid.displayName, at } as AppealEvent);
      count++;
    }
    const deviceId = devices.get(grid.id) ?? newId();
    devices.set(grid.id, deviceId);
    work.push({ id, userId: grid.id, deviceId, diff: Y.encodeStateAsUpdate(doc, before), snapshot: readAppeal(doc, id), at });
    doc.destroy();
  }
  const committed = await store.inPushTx(async (tx) => {
    const out: Committed[] = [];
    for (const w of work) out.push(await storeUpdate(tx, { docId: w.id, deviceId: w.deviceId, clientSeq: await tx.nextClientSeq(w.deviceId), userId: w.userId, bytes: w.diff }, w.snapshot, w.at, policy));
    return out;
  });
  county.bus.publish(committed, null);
  return count;
}

/** Objects with their keys sorted, so two sides' snapshots compare whatever order their maps were filled in. */
const sortedKeys = (_: string, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v);

/** An appeal as each side holds it: its fields, text and events. */
async function snapshotAt(server: RunningServer, id: string): Promise<AppealSnapshot> {
  const doc = docFromUpdates(await server.store.docParts(id));
  try {
    return readAppeal(doc, id);
  } finally {
    doc.destroy();
  }
}

export async function federation(): Promise<BenchRow[]> {
  const dirs: string[] = [];
  const servers: RunningServer[] = [];
  let link: SlowLink | null = null;
  try {
    const cityDir = tempDir('bench-federation-city-');
    const countyDir = tempDir('bench-federation-county-');
    dirs.push(cityDir, countyDir);
    const base = { PORT: '0', MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' };
    const city = await startServer(loadConfig({ ...base, MINSHENG_REGION: CITY, MINSHENG_DATA_DIR: cityDir }));
    servers.push(city);
    // The county's key, registered at the city by its administrator.
    const keys = generateRelayKeyPair();
    const keyId = newId();
    await city.store.insertRelayKey({ id: keyId, county: COUNTY, publicKey: keys.publicKey, label: '兰陵县服务器', createdBy: 'bench', createdAt: Date.now() });
    const keyFile = path.join(countyDir, 'uplink-key.pem');
    writeFileSync(keyFile, keys.privateKeyPem, { mode: 0o600 });
    // With flow control, as TCP's window would: a catch-up queued on the link at once would hold the city's pings back.
    link = await startSlowLink(Number(new URL(city.url).port), LINE, { window: 64 * 1024 });
    const countyConfig = loadConfig({ ...base, MINSHENG_REGION: COUNTY, MINSHENG_DATA_DIR: countyDir, MINSHENG_UPSTREAM: `ws://127.0.0.1:${link.port}/sync`, MINSHENG_UPSTREAM_KEY_ID: keyId, MINSHENG_UPSTREAM_KEY: keyFile });
    const county = await startServer(countyConfig);
    servers.push(county);
    const uplink = county.uplink!;

    // Connected once, then cut.
    await until(() => uplink.status().state === 'live', 30_000, 'federation: the county’s uplink live');
    uplink.pause();
    await until(() => uplink.status().state === 'down', 10_000, 'federation: the line down');

    // The county's week, while the line is down.
    const villages = (await county.store.regionsUnder([COUNTY])).filter((r) => r.level === 'village');
    const now = Date.now();
    const seeded = await seedThroughHub(county, { count: APPEALS, villages, seed: SEED, from: now - 8 * DAY, spacingMs: (7 * DAY) / APPEALS, policy: POLICY_PRESETS.lanling, varied: true });
    const ids = seeded.appeals.map((a) => a.snapshot.id);
    const villageOf = new Map(seeded.appeals.map((a) => [a.snapshot.id, String(a.snapshot.fields.villageCode)]));
    const comments = await comment(county, countyConfig.policies, ids, villageOf);
    // The records as the county holds them, and as plain JSON for the compressors.
    const contacts = await county.store.contacts(ids);
    const snapshots: AppealSnapshot[] = [];
    for (const id of ids) snapshots.push(await snapshotAt(county, id));
    const records = snapshots.map((s) => ({ _id: s.id, ...s.fields, citizen: { ...(s.fields.citizen as object), ...contacts.get(s.id) }, description: s.description, events: s.events }));
    const events = snapshots.reduce((n, s) => n + s.events.length, 0);
    const ref = compressJson(records);
    const countyHead = await county.store.head();
    console.log(`federation: ${ids.length} appeals (${events} events, ${comments} of them comments, ${contacts.size} contacts) worked at the county while the line was down: ${seeded.devices} devices pushed ${seeded.updates} updates through its hub in ${(seeded.ms / 1000).toFixed(1)} s; ${uplink.status().pendingUp} documents pending up`);

    // The line comes back.
    link.reset();
    const frames = { up: uplink.status().bytesUp, down: uplink.status().bytesDown };
    const t0 = performance.now();
    uplink.resume();
    while (link.bytes.up === 0) await new Promise((r) => setTimeout(r, 1));
    const t1 = performance.now();
    const cityHolds = async () => (await city.store.appealsById(ids)).length;
    const done = async () => {
      const s = uplink.status();
      if (s.refused.length > 0) {
        const byReason = new Map<string, string[]>();
        for (const r of s.refused) byReason.set(r.reason, [...(byReason.get(r.reason) ?? []), r.detail]);
        const reasons = [...byReason].map(([reason, details]) => `${details.length} ${reason}: ${details[0]}`);
        throw new Error(`federation: the city refused changes of the county (${reasons.join('; ')}; the uplink keeps the last 100), holding ${await cityHolds()} of its ${ids.length} appeals; uplink ${JSON.stringify({ ...s, refused: undefined, history: undefined })}:\n${s.refused.map((r) => `  ${r.docId} seq ${r.seq}: ${r.reason} ${r.detail}`).join('\n')}`);
      }
      return s.state === 'live' && s.pendingUp === 0 && s.upCursor >= countyHead && (await cityHolds()) === ids.length;
    };
    const progress = setInterval(() => void cityHolds().then((n) => console.log(`federation: the city holds ${n} of ${ids.length} (${((performance.now() - t1) / 1000).toFixed(0)} s, ${(link!.bytes.up / 2 ** 20).toFixed(2)} MiB up; uplink ${JSON.stringify({ ...uplink.status(), history: undefined })})`)), 30_000);
    try {
      await until(done, CATCH_UP_LIMIT_MS, `federation: the city holding all ${ids.length} appeals of the county with nothing pending up`);
    } catch (err) {
      throw new Error(`${(err as Error).message}; the city holds ${await cityHolds()}; uplink ${JSON.stringify({ ...uplink.status(), history: undefined })}`, { cause: err });
    } finally {
      clearInterval(progress);
    }
    const t2 = performance.now();
    const wire = { ...link.bytes };
    const sent = { up: uplink.status().bytesUp - frames.up, down: uplink.status().bytesDown - frames.down };
    // Anything the line still carries once the city holds it all (nothing is expected).
    await new Promise((r) => setTimeout(r, 2 * LINE.rttMs + 1000));
    if (link.bytes.up !== wire.up || link.bytes.down !== wire.down) console.log(`federation: after the catch-up the line carried ${link.bytes.up - wire.up} B more up and ${link.bytes.down - wire.down} B more down within a second`);

    // Both sides hold the same documents.
    let differ = 0;
    for (const [i, id] of ids.entries()) if (JSON.stringify(await snapshotAt(city, id), sortedKeys) !== JSON.stringify(snapshots[i], sortedKeys)) differ++;
    if (differ > 0) throw new Error(`federation: ${differ} of ${ids.length} appeals differ between the county and the city after the catch-up`);
    const cityContacts = await city.store.contacts(ids);
    if (cityContacts.size !== contacts.size) throw new Error(`federation: the city holds ${cityContacts.size} contacts of the county's ${contacts.size}`);
    console.log(`federation: the line came back ${((t1 - t0) / 1000).toFixed(2)} s after resume() (the uplink's reconnect delay); every appeal the same at both sides; frames before permessage-deflate: ${sent.up} B up, ${sent.down} B down`);
    console.log(`federation: zstd -19 ${ZSTD_SOURCE ? `from ${ZSTD_SOURCE}` : 'not available'}`);

    const KiB = (b: number) => b / 1024;
    const s = (ms: number) => ms / 1000;
    /** The fastest `bytes` could cross the line one way: at its rate, plus one round trip. */
    const lineMs = (bytes: number) => (bytes * 8 * 1000) / LINE.upBps + LINE.rttMs;
    const ms = t2 - t1;
    const what = `the same ${ids.length.toLocaleString('en-US')} records`;
    return [
      { figure: `1. a county's week up to its city after a cut: ${ids.length.toLocaleString('en-US')} appeals, ${events.toLocaleString('en-US')} events, bytes up`, minsheng: KiB(wire.up), comparison: KiB(ref.gzip), against: `gzip -9 of ${what} as JSON (goal)`, kind: 'reference', unit: 'KiB' },
      { figure: '   same', minsheng: KiB(wire.up), comparison: KiB(ref.brotli), against: `brotli -11, large window, of ${what}`, kind: 'reference', unit: 'KiB' },
      ...(ref.zstd === null ? [] : [{ figure: '   same', minsheng: KiB(wire.up), comparison: KiB(ref.zstd), against: `zstd -19 --long of ${what}`, kind: 'reference' as const, unit: 'KiB' }]),
      { figure: '   same', minsheng: KiB(wire.up), comparison: KiB(sent.up), against: 'the frames the uplink sent, before permessage-deflate', kind: 'peer', unit: 'KiB' },
      { figure: '   bytes down (what the city sent back)', minsheng: KiB(wire.down), comparison: KiB(wire.up), against: 'bytes up, same catch-up', kind: 'peer', unit: 'KiB' },
      { figure: '   time over 2 Mbit/s, 100 ms RTT, from the first byte', minsheng: s(ms), comparison: s(lineMs(wire.up)), against: 'its own bytes up at 2 Mbit/s + 1 RTT (the line’s limit)', kind: 'target', unit: 's' },
      { figure: '   same', minsheng: s(ms), comparison: s(lineMs(ref.gzip)), against: 'gzip -9 bytes at 2 Mbit/s + 1 RTT (goal)', kind: 'reference', unit: 's' },
      { figure: '   from resume(), with the reconnect delay', minsheng: s(t2 - t0), comparison: s(lineMs(wire.up)), against: 'its own bytes up at 2 Mbit/s + 1 RTT (the line’s limit)', kind: 'target', unit: 's' },
      { figure: '   appeals a second, from the first byte', minsheng: ids.length / s(ms), comparison: ids.length / s(lineMs(wire.up)), against: 'at the line’s limit for its own bytes', kind: 'target', unit: '/s' },
    ];
  } finally {
    await link?.close();
    for (const s of servers.reverse()) await s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
