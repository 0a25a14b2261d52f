import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningServer } from '../../server/app';
import { storeUpdate } from '../../server/sync/bus';
import { createOutbox } from '../../server/uplink/outbox';
import { UPSTREAM_DEVICE } from '../../server/uplink/take-in';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, docFromUpdates, readAppeal, writeNewAppeal } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { newId } from '../../src/core/id';
import type { ClientMessage, ServerMessage } from '../../src/core/protocol';
import { ev, validInput } from '../core/fixtures';
import { startTestServer } from '../helpers/server';

// A county server's outbox, read page by page (issue 25): every document reaches the city
// whole, whichever page it falls in, however a drain is interrupted; what came from the city
// is not sent back.

type Push = Omit<Extract<ClientMessage, { t: 'push' }>, 'batch'>;
type Ack = Extract<ServerMessage, { t: 'ack' }>;

const COUNTY = '371324';
const VILLAGE = '371324102201';
let county: RunningServer;
const docs = new Map<string, Y.Doc>();
let seq = 0;

/** Stores one change of a document under `device`, as a push would. */
async function write(id: string, change: (doc: Y.Doc) => void, device = 'phone'): Promise<void> {
  const doc = docs.get(id) ?? new Y.Doc();
  docs.set(id, doc);
  const sv = Y.encodeStateVector(doc);
  change(doc);
  const bytes = Y.encodeStateAsUpdate(doc, sv);
  await county.store.inPushTx((tx) => storeUpdate(tx, { docId: id, deviceId: device, clientSeq: ++seq, userId: device, bytes }, readAppeal(doc, id), Date.now(), POLICY_PRESETS.lanling));
}

const record = (doc: Y.Doc) => writeNewAppeal(doc, validInput({ villageCode: VILLAGE, citizen: { anonymous: true } }), { id: 'public-suggestions', role: 'county_dispatcher' }, Date.now(), newId());
const comment = (doc: Y.Doc) => appendEvent(doc, ev('commented', { note: `第 ${seq} 条` }, { id: 'public-suggestions', role: 'county_dispatcher' }) as AppealEvent);

/** What the city would hold of each document from the items it received. */
function received(pushes: Push[]): Map<string, Y.Doc> {
  const out = new Map<string, Y.Doc>();
  for (const p of pushes) {
    for (const item of p.items) {
      const doc = out.get(item.docId) ?? new Y.Doc();
      out.set(item.docId, doc);
      Y.applyUpdate(doc, item.update);
    }
  }
  return out;
}

const acceptAll = (pushes: Push[]) => async (push: Push): Promise<Ack> => {
  pushes.push(push);
  return { t: 'ack', batch: 1, accepted: push.items.map((i) => i.seq), rejected: [] };
};

beforeAll(async () => {
  county = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REGION: COUNTY });
});
afterAll(() => county?.close());

describe('a county server’s outbox', () => {
  it('sends every document whole, page after page, though a later page’s documents began before its position; not what came from the city', async () => {
    const [a, b, c, d, fromCity] = [newId(), newId(), newId(), newId(), newId()];
    // Interleaved: each document's last change lies after the others' first ones.
    for (const id of [a, b, c, d, fromCity]) await write(id, record, id === fromCity ? UPSTREAM_DEVICE : 'phone');
    for (const id of [a, b, c, d]) await write(id, comment);
    await write(d, comment);
    await write(fromCity, comment, UPSTREAM_DEVICE);
    const outbox = createOutbox({ store: county.store, policy: POLICY_PRESETS.lanling, county: COUNTY, publish: () => undefined, pageDocs: 2 });
    const pushes: Push[] = [];
    expect(await outbox.drain(acceptAll(pushes))).toBe(4);
    expect(pushes.length).toBeGreaterThan(1);
    const atCity = received(pushes);
    expect([...atCity.keys()].sort()).toEqual([a, b, c, d].sort());
    for (const [id, doc] of atCity) {
      expect(doc.store.pendingStructs, `${id} complete`).toBeNull();
      expect(readAppeal(doc, id)).toEqual(readAppeal(docs.get(id)!, id));
    }
    // Drained: the cursor moved past everything, and nothing is sent again.
    expect(await outbox.pending()).toEqual([]);
    expect(await outbox.drain(acceptAll([]))).toBe(0);
  });

  it('resumes an interrupted drain where the city last acknowledged, and still sends each document whole', async () => {
    const ids = [newId(), newId(), newId(), newId(), newId()];
    for (const id of ids) await write(id, record);
    for (const id of ids) await write(id, comment);
    const outbox = createOutbox({ store: county.store, policy: POLICY_PRESETS.lanling, county: COUNTY, publish: () => undefined, pageDocs: 2 });
    const before: Push[] = [];
    let answered = 0;
    // The line drops after the city acknowledged one page.
    await expect(
      outbox.drain(async (push) => {
        if (answered++ === 1) throw new Error('the line to the city closed');
        return acceptAll(before)(push);
      }),
    ).rejects.toThrow(/closed/);
    expect(before).toHaveLength(1);
    const after: Push[] = [];
    await outbox.drain(acceptAll(after));
    // The acknowledged page is not sent again; the rest is, each document whole.
    const first = new Set(before[0]!.items.map((i) => i.docId));
    expect(after.flatMap((p) => p.items.map((i) => i.docId)).filter((id) => first.has(id))).toEqual([]);
    const atCity = received([...before, ...after]);
    expect([...atCity.keys()].sort()).toEqual([...ids].sort());
    for (const [id, doc] of atCity) {
      expect(doc.store.pendingStructs).toBeNull();
      expect(readAppeal(doc, id)).toEqual(readAppeal(docFromUpdates(await county.store.docParts(id)), id));
    }
  });
});
