import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { appendEvent, eventsOf, writeNewAppeal } from '../../src/core/doc';
import { EVENT_TYPES, LEGACY_TIERS, SATISFACTION, TIERS, isAppealEvent, type AppealEvent, type EventType } from '../../src/core/events';
import { STATUSES, fold, initialState, isOpen, refusal, type Status } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { MAX_EVENT_NOTE_CHARS } from '../../src/core/limits';
import { ROLES } from '../../src/core/roles';
import { PAYLOAD, ev, gridWorker, townOfficial, validInput } from './fixtures';

// The transition table as fold.ts states it (ALLOWED_FROM), restated here as the spec.
const OPEN: Status[] = ['new', 'accepted', 'assigned', 'in_progress', 'replied', 'visited'];
const WORKING: Status[] = ['assigned', 'in_progress'];
const ALLOWED_FROM: Record<Exclude<EventType, 'recorded'>, Status[]> = {
  accepted: ['new'],
  assigned: ['new', 'accepted'],
  started: ['assigned'],
  escalated: ['new', 'accepted', 'assigned', 'in_progress'],
  replied: WORKING,
  extension_requested: WORKING,
  extension_decided: WORKING,
  warned: OPEN,
  supervised: OPEN,
  visited: ['replied'],
  reopened: ['visited'],
  closed: ['visited'],
  merged: OPEN,
  commented: [...OPEN, 'closed', 'merged'],
  published: ['accepted', 'assigned', 'in_progress', 'replied', 'visited', 'closed'],
  // Only what is on the board can come off it (see the test of the board below).
  unpublished: [],
  // Adopting twice, or a reception held without its booking, are refused (see the tests below).
  adopted: ['accepted', 'assigned', 'in_progress', 'replied', 'visited', 'closed'],
  reception_booked: OPEN,
  reception_held: [],
  reassigned: WORKING,
  // Back to the desk that sent it: the paths to a working status assigned it from the village desk.
  returned: WORKING,
  // Each also needs what a plain path lacks (see NEEDS): a sender, a pending review, a request.
  reviewed: [],
  unreasonable_requested: WORKING,
  unreasonable_decided: [],
  // The payload names no reply the appeal has (see the quality review tests below).
  quality_reviewed: [],
  mediation_requested: ['new', 'accepted', 'assigned', 'in_progress'],
  // Only while a mediation runs (see the mediation tests).
  mediation_session: [],
  mediation_closed: [],
  // An SMS's progress is recorded whatever the status (a receipt may come after closing).
  sms: [...OPEN, 'closed', 'merged'],
  // An original may be asked for whatever the status.
  original_requested: [...OPEN, 'closed', 'merged'],
};
/** Statuses the state machine allows an event from, where a plain path still lacks its precondition, and the reason given. */
const NEEDS: Partial<Record<Exclude<EventType, 'recorded'>, { from: Status[]; reason: string }>> = {
  returned: { from: ['accepted'], reason: 'nothing_to_return' },
  reviewed: { from: ['accepted'], reason: 'not_under_review' },
  unreasonable_decided: { from: OPEN, reason: 'no_label_request' },
  quality_reviewed: { from: ['replied', 'visited', 'closed'], reason: 'stale_reply' },
  mediation_session: { from: ['in_progress'], reason: 'no_mediation' },
  mediation_closed: { from: ['in_progress'], reason: 'no_mediation' },
};
/** Status after an allowed event; null = unchanged. */
const NEXT: Record<Exclude<EventType, 'recorded'>, Status | null> = {
  accepted: 'accepted',
  assigned: 'assigned',
  started: 'in_progress',
  escalated: 'accepted',
  replied: 'replied',
  extension_requested: null,
  extension_decided: null,
  warned: null,
  supervised: null,
  visited: 'visited',
  reopened: 'assigned',
  closed: 'closed',
  merged: 'merged',
  commented: null,
  published: null,
  unpublished: null,
  adopted: null,
  reception_booked: null,
  reception_held: null,
  reassigned: 'assigned',
  returned: 'accepted',
  reviewed: 'assigned',
  unreasonable_requested: null,
  unreasonable_decided: null,
  quality_reviewed: null,
  mediation_requested: 'in_progress',
  mediation_session: null,
  mediation_closed: null,
  sms: null,
  original_requested: null,
};

/** Events that bring a fresh appeal to `status`. The visit's rating suits the event tried next. */
function pathTo(status: Status, satisfaction: 'satisfied' | 'unsatisfied' = 'satisfied'): AppealEvent[] {
  const recorded = ev('recorded');
  const toVisited = [recorded, ev('assigned'), ev('replied'), ev('visited', { satisfaction })];
  switch (status) {
    case 'new':
      return [recorded];
    case 'accepted':
      return [recorded, ev('accepted')];
    case 'assigned':
      return [recorded, ev('assigned')];
    case 'in_progress':
      return [recorded, ev('assigned'), ev('started')];
    case 'replied':
      return [recorded, ev('assigned'), ev('replied')];
    case 'visited':
      return toVisited;
    case 'closed':
      return [recorded, ev('assigned'), ev('replied'), ev('visited'), ev('closed')];
    case 'merged':
      return [recorded, ev('merged')];
  }
}

describe('fold: transition table', () => {
  it('the paths used below reach their status with no conflicts', () => {
    for (const status of STATUSES) {
      const s = fold(pathTo(status));
      expect(s.status).toBe(status);
      expect(s.conflicts).toEqual([]);
    }
  });

  const cases = (Object.keys(ALLOWED_FROM) as Exclude<EventType, 'recorded'>[]).flatMap((type) =>
    STATUSES.map((from) => [type, from, ALLOWED_FROM[type].includes(from)] as const),
  );

  it.each(cases)('%s from %s: allowed=%s', (type, from, allowed) => {
    const path = pathTo(from, type === 'reopened' ? 'unsatisfied' : 'satisfied');
    // A decision needs a request to decide.
    if (type === 'extension_decided' && WORKING.includes(from)) path.push(ev('extension_requested'));
    const before = fold(path);
    const e = ev(type);
    const s = fold([...path, e]);
    if (allowed) {
      expect(s.conflicts).toEqual([]);
      expect(s.applied).toBe(path.length + 1);
      expect(s.status).toBe(NEXT[type] ?? from);
    } else {
      expect(s.applied).toBe(path.length);
      expect(s.status).toBe(from);
      const reason = NEEDS[type]?.from.includes(from) ? NEEDS[type].reason : 'invalid_transition';
      expect(s.conflicts).toEqual([{ index: path.length, eventId: e.id, type, actor: e.actor, reason, status: from }]);
      // A refused event leaves the rest of the state as it was.
      expect({ ...s, conflicts: [] }).toEqual({ ...before, conflicts: [] });
    }
  });

  it('every event before "recorded" is refused as not_recorded', () => {
    for (const type of EVENT_TYPES.filter((t) => t !== 'recorded')) {
      const e = ev(type);
      const s = fold([e]);
      expect(s.status).toBeNull();
      expect(s.applied).toBe(0);
      expect(s.conflicts).toEqual([{ index: 0, eventId: e.id, type, actor: e.actor, reason: 'not_recorded', status: null }]);
    }
  });

  it('a second "recorded" is refused in every status', () => {
    for (const status of STATUSES) {
      const path = pathTo(status);
      const again = ev('recorded');
      const s = fold([...path, again]);
      expect(s.status).toBe(status);
      expect(s.conflicts).toEqual([{ index: path.length, eventId: again.id, type: 'recorded', actor: again.actor, reason: 'invalid_transition', status }]);
    }
  });

  it('recorded sets status new and recordedAt', () => {
    const r = ev('recorded', { at: 1234 });
    expect(fold([r])).toEqual({ ...initialState(), status: 'new', recordedAt: 1234, lastEventAt: 1234, applied: 1, stage: 'dispatch', stageStartedAt: 1234, lastAppliedId: r.id });
  });

  it('an empty event list is the initial state', () => {
    expect(fold([])).toEqual(initialState());
  });
});

describe('fold: escalation', () => {
  it('climbs village → town → county → city, then refuses with top_tier', () => {
    const esc = [ev('escalated'), ev('escalated'), ev('escalated'), ev('escalated')];
    const tiers: string[] = [];
    const events = [ev('recorded'), ev('assigned', { tier: 'village', dept: 'transport', handler: newId() })];
    for (const e of esc) {
      events.push(e);
      tiers.push(fold(events).tier);
    }
    expect(tiers).toEqual(['town', 'county', 'city', 'city']);
    const s = fold(events);
    expect(s.status).toBe('accepted');
    expect(s.dept).toBeNull();
    expect(s.handler).toBeNull();
    expect(s.conflicts).toEqual([{ index: 5, eventId: esc[3]!.id, type: 'escalated', actor: esc[3]!.actor, reason: 'top_tier', status: 'accepted' }]);
  });

  it('an appeal assigned straight to the city cannot escalate; an older event’s “city” was the county, which can', () => {
    const s = fold([ev('recorded'), ev('assigned', { to: 'city' }), ev('escalated')]);
    expect(s.tier).toBe('city');
    expect(s.conflicts.map((c) => c.reason)).toEqual(['top_tier']);
    const legacy = fold([ev('recorded'), ev('assigned', { tier: 'city' }), ev('escalated')]);
    expect(legacy.tier).toBe('city');
    expect(legacy.conflicts).toEqual([]);
  });

  it('escalating from a status it is not allowed from is invalid_transition, not top_tier', () => {
    const s = fold([ev('recorded'), ev('assigned', { tier: 'city' }), ev('replied'), ev('escalated')]);
    expect(s.conflicts.map((c) => c.reason)).toEqual(['invalid_transition']);
  });

  it('assignment records tier, department and handler', () => {
    const handler = newId();
    const s = fold([ev('recorded'), ev('assigned', { tier: 'town', dept: 'water', handler })]);
    expect(s).toMatchObject({ status: 'assigned', tier: 'town', dept: 'water', handler });
    const bare = fold([ev('recorded'), ev('assigned', { tier: 'village' })]);
    expect(bare).toMatchObject({ dept: null, handler: null });
  });
});

describe('fold: return visit, reopen and close', () => {
  const visitedWith = (satisfaction: (typeof SATISFACTION)[number]) => [ev('recorded'), ev('assigned'), ev('replied'), ev('visited', { satisfaction })];

  it('an unsatisfied visit cannot close', () => {
    const close = ev('closed');
    const s = fold([...visitedWith('unsatisfied'), close]);
    expect(s.status).toBe('visited');
    expect(s.satisfaction).toBe('unsatisfied');
    expect(s.conflicts).toEqual([{ index: 4, eventId: close.id, type: 'closed', actor: close.actor, reason: 'unsatisfied_cannot_close', status: 'visited' }]);
  });

  it.each(['satisfied', 'basically_satisfied'] as const)('a %s visit closes and cannot reopen', (satisfaction) => {
    expect(fold([...visitedWith(satisfaction), ev('closed')]).status).toBe('closed');
    const s = fold([...visitedWith(satisfaction), ev('reopened')]);
    expect(s.status).toBe('visited');
    expect(s.conflicts.map((c) => c.reason)).toEqual(['satisfied_cannot_reopen']);
  });

  it('an unsatisfied visit reopens for redo, counting each reopen, and the redo can close', () => {
    const events = [...visitedWith('unsatisfied'), ev('reopened')];
    let s = fold(events);
    expect(s).toMatchObject({ status: 'assigned', reopenCount: 1, satisfaction: null, conflicts: [] });

    events.push(ev('replied'), ev('visited', { satisfaction: 'unsatisfied' }), ev('reopened'));
    s = fold(events);
    expect(s).toMatchObject({ status: 'assigned', reopenCount: 2, conflicts: [] });

    events.push(ev('replied'), ev('visited', { satisfaction: 'basically_satisfied' }), ev('closed'));
    s = fold(events);
    expect(s).toMatchObject({ status: 'closed', reopenCount: 2, satisfaction: 'basically_satisfied', conflicts: [] });
  });

  it('two concurrent closes converge to one closed appeal plus one conflict', () => {
    const a = ev('closed', {}, { id: 'official-a', role: 'town_official' });
    const b = ev('closed', {}, { id: 'official-b', role: 'town_official' });
    const s = fold([...visitedWith('satisfied'), a, b]);
    expect(s.status).toBe('closed');
    expect(s.applied).toBe(5);
    expect(s.conflicts).toEqual([{ index: 5, eventId: b.id, type: 'closed', actor: 'official-b', reason: 'invalid_transition', status: 'closed' }]);
  });

  it('comments apply in every recorded status, even closed and merged', () => {
    for (const status of STATUSES) {
      const s = fold([...pathTo(status), ev('commented')]);
      expect(s.conflicts, status).toEqual([]);
      expect(s.status).toBe(status);
    }
  });
});

describe('fold: other effects', () => {
  it('approved extensions add up, refused ones do not; supervision only climbs', () => {
    const s = fold([
      ev('recorded'),
      ev('assigned'),
      ev('extension_requested', { days: 3 }),
      ev('extension_decided', { approved: true, days: 3 }),
      ev('supervised', { level: 3 }),
      ev('extension_requested', { days: 4 }),
      ev('extension_decided', { approved: false, days: 4 }),
      ev('extension_requested', { days: 2 }),
      ev('extension_decided', { approved: true, days: 2 }),
      ev('supervised', { level: 1 }),
    ]);
    expect(s).toMatchObject({ extensionDays: 5, extensionRequested: null, supervisionLevel: 3, status: 'assigned' });
    expect(s.conflicts.map((c) => c.reason)).toEqual(['supervision_not_higher']);
  });

  it('one extension request at a time, and no decision without one', () => {
    const s = fold([ev('recorded'), ev('assigned'), ev('extension_decided'), ev('extension_requested'), ev('extension_requested')]);
    expect(s.conflicts.map((c) => c.reason)).toEqual(['no_extension_request', 'extension_pending']);
    expect(s.extensionRequested).toBe(3);
  });

  it('an appeal cannot be merged into itself', () => {
    const id = newId();
    const s = fold([ev('recorded'), ev('merged', { into: id })], id);
    expect(s.conflicts.map((c) => c.reason)).toEqual(['merge_into_self']);
    expect(s.status).toBe('new');
  });

  it('stages: dispatch from recording, handling from assignment or reopening, the visit from the reply', () => {
    const s = (events: AppealEvent[]) => fold(events);
    const r = ev('recorded', { at: 10 });
    const a = ev('assigned', { at: 20 });
    const rep = ev('replied', { at: 30 });
    const v = ev('visited', { at: 40, satisfaction: 'unsatisfied' });
    const re = ev('reopened', { at: 50 });
    expect(s([r])).toMatchObject({ stage: 'dispatch', stageStartedAt: 10 });
    expect(s([r, a])).toMatchObject({ stage: 'handle', stageStartedAt: 20 });
    expect(s([r, a, rep])).toMatchObject({ stage: 'visit', stageStartedAt: 30, repliedAt: 30 });
    expect(s([r, a, rep, v])).toMatchObject({ stage: null, stageStartedAt: null });
    expect(s([r, a, rep, v, re])).toMatchObject({ stage: 'handle', stageStartedAt: 50, reopenCount: 1 });
    expect(s([r, a, ev('escalated', { at: 60 })])).toMatchObject({ stage: 'dispatch', stageStartedAt: 60, tier: 'town' });
  });

  it('warnings are remembered by stage and due date', () => {
    const s = fold([ev('recorded'), ev('warned', { stage: 'due_soon', dueAt: 5 }), ev('warned', { stage: 'overdue', dueAt: 5 })]);
    expect(s.warned).toEqual(['due_soon@5', 'overdue@5']);
    expect(s.status).toBe('new');
  });

  it('merge records the target and ends the appeal', () => {
    const into = newId();
    const s = fold([ev('recorded'), ev('merged', { into }), ev('accepted')]);
    expect(s).toMatchObject({ status: 'merged', mergedInto: into });
    expect(isOpen(s.status)).toBe(false);
    expect(s.conflicts.map((c) => c.reason)).toEqual(['invalid_transition']);
  });

  it('recordedAt is the recorded event; lastEventAt is the latest applied time, not the last in order', () => {
    const s = fold([ev('recorded', { at: 100 }), ev('accepted', { at: 500 }), ev('assigned', { at: 300 }), ev('closed', { at: 9999 })]);
    expect(s.recordedAt).toBe(100);
    expect(s.lastEventAt).toBe(500); // the refused close does not count
  });

  it('isOpen is true only for the open statuses', () => {
    expect(STATUSES.filter(isOpen)).toEqual(OPEN);
    expect(isOpen(null)).toBe(false);
  });

  it('refusal answers what fold does', () => {
    const s = fold(pathTo('replied'));
    expect(refusal(s, ev('visited'))).toBeNull();
    expect(refusal(s, ev('closed'))).toBe('invalid_transition');
    expect(refusal(initialState(), ev('accepted'))).toBe('not_recorded');
    expect(refusal(initialState(), ev('recorded'))).toBeNull();
  });
});

describe('fold: duplicates and malformed events', () => {
  it('a repeated event id is a duplicate_id conflict, whatever its content', () => {
    const r = ev('recorded');
    const acc = ev('accepted');
    const s = fold([r, acc, { ...acc }, { ...ev('commented'), id: r.id }]);
    expect(s.applied).toBe(2);
    expect(s.conflicts).toEqual([
      { index: 2, eventId: acc.id, type: 'accepted', actor: acc.actor, reason: 'duplicate_id', status: 'accepted' },
      { index: 3, eventId: r.id, type: 'commented', actor: acc.actor, reason: 'duplicate_id', status: 'accepted' },
    ]);
  });

  it('the id of a refused event still counts as seen', () => {
    const early = ev('accepted');
    const s = fold([early, ev('recorded'), early]);
    expect(s.conflicts.map((c) => c.reason)).toEqual(['not_recorded', 'duplicate_id']);
    expect(s.status).toBe('new');
  });

  const base = ev('assigned', { tier: 'town' });
  const malformed: [string, unknown][] = [
    ['null', null],
    ['a string', 'recorded'],
    ['an array', [base]],
    ['a number', 7],
    ['unknown type', { ...base, type: 'deleted' }],
    ['no type', { ...base, type: undefined }],
    ['non-UUIDv7 id', { ...base, id: 'e1' }],
    ['UUIDv4 id', { ...base, id: '01890a5d-ac96-474b-bcce-b302099a8057' }],
    ['empty actor', { ...base, actor: '' }],
    ['numeric actor', { ...base, actor: 5 }],
    ['unknown role', { ...base, role: 'king' }],
    ['non-finite at', { ...base, at: Infinity }],
    ['string at', { ...base, at: '2024-01-01' }],
    ['bad tier', { ...base, tier: 'province' }],
    ['non-string dept', { ...base, dept: 3 }],
    ['too long note', { ...base, note: 'x'.repeat(MAX_EVENT_NOTE_CHARS + 1) }],
    ['blank escalation reason', ev('escalated', { reason: '   ' })],
    ['missing reply note', { ...ev('replied'), note: undefined }],
    ['zero extension', ev('extension_requested', { days: 0 })],
    ['11-day extension', ev('extension_requested', { days: 11 })],
    ['fractional extension', ev('extension_decided', { days: 1.5 })],
    ['decision without a verdict', { ...ev('extension_decided'), approved: undefined }],
    ['reply without its channel', { ...ev('replied'), via: undefined }],
    ['reply through an unknown channel', ev('replied', { via: 'wechat' as never })],
    ['unknown department', ev('assigned', { dept: 'roads' })],
    ['non-UUID handler', ev('assigned', { handler: 'h1' })],
    ['non-UUID basis', ev('accepted', { basis: 'last' })],
    ['overlong author name', ev('accepted', { by: 'x'.repeat(51) })],
    ['a warning by a person', ev('warned', {}, { id: townOfficial.id, role: townOfficial.role })],
    ['the system closing', ev('closed', {}, { id: 'system', role: 'system' })],
    ['a person posing as the system', ev('commented', {}, { id: 'system', role: 'town_official' })],
    ['warning without anyone to notify', ev('warned', { notify: [] })],
    ['warning at an unknown stage', ev('warned', { stage: 'late' as never })],
    ['supervision level 6', ev('supervised', { level: 6 })],
    ['supervision level 0', ev('supervised', { level: 0 })],
    ['unknown satisfaction', ev('visited', { satisfaction: 'meh' as never })],
    ['merge into non-UUID', ev('merged', { into: 'elsewhere' })],
  ];

  it.each(malformed)('%s is a malformed conflict and changes nothing', (_label, bad) => {
    const path = pathTo('accepted');
    const s = fold([...path, bad]);
    expect(isAppealEvent(bad)).toBe(false);
    expect(s.conflicts).toEqual([{ index: path.length, eventId: null, type: null, actor: null, reason: 'malformed', status: 'accepted' }]);
    expect({ ...s, conflicts: [] }).toEqual({ ...fold(path), conflicts: [] });
  });

  it('well-formed events of every type pass the shape check, with optional fields', () => {
    for (const type of EVENT_TYPES) expect(isAppealEvent(ev(type)), type).toBe(true);
    for (const role of ROLES) expect(isAppealEvent(ev('commented', {}, { id: 'x', role }))).toBe(true);
    for (const to of TIERS) expect(isAppealEvent(ev('assigned', { to, from: to, dept: 'water', handler: newId(), note: '' }))).toBe(true);
    for (const tier of LEGACY_TIERS) expect(isAppealEvent(ev('assigned', { tier }))).toBe(true);
    // An assignment names its tier one way only; a legacy event never says 'county'.
    expect(isAppealEvent({ ...ev('assigned', { to: 'town' }), tier: 'town' })).toBe(false);
    expect(isAppealEvent(ev('assigned', { tier: 'county' as never }))).toBe(false);
    expect(isAppealEvent(ev('extension_requested', { days: 10 }))).toBe(true);
    expect(isAppealEvent(ev('supervised', { level: 2 }, { id: 'system', role: 'system' }))).toBe(true);
    expect(isAppealEvent(ev('accepted', { basis: newId(), by: '镇干部 刘洋' }))).toBe(true);
    expect(isAppealEvent(ev('supervised', { level: 5, note: 'n' }))).toBe(true);
    expect(isAppealEvent(ev('closed', { note: 'done' }))).toBe(true);
    expect(isAppealEvent(ev('replied', { note: 'x'.repeat(MAX_EVENT_NOTE_CHARS) }))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------
// Properties

const ID_POOL = Array.from({ length: 12 }, () => newId());
const ACTORS = ['a1', 'a2', 'a3'];

const eventArb: fc.Arbitrary<AppealEvent> = fc
  .record({
    type: fc.constantFrom(...EVENT_TYPES),
    id: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...ID_POOL) }),
    actor: fc.constantFrom(...ACTORS),
    role: fc.constantFrom(...ROLES),
    at: fc.integer({ min: 0, max: 2_000_000_000_000 }),
    tier: fc.constantFrom(...TIERS),
    satisfaction: fc.constantFrom(...SATISFACTION),
  })
  .map(({ type, id, actor, role, at, tier, satisfaction }) => {
    const payload: Record<string, unknown> = { ...PAYLOAD[type] };
    if (type === 'assigned') payload.tier = tier;
    if (type === 'visited') payload.satisfaction = satisfaction;
    // null → a fresh id made when the value is built, so runs see mostly unique ids.
    return { id: id ?? newId(), type, actor, role, at, ...payload } as AppealEvent;
  });

/** Mostly meaningful histories: a recorded event first, then valid-shaped events and some junk. */
const historyArb = fc
  .tuple(
    fc.boolean(),
    fc.array(fc.oneof({ weight: 9, arbitrary: eventArb as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.anything() }), { maxLength: 40 }),
  )
  .map(([withRecorded, rest]) => (withRecorded ? [ev('recorded'), ...rest] : rest));

function checkAccounting(events: readonly unknown[]): void {
  const s = fold(events);
  expect(s.applied + s.conflicts.length).toBe(events.length);
  const idx = s.conflicts.map((c) => c.index);
  expect(idx).toEqual([...new Set(idx)].sort((a, b) => a - b));
  for (const i of idx) {
    expect(i).toBeGreaterThanOrEqual(0);
    expect(i).toBeLessThan(events.length);
  }
}

describe('fold: properties', () => {
  it('is deterministic', () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        expect(fold(events)).toEqual(fold(structuredClone(events)));
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.array(fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true })), (events) => {
        checkAccounting(events);
      }),
      { numRuns: 200 },
    );
  });

  it('applied + conflicts = events, and conflict indexes are unique, in range and ordered', () => {
    fc.assert(fc.property(historyArb, checkAccounting), { numRuns: 200 });
  });

  it('loses no event: each index is applied or reported, exactly once, and later events never change earlier verdicts', () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        let prev = fold([]);
        for (let i = 0; i < events.length; i++) {
          const s = fold(events.slice(0, i + 1));
          const refused = s.conflicts.length === prev.conflicts.length + 1;
          const applied = s.applied === prev.applied + 1;
          expect(refused !== applied).toBe(true); // exactly one
          if (refused) expect(s.conflicts.at(-1)!.index).toBe(i);
          expect(s.conflicts.slice(0, prev.conflicts.length)).toEqual(prev.conflicts);
          prev = s;
        }
        expect(prev).toEqual(fold(events));
      }),
      { numRuns: 100 },
    );
  });

  it('nothing applies before a recorded event: status is null exactly when nothing applied', () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        const s = fold(events);
        expect(s.status === null).toBe(s.applied === 0);
        expect([null, ...STATUSES]).toContain(s.status);
        // A well-formed, fresh "recorded" event in front always takes.
        if (isAppealEvent(events[0]) && events[0].type === 'recorded') expect(s.status).not.toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});

describe('fold: convergence over real Yjs documents', () => {
  type Op = { kind: 'append'; side: 0 | 1; event: AppealEvent } | { kind: 'deliver'; side: 0 | 1; pick: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('append' as const), side: fc.constantFrom(0 as const, 1 as const), event: eventArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deliver' as const), side: fc.constantFrom(0 as const, 1 as const), pick: fc.nat() }) },
  );

  it('two replicas appending concurrently and exchanging updates in any order fold to the same state', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), fc.array(fc.nat(), { minLength: 64, maxLength: 64 }), (ops, order) => {
        const origin = new Y.Doc();
        writeNewAppeal(origin, validInput(), { id: gridWorker.id, role: gridWorker.role }, 1_700_000_000_000, newId());
        const docs = [new Y.Doc(), new Y.Doc()] as const;
        for (const d of docs) Y.applyUpdate(d, Y.encodeStateAsUpdate(origin), 'remote');
        // Outboxes of local updates not yet delivered to the other replica.
        const outbox: Uint8Array[][] = [[], []];
        docs.forEach((d, i) =>
          d.on('update', (u: Uint8Array, from: unknown) => {
            if (from !== 'remote') outbox[i]!.push(u);
          }),
        );
        const deliver = (side: 0 | 1, pick: number) => {
          const box = outbox[side]!;
          if (box.length === 0) return;
          const [u] = box.splice(pick % box.length, 1);
          Y.applyUpdate(docs[side === 0 ? 1 : 0], u!, 'remote');
        };
        for (const op of ops) {
          if (op.kind === 'append') appendEvent(docs[op.side], op.event);
          else deliver(op.side, op.pick);
        }
        // Flush the rest in a scrambled order, alternating sides.
        let k = 0;
        while (outbox[0]!.length || outbox[1]!.length) {
          const side = (order[k % order.length]! & 1) as 0 | 1;
          deliver(outbox[side]!.length ? side : ((1 - side) as 0 | 1), order[k++ % order.length]!);
        }

        for (const d of docs) {
          expect(d.store.pendingStructs).toBeNull();
          expect(d.store.pendingDs).toBeNull();
        }
        expect(Y.encodeStateVector(docs[0])).toEqual(Y.encodeStateVector(docs[1]));
        const [e0, e1] = docs.map((d) => eventsOf(d).toArray());
        expect(e0).toEqual(e1);
        const appended = ops.filter((o) => o.kind === 'append').length;
        expect(e0!.length).toBe(1 + appended);
        const [s0, s1] = [fold(e0!), fold(e1!)];
        expect(s0).toEqual(s1);
        expect(s0.status).not.toBeNull(); // the shared "recorded" comes first on both
        expect(s0.applied + s0.conflicts.length).toBe(e0!.length);
        [origin, ...docs].forEach((d) => d.destroy());
      }),
      { numRuns: 150 },
    );
  });

  it('two officials closing the same appeal offline converge to one close plus a visible conflict', () => {
    const a = new Y.Doc();
    writeNewAppeal(a, validInput(), { id: gridWorker.id, role: gridWorker.role }, 1, newId());
    for (const type of ['assigned', 'replied', 'visited'] as const) appendEvent(a, ev(type));
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    const svA = Y.encodeStateVector(a);
    const svB = Y.encodeStateVector(b);
    appendEvent(a, ev('closed', {}, { id: 'official-a', role: townOfficial.role }));
    appendEvent(b, ev('closed', {}, { id: 'official-b', role: townOfficial.role }));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a, svB));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b, svA));
    const [sa, sb] = [a, b].map((d) => fold(eventsOf(d).toArray()));
    expect(sa).toEqual(sb);
    expect(sa!.status).toBe('closed');
    expect(sa!.conflicts).toHaveLength(1);
    expect(sa!.conflicts[0]).toMatchObject({ type: 'closed', reason: 'invalid_transition', status: 'closed' });
    expect(['official-a', 'official-b']).toContain(sa!.conflicts[0]!.actor);
  });
});

describe('the public board', () => {
  it('holds the latest wording while published, and nothing once taken off', () => {
    const first = ev('published', { summary: '村道塌陷', reply: '已修复' });
    const second = ev('published', { summary: '村道塌陷 40 米', reply: '镇交通办已修复' });
    const s = fold([ev('recorded'), ev('accepted'), first, second]);
    expect(s.published).toEqual({ summary: '村道塌陷 40 米', reply: '镇交通办已修复', at: second.at });
    expect(s.status).toBe('accepted');
    expect(fold([ev('recorded'), ev('accepted'), first, ev('unpublished')]).published).toBeNull();
  });

  it('refuses showing an appeal just recorded, and taking off one never shown', () => {
    const s = fold([ev('recorded'), ev('published'), ev('accepted'), ev('unpublished')]);
    expect(s.published).toBeNull();
    expect(s.conflicts.map((c) => [c.type, c.reason])).toEqual([
      ['published', 'invalid_transition'],
      ['unpublished', 'invalid_transition'],
    ]);
    expect(isAppealEvent({ ...ev('published'), summary: 'x'.repeat(501) })).toBe(false);
    expect(isAppealEvent({ ...ev('published'), summary: '  ' })).toBe(false);
  });
});

describe('suggestions and reception days', () => {
  it('adopts a suggestion once', () => {
    const s = fold([ev('recorded'), ev('accepted'), ev('adopted'), ev('adopted')]);
    expect(s.adopted).toBe(true);
    expect(s.conflicts.map((c) => [c.type, c.reason])).toEqual([['adopted', 'invalid_transition']]);
  });

  it('keeps the latest booking and its outcome; an outcome needs that booking', () => {
    const slot = '01890a5d-ac96-774b-bcce-b302099a8058';
    const other = '01890a5d-ac96-774b-bcce-b302099a8059';
    const booked = ev('reception_booked', { slotId: slot, startsAt: 1_700_100_000_000, host: '县长 王明' });
    const s = fold([ev('recorded'), ev('reception_held', { slotId: slot }), booked, ev('reception_held', { slotId: other }), ev('reception_held', { slotId: slot })]);
    expect(s.reception).toEqual({ slotId: slot, startsAt: 1_700_100_000_000, host: '县长 王明', held: true });
    expect(s.conflicts.map((c) => c.type)).toEqual(['reception_held', 'reception_held']);
    expect(s.status).toBe('new');
  });
});
