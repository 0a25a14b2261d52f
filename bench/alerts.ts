import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { performance } from 'node:perf_hooks';
import { alertFeed } from '../src/core/alerts';
import { POLICY_PRESETS } from '../src/core/deadline';
import { SYSTEM, type AppealEvent } from '../src/core/events';
import { newId } from '../src/core/id';
import { project } from '../src/core/projection';
import type { SessionUser } from '../src/core/roles';
import type { AppealSnapshot } from '../src/core/doc';
import { unreadAlertCount } from '../src/store/alerts';
import { openDb, type AppealRow } from '../src/store/db';
import type { BenchRow } from './table';

// Alerts (src/core/alerts.ts) cost two things: deriving an appeal's alert feed each time the
// device re-projects its document, beside the projection it rides with; and the bell's unread
// count, a live query over the rows changed within the alert window, beside the full read of
// every row that the work queues do on each change. A town's device with 3,000 appeals over
// 90 days, each dispatched to the village desk and most of them warned and supervised.

const APPEALS = 3_000;
const SPAN_MS = 90 * 24 * 3600_000;
const VILLAGES = ['371324101201', '371324101202', '371324101203'];
const town = newId();
const station: SessionUser = { id: newId(), username: 'station', displayName: 'station', role: 'village_station', scope: { regions: [VILLAGES[0]!], departments: [] } };

function snapshotAt(i: number, at: number): AppealSnapshot {
  const id = newId();
  const e = (type: AppealEvent['type'], payload: Record<string, unknown>, actor = town, role = 'town_official', t = at): AppealEvent => ({ id: newId(), type, actor, role, at: t, ...payload }) as AppealEvent;
  const events: AppealEvent[] = [e('recorded', {}, newId(), 'grid_worker'), e('assigned', { to: 'village', from: 'town' }, town, 'town_official', at + 60_000)];
  if (i % 4 !== 0) {
    events.push(e('assigned', { to: 'village', from: 'village' }, station.id, 'village_station', at + 120_000), e('started', {}, station.id, 'village_station', at + 180_000));
    events.push(e('warned', { stage: 'due_soon', dueAt: at + 4 * 86_400_000, notify: ['handler'] }, SYSTEM, SYSTEM, at + 3 * 86_400_000));
    events.push(e('warned', { stage: 'overdue', dueAt: at + 4 * 86_400_000, notify: ['handler', 'leader'] }, SYSTEM, SYSTEM, at + 5 * 86_400_000));
    events.push(e('supervised', { level: 1 }, SYSTEM, SYSTEM, at + 5 * 86_400_000));
    if (i % 2 === 0) events.push(e('replied', { note: '已修复', via: 'grid_patrol' }, station.id, 'village_station', at + 6 * 86_400_000));
  }
  return {
    id,
    fields: { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'orange', villageCode: VILLAGES[i % VILLAGES.length], citizen: { anonymous: true }, gps: null, createdBy: 'g', createdAt: at, evalCode: null },
    description: `诉求 ${i}`,
    events,
  } as AppealSnapshot;
}

function timeEach<T>(items: readonly T[], f: (x: T) => unknown, rounds = 3): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (const x of items) f(x);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const first = <T>(o: { subscribe(cb: (v: T) => void): { unsubscribe(): void } }) =>
  new Promise<T>((resolve) => {
    const sub = o.subscribe((v) => {
      queueMicrotask(() => sub.unsubscribe());
      resolve(v);
    });
  });

export async function alerts(): Promise<BenchRow[]> {
  const now = Date.now();
  const snapshots = Array.from({ length: APPEALS }, (_, i) => snapshotAt(i, now - SPAN_MS + Math.floor((i / APPEALS) * SPAN_MS)));
  const policy = POLICY_PRESETS.lanling;
  // Both warmed first (they share the fold), then timed in turn, best of five.
  timeEach(snapshots, (s) => (alertFeed(s.events, s.id), project(s, policy)), 2);
  let feedMs = Infinity;
  let projectMs = Infinity;
  for (let r = 0; r < 5; r++) {
    feedMs = Math.min(feedMs, timeEach(snapshots, (s) => alertFeed(s.events, s.id), 1));
    projectMs = Math.min(projectMs, timeEach(snapshots, (s) => project(s, policy), 1));
  }

  const name = `bench-alerts-${process.pid}`;
  const db = openDb(name);
  try {
    await db.appeals.bulkPut(snapshots.map((s) => ({ ...project(s, policy), alertFeed: alertFeed(s.events, s.id) }) as AppealRow));
    let count = 0;
    const countMs: number[] = [];
    const fullMs: number[] = [];
    for (let r = 0; r < 5; r++) {
      let t0 = performance.now();
      count = await first<number>(unreadAlertCount(db, station));
      countMs.push(performance.now() - t0);
      t0 = performance.now();
      await db.appeals.toArray();
      fullMs.push(performance.now() - t0);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(`alerts: ${count} unread for the village station among ${APPEALS} appeals`);
    return [
      { figure: `alert feed, per 1,000 documents`, minsheng: (feedMs / APPEALS) * 1000, comparison: (projectMs / APPEALS) * 1000, against: 'their projection (project), same documents', kind: 'peer', unit: 'ms' },
      { figure: `unread count, ${APPEALS.toLocaleString('en-US')} rows on the device`, minsheng: median(countMs), comparison: median(fullMs), against: 'reading every row, as the queues do (fake-indexeddb)', kind: 'peer', unit: 'ms' },
    ];
  } finally {
    db.close();
    await Dexie.delete(name);
  }
}
