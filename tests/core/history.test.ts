import * as Y from 'yjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkUpdate, type CheckContext, type UpdateCheck } from '../../src/core/accept';
import { MAX_WORKFLOW_EVENTS } from '../../src/core/budget';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { appendEvent, eventsOf, writeNewAppeal } from '../../src/core/doc';
import type { AppealEvent, EventType } from '../../src/core/events';
import { fold, type AppealState } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { MAX_COMMENTS_PER_APPEAL, MAX_COMMENTS_PER_AUTHOR, MAX_COMMENTS_PER_UPDATE } from '../../src/core/limits';
import type { Role, SessionUser } from '../../src/core/roles';
import { appealContext, assignableTiers, availableActions } from '../../src/core/workflow';
import { ev, gridWorker, knownVillage, PAYLOAD, townOfficial, validInput } from './fixtures';

// The history rule (src/core/history.ts): an update may add events and never change how a
// stored one is judged. The three rewrites an outside attack run got accepted, then a
// property over random valid histories and random hostile updates from every role.

const policy = POLICY_PRESETS.wanyuan;
const ctxFor = (user: SessionUser): CheckContext => ({ user, knownVillage, policy });
const by = (u: SessionUser) => ({ id: u.id, role: u.role });
const user = (role: Role, departments: string[] = []): SessionUser => ({
  id: `u-${role}`, username: role, displayName: role, role, scope: { regions: [role === 'grid_worker' || role === 'village_station' || role === 'bench_facilitator' ? '371324102201' : '371324'], departments },
});
const ROLES: SessionUser[] = [
  user('grid_worker'), user('bench_facilitator'), user('village_station'), user('town_official'),
  user('dept_handler', ['water']), user('city_dispatcher'), user('leader'), user('admin'),
];
const station = ROLES[2]!;
const admin = ROLES[7]!;

function storedDoc(history: AppealEvent[]) {
  const id = newId();
  const server = new Y.Doc();
  writeNewAppeal(server, validInput(), by(ROLES[0]!), 1_700_000_000_000, newId());
  for (const e of history) appendEvent(server, e);
  return { id, server };
}

/** A hostile client's update: a copy of the server's document changed by `edit`, sent whole. */
function hostile(server: Y.Doc, edit: (events: Y.Array<unknown>) => void): Uint8Array {
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
  const sv = Y.encodeStateVector(server);
  client.transact(() => edit(eventsOf(client)));
  return Y.encodeStateAsUpdate(client, sv);
}

const ids = (doc: Y.Doc) => eventsOf(doc).toArray().map((e) => (e as AppealEvent).id);
const reasonOf = (r: UpdateCheck) => (r.ok ? 'accepted' : r.reason);

/** Station-handled appeal, closed: recorded, accepted, assigned, started, replied, visited, closed. */
function closedAtStation() {
  const steps: AppealEvent[] = [];
  const add = (type: EventType, over: object = {}) => {
    const basis = steps.at(-1)?.id;
    steps.push(ev(type, { ...over, ...(basis && { basis }) } as never, by(type === 'visited' ? ROLES[0]! : station)));
  };
  add('accepted');
  add('assigned', { tier: 'village' });
  add('started');
  add('replied');
  add('visited', { satisfaction: 'satisfied' });
  add('closed');
  return storedDoc(steps);
}

describe('the rewrites found by the attack run are refused', () => {
  it('a comment reusing the id of the station’s close, placed before it: duplicate_event', () => {
    for (const actor of [ROLES[0]!, admin]) {
      const { id, server } = closedAtStation();
      const close = eventsOf(server).toArray().at(-1) as AppealEvent;
      const u = hostile(server, (events) => events.insert(events.length - 1, [{ ...ev('commented', {}, by(actor)), id: close.id }]));
      expect(reasonOf(checkUpdate(id, server, u, ctxFor(actor)))).toBe('duplicate_event');
      expect(fold(eventsOf(server).toArray(), id).status).toBe('closed');
    }
  });

  it('an unsatisfied visit inserted before the stored visit and close: history_rewritten', () => {
    const { id, server } = closedAtStation();
    const replied = eventsOf(server).toArray().at(-3) as AppealEvent;
    const u = hostile(server, (events) => events.insert(events.length - 2, [ev('visited', { satisfaction: 'unsatisfied', basis: replied.id }, by(ROLES[0]!))]));
    expect(reasonOf(checkUpdate(id, server, u, ctxFor(ROLES[0]!)))).toBe('history_rewritten');
  });

  it('a second recorded at index 0: refused, the original steps stay applied', () => {
    const { id, server } = closedAtStation();
    const u = hostile(server, (events) => events.insert(0, [ev('recorded', {}, by(ROLES[0]!))]));
    const r = checkUpdate(id, server, u, ctxFor(ROLES[0]!));
    expect(r.ok).toBe(false);
    expect(fold(eventsOf(server).toArray(), id).conflicts).toEqual([]);
  });

  it('an event placed before its own basis is refused, and folds as a conflict if ever stored', () => {
    const { id, server } = closedAtStation();
    const close = eventsOf(server).toArray().at(-1) as AppealEvent;
    const comment = ev('commented', { basis: close.id }, by(ROLES[0]!));
    const u = hostile(server, (events) => events.insert(1, [comment]));
    expect(reasonOf(checkUpdate(id, server, u, ctxFor(ROLES[0]!)))).toBe('invalid_transition');
    const forged = [...eventsOf(server).toArray()];
    forged.splice(1, 0, comment);
    expect(fold(forged, id).conflicts).toMatchObject([{ eventId: comment.id, reason: 'basis_unseen' }]);
  });

  it('a comment made offline and placed before later steps is kept: it changes nothing they were judged on', () => {
    const { id, server } = closedAtStation();
    const accepted = eventsOf(server).toArray()[1] as AppealEvent;
    const u = hostile(server, (events) => events.insert(2, [ev('commented', { basis: accepted.id }, by(ROLES[0]!))]));
    const r = checkUpdate(id, server, u, ctxFor(ROLES[0]!));
    expect(reasonOf(r)).toBe('accepted');
    if (r.ok) expect(fold(r.snapshot.events, id).status).toBe('closed');
  });
});

describe('no one can freeze an appeal with comments', () => {
  it(`more than ${MAX_COMMENTS_PER_UPDATE} comments in one change: comment_flood`, () => {
    const { id, server } = storedDoc([]);
    const u = hostile(server, (events) => events.push(Array.from({ length: MAX_COMMENTS_PER_UPDATE + 1 }, () => ev('commented', {}, by(ROLES[0]!)))));
    expect(reasonOf(checkUpdate(id, server, u, ctxFor(ROLES[0]!)))).toBe('comment_flood');
    const ok = hostile(server, (events) => events.push(Array.from({ length: MAX_COMMENTS_PER_UPDATE }, () => ev('commented', {}, by(ROLES[0]!)))));
    expect(reasonOf(checkUpdate(id, server, ok, ctxFor(ROLES[0]!)))).toBe('accepted');
  });

  it(`one person's ${MAX_COMMENTS_PER_AUTHOR + 1}st comment on an appeal: comment_flood; others may still comment`, () => {
    const { id, server } = storedDoc(Array.from({ length: MAX_COMMENTS_PER_AUTHOR }, () => ev('commented', {}, by(ROLES[0]!))));
    const more = hostile(server, (events) => events.push([ev('commented', {}, by(ROLES[0]!))]));
    expect(reasonOf(checkUpdate(id, server, more, ctxFor(ROLES[0]!)))).toBe('comment_flood');
    const other = hostile(server, (events) => events.push([ev('commented', {}, by(townOfficial))]));
    expect(reasonOf(checkUpdate(id, server, other, ctxFor(townOfficial)))).toBe('accepted');
  });

  it('a full comment budget never blocks the pipeline', () => {
    // The attack: flood the appeal with comments, then the town's acceptance was refused.
    const flood = Array.from({ length: MAX_COMMENTS_PER_APPEAL }, (_, i) => ev('commented', {}, by(ROLES[i % ROLES.length]!)));
    const { id, server } = storedDoc(flood);
    const comment = hostile(server, (events) => events.push([ev('commented', {}, by(townOfficial))]));
    expect(reasonOf(checkUpdate(id, server, comment, ctxFor(townOfficial)))).toBe('comment_flood');
    const last = (eventsOf(server).toArray().at(-1) as AppealEvent).id;
    const accept = hostile(server, (events) => events.push([ev('accepted', { basis: last }, by(townOfficial))]));
    expect(reasonOf(checkUpdate(id, server, accept, ctxFor(townOfficial)))).toBe('accepted');
    expect(MAX_WORKFLOW_EVENTS).toBeGreaterThanOrEqual(MAX_COMMENTS_PER_APPEAL);
  });
});

/** An event `actor` may append now, as the UI would offer it, or null. */
function honestStep(state: AppealState, actor: SessionUser, pick: number, fields: Record<string, unknown>): AppealEvent | null {
  const actions = availableActions(actor, appealContext(fields), state, policy).filter((a) => a !== 'merged');
  if (actions.length === 0) return null;
  const type = actions[pick % actions.length]!;
  const over: Record<string, unknown> = { ...(state.lastAppliedId && { basis: state.lastAppliedId }) };
  if (type === 'assigned') over.to = assignableTiers(actor).at(-1) === state.tier ? state.tier : assignableTiers(actor)[0];
  if (type === 'supervised') over.level = state.supervisionLevel + 1;
  if (type === 'reception_held') over.slotId = state.reception?.slotId;
  if (type === 'extension_decided') over.days = state.extensionRequested ?? 1;
  if (type === 'extension_requested') over.days = 1;
  if (actor.role === 'dept_handler' && type === 'assigned') return null;
  return ev(type, over as never, by(actor));
}

/** Applied events (not conflicts), by id, in array order. */
function appliedIds(events: readonly unknown[], id: string): string[] {
  const conflicts = new Set(fold(events, id).conflicts.map((c) => c.index));
  return events.flatMap((e, i) => (conflicts.has(i) ? [] : [(e as AppealEvent).id]));
}

const HOSTILE_TYPES: EventType[] = ['recorded', 'accepted', 'assigned', 'started', 'escalated', 'replied', 'visited', 'reopened', 'closed', 'commented', 'supervised', 'published', 'extension_requested', 'extension_decided'];

const op = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), type: fc.constantFrom(...HOSTILE_TYPES), reuseId: fc.boolean(), basisAt: fc.option(fc.nat(), { nil: undefined }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('move' as const), from: fc.nat(), to: fc.nat() }),
);

const RUNS = process.env.SOAK_RUNS ? 3_000 : 300;

describe('property: stored events keep their verdicts and order, whatever an update does', () => {
  it('for random valid histories and hostile updates from every role', () => {
    const outcomes = { accepted: 0, refused: 0 };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(ROLES.length - 1), fc.nat()), { minLength: 0, maxLength: 14 }),
        fc.nat(ROLES.length - 1),
        fc.array(op, { minLength: 1, maxLength: 3 }),
        (script, who, ops) => {
          // A valid history, each step one the UI would have offered its author.
          const { id, server } = storedDoc([]);
          const fields = eventsOf(server).doc!.getMap('fields').toJSON();
          for (const [actorAt, pick] of script) {
            const e = honestStep(fold(eventsOf(server).toArray(), id), ROLES[actorAt]!, pick, fields);
            if (e) appendEvent(server, e);
          }
          const before = eventsOf(server).toArray();
          const actor = ROLES[who]!;
          const update = hostile(server, (events) => {
            for (const o of ops) {
              const n = events.length;
              if (o.kind === 'delete' && n > 0) events.delete(o.at % n, 1);
              if (o.kind === 'move' && n > 0) {
                const moved = events.get(o.from % n);
                events.delete(o.from % n, 1);
                events.insert(o.to % n, [moved]);
              }
              if (o.kind === 'insert') {
                const existing = events.toArray() as AppealEvent[];
                const basis = o.basisAt === undefined || n === 0 ? undefined : existing[o.basisAt % n]!.id;
                const e = ev(o.type, { ...(basis && { basis }) } as never, by(actor));
                events.insert(o.at % (n + 1), [o.reuseId && n > 0 ? { ...e, id: existing[o.at % n]!.id } : e]);
              }
            }
          });
          const r = checkUpdate(id, server, update, ctxFor(actor));
          if (!r.ok) return void outcomes.refused++;
          outcomes.accepted++;
          const was = appliedIds(before, id);
          const now = appliedIds(r.snapshot.events, id).filter((x) => was.includes(x));
          expect(now).toEqual(was);
        },
      ),
      { numRuns: RUNS },
    );
    // Both sides of the rule were exercised.
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
