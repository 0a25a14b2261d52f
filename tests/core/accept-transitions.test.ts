import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { checkSnapshots, checkUpdate, type CheckContext, type UpdateCheck } from '../../src/core/accept';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, eventsOf, readAppeal, writeNewAppeal } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { fold } from '../../src/core/fold';
import { eventsToResend } from '../../src/core/history';
import { newId } from '../../src/core/id';
import type { SessionUser } from '../../src/core/roles';
import { ev, gridWorker, knownVillage, townOfficial, validInput } from './fixtures';

// The server's whole-update check on pipeline steps: forged transitions are refused with
// the reason, honest offline races are kept and fold to a visible conflict note.

const ctxFor = (user: SessionUser): CheckContext => ({ user, knownVillage, policy: POLICY_PRESETS.wanyuan });
const by = (u: SessionUser) => ({ id: u.id, role: u.role });

const otherOfficial: SessionUser = { ...townOfficial, id: 'u-town-2', username: 'town2', displayName: 'Town Two' };
const dispatcher: SessionUser = { ...townOfficial, id: 'u-city', username: 'city1', displayName: 'City One', role: 'city_dispatcher', scope: { regions: ['371324'], departments: [] } };
const water: SessionUser = { ...townOfficial, id: 'u-water', username: 'water1', displayName: 'Water One', role: 'dept_handler', scope: { regions: ['371324'], departments: ['water'] } };

/** The server's copy of an appeal with `history` already accepted, and a client in sync with it. */
function stored(history: AppealEvent[], kind: 'complaint' | 'special' = 'complaint') {
  const id = newId();
  const server = new Y.Doc();
  writeNewAppeal(server, validInput({ kind }), by(gridWorker), 1_700_000_000_000, newId());
  for (const e of history) appendEvent(server, e);
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
  return { id, server, client };
}

const lastId = (doc: Y.Doc) => (eventsOf(doc).toArray().at(-1) as AppealEvent).id;

/** The client's change as an update against what the server has. */
function push(client: Y.Doc, server: Y.Doc, ...events: AppealEvent[]): Uint8Array {
  const sv = Y.encodeStateVector(server);
  for (const e of events) appendEvent(client, e);
  return Y.encodeStateAsUpdate(client, sv);
}

/**
 * Pushes `events` as a phone does: if Yjs placed them before a concurrent stored step and the
 * server refused that as history_rewritten, the phone sends them again after it (rebaseDoc).
 */
function pushAsPhone(id: string, server: Y.Doc, client: Y.Doc, user: SessionUser, ...events: AppealEvent[]): UpdateCheck {
  const first = checkUpdate(id, server, push(client, server, ...events), ctxFor(user));
  if (first.ok || first.reason !== 'history_rewritten') return first;
  const rebased = new Y.Doc();
  Y.applyUpdate(rebased, Y.encodeStateAsUpdate(server));
  const sv = Y.encodeStateVector(rebased);
  eventsOf(rebased).push(eventsToResend(eventsOf(client).toArray(), eventsOf(server).toArray()));
  return checkUpdate(id, server, Y.encodeStateAsUpdate(rebased, sv), ctxFor(user));
}

function expectRejected(r: UpdateCheck, reason: string, detail?: string): void {
  expect(r.ok ? 'accepted' : r.reason, r.ok ? '' : r.detail).toBe(reason);
  if (detail && !r.ok) expect(r.detail).toBe(detail);
}

const toVisited = (satisfaction: 'satisfied' | 'unsatisfied' = 'satisfied') => [
  ev('assigned', { tier: 'town' }, by(townOfficial)),
  ev('replied', {}, by(townOfficial)),
  ev('visited', { satisfaction }, by(gridWorker)),
];

describe('forged transitions are refused', () => {
  it('a grid worker closing: forbidden (role_not_allowed)', () => {
    const { id, server, client } = stored(toVisited());
    const update = push(client, server, ev('closed', { basis: lastId(client) }, by(gridWorker)));
    expectRejected(checkUpdate(id, server, update, ctxFor(gridWorker)), 'forbidden', 'closed: role_not_allowed');
    // Nothing was applied to the server's copy.
    expect(fold(eventsOf(server).toArray()).status).toBe('visited');
  });

  it('replying to an appeal whose close the author had already seen: invalid_transition', () => {
    const { id, server, client } = stored([...toVisited(), ev('closed', {}, by(otherOfficial))]);
    const update = push(client, server, ev('replied', { basis: lastId(client) }, by(townOfficial)));
    expectRejected(checkUpdate(id, server, update, ctxFor(townOfficial)), 'invalid_transition', 'replied: invalid_transition');
  });

  it('a refused step with no basis, or a basis the document never applied: invalid_transition', () => {
    const { id, server, client } = stored([...toVisited(), ev('closed', {}, by(otherOfficial))]);
    expectRejected(checkUpdate(id, server, push(client, server, ev('closed', {}, by(townOfficial))), ctxFor(townOfficial)), 'invalid_transition');
    const again = stored([...toVisited(), ev('closed', {}, by(otherOfficial))]);
    const forged = push(again.client, again.server, ev('closed', { basis: newId() }, by(townOfficial)));
    expectRejected(checkUpdate(again.id, again.server, forged, ctxFor(townOfficial)), 'invalid_transition');
  });

  it('a town official closing a city-tier appeal: forbidden (wrong_tier)', () => {
    const { id, server, client } = stored([
      ev('assigned', { tier: 'city' }, by(dispatcher)),
      ev('replied', {}, by(dispatcher)),
      ev('visited', {}, by(gridWorker)),
    ]);
    const update = push(client, server, ev('closed', { basis: lastId(client) }, by(townOfficial)));
    expectRejected(checkUpdate(id, server, update, ctxFor(townOfficial)), 'forbidden', 'closed: wrong_tier');
    const city = stored([ev('assigned', { tier: 'city' }, by(dispatcher)), ev('replied', {}, by(dispatcher)), ev('visited', {}, by(gridWorker))]);
    const ok = push(city.client, city.server, ev('closed', { basis: lastId(city.client) }, by(dispatcher)));
    expect(checkUpdate(city.id, city.server, ok, ctxFor(dispatcher)).ok).toBe(true);
  });

  it('a department replying to another department’s appeal: refused (outside its scope)', () => {
    const { id, server, client } = stored([ev('assigned', { tier: 'town', dept: 'transport' }, by(townOfficial))]);
    const update = push(client, server, ev('replied', { basis: lastId(client) }, by(water)));
    // The refusal says nothing of a document the user may not see: not its village, not its department.
    expectRejected(checkUpdate(id, server, update, ctxFor(water)), 'out_of_scope', 'not in your area');
    // A town appeal with a named handler: a town colleague is not the assignee.
    const named = stored([ev('assigned', { tier: 'town', handler: newId() }, by(townOfficial))]);
    const reply = push(named.client, named.server, ev('replied', { basis: lastId(named.client) }, by(otherOfficial)));
    expectRejected(checkUpdate(named.id, named.server, reply, ctxFor(otherOfficial)), 'forbidden', 'replied: not_assignee');
  });

  it('an update is judged whole: one bad event sinks the good one with it', () => {
    const { id, server, client } = stored([]);
    const accepted = ev('accepted', { basis: lastId(client) }, by(townOfficial));
    const update = push(client, server, accepted, ev('supervised', { level: 1, basis: accepted.id }, by(townOfficial)));
    expectRejected(checkUpdate(id, server, update, ctxFor(townOfficial)), 'forbidden', 'supervised: role_not_allowed');
    expect(eventsOf(server).length).toBe(1);
  });

  it('an extension beyond the policy: forbidden', () => {
    const { id, server, client } = stored([ev('assigned', { tier: 'town', dept: 'water' }, by(townOfficial))], 'complaint');
    const update = push(client, server, ev('extension_requested', { days: 2, basis: lastId(client) }, by(water)));
    expectRejected(checkUpdate(id, server, update, ctxFor(water)), 'forbidden', 'extension_requested: extension_not_allowed');
    const special = stored([ev('assigned', { tier: 'town', dept: 'water' }, by(townOfficial))], 'special');
    const ok = push(special.client, special.server, ev('extension_requested', { days: 10, basis: lastId(special.client) }, by(water)));
    expect(checkUpdate(special.id, special.server, ok, ctxFor(water)).ok).toBe(true);
  });
});

describe('honest offline races are kept and fold to a conflict note', () => {
  it('two officials close the same appeal offline, in either array order', () => {
    for (const [serverClient, phoneClient] of [[1, 2], [2, 1]] as const) {
      const { id, server, client } = stored(toVisited());
      server.clientID = serverClient;
      client.clientID = phoneClient;
      const seen = lastId(client);
      // The other official's close reached the server first.
      const theirs = ev('closed', { basis: seen }, by(otherOfficial));
      appendEvent(server, theirs);
      const mine = ev('closed', { basis: seen }, by(townOfficial));
      const r = pushAsPhone(id, server, client, townOfficial, mine);
      expect(r.ok, r.ok ? '' : r.detail).toBe(true);
      if (!r.ok) return;
      const s = fold(r.snapshot.events, id);
      expect(s.status).toBe('closed');
      // The stored close keeps its verdict; the later one is the visible conflict note.
      expect(s.conflicts).toHaveLength(1);
      expect(s.conflicts[0]).toMatchObject({ eventId: mine.id, type: 'closed', reason: 'invalid_transition', status: 'closed' });
    }
  });

  it('one town official replies offline while another escalates, in either array order', () => {
    const orders = new Set<string>();
    // Yjs orders concurrent appends by client id: try both ways round.
    for (const [serverClient, phoneClient] of [[1, 2], [2, 1]] as const) {
      const started = ev('started', {}, by(townOfficial));
      const { id, server, client } = stored([ev('assigned', { tier: 'town' }, by(townOfficial)), started]);
      server.clientID = serverClient;
      client.clientID = phoneClient;
      const escalated = ev('escalated', { basis: started.id }, by(otherOfficial));
      appendEvent(server, escalated);
      const reply = ev('replied', { basis: started.id }, by(townOfficial));
      let r = checkUpdate(id, server, push(client, server, reply), ctxFor(townOfficial));
      const ids = eventsOf(client).toArray().map((e) => (e as AppealEvent).id);
      Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
      const replyFirst = eventsOf(client).toArray().findIndex((e) => (e as AppealEvent).id === reply.id) < eventsOf(client).toArray().findIndex((e) => (e as AppealEvent).id === escalated.id);
      orders.add(replyFirst ? 'reply first' : 'escalation first');
      if (replyFirst) {
        // Landing before the stored escalation would undo it: refused, and the phone sends the reply again after it.
        expectRejected(r, 'history_rewritten');
        const rebased = new Y.Doc();
        Y.applyUpdate(rebased, Y.encodeStateAsUpdate(server));
        const sv = Y.encodeStateVector(rebased);
        eventsOf(rebased).push(eventsToResend(ids.map((i) => eventsOf(client).toArray().find((e) => (e as AppealEvent).id === i)), eventsOf(server).toArray()));
        r = checkUpdate(id, server, Y.encodeStateAsUpdate(rebased, sv), ctxFor(townOfficial));
      }
      expect(r.ok, r.ok ? '' : r.detail).toBe(true);
      if (!r.ok) return;
      const s = fold(r.snapshot.events, id);
      // The escalation stored first stays applied; the reply is the conflict note, never dropped.
      expect(s.conflicts.map((c) => c.eventId)).toEqual([reply.id]);
      expect(s.status).toBe('accepted');
    }
    expect(orders.size).toBe(2);
  });

  it('a race does not excuse what the author could not have done even then', () => {
    const { id, server, client } = stored(toVisited());
    const seen = lastId(client);
    appendEvent(server, ev('closed', { basis: seen }, by(otherOfficial)));
    const r = pushAsPhone(id, server, client, gridWorker, ev('closed', { basis: seen }, by(gridWorker)));
    expectRejected(r, 'forbidden', 'closed: role_not_allowed');
  });

  it('checkSnapshots sees the same verdicts on plain snapshots', () => {
    const { id, server } = stored(toVisited('unsatisfied'));
    const before = readAppeal(server, id);
    const seen = (before.events.at(-1) as AppealEvent).id;
    const close = ev('closed', { basis: seen }, by(dispatcher));
    const reopen = ev('reopened', { basis: seen }, by(townOfficial));
    // The dispatcher's close (refused by the fold: unsatisfied) is already stored.
    const stored1 = { ...before, events: [...before.events, close] };
    expect(checkSnapshots(stored1, { ...stored1, events: [...stored1.events, reopen] }, ctxFor(townOfficial))).toBeNull();
    expect(fold([...stored1.events, reopen], id)).toMatchObject({ status: 'assigned', reopenCount: 1 });
    // A close after the author saw the reopen is no race.
    const after = [...stored1.events, reopen];
    const late = ev('closed', { basis: reopen.id }, by(townOfficial));
    expect(checkSnapshots({ ...before, events: after }, { ...before, events: [...after, late] }, ctxFor(townOfficial))).toMatchObject({
      ok: false,
      reason: 'invalid_transition',
    });
  });
});
