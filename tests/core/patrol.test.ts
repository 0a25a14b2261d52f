import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { checkUpdate, type CheckContext, type UpdateCheck } from '../../src/core/accept';
import { validateAppealInput } from '../../src/core/appeal';
import { cstInstant } from '../../src/core/calendar';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { eventsOf, fieldsOf, readAppeal, trailOf, writeNewAppeal, type Actor } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import {
  afterPlan,
  applyFixPlan,
  checkInEvent,
  coverage,
  keepFix,
  lastDays,
  MAX_PATROL_MS,
  MAX_POINTS,
  patrolErrors,
  planFix,
  projectPatrol,
  SAMPLE_MAX_GAP_MS,
  SAMPLE_MIN_GAP_MS,
  trailPoint,
  writeNewPatrol,
  type TrailPoint,
} from '../../src/core/patrol';
import type { SessionUser } from '../../src/core/roles';
import { gridWorker, knownVillage, OTHER_TOWN_VILLAGE, townOfficial, validInput, VILLAGE } from './fixtures';

const T0 = 1_764_460_800_000; // 2025-11-30 08:00 CST
const MIN = 60_000;
const asActor = (u: SessionUser): Actor => ({ id: u.id, role: u.role, name: u.displayName });
const ctxFor = (user: SessionUser): CheckContext => ({ user, knownVillage, policy: POLICY_PRESETS.lanling });
const neighbour: SessionUser = { ...gridWorker, id: 'u-grid-2', username: 'grid2', displayName: 'Grid Two' };
const stranger: SessionUser = { ...gridWorker, id: 'u-far', username: 'far', displayName: 'Far', scope: { regions: ['371324103'], departments: [] } };

function expectReject(r: UpdateCheck, reason: string) {
  expect(r.ok ? 'accepted' : `${r.reason}: ${r.detail}`).toMatch(new RegExp(`^${reason}`));
}

function newPatrol(by: SessionUser = gridWorker, village = VILLAGE) {
  const id = newId();
  const doc = new Y.Doc();
  writeNewPatrol(doc, village, asActor(by), T0, newId());
  return { id, doc, update: Y.encodeStateAsUpdate(doc) };
}

/** The server's accepted copy and a device's replica. */
function stored(by: SessionUser = gridWorker) {
  const { id, doc: server } = newPatrol(by);
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
  return { id, server, client };
}

function diff(client: Y.Doc, server: Y.Doc, change: () => void): Uint8Array {
  const sv = Y.encodeStateVector(server);
  change();
  return Y.encodeStateAsUpdate(client, sv);
}

/** Points north along a meridian, `metres` apart, `gap` ms apart. */
const walk = (n: number, gap = MIN, metres = 50): { lat: number; lng: number; t: number }[] =>
  Array.from({ length: n }, (_, i) => ({ lat: 34.8 + (i * metres) / 111_000, lng: 117.5, t: T0 + (i + 1) * gap }));

describe('sampling', () => {
  it('keeps a fix a minute and 30 m on, or five minutes on standing still, and nothing sooner', () => {
    const a = trailPoint(34.8, 117.5, T0);
    const near = (dt: number) => trailPoint(34.8001, 117.5, T0 + dt); // about 11 m
    const far = (dt: number) => trailPoint(34.801, 117.5, T0 + dt); // about 111 m
    expect(keepFix(null, a)).toBe(true);
    expect(keepFix(a, far(SAMPLE_MIN_GAP_MS - 1))).toBe(false);
    expect(keepFix(a, far(SAMPLE_MIN_GAP_MS))).toBe(true);
    expect(keepFix(a, near(SAMPLE_MIN_GAP_MS))).toBe(false);
    expect(keepFix(a, near(SAMPLE_MAX_GAP_MS - 1))).toBe(false);
    expect(keepFix(a, near(SAMPLE_MAX_GAP_MS))).toBe(true);
  });

  it('ignores vague fixes and fixes outside the patrol', () => {
    const patrol = { startedAt: T0 };
    expect(planFix([], { lat: 34.8, lng: 117.5, accuracy: 500, t: T0 + MIN }, patrol).keep).toBe(false);
    expect(planFix([], { lat: 34.8, lng: 117.5, t: T0 - 1 }, patrol).keep).toBe(false);
    expect(planFix([], { lat: 34.8, lng: 117.5, t: T0 + MAX_PATROL_MS + 1 }, patrol).keep).toBe(false);
    expect(planFix([], { lat: 34.8, lng: 117.5, t: T0 + 2 * MIN }, { startedAt: T0, endedAt: T0 + MIN }).keep).toBe(false);
    expect(planFix([], { lat: 34.8, lng: 117.5, accuracy: 10, t: T0 + MIN }, patrol).keep).toBe(true);
  });

  it('drops every other point when the trail is full, keeping where the walk began', () => {
    const patrol = { startedAt: T0 };
    let trail: TrailPoint[] = [];
    for (const f of walk(10)) trail = afterPlan(trail, planFix(trail, f, patrol, 10));
    expect(trail).toHaveLength(10);
    const plan = planFix(trail, { lat: 35, lng: 117.5, t: T0 + 20 * MIN }, patrol, 10);
    expect(plan).toMatchObject({ keep: true, drop: [1, 3, 5, 7, 9] });
    const after = afterPlan(trail, plan);
    expect(after.map((p) => p[2])).toEqual([0, 2, 4, 6, 8].map((i) => trail[i]![2]).concat(T0 + 20 * MIN));
    // At one point a minute a whole patrol stays far below the bound: no thinning in practice.
    expect(MAX_PATROL_MS / SAMPLE_MIN_GAP_MS).toBeLessThan(MAX_POINTS);
  });

  it('keeps at most the bound, in time order, a subsequence of the fixes, for any sequence of fixes', () => {
    const fix = fc.record({
      dt: fc.integer({ min: -MIN, max: 10 * MIN }),
      dLat: fc.double({ min: -0.01, max: 0.01, noNaN: true }),
      dLng: fc.double({ min: -0.01, max: 0.01, noNaN: true }),
      accuracy: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(fix, { maxLength: 400 }), fc.integer({ min: 2, max: 40 }), (steps, bound) => {
        let t = T0;
        let lat = 34.8;
        let lng = 117.5;
        let trail: TrailPoint[] = [];
        const offered: TrailPoint[] = [];
        for (const s of steps) {
          t += s.dt;
          lat += s.dLat;
          lng += s.dLng;
          const plan = planFix(trail, { lat, lng, t, ...(s.accuracy !== undefined && { accuracy: s.accuracy }) }, { startedAt: T0 }, bound);
          if (plan.keep) offered.push(plan.point);
          trail = afterPlan(trail, plan);
          expect(trail.length).toBeLessThanOrEqual(bound);
        }
        for (let i = 1; i < trail.length; i++) expect(trail[i]![2]).toBeGreaterThan(trail[i - 1]![2]);
        let j = 0;
        for (const p of trail) {
          while (j < offered.length && offered[j] !== p) j++;
          expect(j).toBeLessThan(offered.length);
          j++;
        }
        if (offered.length > 0) expect(trail[0]).toBe(offered[0]);
      }),
      { numRuns: 200 },
    );
  });

  it('applies a plan to the document as afterPlan says', () => {
    const { doc } = newPatrol();
    let trail: TrailPoint[] = [];
    for (const f of walk(25)) {
      const plan = planFix(trail, f, { startedAt: T0 }, 8);
      doc.transact(() => applyFixPlan(doc, plan));
      trail = afterPlan(trail, plan);
    }
    expect(trailOf(doc).toArray()).toEqual(trail);
    expect(trail.length).toBeLessThanOrEqual(8);
  });
});

describe('coverage', () => {
  const days = ['2025-11-29', '2025-11-30'];
  it('counts patrols per village per China day against the norm of two', () => {
    const at = (day: number, hour: number) => cstInstant(day, hour * 60);
    const d30 = Math.floor((T0 + 8 * 3_600_000) / 86_400_000);
    const rows = coverage(
      [
        { village: VILLAGE, startedAt: at(d30, 7) },
        { village: VILLAGE, startedAt: at(d30, 16) },
        // 23:30 on the 29th in China is 15:30 UTC: it counts for the 29th.
        { village: VILLAGE, startedAt: at(d30 - 1, 23.5) },
        { village: OTHER_TOWN_VILLAGE, startedAt: at(d30, 9) },
      ],
      [VILLAGE, '371324102202'],
      days,
    );
    expect(rows).toEqual([
      { village: VILLAGE, day: '2025-11-29', count: 1, met: false },
      { village: VILLAGE, day: '2025-11-30', count: 2, met: true },
      { village: '371324102202', day: '2025-11-29', count: 0, met: false },
      { village: '371324102202', day: '2025-11-30', count: 0, met: false },
    ]);
  });

  it('counts each patrol once, on its start day, whatever the input', () => {
    const allDays = lastDays(T0 + 3 * 86_400_000, 5);
    fc.assert(
      fc.property(fc.array(fc.record({ v: fc.constantFrom(VILLAGE, '371324102202'), t: fc.integer({ min: T0 - 86_400_000, max: T0 + 4 * 86_400_000 }) }), { maxLength: 50 }), (ps) => {
        const patrols = ps.map((p) => ({ village: p.v, startedAt: p.t }));
        const rows = coverage(patrols, [VILLAGE, '371324102202'], allDays);
        const inRange = patrols.filter((p) => allDays.includes(new Date(p.startedAt + 8 * 3_600_000).toISOString().slice(0, 10)));
        expect(rows.reduce((n, r) => n + r.count, 0)).toBe(inRange.length);
        for (const r of rows) expect(r.met).toBe(r.count >= 2);
      }),
    );
  });

  it('lists the last n China days, oldest first', () => {
    // 2025-11-30 23:30 UTC is already 1 December in China.
    expect(lastDays(Date.UTC(2025, 10, 30, 23, 30), 3)).toEqual(['2025-11-29', '2025-11-30', '2025-12-01']);
  });
});

describe('the patrol document', () => {
  it('projects village, town, times, points, check-ins and distance', () => {
    const { id, doc } = newPatrol();
    doc.transact(() => {
      trailOf(doc).push([trailPoint(34.8, 117.5, T0 + MIN), trailPoint(34.801, 117.5, T0 + 2 * MIN)]);
      eventsOf(doc).push([checkInEvent({ placeName: ' 村委会 ', lat: 34.801, lng: 117.5 }, asActor(gridWorker), T0 + 3 * MIN, newId())!]);
      fieldsOf(doc).set('endedAt', T0 + 4 * MIN);
    });
    const p = projectPatrol(readAppeal(doc, id));
    expect(p).toMatchObject({ village: VILLAGE, town: '371324102000', createdBy: gridWorker.id, by: 'Grid One', startedAt: T0, endedAt: T0 + 4 * MIN, day: '2025-11-30', points: 2, checkins: 1 });
    expect(p.distanceM).toBeGreaterThan(105);
    expect(p.distanceM).toBeLessThan(115);
    expect(p.places).toEqual([{ placeName: '村委会', lat: 34.801, lng: 117.5, at: T0 + 3 * MIN }]);
    expect(patrolErrors(readAppeal(doc, id), knownVillage)).toEqual([]);
  });

  it('bounds every part of it', () => {
    const { id, doc } = newPatrol();
    doc.transact(() => {
      trailOf(doc).push(Array.from({ length: MAX_POINTS + 1 }, (_, i) => trailPoint(34.8, 117.5, T0 + i)));
      fieldsOf(doc).set('endedAt', T0 + MAX_PATROL_MS + 1);
      fieldsOf(doc).set('phone', '13812345678');
    });
    expect(patrolErrors(readAppeal(doc, id), knownVillage).sort()).toEqual(['endedAt', 'trail', 'unknown_field']);
  });

  it('stays small: the longest patrol, walked point by point with every check-in, is a few tens of kilobytes', () => {
    const { id, doc } = newPatrol();
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    let trail: TrailPoint[] = [];
    // A point a minute for six hours, each its own change as on the phone, and 100 check-ins.
    for (let i = 1; i * SAMPLE_MIN_GAP_MS <= MAX_PATROL_MS; i++) {
      const plan = planFix(trail, { lat: 34.8 + i * 0.0004, lng: 117.5 + (i % 7) * 0.0003, t: T0 + i * SAMPLE_MIN_GAP_MS }, { startedAt: T0 });
      doc.transact(() => applyFixPlan(doc, plan));
      trail = afterPlan(trail, plan);
      if (i % 3 === 0 && i / 3 <= 100) doc.transact(() => eventsOf(doc).push([checkInEvent({ placeName: `第${i / 3}处`, lat: 34.8, lng: 117.5 }, asActor(gridWorker), T0 + i * SAMPLE_MIN_GAP_MS, newId())!]));
    }
    doc.transact(() => fieldsOf(doc).set('endedAt', T0 + MAX_PATROL_MS));
    expect(trail).toHaveLength(MAX_PATROL_MS / SAMPLE_MIN_GAP_MS);
    expect(patrolErrors(readAppeal(doc, id), knownVillage)).toEqual([]);
    const whole = Y.encodeStateAsUpdate(doc).byteLength;
    const sent = updates.reduce((n, u) => n + u.byteLength, 0);
    console.log(`full patrol: ${whole} bytes as one update, ${sent} bytes in ${updates.length} changes`);
    expect(whole).toBeLessThan(64 * 1024);
  });

  it('links an appeal raised on a patrol, on the patrol channel only', () => {
    const patrolId = newId();
    expect(validateAppealInput(validInput({ patrolId }), knownVillage).ok).toBe(true);
    const wrong = validateAppealInput(validInput({ patrolId, channel: 'walk_in' }), knownVillage);
    expect(wrong.ok ? null : wrong.errors.patrolId).toBe('patrol_needs_patrol_channel');
    const bad = validateAppealInput(validInput({ patrolId: 'x' }), knownVillage);
    expect(bad.ok ? null : bad.errors.patrolId).toBe('invalid_choice');
    // Written into the appeal's document and accepted there.
    const id = newId();
    const doc = new Y.Doc();
    writeNewAppeal(doc, validInput({ patrolId, citizen: { anonymous: true } }), asActor(gridWorker), T0, newId());
    expect(fieldsOf(doc).get('patrolId')).toBe(patrolId);
    expect(checkUpdate(id, null, Y.encodeStateAsUpdate(doc), ctxFor(gridWorker)).ok).toBe(true);
  });
});

describe('checkUpdate: patrols', () => {
  it('accepts a new patrol from a grid worker of the village, and its points, check-ins and end', () => {
    const { id, update } = newPatrol();
    expect(checkUpdate(id, null, update, ctxFor(gridWorker)).ok).toBe(true);
    const { server, client } = stored();
    const u = diff(client, server, () =>
      client.transact(() => {
        trailOf(client).push([trailPoint(34.8, 117.5, T0 + MIN)]);
        eventsOf(client).push([checkInEvent({ placeName: '河堤', lat: 34.8, lng: 117.5 }, asActor(gridWorker), T0 + 2 * MIN, newId())!]);
        fieldsOf(client).set('endedAt', T0 + 3 * MIN);
      }),
    );
    const r = checkUpdate(id, server, u, ctxFor(gridWorker));
    expect(r.ok).toBe(true);
  });

  it('refuses a patrol started by a town official or outside the walker’s scope', () => {
    const byTown = newPatrol(townOfficial);
    expectReject(checkUpdate(byTown.id, null, byTown.update, ctxFor(townOfficial)), 'forbidden');
    const far = newPatrol(gridWorker, OTHER_TOWN_VILLAGE);
    expectReject(checkUpdate(far.id, null, far.update, ctxFor(gridWorker)), 'out_of_scope');
  });

  it('refuses anyone else’s points, check-ins or end on someone’s patrol', () => {
    const { id, server, client } = stored();
    const points = diff(client, server, () => trailOf(client).push([trailPoint(34.8, 117.5, T0 + MIN)]));
    expectReject(checkUpdate(id, server, points, ctxFor(neighbour)), 'not_creator');
    const { server: s2, client: c2 } = stored();
    const checkin = diff(c2, s2, () => eventsOf(c2).push([checkInEvent({ placeName: '河堤', lat: 34.8, lng: 117.5 }, asActor(neighbour), T0 + MIN, newId())!]));
    expectReject(checkUpdate(id, s2, checkin, ctxFor(neighbour)), 'not_creator');
    const { server: s3, client: c3 } = stored();
    const ended = diff(c3, s3, () => fieldsOf(c3).set('endedAt', T0 + MIN));
    expectReject(checkUpdate(id, s3, ended, ctxFor(neighbour)), 'not_creator');
    const { server: s4, client: c4 } = stored();
    const far = diff(c4, s4, () => trailOf(c4).push([trailPoint(34.8, 117.5, T0 + MIN)]));
    expectReject(checkUpdate(id, s4, far, ctxFor(stranger)), 'out_of_scope');
  });

  it('keeps a patrol’s start and end once written', () => {
    const { id, server, client } = stored();
    Y.applyUpdate(server, diff(client, server, () => fieldsOf(client).set('endedAt', T0 + MIN)));
    const again = diff(client, server, () => fieldsOf(client).set('endedAt', T0 + 2 * MIN));
    expectReject(checkUpdate(id, server, again, ctxFor(gridWorker)), 'fields_rewritten');
    const moved = diff(client, server, () => fieldsOf(client).set('startedAt', T0 - MIN));
    expectReject(checkUpdate(id, server, moved, ctxFor(gridWorker)), 'invalid_fields|fields_rewritten');
  });

  it('refuses a trail on an appeal', () => {
    const id = newId();
    const doc = new Y.Doc();
    writeNewAppeal(doc, validInput(), asActor(gridWorker), T0, newId());
    trailOf(doc).push([trailPoint(34.8, 117.5, T0)]);
    expectReject(checkUpdate(id, null, Y.encodeStateAsUpdate(doc), ctxFor(gridWorker)), 'unknown_root');
  });
});
