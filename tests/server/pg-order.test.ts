import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { startServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { dropPgSchema, openPgStore } from '../../server/store/postgres';
import { markInFlight, namespaceOf, RELEASE_MARKERS } from '../../server/store/sync-log/pg-locks';
import type { Store } from '../../server/store/types';
import { storeUpdate, type Committed } from '../../server/sync/bus';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { readAppeal, writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { decodeServerFrame, encodeFrame, type ServerMessage } from '../../src/core/protocol';
import { login, until } from '../helpers/clients';
import { freshPgSchema } from '../helpers/pushing-phones';
import { PG_URL, tempDir } from '../helpers/server';

// On PostgreSQL push transactions run side by side, so a smaller sequence number can commit
// after a larger one. The promise that replaced the one global lock: nothing past the safe
// head is served. A client catching up between the two commits gets a cursor below the
// smaller number, and the commit notified first is held until the smaller one is settled.

const pgUp = process.env.MINSHENG_TEST_PG_UP === '1';
if (!pgUp) console.warn('push ordering on PostgreSQL: SKIPPED (no PostgreSQL reachable)');

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropPgSchema(PG_URL, s);
});
const freshSchema = () => {
  const s = `order_${process.pid}_${schemas.length}_${Date.now() % 100000}`;
  schemas.push(s);
  return s;
};

function appeal(village: string, author: { id: string; role: 'grid_worker' }) {
  const id = newId();
  const doc = new Y.Doc();
  writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.water', kind: 'help', urgency: 'yellow', villageCode: village, description: '自来水停了', citizen: { anonymous: true } }, author, Date.now(), newId());
  return { id, doc };
}

const store1 = (store: Store, a: { id: string; doc: Y.Doc }, device: string, userId: string) =>
  store.inPushTx((tx) => storeUpdate(tx, { docId: a.id, deviceId: device, clientSeq: 1, userId, bytes: Y.encodeStateAsUpdate(a.doc) }, readAppeal(a.doc, a.id), Date.now(), POLICY_PRESETS.lanling));

/** Begins a push of `a` that has taken its sequence number and waits, uncommitted, for `commit()`. */
async function openPush(store: Store, a: { id: string; doc: Y.Doc }, userId: string) {
  let commit!: () => void;
  const gate = new Promise<void>((r) => (commit = r));
  let took!: (c: Committed) => void;
  const taken = new Promise<Committed>((r) => (took = r));
  const done = store.inPushTx(async (tx) => {
    const c = await storeUpdate(tx, { docId: a.id, deviceId: 'slow', clientSeq: 1, userId, bytes: Y.encodeStateAsUpdate(a.doc) }, readAppeal(a.doc, a.id), Date.now(), POLICY_PRESETS.lanling);
    took(c);
    await gate;
    return c;
  });
  return { seq: (await taken).seq, commit: async () => (commit(), done) };
}
/** Open pushes a failed test leaves: committed before its store closes, which would wait for them. */
const open = new Set<() => Promise<unknown>>();

/** Catches up from `cursor` over the real protocol: the documents sent and the cursor it ends with. */
async function catchUp(url: string, token: string, cursor: number): Promise<{ docs: string[]; cursor: number }> {
  const ws = new WebSocket(url.replace('http', 'ws') + '/sync');
  ws.binaryType = 'arraybuffer';
  const docs: string[] = [];
  try {
    return await new Promise((resolve, reject) => {
      ws.on('message', (d: ArrayBuffer) => {
        const m = decodeServerFrame(new Uint8Array(d)) as ServerMessage;
        if (m.t !== 'changes') return;
        docs.push(...m.items.map((i) => i.docId));
        if (!m.more) resolve({ docs, cursor: m.cursor ?? cursor });
      });
      ws.once('error', reject);
      ws.once('open', () => ws.send(encodeFrame({ t: 'hello', token, deviceId: newId(), cursor })));
    });
  } finally {
    ws.close();
  }
}

describe.skipIf(!pgUp)('push transactions side by side on PostgreSQL', () => {
  it('holds the safe head and the commit notifications below a smaller sequence number still in flight', async () => {
    const store = await openPgStore(PG_URL, freshSchema());
    const notified: number[][] = [];
    const stop = await store.subscribeCommits!((commits) => notified.push(commits.map((c) => c.seq)));
    try {
      const author = { id: newId(), role: 'grid_worker' as const };
      const slow = await openPush(store, appeal('371324101201', author), author.id);
      open.add(slow.commit);
      const fast = await store1(store, appeal('371324102203', author), 'fast', author.id);
      expect(fast.seq).toBeGreaterThan(slow.seq);
      // The larger number is committed, the smaller is not: neither may be served yet.
      expect(await store.head()).toBeLessThan(slow.seq);
      await new Promise((r) => setTimeout(r, 150));
      expect(notified).toEqual([]);

      await slow.commit();
      await until(() => notified.flat().length === 2, 5_000, 'both commits handed on');
      // Handed on in sequence order, not commit order.
      expect(notified.flat()).toEqual([slow.seq, fast.seq]);
      expect(await store.head()).toBeGreaterThanOrEqual(fast.seq);
    } finally {
      for (const c of open) await c();
      open.clear();
      await stop();
      await store.close();
    }
  });

  it('keeps a committed push past the safe head until its commit is announced', async () => {
    // The announcement goes in its own transaction after the push's COMMIT (so pushes do not
    // wait in line for the notification lock): in between, the marker must still hold the head.
    const schema = freshSchema();
    const store = await openPgStore(PG_URL, schema);
    const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await c.connect();
    try {
      const ns = namespaceOf(schema);
      const head = async () => Number((await store.head()) ?? 0);
      await c.query('BEGIN');
      await c.query(markInFlight(ns));
      const seq = Number((await c.query<{ s: string }>("SELECT nextval(pg_get_serial_sequence('updates', 'seq')) AS s")).rows[0]!.s);
      await c.query('COMMIT');
      expect(await head()).toBeLessThan(seq);
      await c.query(RELEASE_MARKERS);
      expect(await head()).toBeGreaterThanOrEqual(seq);
    } finally {
      await c.end();
      await store.close();
    }
  });

  it('lets go of the marker of a push that rolled back', async () => {
    const store = await openPgStore(PG_URL, freshSchema());
    try {
      const author = { id: newId(), role: 'grid_worker' as const };
      const a = appeal('371324101201', author);
      let taken = 0;
      const failed = store.inPushTx(async (tx) => {
        taken = (await storeUpdate(tx, { docId: a.id, deviceId: 'gone', clientSeq: 1, userId: author.id, bytes: Y.encodeStateAsUpdate(a.doc) }, readAppeal(a.doc, a.id), Date.now(), POLICY_PRESETS.lanling)).seq;
        throw new Error('refused after taking a number');
      });
      await expect(failed).rejects.toThrow('refused after taking a number');
      // Its number is abandoned: a marker left on its pooled connection would hold the head below it.
      expect(await store.head()).toBeGreaterThanOrEqual(taken);
    } finally {
      await store.close();
    }
  });

  it('hears only its own deployment\'s commits when two share a database, each schema named only in its URL', async () => {
    // How an operator runs a county and its city on one database: DATABASE_URL with a search_path.
    const urlOf = async (prefix: string) => {
      const { schema, url } = await freshPgSchema(PG_URL, prefix);
      schemas.push(schema);
      return url;
    };
    const county = await openPgStore(await urlOf('order_county'));
    const city = await openPgStore(await urlOf('order_city'));
    const heard = { county: [] as string[], city: [] as string[] };
    const stops = [await county.subscribeCommits!((cs) => heard.county.push(...cs.map((c) => c.docId))), await city.subscribeCommits!((cs) => heard.city.push(...cs.map((c) => c.docId)))];
    try {
      const author = { id: newId(), role: 'grid_worker' as const };
      // The city's log runs ahead, so the county's sequence numbers are below its safe head.
      const cityOwn = [appeal('371324101201', author), appeal('371324101201', author), appeal('371324101201', author)];
      for (const [i, a] of cityOwn.entries()) await store1(city, a, `city-phone-${i}`, author.id);
      await until(() => heard.city.length === 3, 5_000, 'the city hears its own commits');
      const countyOwn = appeal('371324102203', author);
      await store1(county, countyOwn, 'county-phone', author.id);
      await until(() => heard.county.length === 1, 5_000, 'the county hears its own commit');
      await new Promise((r) => setTimeout(r, 300));
      expect(heard.city).toEqual(cityOwn.map((a) => a.id));
      expect(heard.county).toEqual([countyOwn.id]);
    } finally {
      for (const stop of stops) await stop();
      await county.close();
      await city.close();
    }
  });

  it('never gives a catching-up client a cursor past a smaller sequence number that commits later', async () => {
    const schema = freshSchema();
    const server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }), await openPgStore(PG_URL, schema));
    try {
      const grid = await login(server, 'grid');
      const village = grid.user.scope.regions[0]!;
      const author = { id: grid.user.id, role: 'grid_worker' as const };
      const before = await catchUp(server.url, grid.token, 0);

      const a = appeal(village, author);
      const b = appeal(village, author);
      const slow = await openPush(server.store, a, author.id);
      open.add(slow.commit);
      const fast = await store1(server.store, b, 'fast', author.id);
      expect(fast.seq).toBeGreaterThan(slow.seq);

      // Between the two commits: the client may get b, but its cursor stays below a's number.
      const between = await catchUp(server.url, grid.token, before.cursor);
      expect(between.cursor).toBeLessThan(slow.seq);
      expect(between.docs).not.toContain(a.id);

      await slow.commit();
      // Resuming from that cursor brings a: nothing was stepped over.
      const after = await catchUp(server.url, grid.token, between.cursor);
      expect(after.docs).toContain(a.id);
      expect(after.cursor).toBeGreaterThanOrEqual(fast.seq);
    } finally {
      for (const c of open) await c();
      open.clear();
      await server.close();
    }
  });
});
