import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { appendEvent, docFromUpdates, readAppeal, textOf } from '../../src/core/doc';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { decodeServerFrame, decodeClientFrame } from '../../src/core/protocol';
import type { Region } from '../../src/core/regions';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { recordAppeal } from '../../src/store/appeals';
import { updatesTable } from '../../src/store/db';
import { applyLocalChange } from '../../src/store/docs';
import { tempDir } from '../helpers/server';
import { device, fetchRegions, login, until, type Device, type Login } from '../helpers/clients';

// N devices edit shared appeals through the real server while links drop, pushes are
// delivered twice, acks are lost and the server restarts, cleanly or by crashing. At the
// end every device and the server must hold identical snapshots and identical folds.

const RUNS = Number(process.env.SOAK_RUNS ?? 200);

type Op =
  | { t: 'record'; c: number }
  | { t: 'comment'; c: number; d: number }
  | { t: 'text'; c: number; d: number; at: number; s: string }
  | { t: 'cut'; c: number; d: number; at: number; len: number }
  | { t: 'offline'; c: number }
  | { t: 'online'; c: number }
  | { t: 'dupPush'; c: number }
  | { t: 'dropAck'; c: number }
  | { t: 'restart' }
  | { t: 'crash' }
  | { t: 'pause' };

const op = (clients: number, recordWeight = 3): fc.Arbitrary<Op> => {
  const c = fc.nat(clients - 1);
  return fc.oneof(
    { weight: recordWeight, arbitrary: fc.record({ t: fc.constant('record' as const), c }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('comment' as const), c, d: fc.nat(20) }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('text' as const), c, d: fc.nat(20), at: fc.nat(200), s: fc.constantFrom('补充：', '村民', '已核实', 'x', '。') }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('cut' as const), c, d: fc.nat(20), at: fc.nat(20), len: fc.integer({ min: 1, max: 4 }) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('offline' as const), c }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('online' as const), c }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('dupPush' as const), c }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('dropAck' as const), c }) },
    { weight: 1, arbitrary: fc.constant({ t: 'restart' as const }) },
    { weight: 1, arbitrary: fc.constant({ t: 'crash' as const }) },
    { weight: 2, arbitrary: fc.constant({ t: 'pause' as const }) },
  );
};

const stats = { runs: 0, changes: 0, restarts: 0, crashes: 0, dupPushes: 0, lostAcks: 0, offline: 0 };

/** Per-device fault switches, read by the socket class below. */
interface Faults {
  dupPush: boolean;
  dropAck: boolean;
}

function faultySocket(faults: Faults) {
  return class extends WebSocket {
    override send(data: Uint8Array): void {
      super.send(data);
      if (faults.dupPush && decodeClientFrame(data).t === 'push') {
        faults.dupPush = false;
        stats.dupPushes++;
        super.send(data);
      }
    }
    constructor(url: string) {
      super(url);
      // Intercept the handler the engine installs, so a chosen ack can be lost on the way.
      const accessor = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage')!;
      Object.defineProperty(this, 'onmessage', {
        get: () => accessor.get!.call(this),
        set: (handler: (ev: WebSocket.MessageEvent) => void) =>
          accessor.set!.call(this, (ev: WebSocket.MessageEvent) => {
            if (faults.dropAck && decodeServerFrame(new Uint8Array(ev.data as ArrayBuffer)).t === 'ack') {
              faults.dropAck = false;
              stats.lostAcks++;
              return;
            }
            handler(ev);
          }),
      });
    }
  };
}

let templateDir: string;
let sessions: Login[];
let regions: Region[][];
let village: string;

beforeAll(async () => {
  // Seed once, log in once, then give every run its own copy of that database.
  templateDir = tempDir('minsheng-template-');
  const seeded = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: templateDir, MINSHENG_STATIC_DIR: '' }));
  sessions = [await login(seeded, 'grid'), await login(seeded, 'town')];
  regions = await Promise.all(sessions.map((s) => fetchRegions(seeded.url, s)));
  village = sessions[0]!.user.scope.regions[0]!;
  await seeded.close();
});

async function serverCopy(port = 0): Promise<{ server: RunningServer; dir: string }> {
  const dir = tempDir('minsheng-run-');
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(templateDir, 'minsheng.sqlite'), path.join(dir, 'minsheng.sqlite'));
  return { server: await startServer(loadConfig({ PORT: String(port), MINSHENG_DATA_DIR: dir, MINSHENG_STATIC_DIR: '' }), undefined, { compactAfterRows: 4, pageDocs: 2 }), dir };
}

async function localState(d: Device, docId: string): Promise<Y.Doc> {
  const rows = (await updatesTable(d.db).where('k').equals(docId).toArray()) as { u: Uint8Array }[];
  const doc = new Y.Doc();
  rows.forEach((r) => Y.applyUpdateV2(doc, r.u));
  return doc;
}

async function runScenario(clients: number, ops: Op[]): Promise<void> {
  let { server, dir } = await serverCopy();
  const port = Number(new URL(server.url).port);
  const faults: Faults[] = [];
  let changes = 0;
  stats.runs++;
  const devices: Device[] = [];
  for (let c = 0; c < clients; c++) {
    faults.push({ dupPush: false, dropAck: false });
    devices.push(await device(server, sessions[c % 2]!, { regions: regions[c % 2]!, WebSocketImpl: faultySocket(faults[c]!) as never, ackTimeoutMs: 150, retryBaseMs: 20 }));
    devices[c]!.engine.start();
  }
  try {
    for (const o of ops) {
      const d = 'c' in o ? devices[o.c]! : null;
      const docs = d ? (await d.db.appeals.orderBy('id').primaryKeys()) : [];
      switch (o.t) {
        case 'record': {
          const r = await recordAppeal(d!.db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'yellow', villageCode: village, description: '路面破损', citizen: { anonymous: true } }, d!.who);
          expect(r.ok).toBe(true);
          changes++;
          d!.engine.kick();
          break;
        }
        case 'comment':
        case 'text':
        case 'cut': {
          if (docs.length === 0) break;
          const id = docs[o.d % docs.length]!;
          const changed = await applyLocalChange(d!.db, id, (doc) => {
            if (o.t === 'comment') appendEvent(doc, { id: newId(), type: 'commented', actor: d!.who.id, role: d!.who.role, at: Date.now(), note: '跟进' });
            else if (o.t === 'text') textOf(doc).insert(Math.min(o.at, textOf(doc).length), o.s);
            else {
              // Keep at least one character: an empty description is invalid and would be refused.
              const text = textOf(doc);
              const at = Math.min(o.at, Math.max(0, text.length - 2));
              text.delete(at, Math.max(0, Math.min(o.len, text.length - 1 - at)));
            }
          });
          if (changed) changes++;
          d!.engine.kick();
          break;
        }
        case 'offline':
          stats.offline++;
          d!.engine.stop();
          break;
        case 'online':
          d!.engine.start();
          break;
        case 'dupPush':
          faults[o.c]!.dupPush = true;
          break;
        case 'dropAck':
          faults[o.c]!.dropAck = true;
          break;
        case 'restart':
        case 'crash':
          if (o.t === 'crash') stats.crashes++;
          else stats.restarts++;
          // A crash cuts the sockets and leaves the store unclosed (no checkpoint); the next server recovers it.
          await (o.t === 'crash' ? server.crash() : server.close());
          server = await startServer(loadConfig({ PORT: String(port), MINSHENG_DATA_DIR: dir, MINSHENG_STATIC_DIR: '' }), undefined, { compactAfterRows: 4, pageDocs: 2 });
          break;
        case 'pause':
          await new Promise((r) => setTimeout(r, 20));
          break;
      }
    }
    for (const d of devices) d.engine.start();
    await Promise.all(devices.map((d) => d.settled(20_000)));

    // Everyone converges on the server's state, document by document.
    const serverIds = (await server.store.appealRows()).map((r) => r.id).sort();
    await until(async () => {
      for (const d of devices) if ((await d.db.appeals.count()) !== serverIds.length) return false;
      return true;
    }, 20_000, 'every device holds every appeal').catch(async (err) => {
      const counts = await Promise.all(devices.map(async (d) => [await d.db.appeals.count(), (await d.db.meta.get('cursor'))?.value, d.status().link]));
      throw new Error(`${(err as Error).message}: server ${serverIds.length} (head ${await server.store.head()}), devices ${JSON.stringify(counts)}`);
    });
    for (const id of serverIds) {
      const truth = docFromUpdates(await server.store.docParts(id));
      const truthSnapshot = Y.snapshot(truth);
      const folded = fold(readAppeal(truth, id).events);
      for (const d of devices) {
        // A snapshot holds the delete set as well as the state vector: a pure deletion still
        // on its way leaves the state vector unchanged, so that alone would compare too early.
        await until(async () => Y.equalSnapshots(Y.snapshot(await localState(d, id)), truthSnapshot), 10_000, `device state of ${id}`);
        const local = await localState(d, id);
        expect(readAppeal(local, id)).toEqual(readAppeal(truth, id));
        expect(fold(readAppeal(local, id).events)).toEqual(folded);
        const row = await d.db.appeals.get(id);
        expect(row?.status).toBe(folded.status);
      }
    }
    // Exactly once: one receipt per local change, however often it was sent.
    expect(await server.store.receiptCount()).toBe(changes);
    stats.changes += changes;
    for (const d of devices) expect(await d.db.quarantine.count()).toBe(0);
  } finally {
    for (const d of devices) d.close();
    await server.close();
  }
}

describe('convergence under faults (fast-check)', () => {
  it.runIf(process.env.REPLAY)('replays one scenario', async () => {
    const [clients, ops] = JSON.parse(process.env.REPLAY!) as [number, Op[]];
    await runScenario(clients, ops);
  }, 120_000);

  it(`converges for random edits, disconnects, duplicates, lost acks and restarts (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 6 }).chain((n) => fc.tuple(fc.constant(n), fc.array(op(n), { minLength: 1, maxLength: 14 }))),
        async ([clients, ops]) => runScenario(clients, ops),
      ),
      { numRuns: RUNS },
    );
    console.log(`convergence: ${JSON.stringify(stats)}`);
  }, 600_000);

  it(`converges with many appeals per run (${Math.ceil(RUNS / 10)} runs of up to 60 steps)`, async () => {
    const before = stats.changes;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }).chain((n) => fc.tuple(fc.constant(n), fc.array(op(n, 12), { minLength: 30, maxLength: 60 }))),
        async ([clients, ops]) => runScenario(clients, ops),
      ),
      { numRuns: Math.ceil(RUNS / 10) },
    );
    console.log(`convergence, long runs: ${stats.changes - before} changes; ${JSON.stringify(stats)}`);
  }, 600_000);
});
