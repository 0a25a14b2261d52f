import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import type { RunningServer } from '../../server/app';
import { SYNC_RATE } from '../../server/sync/hub';
import { validateStoredFields } from '../../src/core/appeal';
import { docFromUpdates, eventsOf, fieldsOf, readAppeal, textOf, writeNewAppeal } from '../../src/core/doc';
import { isAppealEvent } from '../../src/core/events';
import { newId } from '../../src/core/id';
import { decodeServerFrame, encodeFrame, type ClientMessage } from '../../src/core/protocol';
import { recordAppeal } from '../../src/store/appeals';
import { device, login, until, type Device, type Login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';
import { scale } from './scale';

// Random and mutated protocol frames and Yjs updates thrown at a running server from many
// sockets at once: it must answer each with a clear error or an ack, never fail inside, never
// store a document that does not validate, and a phone syncing beside them must not notice.

const FRAMES = scale(1_200, 10_000);
const SOCKETS = 20;

let server: RunningServer;
let grid: Login;
let village = '';

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  grid = await login(server, 'grid');
  village = grid.user.scope.regions[0]!.padEnd(12, '0').slice(0, 12);
});
afterAll(() => server?.close());

/** A valid appeal document's update, the raw material mutations start from. */
function validUpdate(): { docId: string; update: Uint8Array; doc: Y.Doc } {
  const doc = new Y.Doc();
  writeNewAppeal(doc, { channel: 'grid_patrol', category: 'infra.water', kind: 'help', urgency: 'yellow', villageCode: village, description: '水井干了', citizen: { anonymous: true } }, { id: grid.user.id, role: grid.user.role }, Date.now(), newId());
  return { docId: newId(), update: Y.encodeStateAsUpdate(doc), doc };
}

/** Documents that decode but break a rule: each must be refused, for its own reason. */
const wrongDocs: { name: string; reason: string; make: () => Uint8Array }[] = [
  { name: 'contact in the document', reason: 'invalid_fields', make: () => {
    const { doc } = validUpdate();
    fieldsOf(doc).set('citizen', { anonymous: false, name: '张三', phone: '13800000000' });
    return Y.encodeStateAsUpdate(doc);
  } },
  { name: 'malformed event', reason: 'malformed_event', make: () => {
    const { doc } = validUpdate();
    eventsOf(doc).push([{ type: 'closed', id: 'not-an-id', actor: 'x', role: 'admin', at: 'soon' }]);
    return Y.encodeStateAsUpdate(doc);
  } },
  { name: 'unknown village', reason: 'invalid_fields', make: () => {
    const { doc } = validUpdate();
    fieldsOf(doc).set('villageCode', '999999999999');
    return Y.encodeStateAsUpdate(doc);
  } },
  { name: 'recorded in someone else’s name', reason: 'not_creator', make: () => {
    const { doc } = validUpdate();
    fieldsOf(doc).set('createdBy', 'someone-else');
    return Y.encodeStateAsUpdate(doc);
  } },
  { name: 'description too long', reason: 'description_too_long', make: () => {
    const { doc } = validUpdate();
    textOf(doc).insert(0, 'x'.repeat(20_000));
    return Y.encodeStateAsUpdate(doc);
  } },
  { name: 'unknown root', reason: 'unknown_root', make: () => {
    const doc = new Y.Doc();
    doc.getMap('other').set('x', 1);
    return Y.encodeStateAsUpdate(doc);
  } },
  { name: 'a second event with the recorded event’s id', reason: 'duplicate_event', make: () => {
    const { doc } = validUpdate();
    const recorded = eventsOf(doc).get(0) as { id: string };
    eventsOf(doc).push([{ id: recorded.id, type: 'commented', note: '同号', actor: grid.user.id, role: grid.user.role, at: Date.now() }]);
    return Y.encodeStateAsUpdate(doc);
  } },
  { name: 'a flood of comments', reason: 'comment_flood', make: () => {
    const { doc } = validUpdate();
    eventsOf(doc).push(Array.from({ length: 50 }, () => ({ id: newId(), type: 'commented', note: '刷屏', actor: grid.user.id, role: grid.user.role, at: Date.now() })));
    return Y.encodeStateAsUpdate(doc);
  } },
];

const push = (items: { docId: string; seq: number; update: Uint8Array }[]): ClientMessage => ({ t: 'push', batch: 1, items });

/** One frame of hostile input. */
const frame: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  // A valid push, then bytes flipped, cut short or appended.
  fc.tuple(fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 8 }), fc.nat(), fc.uint8Array({ maxLength: 40 })).map(([seq, flips, cut, tail]) => {
    const { docId, update } = validUpdate();
    const bytes = encodeFrame(push([{ docId, seq: (seq % 1000) + 1, update }]));
    for (const [at, value] of flips) bytes[at % bytes.length] = value;
    const end = cut % 3 === 0 ? cut % bytes.length : bytes.length;
    return new Uint8Array([...bytes.subarray(0, end), ...tail]);
  }),
  // Well-framed messages with garbage inside.
  fc.record({ seq: fc.integer({ min: -5, max: 2 ** 40 }), update: fc.uint8Array({ maxLength: 300 }), docId: fc.oneof(fc.constant(newId()), fc.string()) }).map(({ seq, update, docId }) => {
    try {
      return encodeFrame(push([{ docId, seq, update }]));
    } catch {
      return update;
    }
  }),
  // Decodable documents that break the rules.
  fc.constantFrom(...wrongDocs).map(({ make }) => encodeFrame(push([{ docId: newId(), seq: Math.floor(Math.random() * 1e6) + 1, update: make() }]))),
  // A second hello, and JSON where binary belongs.
  fc.constant(encodeFrame({ t: 'hello', token: 'x', deviceId: newId(), cursor: 0 })),
);

interface Outcome {
  sent: number;
  errors: Record<string, number>;
  acks: number;
  closes: number;
}

/** One socket's share: hello, then frames at just under the rate limit, reconnecting when cut. */
async function fuzzer(frames: Uint8Array[], out: Outcome): Promise<void> {
  let at = 0;
  while (at < frames.length) {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/sync`);
    ws.binaryType = 'arraybuffer';
    await new Promise<void>((resolve) => {
      ws.on('message', (data: ArrayBuffer) => {
        try {
          const msg = decodeServerFrame(new Uint8Array(data));
          if (msg.t === 'error') out.errors[msg.code] = (out.errors[msg.code] ?? 0) + 1;
          if (msg.t === 'ack') out.acks++;
        } catch {
          out.errors.unreadable = (out.errors.unreadable ?? 0) + 1;
        }
      });
      ws.on('close', () => {
        out.closes++;
        resolve();
      });
      ws.on('error', () => undefined);
      ws.on('open', async () => {
        ws.send(encodeFrame({ t: 'hello', token: grid.token, deviceId: newId(), cursor: 0 }));
        while (at < frames.length && ws.readyState === WebSocket.OPEN) {
          ws.send(frames[at++]!);
          out.sent++;
          await new Promise((res) => setTimeout(res, 1000 / (SYNC_RATE.perSecond - 2)));
        }
        ws.close();
      });
    });
  }
}

describe('hostile frames against a running server', () => {
  it('refuses each hand-made wrong document with its own reason, and stores none of them', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/sync`);
    ws.binaryType = 'arraybuffer';
    const messages: ReturnType<typeof decodeServerFrame>[] = [];
    ws.on('message', (data: ArrayBuffer) => messages.push(decodeServerFrame(new Uint8Array(data))));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(encodeFrame({ t: 'hello', token: grid.token, deviceId: newId(), cursor: 0 }));
    await until(() => messages.some((m) => m.t === 'welcome'), 10_000, 'welcome');
    const items = wrongDocs.map((w, i) => ({ docId: newId(), seq: i + 1, update: w.make() }));
    const before = await server.store.updateCount();
    ws.send(encodeFrame(push(items)));
    await until(() => messages.some((m) => m.t === 'ack'), 10_000, 'ack');
    const ack = messages.find((m) => m.t === 'ack') as Extract<ReturnType<typeof decodeServerFrame>, { t: 'ack' }>;
    expect(ack.accepted).toEqual([]);
    const got = Object.fromEntries(ack.rejected.map((r) => [wrongDocs[r.seq - 1]!.name, r.reason]));
    expect(got).toEqual(Object.fromEntries(wrongDocs.map((w) => [w.name, w.reason])));
    expect(await server.store.updateCount()).toBe(before);
    ws.close();
  });

  it(`answers ${FRAMES} random and mutated frames without failing, storing nothing invalid, while a phone syncs undisturbed`, async () => {
    // The bystander: a town official's phone, connected throughout.
    const bystander: Device = await device(server, await login(server, 'town'));
    bystander.engine.start();
    await bystander.settled();
    let drops = 0;
    let online = true;
    bystander.engine.subscribe((s) => {
      if (online && s.link !== 'online') drops++;
      online = s.link === 'online';
    });

    const frames = fc.sample(frame, { numRuns: FRAMES, seed: 4242 });
    const out: Outcome = { sent: 0, errors: {}, acks: 0, closes: 0 };
    const share = Math.ceil(frames.length / SOCKETS);
    await Promise.all(Array.from({ length: SOCKETS }, (_, i) => fuzzer(frames.slice(i * share, (i + 1) * share), out)));

    // The server is up, and an honest appeal still reaches the bystander.
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    const honest = await device(server, grid);
    const r = await recordAppeal(honest.db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'yellow', villageCode: village, description: '真实诉求：桥面裂缝', citizen: { anonymous: true } }, honest.who);
    if (!r.ok) throw new Error('not recorded');
    honest.engine.start();
    await honest.settled();
    await until(async () => (await bystander.db.appeals.get(r.value.id)) !== undefined, 10_000, 'the honest appeal reaches the bystander');

    // Every stored appeal validates against the county's real villages, was created by the
    // only user who pushed (grid) in its own name, and holds only well-formed events.
    const villages = new Set((await server.store.regionsUnder([village.slice(0, 6)])).filter((r) => r.level === 'village').map((r) => r.code));
    const rows = await server.store.appealRows();
    let invalid = 0;
    for (const row of rows) {
      const snapshot = readAppeal(docFromUpdates(await server.store.docParts(row.id)), row.id);
      const fields = validateStoredFields(snapshot.fields, snapshot.description, (code) => villages.has(code));
      const first = snapshot.events[0] as { type?: string; actor?: string } | undefined;
      const byCreator = snapshot.fields.createdBy === grid.user.id && first?.type === 'recorded' && first.actor === grid.user.id;
      if (!fields.ok || !byCreator || !snapshot.events.every(isAppealEvent)) invalid++;
    }
    console.log(`fuzzing: ${out.sent} frames from ${SOCKETS} sockets; ${out.acks} acks, errors ${JSON.stringify(out.errors)}, ${out.closes} sockets closed; server_error 0 expected, got ${out.errors.server_error ?? 0}; stored ${rows.length} appeals, ${invalid} invalid; bystander drops ${drops}`);
    expect(out.sent).toBe(FRAMES);
    expect(out.errors.server_error ?? 0).toBe(0);
    expect(out.errors.unreadable ?? 0).toBe(0);
    expect(invalid).toBe(0);
    expect(drops).toBe(0);
    honest.close();
    bystander.close();
  }, scale(120_000, 900_000));
});
