import type { IncomingMessage } from 'node:http';
import type { DeadlinePolicy } from '../../src/core/deadline';
import { readAppeal, docFromUpdates } from '../../src/core/doc';
import { fairFromTallies } from '../../src/core/fair-ranking';
import { weekOf } from '../../src/core/metrics';
import type { AppealProjection } from '../../src/core/projection';
import { countyOf } from '../../src/core/regions';
import { scopeTier } from '../../src/core/tiers';
import { reportLevel, reportRegions, unitOf } from '../../src/core/units';
import { FEED_LIMIT, FEED_WINDOW_MS, feedOf, heatTiles, intakeToday, ladderCounts, mergeFeed, openByTier, openByUnit, RANKING_LIMIT, todayOf, WALL_ROLES, type FeedItem, type WallSummary } from '../../src/core/wallboard';
import { unitTallies } from '../services/rank-tallies';
import type { Store, UserRecord } from '../store/types';
import { HttpError, searchParams, type Route } from './plumbing';

// GET /api/wall[?county=NNNNNN]: the command-center wall screen's whole summary in one answer,
// computed from the relational projection over the reader's scope, as the reports are: a
// dispatcher's device holds only what needs its action (src/core/holdings.ts), not the scope's
// every open appeal. The wall refetches it when its sync socket brings anything.

/** Appeals changed most recently whose histories the feed reads (a feed of 20 needs a few more: not every change is news). */
const FEED_CANDIDATES = 60;
/** Feed items per appeal, kept by its last change: a wall refreshing often re-reads only what changed. Bounded. */
const CACHE_MAX = 2_000;

/** Appeal id → its feed items, and the version of the appeal they were read at. */
type FeedCache = Map<string, { version: string; items: FeedItem[] }>;

export interface WallDeps {
  store: Store;
  policy: DeadlinePolicy;
  authed: (req: IncomingMessage) => Promise<{ user: UserRecord }>;
}

export function createWallRoutes(deps: WallDeps): Record<string, Route> {
  const cache: FeedCache = new Map();
  return { 'GET /api/wall': (req) => wall(deps, cache, req) };
}

async function wall(deps: WallDeps, cache: FeedCache, req: IncomingMessage): Promise<[number, unknown]> {
  const { store, policy, authed } = deps;
  const { user } = await authed(req);
  if (!WALL_ROLES.includes(user.role)) throw new HttpError(403, 'forbidden', 'The wall screen is for county and city dispatchers and leaders');
  const regions = reportRegions(user.scope.regions, searchParams(req).get('county'));
  if (!regions) throw new HttpError(403, 'forbidden', 'county must be a county (6 digits) within your scope');
  // A dispatcher's desk is a county or city (an area sub-center: towns of a county, at the county tier); others need as wide a scope.
  const width = scopeTier({ regions, departments: [] });
  if (!user.role.endsWith('_dispatcher') && width !== 'county' && width !== 'city') throw new HttpError(403, 'forbidden', 'The wall screen shows a whole county or city');
  const level = reportLevel(regions);
  const now = Date.now();
  const areaKind = level === 'city' ? 'county' : 'town';

  const week = weekOf(now);
  const [rows, areas, recent, tallies] = await Promise.all([
    store.wallRows(regions, todayOf(now).from),
    store.regionsUnder(regions),
    store.browseAppeals({ prefixes: regions, limit: FEED_CANDIDATES }),
    unitTallies(store, regions, undefined, unitOf(areaKind, level), week, policy),
  ]);
  const areaCodes = areas.filter((r) => r.level === areaKind).map((r) => r.code);
  const areaOf = level === 'city' ? (r: { village: string }) => countyOf(r.village) : (r: { town: string }) => r.town;
  const ranked = fairFromTallies(tallies, policy.hours);

  const summary: WallSummary = {
    at: now,
    level,
    areaKind,
    intake: intakeToday(rows, now),
    tiers: openByTier(rows, now),
    units: openByUnit(rows, areaOf, now),
    depts: openByUnit(rows, unitOf('dept', level), now),
    ladder: ladderCounts(rows),
    heat: heatTiles(rows, areaCodes, areaOf, now),
    feed: await feed(store, cache, recent, now - FEED_WINDOW_MS),
    ranking: {
      period: week,
      by: areaKind,
      units: ranked.slice(0, RANKING_LIMIT).map((u) => ({ unit: u.unit, received: u.received, onTime: u.onTime.shrunk, satisfaction: u.satisfaction.shrunk })),
    },
  };
  return [200, summary];
}

/** The newest feed items among the recently changed appeals, read from their histories (cached by last change). */
async function feed(store: Store, cache: FeedCache, recent: AppealProjection[], since: number): Promise<FeedItem[]> {
  const items: FeedItem[] = [];
  for (const a of recent) {
    // Every change that makes news moves one of these (a recording is a new row).
    const version = `${a.updatedAt}/${a.tier}/${a.supervisionLevel}/${a.status}`;
    let hit = cache.get(a.id);
    if (!hit || hit.version !== version) {
      const doc = docFromUpdates(await store.docParts(a.id));
      try {
        hit = { version, items: feedOf({ id: a.id, events: readAppeal(doc, a.id).events, title: a.title, village: a.village, urgency: a.urgency }, 0) };
      } finally {
        doc.destroy();
      }
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(a.id, hit);
    }
    items.push(...hit.items.filter((i) => i.at >= since));
  }
  return mergeFeed(items, FEED_LIMIT);
}
