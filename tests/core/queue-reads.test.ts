import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TIERS } from '../../src/core/events';
import { isOpen, STATUSES } from '../../src/core/fold';
import { inQueue, QUEUE_IDS, queueStatuses, readsEveryRow, ROLE_QUEUES } from '../../src/core/queues';
import { ROLES, type SessionUser } from '../../src/core/roles';

// A queue that names its statuses is read from the device's open rows only (status index):
// if a row outside those statuses could belong to the queue, the list would silently miss it.

const users = ['u-a', 'u-b'];
const depts = ['water', 'roads'];
const arbRow = fc.record({
  status: fc.constantFrom(...STATUSES),
  tier: fc.constantFrom(...TIERS),
  dept: fc.option(fc.constantFrom(...depts), { nil: null }),
  handler: fc.option(fc.constantFrom(...users), { nil: null }),
  createdBy: fc.constantFrom(...users),
  dueAt: fc.option(fc.integer({ min: 0, max: 2_000 }), { nil: null }),
  supervisionLevel: fc.integer({ min: 0, max: 3 }),
  returns: fc.integer({ min: 0, max: 2 }),
  review: fc.constantFrom('pending' as const, 'decided' as const, null),
  replyId: fc.option(fc.constantFrom('r1', 'r2', 'r3', 'r4'), { nil: null }),
  quality: fc.constantFrom('good' as const, 'redo' as const, null),
  qualityFlags: fc.subarray(['vague', 'boilerplate']),
  redoCount: fc.integer({ min: 0, max: 2 }),
  mediator: fc.option(fc.constantFrom(...users), { nil: null }),
  mediationOutcome: fc.constantFrom('settled' as const, 'not_settled' as const, null),
});
const arbUser = fc.record({
  id: fc.constantFrom(...users),
  username: fc.constant('x'),
  displayName: fc.constant('x'),
  role: fc.constantFrom(...ROLES),
  scope: fc.record({ regions: fc.constant(['371324']), departments: fc.subarray(depts) }),
}) as fc.Arbitrary<SessionUser>;

describe('queue reads', () => {
  it('a row belongs to a queue with statuses only when its status is among them', () => {
    fc.assert(
      fc.property(arbRow, arbUser, fc.constantFrom(...QUEUE_IDS), fc.integer({ min: 0, max: 2_000 }), (row, user, queue, now) => {
        const statuses = queueStatuses(queue);
        if (statuses !== null && inQueue(queue, row as never, user, now)) expect(statuses).toContain(row.status);
      }),
      { numRuns: 5_000 },
    );
  });

  it('every status a queue names is open, so one read of the open rows serves every such tab', () => {
    for (const q of QUEUE_IDS) for (const s of queueStatuses(q) ?? []) expect(isOpen(s), `${q}: ${s}`).toBe(true);
  });

  it('a village or town phone counts its tabs without reading its closed history', () => {
    expect(readsEveryRow(ROLE_QUEUES.grid_worker)).toBe(false);
    expect(readsEveryRow(ROLE_QUEUES.bench_facilitator)).toBe(false);
    expect(readsEveryRow(ROLE_QUEUES.village_station)).toBe(false);
    expect(readsEveryRow(ROLE_QUEUES.town_official)).toBe(false);
    // A department's done list holds closed appeals: that role reads every row it keeps.
    expect(readsEveryRow(ROLE_QUEUES.dept_handler)).toBe(true);
  });
});
