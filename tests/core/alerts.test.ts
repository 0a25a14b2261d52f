import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALERT_KINDS, alertFeed, DEADLINE_KINDS, alertsFor, LEADER_KINDS, unread, type AlertSource } from '../../src/core/alerts';
import { SYSTEM, type AppealEvent, type Tier } from '../../src/core/events';
import { fold, step } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { appealInScope, type SessionUser } from '../../src/core/roles';
import { OTHER_TOWN_VILLAGE, VILLAGE } from './fixtures';

const user = (role: SessionUser['role'], regions: string[], departments: string[] = []): SessionUser => ({
  id: newId(),
  username: role,
  displayName: role,
  role,
  scope: { regions, departments },
});

const station = user('village_station', [VILLAGE]);
const town = user('town_official', ['371324102']);
const otherTown = user('town_official', ['371324103']);
const county = user('county_dispatcher', ['371324']);
const water = user('dept_handler', ['371324'], ['water']);
const health = user('dept_handler', ['371324'], ['health']);
const grid = user('grid_worker', ['371324102']);
const townLeader = user('leader', ['371324102']);
const countyLeader = user('leader', ['371324']);
const USERS = [station, town, otherTown, county, water, health, grid, townLeader, countyLeader];

let clock = 1_750_000_000_000;
function e(type: AppealEvent['type'], payload: Record<string, unknown>, by: SessionUser | typeof SYSTEM = town): AppealEvent {
  const actor = by === SYSTEM ? { actor: SYSTEM, role: SYSTEM } : { actor: by.id, role: by.role, by: by.displayName };
  return { id: newId(), type, at: clock++, ...actor, ...payload } as AppealEvent;
}
const recorded = (by: SessionUser = grid) => e('recorded', {}, by);

function source(events: readonly unknown[], village = VILLAGE): AlertSource {
  const id = newId();
  const s = fold(events, id);
  return { id, village, dept: s.dept, status: s.status ?? 'new', feed: alertFeed(events, id) };
}
const kinds = (u: SessionUser, events: readonly unknown[], village?: string) => alertsFor(u, source(events, village)).map((a) => `${a.kind}:${a.audience}`);

describe('alerts: who is told what', () => {
  it('tells the village desk of a dispatch to it, not the town that sent it nor any leader', () => {
    const events = [recorded(), e('assigned', { to: 'village', from: 'town' }, town)];
    expect(kinds(station, events)).toEqual(['assigned:handler']);
    expect(kinds(town, events)).toEqual([]);
    expect(kinds(townLeader, events)).toEqual([]);
    expect(kinds(countyLeader, events)).toEqual([]);
    expect(kinds(grid, events)).toEqual([]);
  });

  it('tells a department at its own tier, and a named handler alone', () => {
    const toWater = [recorded(), e('assigned', { to: 'county', from: 'town', dept: 'water' }, town)];
    expect(kinds(water, toWater)).toEqual(['assigned:handler']);
    expect(kinds(health, toWater)).toEqual([]);
    // The city's water bureau is the same department at another tier: not its case.
    expect(kinds(user('dept_handler', ['3713'], ['water']), toWater)).toEqual([]);
    expect(kinds(county, toWater)).toEqual([]);
    const toGrid = [recorded(station), e('assigned', { to: 'village', from: 'town', handler: grid.id }, town)];
    expect(kinds(grid, toGrid)).toEqual(['assigned:handler']);
    expect(kinds(station, toGrid)).toEqual([]);
  });

  it('tells the desk a case is returned or escalated to', () => {
    const returned = [recorded(), e('assigned', { to: 'county', from: 'town', dept: 'water' }, town), e('returned', { reason: '不属本单位职责', to: 'town' }, water)];
    expect(kinds(town, returned)).toEqual(['returned:handler']);
    // Returned, it is no longer the department's: out of its scope, so nothing is shown there.
    expect(kinds(water, returned)).toEqual([]);
    const escalated = [recorded(), e('escalated', { reason: '村里办不了', to: 'town' }, station)];
    expect(kinds(town, escalated)).toEqual(['escalated:handler']);
    expect(kinds(otherTown, escalated, VILLAGE)).toEqual([]);
  });

  it('warns the handler before the deadline and the leader only after it', () => {
    const base = [recorded(), e('assigned', { to: 'village', from: 'town' }, town)];
    const soon = [...base, e('warned', { stage: 'due_soon', dueAt: clock, notify: ['handler'] }, SYSTEM)];
    expect(kinds(station, soon)).toEqual(['due_soon:handler', 'assigned:handler']);
    expect(kinds(townLeader, soon)).toEqual([]);
    const late = [...soon, e('warned', { stage: 'overdue', dueAt: clock, notify: ['handler', 'leader'] }, SYSTEM), e('supervised', { level: 1 }, SYSTEM)];
    // A later warning or rung supersedes the earlier ones of the same appeal.
    expect(kinds(station, late)).toEqual(['supervised:handler', 'assigned:handler']);
    expect(kinds(townLeader, late)).toEqual(['supervised:leader']);
    expect(kinds(countyLeader, late)).toEqual(['supervised:leader']);
    expect(kinds(countyLeader, late.slice(0, -1))).toEqual(['overdue:leader']);
  });

  it('does not tell a town leader of what the county now owns', () => {
    const events = [recorded(), e('assigned', { to: 'county', from: 'town', dept: 'water' }, town), e('warned', { stage: 'severe', dueAt: clock, notify: ['handler', 'leader'] }, SYSTEM)];
    expect(kinds(townLeader, events)).toEqual([]);
    expect(kinds(countyLeader, events)).toEqual(['severe:leader']);
    expect(kinds(water, events)).toEqual(['severe:handler', 'assigned:handler']);
  });

  it('tells the handler of a reply sent back for redo (质检) and of a reopening', () => {
    const replied = e('replied', { note: '已修复', via: 'grid_patrol' }, water);
    const events = [recorded(), e('assigned', { to: 'county', from: 'town', dept: 'water' }, town), replied, e('quality_reviewed', { verdict: 'redo', reply: replied.id, note: '请写明修复时间' }, county)];
    const got = alertsFor(water, source(events));
    expect(got.map((a) => a.kind)).toEqual(['sent_back', 'assigned']);
    // Replying was acting on it: the dispatch before counts as read, the redo after does not.
    expect(got.map((a) => a.acted)).toEqual([false, true]);
    expect(unread(got, new Set()).map((a) => a.kind)).toEqual(['sent_back']);
    expect(unread(got, new Set([got[0]!.id]))).toEqual([]);
  });

  it('tells nobody about a closed appeal, nor about events the fold refused', () => {
    const replied = e('replied', { note: '已修复', via: 'grid_patrol' }, station);
    const closed = [recorded(), e('assigned', { to: 'village', from: 'town', handler: grid.id }, town), replied, e('visited', { satisfaction: 'satisfied' }, station), e('closed', {}, station)];
    expect(fold(closed).status).toBe('closed');
    for (const u of USERS) expect(alertsFor(u, source(closed))).toEqual([]);
    // A second dispatch of an appeal already dispatched is a conflict, not an alert.
    const twice = [recorded(), e('assigned', { to: 'village', from: 'town', handler: grid.id }, town), e('assigned', { to: 'county', from: 'town', dept: 'water' }, town)];
    expect(fold(twice).conflicts).toHaveLength(1);
    expect(kinds(grid, twice)).toEqual(['assigned:handler']);
    expect(kinds(county, twice)).toEqual([]);
  });

  it('keeps alerts within the window it is asked for, newest first', () => {
    const events = [recorded(), e('assigned', { to: 'village', from: 'town' }, town), e('warned', { stage: 'due_soon', dueAt: clock, notify: ['handler'] }, SYSTEM)];
    const all = alertsFor(station, source(events));
    expect(all).toHaveLength(2);
    expect(all[0]!.at).toBeGreaterThan(all[1]!.at);
    expect(alertsFor(station, source(events), all[0]!.at).map((a) => a.kind)).toEqual(['due_soon']);
  });
});

// ---- Properties over random histories ---------------------------------------------------------

const TIERS: Tier[] = ['village', 'town', 'county', 'city'];
const actorArb = fc.constantFrom(...USERS);
const tierArb = fc.constantFrom(...TIERS);
const ownerArb = fc.record({ dept: fc.option(fc.constantFrom('water', 'health'), { nil: undefined }), handler: fc.option(fc.constantFrom(grid.id, station.id, water.id, townLeader.id), { nil: undefined }) });

/** One step of a history: an event shape with an author; `quality_reviewed` names the latest reply when built. */
const stepArb: fc.Arbitrary<(replies: string[]) => AppealEvent> = fc.oneof(
  fc.tuple(actorArb, tierArb, tierArb, ownerArb).map(([a, to, from, o]) => () => e('assigned', { to, from, ...(o.dept && { dept: o.dept }), ...(o.handler && { handler: o.handler }) }, a)),
  fc.tuple(actorArb, tierArb, ownerArb).map(([a, to, o]) => () => e('reassigned', { to, reason: '改派', ...(o.dept && { dept: o.dept }), ...(o.handler && { handler: o.handler }) }, a)),
  fc.tuple(actorArb, tierArb).map(([a, to]) => () => e('returned', { reason: '不属本单位职责', to }, a)),
  actorArb.map((a) => () => e('escalated', { reason: '办不了' }, a)),
  actorArb.map((a) => () => e('started', {}, a)),
  actorArb.map((a) => (replies: string[]) => {
    const r = e('replied', { note: '已办', via: 'grid_patrol' }, a);
    replies.push(r.id);
    return r;
  }),
  fc.tuple(actorArb, fc.constantFrom('satisfied', 'unsatisfied')).map(([a, s]) => () => e('visited', { satisfaction: s }, a)),
  actorArb.map((a) => () => e('reopened', { reason: '不满意' }, a)),
  actorArb.map((a) => () => e('commented', { note: '收到' }, a)),
  fc.tuple(actorArb, fc.constantFrom('passed', 'redo')).map(([a, verdict]) => (replies: string[]) => e('quality_reviewed', { verdict, reply: replies.at(-1) ?? newId(), note: '重办' }, a)),
  // Any audience the event may name, not only the scanner's: the rules must hold for a crafted one too.
  fc.tuple(fc.constantFrom('due_soon', 'overdue', 'severe'), fc.subarray(['handler', 'leader'], { minLength: 1 })).map(([stage, notify]) => () => e('warned', { stage, dueAt: 1, notify }, SYSTEM)),
  fc.integer({ min: 1, max: 5 }).map((level) => () => e('supervised', { level }, SYSTEM)),
  actorArb.map((a) => () => e('closed', {}, a)),
);

const historyArb = fc.tuple(actorArb, fc.array(stepArb, { maxLength: 14 })).map(([author, steps]) => {
  const replies: string[] = [];
  return [recorded(author), ...steps.map((s) => s(replies))];
});
const villageArb = fc.constantFrom(VILLAGE, '371324102202', OTHER_TOWN_VILLAGE);
const RUNS = { numRuns: 300 };

describe('alerts: properties', () => {
  it('never alerts a user about an appeal outside their scope', () => {
    fc.assert(
      fc.property(historyArb, villageArb, actorArb, (events, village, u) => {
        const src = source(events, village);
        if (!appealInScope(u, { villageCode: village, dept: src.dept })) expect(alertsFor(u, src)).toEqual([]);
      }),
      RUNS,
    );
  });

  it('never alerts a user about their own action', () => {
    fc.assert(
      fc.property(historyArb, villageArb, actorArb, (events, village, u) => {
        const byId = new Map(events.map((ev) => [ev.id, ev]));
        for (const a of alertsFor(u, source(events, village))) expect(byId.get(a.id)!.actor).not.toBe(u.id);
      }),
      RUNS,
    );
  });

  it('tells a leader only of overdue, severe and supervision, unless they are the named handler', () => {
    fc.assert(
      fc.property(historyArb, villageArb, fc.constantFrom(townLeader, countyLeader), (events, village, u) => {
        for (const a of alertsFor(u, source(events, village))) {
          if (a.audience === 'leader') expect(LEADER_KINDS).toContain(a.kind);
          else expect(source(events, village).feed.notices.find((n) => n.id === a.id)!.owner.handler).toBe(u.id);
        }
      }),
      RUNS,
    );
  });

  it('never tells a leader of a warning before the deadline', () => {
    fc.assert(
      fc.property(historyArb, villageArb, actorArb, (events, village, u) => {
        for (const a of alertsFor(u, source(events, village))) if (a.kind === 'due_soon') expect(a.audience).toBe('handler');
      }),
      RUNS,
    );
  });

  it('is the same after duplicated events and a storage round trip, and lists each applied event once, newest first', () => {
    fc.assert(
      fc.property(historyArb, fc.array(fc.tuple(fc.nat(), fc.nat())), actorArb, (events, dups, u) => {
        // A copy of an event placed anywhere after it (a replayed update) is a conflict, never a second alert.
        const withDups = [...events];
        for (const [which, where] of dups) {
          const original = events[which % events.length]!;
          const i = withDups.indexOf(original);
          withDups.splice(i + 1 + (where % (withDups.length - i)), 0, original);
        }
        const id = newId();
        const s = fold(events, id);
        const base: AlertSource = { id, village: VILLAGE, dept: s.dept, status: s.status ?? 'new', feed: alertFeed(events, id) };
        const got = alertsFor(u, base);
        expect(alertsFor(u, { ...base, feed: alertFeed(withDups, id) })).toEqual(got);
        expect(alertsFor(u, { ...base, feed: structuredClone(base.feed) })).toEqual(got);
        expect(new Set(got.map((a) => a.id)).size).toBe(got.length);
        for (let i = 1; i < got.length; i++) expect(got[i - 1]!.at).toBeGreaterThanOrEqual(got[i]!.at);
        for (const a of got) expect(ALERT_KINDS).toContain(a.kind);
        expect(got.filter((a) => DEADLINE_KINDS.includes(a.kind)).length).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });

  it('names the owner the fold reaches: after a dispatch, return or redo, before a warning or supervision', () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        // The reference: a copy of the state stepped past each applied event.
        const owners = new Map<string, { tier: string; dept: string | null; handler: string | null }>();
        fold(events, null, (ev, before, _i, refused) => {
          if (refused) return;
          const after = ['warned', 'supervised'].includes(ev.type) ? before : step(before, ev);
          owners.set(ev.id, { tier: after.tier, dept: after.dept, handler: after.handler });
        });
        for (const n of alertFeed(events).notices) expect(n.owner).toEqual(owners.get(n.id));
      }),
      RUNS,
    );
  });

  it('gives each alert to at least its owner: some user in scope is told of every dispatch to a desk', () => {
    fc.assert(
      fc.property(fc.constantFrom<Tier>('village', 'town', 'county'), (to) => {
        const events = [recorded(), e('assigned', { to, from: to === 'village' ? 'town' : 'village' }, grid)];
        const told = USERS.filter((u) => alertsFor(u, source(events)).some((a) => a.kind === 'assigned'));
        expect(told.length).toBeGreaterThan(0);
        expect(told.every((u) => u.role !== 'leader')).toBe(true);
      }),
    );
  });
});
