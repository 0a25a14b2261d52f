import fc from 'fast-check';
import * as Y from 'yjs';
import { MAX_WORKFLOW_EVENTS } from '../../src/core/budget';
import { describe, expect, it } from 'vitest';
import { checkUpdate, type CheckContext, type UpdateCheck } from '../../src/core/accept';
import { POLICY_PRESETS } from '../../src/core/deadline';
import type { AppealInput } from '../../src/core/appeal';
import { appendEvent, eventsOf, fieldsOf, textOf, writeNewAppeal, type Actor } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { newId } from '../../src/core/id';
import { MAX_DESCRIPTION_CHARS, MAX_EVENTS_PER_APPEAL, MAX_UPDATE_BYTES } from '../../src/core/limits';
import type { SessionUser } from '../../src/core/roles';
import { OTHER_TOWN_VILLAGE, ev, gridWorker, knownVillage, townOfficial, validInput } from './fixtures';

const asActor = (u: SessionUser): Actor => ({ id: u.id, role: u.role });
const ctxFor = (user: SessionUser): CheckContext => ({ user, knownVillage, policy: POLICY_PRESETS.lanling });

/** A user who may see the whole county. */
const dispatcher: SessionUser = { ...townOfficial, id: 'u-city', username: 'city1', role: 'city_dispatcher', scope: { regions: ['371324'], departments: [] } };

/** A new appeal doc and its full-state update. */
function newAppeal(by: SessionUser = gridWorker, input: Partial<AppealInput> = {}) {
  const id = newId();
  const doc = new Y.Doc();
  writeNewAppeal(doc, validInput(input), asActor(by), 1_700_000_000_000, newId());
  return { id, doc, update: Y.encodeStateAsUpdate(doc) };
}

/** The server's copy of an accepted appeal plus a client replica of it. */
function stored(by: SessionUser = gridWorker, input: Partial<AppealInput> = {}) {
  const { id, doc: server } = newAppeal(by, input);
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
  return { id, server, client };
}

/** What `change` does to the client, as an incremental update against the server's state. */
function diff(client: Y.Doc, server: Y.Doc, change: () => void): Uint8Array {
  const sv = Y.encodeStateVector(server);
  change();
  return Y.encodeStateAsUpdate(client, sv);
}

function expectReject(r: UpdateCheck, reason: string): void {
  expect(r.ok ? 'ok' : r.reason, r.ok ? '' : r.detail).toBe(reason);
}

describe('checkUpdate: new appeals', () => {
  it('accepts a valid new appeal by the pushing user and returns the merged doc', () => {
    const { id, update } = newAppeal();
    const r = checkUpdate(id, null, update, ctxFor(gridWorker));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.changed).toBe(true);
    expect(r.snapshot.id).toBe(id);
    expect(r.snapshot.description).toBe(validInput().description);
    expect(r.snapshot.fields).toMatchObject({ villageCode: validInput().villageCode, createdBy: gridWorker.id });
    expect(r.snapshot.events).toHaveLength(1);
    expect(eventsOf(r.doc).toArray()).toEqual(r.snapshot.events);
  });

  it('refuses a new appeal recorded by another user: not_creator', () => {
    const { id, update } = newAppeal(townOfficial);
    expectReject(checkUpdate(id, null, update, ctxFor(gridWorker)), 'not_creator');
  });

  it('refuses a new appeal whose fields name the user but whose recorded event does not: not_creator', () => {
    const id = newId();
    const doc = new Y.Doc();
    writeNewAppeal(doc, validInput(), asActor(gridWorker), 1, newId());
    doc.transact(() => {
      eventsOf(doc).delete(0, 1);
      eventsOf(doc).push([ev('recorded', {}, asActor(townOfficial))]);
    });
    expectReject(checkUpdate(id, null, Y.encodeStateAsUpdate(doc), ctxFor(gridWorker)), 'not_creator');
  });

  it('refuses a village outside the user scope: out_of_scope', () => {
    const { id, update } = newAppeal(gridWorker, { villageCode: OTHER_TOWN_VILLAGE });
    expectReject(checkUpdate(id, null, update, ctxFor(gridWorker)), 'out_of_scope');
    // The same appeal is fine for someone whose scope covers the county.
    expect(checkUpdate(id, null, newAppeal(dispatcher, { villageCode: OTHER_TOWN_VILLAGE }).update, ctxFor(dispatcher)).ok).toBe(true);
  });

  it('refuses invalid fields: invalid_fields', () => {
    const { id, doc } = newAppeal();
    fieldsOf(doc).set('urgency', 'purple');
    const r = checkUpdate(id, null, Y.encodeStateAsUpdate(doc), ctxFor(gridWorker));
    expectReject(r, 'invalid_fields');
    expect(!r.ok && r.detail).toContain('urgency: invalid_choice');
  });

  it('refuses a village the county does not know: invalid_fields', () => {
    const { id, update } = newAppeal(gridWorker, { villageCode: '371324102299' });
    expectReject(checkUpdate(id, null, update, ctxFor(gridWorker)), 'invalid_fields');
  });

  it('refuses a document whose first event is not "recorded": not_recorded', () => {
    const id = newId();
    const doc = new Y.Doc();
    writeNewAppeal(doc, validInput(), asActor(gridWorker), 1, newId());
    eventsOf(doc).insert(0, [ev('commented', {}, asActor(gridWorker))]);
    expectReject(checkUpdate(id, null, Y.encodeStateAsUpdate(doc), ctxFor(gridWorker)), 'not_recorded');
    const empty = new Y.Doc();
    const { description, ...fields } = validInput();
    empty.transact(() => {
      for (const [k, v] of Object.entries({ ...fields, citizen: { anonymous: false }, createdBy: gridWorker.id, createdAt: 1 })) fieldsOf(empty).set(k, v);
      textOf(empty).insert(0, description);
    });
    expectReject(checkUpdate(id, null, Y.encodeStateAsUpdate(empty), ctxFor(gridWorker)), 'not_recorded');
  });

  it('refuses an over-long description: description_too_long', () => {
    const { id, doc } = newAppeal();
    textOf(doc).insert(0, 'x'.repeat(MAX_DESCRIPTION_CHARS));
    expectReject(checkUpdate(id, null, Y.encodeStateAsUpdate(doc), ctxFor(gridWorker)), 'description_too_long');
  });

  it('refuses an extra root type: unknown_root', () => {
    const { id, doc } = newAppeal();
    doc.getMap('evil').set('x', 1);
    const r = checkUpdate(id, null, Y.encodeStateAsUpdate(doc), ctxFor(gridWorker));
    expectReject(r, 'unknown_root');
    expect(!r.ok && r.detail).toContain('evil');
  });

  it('refuses an update over the byte limit before parsing it: too_large', () => {
    const r = checkUpdate(newId(), null, new Uint8Array(MAX_UPDATE_BYTES + 1), ctxFor(gridWorker));
    expectReject(r, 'too_large');
  });

  it('refuses more steps than an appeal may hold: too_many_events', () => {
    const { id, doc } = newAppeal();
    doc.transact(() => {
      for (let i = 0; i < MAX_WORKFLOW_EVENTS; i++) appendEvent(doc, ev('accepted', {}, asActor(gridWorker)));
    });
    expectReject(checkUpdate(id, null, Y.encodeStateAsUpdate(doc), ctxFor(gridWorker)), 'too_many_events');
  });

  it('refuses truncated update bytes without throwing: malformed_update', () => {
    const { id, update } = newAppeal();
    // Every proper prefix, including the empty one.
    for (let cut = 0; cut < update.length; cut++) {
      expectReject(checkUpdate(id, null, update.slice(0, cut), ctxFor(gridWorker)), 'malformed_update');
    }
  });

  it('property: arbitrary or corrupted bytes never throw and never pass as a new appeal', () => {
    const { id, update } = newAppeal();
    const corrupt = fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.nat()).map(([at, byte, cut]) => {
      const u = update.slice(0, Math.max(1, update.length - (cut % update.length)));
      u[at % u.length] = byte;
      return u;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), corrupt), (bytes) => {
        let r: UpdateCheck | undefined;
        expect(() => (r = checkUpdate(id, null, bytes, ctxFor(gridWorker)))).not.toThrow();
        // A lucky corruption may still be a valid appeal; then it passed every rule.
        if (r!.ok) expect(r!.snapshot.fields.createdBy).toBe(gridWorker.id);
      }),
      { numRuns: 300 },
    );
  });
});

describe('checkUpdate: existing appeals', () => {
  it('accepts an event appended by the user as themselves', () => {
    const { id, server, client } = stored();
    const e = ev('commented', {}, asActor(gridWorker));
    const u = diff(client, server, () => appendEvent(client, e));
    const r = checkUpdate(id, server, u, ctxFor(gridWorker));
    expect(r.ok).toBe(true);
    expect(r.ok && r.changed).toBe(true);
    expect(r.ok && r.snapshot.events.at(-1)).toEqual(e);
  });

  it('reports changed=false for an update the server already has', () => {
    const { id, server } = stored();
    const r = checkUpdate(id, server, Y.encodeStateAsUpdate(server), ctxFor(gridWorker));
    expect(r.ok && r.changed).toBe(false);
  });

  it('never modifies the current document', () => {
    const { id, server, client } = stored();
    const sv = Y.encodeStateVector(server);
    const u = diff(client, server, () => appendEvent(client, ev('commented', {}, asActor(townOfficial))));
    expectReject(checkUpdate(id, server, u, ctxFor(gridWorker)), 'foreign_author');
    const fresh = new Y.Doc();
    Y.applyUpdate(fresh, Y.encodeStateAsUpdate(server));
    const good = diff(fresh, server, () => appendEvent(fresh, ev('commented', {}, asActor(gridWorker))));
    expect(checkUpdate(id, server, good, ctxFor(gridWorker)).ok).toBe(true);
    expect(Y.encodeStateVector(server)).toEqual(sv);
    expect(eventsOf(server).length).toBe(1);
  });

  it('refuses an update that deletes an existing event: events_removed', () => {
    const { id, server, client } = stored();
    const accepted = ev('accepted', {}, asActor(townOfficial));
    appendEvent(server, accepted);
    Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
    const u = diff(client, server, () => eventsOf(client).delete(1, 1));
    const r = checkUpdate(id, server, u, ctxFor(gridWorker));
    expectReject(r, 'events_removed');
    expect(!r.ok && r.detail).toContain(accepted.id);
  });

  it('refuses an update that rewrites an existing event in place: events_removed', () => {
    const { id, server, client } = stored();
    appendEvent(server, ev('commented', {}, asActor(gridWorker)));
    Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
    const u = diff(client, server, () =>
      client.transact(() => {
        const old = eventsOf(client).get(1) as AppealEvent;
        eventsOf(client).delete(1, 1);
        eventsOf(client).insert(1, [{ ...old, note: 'rewritten' }]);
      }),
    );
    expectReject(checkUpdate(id, server, u, ctxFor(gridWorker)), 'events_removed');
  });

  it('accepts events that concurrent replicas insert between existing ones', () => {
    const { id, server, client } = stored();
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(server));
    appendEvent(other, ev('accepted', {}, asActor(townOfficial)));
    Y.applyUpdate(server, Y.encodeStateAsUpdate(other));
    // The client had not seen the town's event when it commented.
    const u = diff(client, server, () => appendEvent(client, ev('commented', {}, asActor(gridWorker))));
    const r = checkUpdate(id, server, u, ctxFor(gridWorker));
    expect(r.ok).toBe(true);
    expect(r.ok && r.snapshot.events).toHaveLength(3);
  });

  it('refuses an event with another actor: foreign_author', () => {
    const { id, server, client } = stored();
    const u = diff(client, server, () => appendEvent(client, ev('accepted', {}, asActor(townOfficial))));
    expectReject(checkUpdate(id, server, u, ctxFor(gridWorker)), 'foreign_author');
  });

  it('refuses an event with the user id but another role: foreign_author', () => {
    const { id, server, client } = stored();
    const u = diff(client, server, () => appendEvent(client, ev('accepted', {}, { id: gridWorker.id, role: 'leader' })));
    expectReject(checkUpdate(id, server, u, ctxFor(gridWorker)), 'foreign_author');
  });

  it("refuses a copy of someone else's existing event: duplicate_event", () => {
    const { id, server, client } = stored();
    const theirs = ev('accepted', {}, asActor(townOfficial));
    appendEvent(server, theirs);
    Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
    const u = diff(client, server, () => appendEvent(client, { ...theirs }));
    expectReject(checkUpdate(id, server, u, ctxFor(gridWorker)), 'duplicate_event');
    // A copy of one's own event too: ids are unique in a history, whoever wrote them.
    const own = stored();
    const mine = ev('commented', {}, asActor(gridWorker));
    appendEvent(own.server, mine);
    Y.applyUpdate(own.client, Y.encodeStateAsUpdate(own.server));
    expectReject(checkUpdate(own.id, own.server, diff(own.client, own.server, () => appendEvent(own.client, { ...mine })), ctxFor(gridWorker)), 'duplicate_event');
  });

  it('refuses a known root name holding the wrong type, without throwing', () => {
    const id = newId();
    const doc = new Y.Doc();
    doc.getArray('fields').push(['not a map']);
    // Yjs reads the list content as an (empty) map, so the fields are found missing.
    expectReject(checkUpdate(id, null, Y.encodeStateAsUpdate(doc), ctxFor(gridWorker)), 'invalid_fields');
  });

  it('refuses a malformed event: malformed_event', () => {
    const { id, server, client } = stored();
    const u = diff(client, server, () => eventsOf(client).push([{ type: 'closed', actor: gridWorker.id }]));
    expectReject(checkUpdate(id, server, u, ctxFor(gridWorker)), 'malformed_event');
  });

  it('refuses a new root on an existing doc: unknown_root', () => {
    const { id, server, client } = stored();
    const u = diff(client, server, () => client.getArray('sneaky').push([1]));
    expectReject(checkUpdate(id, server, u, ctxFor(gridWorker)), 'unknown_root');
  });

  it('refuses an update that depends on state the server lacks: missing_dependencies', () => {
    const { id, server, client } = stored();
    const updates: Uint8Array[] = [];
    client.on('update', (u: Uint8Array) => updates.push(u));
    appendEvent(client, ev('commented', {}, asActor(gridWorker)));
    appendEvent(client, ev('commented', {}, asActor(gridWorker)));
    expect(updates).toHaveLength(2);
    expectReject(checkUpdate(id, server, updates[1]!, ctxFor(gridWorker)), 'missing_dependencies');
    // With its predecessor in place it is fine.
    expect(checkUpdate(id, server, Y.mergeUpdates(updates), ctxFor(gridWorker)).ok).toBe(true);
  });

  it('refuses a delete of items the server has never seen: missing_dependencies', () => {
    const { id, server, client } = stored();
    appendEvent(client, ev('commented', {}, asActor(gridWorker))); // never reaches the server
    const later: Uint8Array[] = [];
    client.on('update', (u: Uint8Array) => later.push(u));
    textOf(client).delete(0, 1); // deletes text the server has
    eventsOf(client).delete(1, 1); // deletes the event the server lacks
    expect(later).toHaveLength(2);
    expect(checkUpdate(id, server, later[0]!, ctxFor(gridWorker)).ok).toBe(true);
    expectReject(checkUpdate(id, server, later[1]!, ctxFor(gridWorker)), 'missing_dependencies');
  });

  it('lets the recorder edit fields and description', () => {
    const { id, server, client } = stored();
    const u = diff(client, server, () =>
      client.transact(() => {
        fieldsOf(client).set('urgency', 'red');
        textOf(client).insert(0, '补充：');
      }),
    );
    const r = checkUpdate(id, server, u, ctxFor(gridWorker));
    expect(r.ok).toBe(true);
    expect(r.ok && r.snapshot.fields.urgency).toBe('red');
  });

  it('refuses field edits by anyone but the recorder: not_creator', () => {
    const { id, server, client } = stored(gridWorker);
    const u = diff(client, server, () => fieldsOf(client).set('urgency', 'red'));
    expectReject(checkUpdate(id, server, u, ctxFor(townOfficial)), 'not_creator');
  });

  it('refuses changing createdBy or createdAt: fields_rewritten', () => {
    for (const [k, v] of [['createdBy', townOfficial.id], ['createdAt', 42]] as const) {
      const { id, server, client } = stored();
      const u = diff(client, server, () => fieldsOf(client).set(k, v));
      expectReject(checkUpdate(id, server, u, ctxFor(gridWorker)), 'fields_rewritten');
    }
  });

  it('refuses moving an appeal out of, or into, the user scope: out_of_scope', () => {
    const a = stored(dispatcher);
    const out = diff(a.client, a.server, () => fieldsOf(a.client).set('villageCode', OTHER_TOWN_VILLAGE));
    expectReject(checkUpdate(a.id, a.server, out, ctxFor(gridWorker)), 'out_of_scope');

    const b = stored(dispatcher, { villageCode: OTHER_TOWN_VILLAGE });
    const into = diff(b.client, b.server, () => fieldsOf(b.client).set('villageCode', validInput().villageCode));
    expectReject(checkUpdate(b.id, b.server, into, ctxFor(gridWorker)), 'out_of_scope');
  });

  it('refuses malformed bytes against an existing doc: malformed_update', () => {
    const { id, server, client } = stored();
    const u = diff(client, server, () => appendEvent(client, ev('commented', {}, asActor(gridWorker))));
    expectReject(checkUpdate(id, server, u.slice(0, Math.floor(u.length / 2)), ctxFor(gridWorker)), 'malformed_update');
  });
});

describe('checkUpdate: where a new appeal first waits', () => {
  const countyDesk: SessionUser = { ...townOfficial, id: 'u-county', username: 'county1', role: 'county_dispatcher', scope: { regions: ['371324'], departments: [] } };

  it('puts an appeal taken in at a dispatch desk on that desk, and any other at its village’s', () => {
    const id = newId();
    const doc = new Y.Doc();
    writeNewAppeal(doc, validInput(), { ...asActor(countyDesk), desk: 'county' }, 1_700_000_000_000, newId());
    const atDesk = { id, update: Y.encodeStateAsUpdate(doc) };
    const r = checkUpdate(atDesk.id, null, atDesk.update, ctxFor(countyDesk));
    expect(r.ok && r.snapshot.events[0]).toMatchObject({ type: 'recorded', desk: 'county' });
    const inField = newAppeal(gridWorker);
    const f = checkUpdate(inField.id, null, inField.update, ctxFor(gridWorker));
    expect(f.ok && (f.snapshot.events[0] as { desk?: string }).desk).toBeUndefined();
  });

  it('refuses a desk that is not the recorder’s own (a field phone cannot park its appeal on the city’s queue)', () => {
    for (const [user, desk] of [[gridWorker, 'city'], [countyDesk, 'city'], [gridWorker, 'county']] as const) {
      const id = newId();
      const doc = new Y.Doc();
      writeNewAppeal(doc, validInput(), asActor(user), 1_700_000_000_000, newId());
      const first = eventsOf(doc).get(0) as AppealEvent;
      doc.transact(() => {
        eventsOf(doc).delete(0, 1);
        eventsOf(doc).insert(0, [{ ...first, desk }]);
      });
      expectReject(checkUpdate(id, null, Y.encodeStateAsUpdate(doc), ctxFor(user)), 'forbidden');
    }
  });
});
