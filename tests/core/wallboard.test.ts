import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../src/core/appeal';
import { SUPERVISION_LADDER, SYSTEM, TIERS } from '../../src/core/events';
import { OPEN_STATUSES, STATUSES } from '../../src/core/fold';
import { cstInstant, cstDay } from '../../src/core/calendar';
import {
  FEED_LIMIT,
  feedOf,
  freshKeys,
  heatTiles,
  intakeToday,
  isOverdue,
  ladderCounts,
  mergeFeed,
  openByTier,
  openByUnit,
  refreshDelay,
  todayOf,
  type FeedItem,
  type WallRow,
} from '../../src/core/wallboard';
import { ev } from './fixtures';

// 2026-11-30 10:00 China time.
const NOW = Date.parse('2026-11-30T10:00:00+08:00');
const HOUR = 3_600_000;

const row = (over: Partial<WallRow> = {}): WallRow => ({
  id: 'a',
  status: 'accepted',
  tier: 'town',
  village: '371324102201',
  town: '371324102000',
  dept: null,
  channel: 'grid_patrol',
  urgency: 'yellow',
  createdAt: NOW - HOUR,
  dueAt: null,
  supervisionLevel: 0,
  ...over,
});

const towns = ['371324100000', '371324101000', '371324102000', '371324103000'];
const arbRow: fc.Arbitrary<WallRow> = fc.record({
  id: fc.uuid(),
  status: fc.constantFrom(...STATUSES),
  tier: fc.constantFrom(...TIERS),
  village: fc.constantFrom(...towns).map((t) => `${t.slice(0, 9)}201`),
  town: fc.constant(''),
  dept: fc.option(fc.constantFrom('water', 'roads'), { nil: null }),
  channel: fc.constantFrom(...CHANNELS),
  urgency: fc.constantFrom('red', 'orange', 'yellow'),
  createdAt: fc.integer({ min: NOW - 3 * 24 * HOUR, max: NOW + HOUR }),
  dueAt: fc.option(fc.integer({ min: NOW - 48 * HOUR, max: NOW + 48 * HOUR }), { nil: null }),
  supervisionLevel: fc.integer({ min: 0, max: 7 }),
}).map((r) => ({ ...r, town: `${r.village.slice(0, 9)}000` }));

describe('wall screen figures', () => {
  it('counts today’s intake (China time) by channel, every channel listed', () => {
    const { from, to } = todayOf(NOW);
    expect(from).toBe(cstInstant(cstDay(NOW), 0));
    expect(to - from).toBe(24 * HOUR);
    const intake = intakeToday(
      [row({ channel: 'hotline_12345' }), row({ channel: 'hotline_12345', status: 'closed' }), row({ channel: 'walk_in', createdAt: from }), row({ createdAt: from - 1 }), row({ createdAt: to })],
      NOW,
    );
    expect(intake.total).toBe(3);
    expect(intake.byChannel.map((c) => c.channel)).toEqual([...CHANNELS]);
    expect(intake.byChannel.find((c) => c.channel === 'hotline_12345')!.count).toBe(2);
    expect(intake.byChannel.find((c) => c.channel === 'walk_in')!.count).toBe(1);
    expect(intake.byChannel.find((c) => c.channel === 'grid_patrol')!.count).toBe(0);
  });

  it('calls an appeal overdue only while open with its deadline passed', () => {
    expect(isOverdue(row({ dueAt: NOW - 1 }), NOW)).toBe(true);
    expect(isOverdue(row({ dueAt: NOW }), NOW)).toBe(false);
    expect(isOverdue(row({ dueAt: null }), NOW)).toBe(false);
    expect(isOverdue(row({ dueAt: NOW - 1, status: 'closed' }), NOW)).toBe(false);
  });

  it('lists the worst units first and sums the rest into one line', () => {
    const rows = [
      row({ town: 't1' }), row({ town: 't1' }), row({ town: 't2', dueAt: NOW - 1 }), row({ town: 't3' }), row({ town: 't4' }),
      row({ town: 't4', status: 'closed' }), row({ town: '' }),
    ];
    const counts = openByUnit(rows, (r) => r.town || null, NOW, 2);
    expect(counts.units).toEqual([{ unit: 't2', open: 1, overdue: 1 }, { unit: 't1', open: 2, overdue: 0 }]);
    // t3, t4 and the appeal that is no unit's.
    expect(counts.rest).toEqual({ open: 3, overdue: 0, units: 2 });
    expect(counts.total).toEqual({ open: 6, overdue: 1 });
  });

  it('puts each open appeal on the rung it stands on, the top rung past the ladder', () => {
    const ladder = ladderCounts([row({ supervisionLevel: 1 }), row({ supervisionLevel: 1 }), row({ supervisionLevel: 3 }), row({ supervisionLevel: 9 }), row({ supervisionLevel: 2, status: 'closed' }), row()]);
    expect(ladder.rungs.map((r) => r.count)).toEqual([2, 0, 1, 0, 1]);
    expect(ladder.rungs.map((r) => r.rung)).toEqual([...SUPERVISION_LADDER]);
    expect(ladder.off).toBe(1);
  });

  it('bands the heat tiles as the map bands its cells, every area listed', () => {
    const rows = [...Array(6)].map((_, i) => row({ id: `x${i}`, town: towns[0]! })).concat([row({ town: towns[1]! }), row({ town: 'elsewhere' })]);
    const tiles = heatTiles(rows, towns, (r) => r.town, NOW);
    expect(tiles.map((t) => t.code)).toEqual(towns);
    expect(tiles.map((t) => t.band)).toEqual(['red', 'yellow', null, null]);
  });

  it('holds for any rows: the breakdowns sum to the totals', () => {
    fc.assert(
      fc.property(fc.array(arbRow, { maxLength: 80 }), fc.integer({ min: 0, max: 6 }), (rows, limit) => {
        const open = rows.filter((r) => OPEN_STATUSES.includes(r.status));
        const overdue = open.filter((r) => isOverdue(r, NOW)).length;
        const tiers = openByTier(rows, NOW);
        expect(tiers.reduce((s, t) => s + t.open, 0)).toBe(open.length);
        expect(tiers.reduce((s, t) => s + t.overdue, 0)).toBe(overdue);
        const units = openByUnit(rows, (r) => r.dept, NOW, limit);
        expect(units.units.length).toBeLessThanOrEqual(limit);
        expect(units.total).toEqual({ open: open.length, overdue });
        expect(units.units.reduce((s, u) => s + u.open, units.rest.open)).toBe(open.length);
        expect(units.units.reduce((s, u) => s + u.overdue, units.rest.overdue)).toBe(overdue);
        for (let i = 1; i < units.units.length; i++) expect(units.units[i - 1]!.overdue).toBeGreaterThanOrEqual(units.units[i]!.overdue);
        const ladder = ladderCounts(rows);
        expect(ladder.rungs.reduce((s, r) => s + r.count, ladder.off)).toBe(open.length);
        const tiles = heatTiles(rows, towns, (r) => r.town, NOW);
        expect(tiles.reduce((s, t) => s + t.open, 0)).toBe(open.length);
        const intake = intakeToday(rows, NOW);
        expect(intake.byChannel.reduce((s, c) => s + c.count, 0)).toBe(intake.total);
      }),
    );
  });
});

describe('wall screen refresh', () => {
  it('waits for quiet, but never past the longest wait after the first change waiting', () => {
    expect(refreshDelay(1000, 1000, 250, 2000)).toBe(250);
    expect(refreshDelay(1000, 2900, 250, 2000)).toBe(100);
    expect(refreshDelay(1000, 5000, 250, 2000)).toBe(0);
    // A change every 100 ms for ever: fetched no later than the longest wait after the first.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 240 }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 5000 }), (gaps, quiet, maxWait) => {
        const first = 10_000;
        let now = first;
        for (const gap of gaps) {
          const due = now + refreshDelay(first, now, quiet, maxWait);
          expect(due).toBeLessThanOrEqual(Math.max(now, first + maxWait));
          expect(due).toBeLessThanOrEqual(now + quiet);
          now += gap;
        }
      }),
    );
  });
});

describe('wall screen feed', () => {
  const appeal = (events: unknown[]) => ({ id: 'ap1', events, title: '路坏了', village: '371324102201', urgency: 'red' as const });

  it('reads recordings, escalations and ladder rises the fold applied, not refused ones', () => {
    const recorded = ev('recorded', { at: NOW - 3 * HOUR });
    const accepted = ev('accepted', { at: NOW - 2 * HOUR });
    const up = ev('escalated', { at: NOW - HOUR });
    const supervised = ev('supervised', { at: NOW - 30 * 60_000, level: 2 }, { id: SYSTEM, role: SYSTEM });
    // Not higher than the rung it stands on: refused, so no news.
    const again = ev('supervised', { at: NOW - 20 * 60_000, level: 1 }, { id: SYSTEM, role: SYSTEM });
    const items = feedOf(appeal([recorded, accepted, up, supervised, again]), 0);
    expect(items.map((i) => [i.kind, i.tier, i.level])).toEqual([
      ['recorded', null, null],
      ['escalated', 'town', null],
      ['supervised', null, 2],
    ]);
    expect(items[1]!.key).toBe(`ap1/${up.id}`);
    expect(feedOf(appeal([recorded, accepted, up]), NOW - 90 * 60_000).map((i) => i.kind)).toEqual(['escalated']);
  });

  const arbItem: fc.Arbitrary<FeedItem> = fc.record({
    key: fc.string({ minLength: 1, maxLength: 4 }),
    appealId: fc.constant('a'),
    kind: fc.constantFrom('recorded', 'escalated', 'supervised'),
    at: fc.integer({ min: 0, max: 50 }),
    tier: fc.constant(null),
    level: fc.constant(null),
    title: fc.constant('t'),
    village: fc.constant('v'),
    urgency: fc.constant('yellow'),
  });

  it('holds for any items: bounded, newest first, each event once, the same order whatever the input order', () => {
    fc.assert(
      fc.property(fc.array(arbItem, { maxLength: 60 }), fc.integer({ min: 0, max: 30 }), (items, limit) => {
        const feed = mergeFeed(items, limit);
        const keys = new Set(items.map((i) => i.key));
        expect(feed.length).toBe(Math.min(limit, keys.size));
        expect(new Set(feed.map((i) => i.key)).size).toBe(feed.length);
        for (let i = 1; i < feed.length; i++) expect(feed[i - 1]!.at).toBeGreaterThanOrEqual(feed[i]!.at);
        // Distinct events (last copy of a key wins, as a refresh replaces an item).
        const distinct = [...new Map(items.map((i) => [i.key, i])).values()];
        expect(mergeFeed([...distinct].reverse(), limit)).toEqual(mergeFeed(distinct, limit));
      }),
    );
    expect(mergeFeed([]).length).toBe(0);
    expect(FEED_LIMIT).toBeLessThanOrEqual(30);
  });

  it('lights up only what a refresh brought in', () => {
    const a = { key: 'a', at: 1 } as FeedItem;
    const b = { key: 'b', at: 2 } as FeedItem;
    expect(freshKeys(null, [a, b])).toEqual(new Set());
    expect(freshKeys([a], [b, a])).toEqual(new Set(['b']));
  });
});
