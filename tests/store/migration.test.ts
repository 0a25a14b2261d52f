import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { POLICY_PRESETS, type DeadlinePolicy } from '../../src/core/deadline';
import { readAppeal } from '../../src/core/doc';
import { newEvalCode } from '../../src/core/evalcode';
import { newId } from '../../src/core/id';
import { alertFeed } from '../../src/core/alerts';
import { project } from '../../src/core/projection';
import type { Role, SessionUser } from '../../src/core/roles';
import { act, loadAppeal, recordAppeal } from '../../src/store/appeals';
import { APPEAL_UPDATES_TABLE, openDb, SCHEMA_VERSION, type MinshengDB } from '../../src/store/db';
import { scratchDoc } from '../../src/store/docs';
import { readMapAppeals } from '../../src/store/map-index';
import { getMeta } from '../../src/store/meta';
import { adoptPolicy, loadPolicy } from '../../src/store/policy';

// A phone updated to a new version opens its old database, whichever version wrote it:
// nothing recorded offline may be lost, unsent changes stay unsent, the rows are re-derived
// with today's columns from the documents, and the new tables and indexes work at once.
//
// Each old version's database is written here raw, in that version's own shapes (learned
// from the history of src/store/db.ts, src/core/projection.ts, src/core/doc.ts and
// src/store/policy.ts), never with today's code: today's recordAppeal would write rows that
// already have the new columns and documents in the new form, proving nothing.

const VILLAGE = '371324101201';
const TOWN = '371324101000';
/** Monday 2 March 2026, 09:00 in China: inside working hours, so deadlines run at once. */
const T0 = Date.UTC(2026, 2, 2, 1, 0);
const HOUR = 3_600_000;

const grid: SessionUser = { id: '0190a000-0000-7000-8000-000000000001', username: 'grid', displayName: '网格员 王芳', role: 'grid_worker', scope: { regions: [VILLAGE], departments: [] } };
const who = { id: grid.id, role: grid.role, name: grid.displayName, scope: grid.scope };
const official = { id: '0190a000-0000-7000-8000-000000000002', role: 'town_official' as Role, name: '镇干部 李强' };
const citizen = { name: '王大爷', phone: '13912345678' };

/** Appeal row columns of projection version 1 (fcc76fb): no pipeline columns yet. */
const V1_COLUMNS = ['id', 'status', 'tier', 'village', 'town', 'urgency', 'category', 'channel', 'kind', 'dept', 'createdBy', 'createdAt', 'updatedAt', 'dueAt', 'title', 'anonymous', 'conflicts', 'reopenCount'] as const;
/** Projection version 2 (8a97539, still current at fcdaf76): the pipeline's columns. */
const V2_COLUMNS = [...V1_COLUMNS, 'handler', 'stage', 'supervisionLevel', 'satisfaction', 'mergedInto'] as const;
/** Projection version 7 (54253bd), the last before today's 8: field capture, map, rankings, codes, board. */
const V7_COLUMNS = [
  ...V2_COLUMNS, 'meetingId', 'onSpot', 'attachments', 'lat', 'lng', 'repliedAt', 'closedAt', 'onTime', 'handlingMinutes', 'evalCode', 'publishedAt', 'publicSummary', 'publicReply',
] as const;

/** Projection version 8 (60a91b9), the last before the city tier: campaigns, adoption, reception days. */
const V8_COLUMNS = [...V7_COLUMNS, 'campaignId', 'adopted', 'receptionSlot'] as const;

/** The county policy a device kept in meta before `repeat` was configurable (a9a20ec). */
function policyWithoutRepeat(p: DeadlinePolicy): Record<string, unknown> {
  const stored: Record<string, unknown> = { ...p };
  delete stored.repeat;
  return stored;
}

interface Era {
  /** The Dexie schema version that device ran. */
  version: number;
  shipped: string;
  /** Its appeal rows' columns. */
  columns: readonly string[];
  /** The citizen's name and phone inside the document's fields (before the contacts table). */
  contactInDoc: boolean;
  /** Events carried the author's display name (`by`) from 8a97539 on. */
  eventsBy: boolean;
  /** New documents carried the citizen's evaluation code from 7c2db4b on. */
  evalCode: boolean;
  /** What it kept in meta about the deadline policy; none before policy.ts existed. */
  policy: { stored: Record<string, unknown>; projectedWith: string } | null;
  /** The policy the upgraded device must derive with: the stored one, or the fallback. */
  expectedPolicy: DeadlinePolicy;
}

const lanlingThen = policyWithoutRepeat(POLICY_PRESETS.lanling);
const lanling = { ...POLICY_PRESETS.lanling } as Record<string, unknown>;
const ERAS: Era[] = [
  // Before policy.ts: no policy, no projection version in meta, no deadlines on the device.
  { version: 1, shipped: 'fcc76fb', columns: V1_COLUMNS, contactInDoc: true, eventsBy: false, evalCode: false, policy: null, expectedPolicy: POLICY_PRESETS.linyi },
  // As shipped at 8a97539 the policy had no `repeat` yet (a9a20ec added it later in version 2).
  { version: 2, shipped: '8a97539', columns: V2_COLUMNS, contactInDoc: true, eventsBy: true, evalCode: false, policy: { stored: lanlingThen, projectedWith: `2:${JSON.stringify(lanlingThen)}` }, expectedPolicy: POLICY_PRESETS.lanling },
  { version: 3, shipped: 'fcdaf76', columns: V2_COLUMNS, contactInDoc: false, eventsBy: true, evalCode: false, policy: { stored: lanling, projectedWith: `2:${JSON.stringify(lanling)}` }, expectedPolicy: POLICY_PRESETS.lanling },
  // The last version of one county per deployment: its county stored with level 'city'.
  { version: 4, shipped: '60a91b9', columns: V8_COLUMNS, contactInDoc: false, eventsBy: true, evalCode: true, policy: { stored: lanling, projectedWith: `8:${JSON.stringify(lanling)}` }, expectedPolicy: POLICY_PRESETS.lanling },
  // The last version before grid patrols (6): the city tier, rows of an older projection.
  { version: 5, shipped: '897af75', columns: V7_COLUMNS, contactInDoc: false, eventsBy: true, evalCode: true, policy: { stored: lanling, projectedWith: `7:${JSON.stringify(lanling)}` }, expectedPolicy: POLICY_PRESETS.lanling },
  // The last version before village points (7): grid patrols, rows of an older projection.
  { version: 6, shipped: 'fe3426a', columns: V7_COLUMNS, contactInDoc: false, eventsBy: true, evalCode: true, policy: { stored: lanling, projectedWith: `7:${JSON.stringify(lanling)}` }, expectedPolicy: POLICY_PRESETS.lanling },
  // The last version before hand-over bundles (8): village points, rows of an older projection.
  { version: 7, shipped: '976a25d', columns: V7_COLUMNS, contactInDoc: false, eventsBy: true, evalCode: true, policy: { stored: lanling, projectedWith: `7:${JSON.stringify(lanling)}` }, expectedPolicy: POLICY_PRESETS.lanling },
  // The last version before the journal of acknowledged pushes (9): hand-over bundles carried.
  { version: 8, shipped: 'bc56bb5', columns: V7_COLUMNS, contactInDoc: false, eventsBy: true, evalCode: true, policy: { stored: lanling, projectedWith: `7:${JSON.stringify(lanling)}` }, expectedPolicy: POLICY_PRESETS.lanling },
  // The last version before the map's packs (10): the journal of acknowledged pushes.
  { version: 9, shipped: 'da6fc7f', columns: V7_COLUMNS, contactInDoc: false, eventsBy: true, evalCode: true, policy: { stored: lanling, projectedWith: `7:${JSON.stringify(lanling)}` }, expectedPolicy: POLICY_PRESETS.lanling },
];
/**
 * Today's schema with rows of an older projection version: no Dexie upgrade runs, only the
 * re-derivation on boot. The most common old device: every release since 2cb6b47 is one.
 */
const PROJECTION_ERAS: Era[] = [
  { version: SCHEMA_VERSION, shipped: '54253bd', columns: V7_COLUMNS, contactInDoc: false, eventsBy: true, evalCode: true, policy: { stored: lanling, projectedWith: `7:${JSON.stringify(lanling)}` }, expectedPolicy: POLICY_PRESETS.lanling },
];

interface Actor {
  id: string;
  role: Role;
  name: string;
}

/** An event as that version's code appended it. */
function eventOf(era: Era, actor: Actor, at: number, body: Record<string, unknown>): Record<string, unknown> {
  return { id: newId(), actor: actor.id, role: actor.role, at, ...(era.eventsBy ? { by: actor.name } : {}), ...body };
}

/** Runs `change` in one transaction and returns the V1 update it emitted, as the old store captured it. */
function change(doc: Y.Doc, mutate: () => void): Uint8Array {
  const captured: Uint8Array[] = [];
  const onUpdate = (u: Uint8Array) => captured.push(u);
  doc.on('update', onUpdate);
  doc.transact(mutate);
  doc.off('update', onUpdate);
  return Y.mergeUpdates(captured);
}

/** A new appeal's document as that version's writeNewAppeal filled it (never today's writeNewAppeal). */
function oldAppealDoc(era: Era, input: { urgency: string; kind: string; description: string }, actor: Actor, at: number): Y.Doc {
  const doc = new Y.Doc();
  doc.transact(() => {
    const fields = doc.getMap('fields');
    fields.set('channel', 'grid_patrol');
    fields.set('category', 'infra.water');
    fields.set('kind', input.kind);
    fields.set('urgency', input.urgency);
    fields.set('villageCode', VILLAGE);
    fields.set('citizen', era.contactInDoc ? { anonymous: false, ...citizen } : { anonymous: false });
    fields.set('gps', null);
    fields.set('createdBy', actor.id);
    fields.set('createdAt', at);
    if (era.evalCode) fields.set('evalCode', newEvalCode());
    doc.getText('text').insert(0, input.description);
    doc.getArray('events').push([eventOf(era, actor, at, { type: 'recorded' })]);
  });
  return doc;
}

/** The row that version stored: its own columns, derived as it derived them. */
function oldRow(era: Era, id: string, doc: Y.Doc): Record<string, unknown> {
  const full: Record<string, unknown> = { ...project(readAppeal(doc, id), era.expectedPolicy) };
  // Before policy.ts no deadline was computed on the device.
  if (!era.policy) full.dueAt = null;
  return Object.fromEntries(era.columns.map((c) => [c, full[c]]));
}

interface Fixture {
  /** Recorded on this device and never sent. */
  unsent: string;
  /** Recorded here, acknowledged, handled by the town, with one change of ours still pending. */
  synced: string;
  /** The documents as they were written: the truth both before and after are compared with. */
  docs: Map<string, Y.Doc>;
}

/** Writes what a device running `era` held, straight into its tables. */
async function writeEra(db: MinshengDB, era: Era): Promise<Fixture> {
  const updates = db.table(APPEAL_UPDATES_TABLE);
  const docs = new Map<string, Y.Doc>();
  await db.regions.bulkPut([
    // Every version before the city tier (5) stored the county with level 'city'.
    { code: '371324000000', name: '兰陵县', level: (era.version < 5 ? 'city' : 'county') as never, parent: null },
    { code: TOWN, name: '城关镇', level: 'town', parent: '371324000000' },
    { code: VILLAGE, name: '东村', level: 'village', parent: TOWN },
  ]);
  /** An outbox entry the server acknowledged: its seq was used, then the row deleted. */
  const sentAndAcked = async (docId: string, update: Uint8Array, at: number) => db.outbox.delete(await db.outbox.add({ docId, update, createdAt: at } as never));

  // The synced appeal: recorded here, sent and acknowledged.
  const synced = newId();
  const s = oldAppealDoc(era, { urgency: 'red', kind: 'help', description: '东村自来水停了三天。\n老人挑不动水。' }, who, T0);
  docs.set(synced, s);
  await db.appeals.add(oldRow(era, synced, s) as never);
  await updates.add({ k: synced, u: Y.encodeStateAsUpdateV2(s), f: 1 });
  await sentAndAcked(synced, Y.encodeStateAsUpdate(s), T0);
  // The town accepted and assigned it (from the server: no local flag).
  const fromServer = change(s, () =>
    s.getArray('events').push([eventOf(era, official, T0 + HOUR, { type: 'accepted' }), eventOf(era, official, T0 + 2 * HOUR, { type: 'assigned', tier: 'town', dept: 'water' })]),
  );
  await updates.add({ k: synced, u: Y.convertUpdateFormatV1ToV2(fromServer) });
  // Our description correction, acknowledged: text deleted and typed anew.
  const edit = change(s, () => {
    const text = s.getText('text');
    text.delete(7, 2);
    text.insert(7, '五天');
  });
  await updates.add({ k: synced, u: Y.convertUpdateFormatV1ToV2(edit), f: 1 });
  await sentAndAcked(synced, edit, T0 + 3 * HOUR);
  // A change the server refused: quarantined under its outbox seq, and rebuilt out of the document.
  const refusedDoc = new Y.Doc();
  Y.applyUpdate(refusedDoc, Y.encodeStateAsUpdate(s));
  const refused = change(refusedDoc, () => refusedDoc.getArray('events').push([eventOf(era, who, T0 + 4 * HOUR, { type: 'closed' })]));
  refusedDoc.destroy();
  const refusedSeq = await db.outbox.add({ docId: synced, update: refused, createdAt: T0 + 4 * HOUR } as never);
  await db.outbox.delete(refusedSeq);
  await db.quarantine.put({ seq: refusedSeq, docId: synced, update: refused, reason: 'forbidden', detail: 'a grid worker may not close', at: T0 + 5 * HOUR });
  // A comment of ours not sent yet.
  const comment = change(s, () => s.getArray('events').push([eventOf(era, who, T0 + 6 * HOUR, { type: 'commented', note: '已联系供水站' })]));
  await updates.add({ k: synced, u: Y.convertUpdateFormatV1ToV2(comment), f: 1 });
  await db.outbox.add({ docId: synced, update: comment, createdAt: T0 + 6 * HOUR } as never);
  await db.appeals.put(oldRow(era, synced, s) as never);

  // The unsent appeal: its whole state in one update row and one outbox entry.
  const unsent = newId();
  const u = oldAppealDoc(era, { urgency: 'orange', kind: 'complaint', description: '村口路灯坏了一个月，晚上看不见路。' }, who, T0 + 7 * HOUR);
  docs.set(unsent, u);
  await db.appeals.add(oldRow(era, unsent, u) as never);
  await updates.add({ k: unsent, u: Y.encodeStateAsUpdateV2(u), f: 1 });
  await db.outbox.add({ docId: unsent, update: Y.encodeStateAsUpdate(u), ...(era.contactInDoc ? {} : { contact: citizen }), createdAt: T0 + 7 * HOUR } as never);

  // Contacts lived beside the documents from version 3 on.
  if (!era.contactInDoc) {
    await db.contacts.bulkPut([
      { appealId: synced, ...citizen },
      { appealId: unsent, ...citizen },
    ]);
  }
  await db.meta.bulkPut([
    { key: 'deviceId', value: newId() },
    { key: 'cursor', value: 1234 },
    { key: 'session', value: { token: 'old-token', user: grid } },
    ...(era.policy
      ? [
          { key: 'policy', value: era.policy.stored },
          { key: 'projectedWith', value: era.policy.projectedWith },
        ]
      : []),
  ]);
  return { unsent, synced, docs };
}

function truthOf(docs: Map<string, Y.Doc>, id: string) {
  return readAppeal(docs.get(id)!, id);
}

/** Today's projection of a document, with the policy the device must be using. */
function expectedRow(doc: Y.Doc, id: string, policy: DeadlinePolicy): Record<string, unknown> {
  const snapshot = readAppeal(doc, id);
  // The alert feed (core/alerts.ts) is derived with the projection and rides on the row.
  return { ...project(snapshot, policy), alertFeed: alertFeed(snapshot.events, id) };
}

describe('schema upgrade', () => {
  it('has an old-database fixture for every shipped version before the current one', () => {
    expect(ERAS.map((e) => e.version)).toEqual(Array.from({ length: SCHEMA_VERSION - 1 }, (_, i) => i + 1));
  });

  describe.each([...ERAS, ...PROJECTION_ERAS])('from the database $shipped left (schema version $version)', (era) => {
    it('carries every appeal, change, refusal and setting, and re-derives the rows', async () => {
      const name = `upgrade-v${era.version}-${newId()}`;
      const old = openDb(name, era.version);
      const { unsent, synced, docs } = await writeEra(old, era);
      expect(old.verno).toBe(era.version);
      // The fixture is in the old shape: its rows lack today's columns.
      for (const row of await old.appeals.toArray()) expect(Object.keys({ ...row }).sort()).toEqual([...era.columns].sort());
      const before = {
        outbox: await old.outbox.toArray(),
        quarantine: await old.quarantine.toArray(),
        meta: await old.meta.toArray(),
        regions: await old.regions.toArray(),
        contacts: era.contactInDoc ? [] : await old.contacts.toArray(),
      };
      expect(before.outbox.map((r) => r.docId)).toEqual([synced, unsent]);
      expect(before.quarantine).toHaveLength(1);
      old.close();

      // Boot as the app does: open at the current version, then load the policy.
      const db = openDb(name);
      const policy = await loadPolicy(db);
      expect(db.verno).toBe(SCHEMA_VERSION);
      // The county's policy kept in meta is still the one in use (not the fallback preset).
      expect(policy).toEqual(era.expectedPolicy);

      for (const [id, doc] of docs) {
        // Every appeal reads back whole through y-dexie, as the detail page loads it.
        const truth = readAppeal(doc, id);
        const snapshot = await loadAppeal(db, id);
        expect(snapshot?.description).toBe(truth.description);
        expect(snapshot?.events).toEqual(truth.events);
        expect(snapshot?.fields).toEqual(truth.fields);
        // The CRDT itself is untouched: same items, same deletions.
        const stored = await scratchDoc(db, id);
        expect(Y.equalSnapshots(Y.snapshot(stored), Y.snapshot(doc))).toBe(true);
        stored.destroy();
        // The row is today's projection of the document: every new column, nothing stale.
        const row = await db.appeals.get(id);
        expect({ ...row }).toEqual(expectedRow(doc, id, era.expectedPolicy));
      }
      const syncedSnapshot = await loadAppeal(db, synced);
      expect(syncedSnapshot?.description).toBe('东村自来水停了五天。\n老人挑不动水。');
      expect(syncedSnapshot?.events.map((e) => (e as { type: string }).type)).toEqual(['recorded', 'accepted', 'assigned', 'commented']);
      expect(await db.appeals.get(synced)).toMatchObject({ status: 'assigned', tier: 'town', dept: 'water', title: '东村自来水停了五天。', meetingId: null, onSpot: false });
      expect((await db.appeals.get(synced))?.evalCode).toEqual(era.evalCode ? truthOf(docs, synced).fields.evalCode : null);
      expect((await db.appeals.get(synced))?.dueAt).toEqual(expect.any(Number));

      // Name and phone: older documents keep theirs (nothing rewrites a CRDT in place); from
      // version 3 they live in the contacts table, which is carried over.
      if (era.contactInDoc) {
        expect((await loadAppeal(db, unsent))?.fields.citizen).toEqual({ anonymous: false, ...citizen });
        expect(await db.contacts.count()).toBe(0);
      } else {
        expect((await loadAppeal(db, unsent))?.fields.citizen).toEqual({ anonymous: false });
        expect(await db.contacts.toArray()).toEqual(before.contacts);
      }

      // Unsent changes stay unsent, byte for byte; refusals and settings are kept.
      expect(await db.outbox.toArray()).toEqual(before.outbox);
      expect(await db.quarantine.toArray()).toEqual(before.quarantine);
      // The county is a county now; nothing else about the regions changed.
      expect(await db.regions.toArray()).toEqual(before.regions.map((r) => (r.code === '371324000000' ? { ...r, level: 'county' } : r)));
      expect(await db.regions.where('level').equals('county').count()).toBe(1);
      for (const { key, value } of before.meta) {
        if (key !== 'projectedWith') expect(await getMeta(db, key), key).toEqual(value);
      }
      expect(await getMeta(db, 'projectedWith')).not.toBe(era.policy?.projectedWith);

      // The map draws every appeal as re-derived, packed from the rows on its first read.
      const drawn = await readMapAppeals(db);
      expect(drawn.map((a) => a.id).sort()).toEqual([synced, unsent].sort());
      expect(drawn.find((a) => a.id === synced)).toMatchObject({ status: 'assigned', village: VILLAGE, title: '东村自来水停了五天。' });
      expect(await db.mapDeltas.count()).toBe(0);

      // Indexes old and new answer.
      expect(await db.appeals.where('dept').equals('water').primaryKeys()).toEqual([synced]);
      expect(await db.appeals.where('tier').equals('town').primaryKeys()).toEqual([synced]);
      expect(await db.appeals.where('status').equals('new').primaryKeys()).toEqual([unsent]);
      expect(await db.appeals.where('village').equals(VILLAGE).count()).toBe(2);
      expect(await db.appeals.orderBy('updatedAt').primaryKeys()).toEqual([synced, unsent]);
      expect(await db.appeals.where('meetingId').equals('none').count()).toBe(0);
      expect(await db.outbox.where('docId').equals(synced).count()).toBe(1);
      expect(await db.quarantine.where('docId').equals(synced).count()).toBe(1);
      await db.meetings.put({ id: newId(), village: VILLAGE, town: TOWN, heldOn: '2026-03-02' } as never);
      expect(await db.meetings.where('village').equals(VILLAGE).count()).toBe(1);
      await db.patrols.put({ id: newId(), village: VILLAGE, town: TOWN, day: '2026-03-02', createdBy: 'u', startedAt: 1 } as never);
      expect(await db.patrols.where('day').equals('2026-03-02').count()).toBe(1);
      await db.files.put({ hash: 'a'.repeat(64), type: 'image/jpeg', size: 3, blob: new Blob([new Uint8Array([1, 2, 3])]), pending: 1, sent: 0, createdAt: 1 });
      expect(await db.files.where('pending').equals(1).count()).toBe(1);

      // And the upgraded database takes new work: on an old appeal and a new one.
      const lastSeq = Math.max(...before.outbox.map((r) => r.seq), ...before.quarantine.map((r) => r.seq));
      expect((await act(db, unsent, grid, { type: 'commented', note: '已报修' })).ok).toBe(true);
      const outbox = await db.outbox.toArray();
      expect(outbox.slice(0, before.outbox.length)).toEqual(before.outbox);
      expect(outbox).toHaveLength(before.outbox.length + 1);
      // A new seq: a reused one would overwrite the quarantined change's key.
      expect(outbox.at(-1)?.seq).toBeGreaterThan(lastSeq);
      expect((await loadAppeal(db, unsent))?.events.map((e) => (e as { type: string }).type)).toEqual(['recorded', 'commented']);
      const after = await scratchDoc(db, unsent);
      expect({ ...(await db.appeals.get(unsent)) }).toEqual(expectedRow(after, unsent, era.expectedPolicy));
      after.destroy();
      const recorded = await recordAppeal(db, { channel: 'grid_patrol', category: 'infra.water', kind: 'help', urgency: 'red', villageCode: VILLAGE, description: '西头水管又漏了。', citizen: { anonymous: false, ...citizen } }, who);
      if (!recorded.ok) throw new Error('not recorded');
      expect(await db.contacts.get(recorded.value.id)).toEqual({ appealId: recorded.value.id, ...citizen });
      expect(await db.outbox.count()).toBe(before.outbox.length + 2);

      // Re-derived once: the next boot, and the server's welcome with the same policy (its
      // keys in the server's order), leave the rows alone. A row marked by hand shows it.
      await db.appeals.update(synced, { title: 'marked' });
      db.close();
      const next = openDb(name);
      expect(await loadPolicy(next)).toEqual(era.expectedPolicy);
      await adoptPolicy(next, JSON.parse(JSON.stringify(era.expectedPolicy)) as DeadlinePolicy);
      expect((await next.appeals.get(synced))?.title).toBe('marked');
      next.close();
    });
  });
});
