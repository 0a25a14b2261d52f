import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { appendEvent, eventsOf, writeNewAppeal } from '../../src/core/doc';
import { SATISFACTION, type AppealEvent } from '../../src/core/events';
import { fold, step, refusal, type AppealState } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { ev, gridWorker, validInput } from './fixtures';

// The whole pipeline through the fold, the offline races it must settle the same way on
// every replica, and convergence over real Yjs documents.

const official = (id: string) => ({ id, role: 'town_official' as const });
const A = official('u-official-a');
const B = official('u-official-b');

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    Object.values(v).forEach(deepFreeze);
    Object.freeze(v);
  }
  return v;
}

describe('the full pipeline, step by step', () => {
  it('recorded → accepted → assigned → started → replied → visited (unsatisfied) → reopened → replied → visited (satisfied) → closed', () => {
    const t0 = Date.UTC(2026, 2, 2, 1); // Mon 2 Mar 2026 09:00 CST
    const walk: [AppealEvent, Partial<AppealState>][] = [
      [ev('recorded', { at: t0 }), { status: 'new', stage: 'dispatch', stageStartedAt: t0, recordedAt: t0 }],
      [ev('accepted', { at: t0 + 1 }), { status: 'accepted', stage: 'dispatch', stageStartedAt: t0 }],
      [ev('assigned', { at: t0 + 2, tier: 'town', dept: 'water' }), { status: 'assigned', tier: 'town', dept: 'water', stage: 'handle', stageStartedAt: t0 + 2 }],
      [ev('started', { at: t0 + 3 }), { status: 'in_progress', stage: 'handle', stageStartedAt: t0 + 2 }],
      [ev('replied', { at: t0 + 4 }), { status: 'replied', stage: 'visit', stageStartedAt: t0 + 4, repliedAt: t0 + 4 }],
      [ev('visited', { at: t0 + 5, satisfaction: 'unsatisfied' }), { status: 'visited', satisfaction: 'unsatisfied', stage: null, stageStartedAt: null }],
      [ev('reopened', { at: t0 + 6 }), { status: 'assigned', reopenCount: 1, satisfaction: null, dept: 'water', stage: 'handle', stageStartedAt: t0 + 6 }],
      [ev('replied', { at: t0 + 7 }), { status: 'replied', reopenCount: 1, repliedAt: t0 + 7, stage: 'visit' }],
      [ev('visited', { at: t0 + 8, satisfaction: 'satisfied' }), { status: 'visited', satisfaction: 'satisfied', stage: null }],
      [ev('closed', { at: t0 + 9 }), { status: 'closed', closedAt: t0 + 9, reopenCount: 1, satisfaction: 'satisfied', stage: null }],
    ];
    const events: AppealEvent[] = [];
    let stepped = fold([], 'appeal');
    for (const [e, expected] of walk) {
      expect(refusal(stepped, e), e.type).toBeNull();
      stepped = step(stepped, e);
      events.push(e);
      const s = fold(events, 'appeal');
      expect(s, `after ${e.type}`).toMatchObject({ ...expected, conflicts: [], applied: events.length, lastAppliedId: e.id, lastEventAt: e.at });
      // Stepping one event at a time is the same as folding the whole list.
      expect(stepped).toEqual(s);
    }
    // After closing, only comments apply.
    for (const type of ['accepted', 'assigned', 'started', 'replied', 'visited', 'reopened', 'closed', 'escalated'] as const) {
      expect(refusal(stepped, ev(type)), type).toBe('invalid_transition');
    }
    expect(refusal(stepped, ev('commented'))).toBeNull();
  });
});

describe('determinism', () => {
  const history = () => [
    ev('recorded'),
    ev('assigned', { tier: 'village' }),
    ev('closed'),
    ev('replied'),
    ev('visited', { satisfaction: 'unsatisfied' }),
    ev('closed'),
    ev('reopened'),
    { junk: true },
    ev('supervised', { level: 2 }),
  ];

  it('the same array always folds to the same state, and the input is never touched', () => {
    const events = deepFreeze(history());
    const first = fold(events, 'appeal');
    expect(fold(events, 'appeal')).toEqual(first);
    // What Yjs hands back is a structured copy: the same verdicts.
    expect(fold(JSON.parse(JSON.stringify(events)), 'appeal')).toEqual(first);
    expect(first).toMatchObject({ status: 'assigned', reopenCount: 1, supervisionLevel: 2 });
    expect(first.conflicts.map((c) => [c.index, c.reason])).toEqual([
      [2, 'invalid_transition'],
      [5, 'unsatisfied_cannot_close'],
      [7, 'malformed'],
    ]);
  });

  it('ignores the device clock: order is the array order', () => {
    const events = history() as AppealEvent[];
    const shuffledClocks = events.map((e, i) => (typeof e === 'object' && 'at' in e ? { ...e, at: 1_000_000 - i * 7 } : e));
    const strip = (s: AppealState) => ({ ...s, recordedAt: null, lastEventAt: null, stageStartedAt: null, repliedAt: null, closedAt: null, firstAssignedAt: null, handleStartedAt: null, handleSpent: [] });
    expect(strip(fold(shuffledClocks))).toEqual(strip(fold(events)));
  });
});

describe('offline races settle the same way everywhere', () => {
  const visited = (satisfaction: (typeof SATISFACTION)[number]) => [ev('recorded'), ev('assigned'), ev('replied'), ev('visited', { satisfaction })];

  it('two closes: one closed appeal plus one conflict note naming the second', () => {
    const h = visited('satisfied');
    const a = ev('closed', {}, A);
    const b = ev('closed', {}, B);
    for (const [first, second] of [[a, b], [b, a]] as const) {
      const s = fold([...h, first, second]);
      expect(s.status).toBe('closed');
      expect(s.closedAt).toBe(first.at);
      expect(s.conflicts).toEqual([{ index: 5, eventId: second.id, type: 'closed', actor: second.actor, reason: 'invalid_transition', status: 'closed' }]);
    }
  });

  it('close versus reopen after an unsatisfied visit: the reopen wins in either order', () => {
    const h = visited('unsatisfied');
    const close = ev('closed', {}, A);
    const reopen = ev('reopened', {}, B);
    const s1 = fold([...h, close, reopen]);
    expect(s1).toMatchObject({ status: 'assigned', reopenCount: 1 });
    expect(s1.conflicts.map((c) => [c.eventId, c.reason])).toEqual([[close.id, 'unsatisfied_cannot_close']]);
    const s2 = fold([...h, reopen, close]);
    expect(s2).toMatchObject({ status: 'assigned', reopenCount: 1 });
    expect(s2.conflicts.map((c) => [c.eventId, c.reason])).toEqual([[close.id, 'invalid_transition']]);
  });

  it('close versus reopen after a satisfied visit: the close wins in either order', () => {
    const h = visited('basically_satisfied');
    const close = ev('closed', {}, A);
    const reopen = ev('reopened', {}, B);
    expect(fold([...h, close, reopen]).conflicts.map((c) => [c.eventId, c.reason])).toEqual([[reopen.id, 'invalid_transition']]);
    expect(fold([...h, reopen, close]).conflicts.map((c) => [c.eventId, c.reason])).toEqual([[reopen.id, 'satisfied_cannot_reopen']]);
    for (const order of [[close, reopen], [reopen, close]]) expect(fold([...h, ...order]).status).toBe('closed');
  });

  it('two return visits with different ratings: the first in the array counts', () => {
    const h = [ev('recorded'), ev('assigned'), ev('replied')];
    const happy = ev('visited', { satisfaction: 'satisfied' }, A);
    const unhappy = ev('visited', { satisfaction: 'unsatisfied' }, B);
    expect(fold([...h, happy, unhappy])).toMatchObject({ satisfaction: 'satisfied', conflicts: [expect.objectContaining({ eventId: unhappy.id })] });
    expect(fold([...h, unhappy, happy])).toMatchObject({ satisfaction: 'unsatisfied', conflicts: [expect.objectContaining({ eventId: happy.id })] });
  });

  it('a reply racing an escalation is kept as a note, and the escalated appeal waits for dispatch', () => {
    const h = [ev('recorded'), ev('assigned', { tier: 'village' }), ev('started')];
    const s = fold([...h, ev('escalated', {}, A), ev('replied', {}, B)]);
    expect(s).toMatchObject({ status: 'accepted', tier: 'town', stage: 'dispatch' });
    expect(s.conflicts.map((c) => [c.type, c.reason, c.status])).toEqual([['replied', 'invalid_transition', 'accepted']]);
  });
});

describe('convergence over real Yjs documents', () => {
  /** Events people append, mostly well-formed pipeline steps by several officials. */
  const eventArb: fc.Arbitrary<AppealEvent> = fc
    .tuple(
      fc.constantFrom(
        'accepted', 'assigned', 'started', 'escalated', 'replied', 'visited', 'reopened', 'closed', 'commented', 'supervised', 'extension_requested', 'extension_decided',
      ) as fc.Arbitrary<Exclude<AppealEvent['type'], 'recorded' | 'warned' | 'merged'>>,
      fc.constantFrom(A, B, official('u-official-c')),
      fc.constantFrom(...SATISFACTION),
      fc.integer({ min: 1, max: 5 }),
    )
    .map(([type, by, satisfaction, level]) =>
      type === 'visited' ? ev(type, { satisfaction }, by) : type === 'supervised' ? ev(type, { level }, by) : ev(type, {}, by),
    );

  /**
   * Authors work offline on their own replicas, now and then pulling what others have
   * sent. Every change leaves as one update, so later updates may depend on earlier ones.
   */
  const scriptArb = fc.array(
    fc.record({ author: fc.integer({ min: 0, max: 2 }), events: fc.array(eventArb, { minLength: 1, maxLength: 3 }), pull: fc.array(fc.nat(), { maxLength: 3 }) }),
    { minLength: 1, maxLength: 12 },
  );

  it('replicas that receive the same updates in any order fold to identical states', () => {
    fc.assert(
      fc.property(scriptArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 40, maxLength: 40 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 40, maxLength: 40 }), (script, keysX, keysY) => {
        const origin = new Y.Doc();
        writeNewAppeal(origin, validInput(), { id: gridWorker.id, role: gridWorker.role }, 1_700_000_000_000, newId());
        const base = Y.encodeStateAsUpdate(origin);
        const authors = [0, 1, 2].map(() => {
          const d = new Y.Doc();
          Y.applyUpdate(d, base);
          return d;
        });
        const sent: Uint8Array[] = [];
        for (const { author, events, pull } of script) {
          const doc = authors[author]!;
          for (const p of pull) if (sent.length) Y.applyUpdate(doc, sent[p % sent.length]!);
          const sv = Y.encodeStateVector(doc);
          doc.transact(() => events.forEach((e) => appendEvent(doc, e)));
          sent.push(Y.encodeStateAsUpdate(doc, sv));
        }
        const receive = (keys: number[]) => {
          const order = sent.map((u, i) => ({ u, k: keys[i % keys.length]! + i * 1e-9 })).sort((a, b) => a.k - b.k);
          const d = new Y.Doc();
          Y.applyUpdate(d, base);
          for (const { u } of order) Y.applyUpdate(d, u);
          expect(d.store.pendingStructs).toBeNull();
          return d;
        };
        const [x, y] = [receive(keysX), receive(keysY)];
        const [ex, ey] = [eventsOf(x).toArray(), eventsOf(y).toArray()];
        expect(ex).toEqual(ey);
        expect(ex).toHaveLength(1 + script.reduce((n, s) => n + s.events.length, 0));
        const [sx, sy] = [fold(ex, 'appeal'), fold(ey, 'appeal')];
        expect(sx).toEqual(sy);
        expect(sx.applied + sx.conflicts.length).toBe(ex.length);
        // Each author's own events stay in the order that author wrote them.
        for (const doc of authors) {
          const own = eventsOf(doc).toArray().map((e) => (e as AppealEvent).id);
          const merged = ex.map((e) => (e as AppealEvent).id).filter((id) => own.includes(id));
          expect(merged).toEqual(own);
        }
        [origin, x, y, ...authors].forEach((d) => d.destroy());
      }),
      { numRuns: 150 },
    );
  });

  it('two offline closes through Yjs: one closed appeal plus one conflict, on both sides', () => {
    const a = new Y.Doc();
    writeNewAppeal(a, validInput(), { id: gridWorker.id, role: gridWorker.role }, 1, newId());
    for (const e of [ev('assigned'), ev('replied'), ev('visited', { satisfaction: 'unsatisfied' })]) appendEvent(a, e);
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    const [svA, svB] = [Y.encodeStateVector(a), Y.encodeStateVector(b)];
    const close = ev('closed', {}, A);
    const reopen = ev('reopened', {}, B);
    appendEvent(a, close);
    appendEvent(b, reopen);
    const [toB, toA] = [Y.encodeStateAsUpdate(a, svB), Y.encodeStateAsUpdate(b, svA)];
    Y.applyUpdate(b, toB);
    Y.applyUpdate(a, toA);
    const [sa, sb] = [fold(eventsOf(a).toArray()), fold(eventsOf(b).toArray())];
    expect(sa).toEqual(sb);
    // Whichever order Yjs chose, an unsatisfied visit reopens and the close is the note.
    expect(sa).toMatchObject({ status: 'assigned', reopenCount: 1 });
    expect(sa.conflicts).toHaveLength(1);
    expect(sa.conflicts[0]!.eventId).toBe(close.id);
  });
});
