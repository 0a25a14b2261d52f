import { CHANNELS, type Channel, type Urgency } from './appeal';
import { cstDay, cstInstant } from './calendar';
import { SUPERVISION_LADDER, TIERS, type Tier } from './events';
import { fold, isOpen, NEXT_TIER, type Status } from './fold';
import { bandLimits, bandOf, type HeatBand } from './heat-bands';
import type { Role } from './roles';

// The command-center wall screen (可视化调度指挥): the rules behind every figure it shows, once.
// The server computes the summary from its relational projection over the reader's whole scope
// (a dispatcher's device holds only what needs its action, see holdings.ts); the wall shows it.

/** What the wall reads of an appeal: projection columns. */
export interface WallRow {
  id: string;
  status: Status;
  tier: Tier;
  village: string;
  town: string;
  dept: string | null;
  channel: Channel;
  urgency: Urgency;
  createdAt: number;
  dueAt: number | null;
  supervisionLevel: number;
}

/** Who may open the wall: the dispatch halls' roles, the leaders who watch them, and admins setting up the kiosk. */
export const WALL_ROLES: readonly Role[] = ['county_dispatcher', 'city_dispatcher', 'leader', 'admin'];

/** Items in the live feed: the wall shows these many, newest first, and keeps no more (memory stays flat over days). */
export const FEED_LIMIT = 20;
/** Units listed by name; the rest are summed into one line, so the wall never scrolls. */
export const UNIT_LIMIT = 8;
/** Ranked units shown. */
export const RANKING_LIMIT = 8;
/** How far back the feed looks: a quiet night does not leave the wall empty in the morning. */
export const FEED_WINDOW_MS = 24 * 60 * 60_000;

/**
 * How long the wall waits before fetching again, a change having just come in: `quiet` ms of
 * quiet (a burst of changes costs one fetch), but never past `maxWait` ms after the first
 * change still waiting (`pendingSince`), or a busy city's steady stream would hold it off for good.
 */
export function refreshDelay(pendingSince: number, now: number, quiet: number, maxWait: number): number {
  return Math.max(0, Math.min(quiet, pendingSince + maxWait - now));
}

/** Today in China time, as [from, to): what "today's intake" counts. */
export function todayOf(now: number): { from: number; to: number } {
  const day = cstDay(now);
  return { from: cstInstant(day, 0), to: cstInstant(day + 1, 0) };
}

/** Open with its running deadline passed: the same rule as the overdue queue and the map's counts. */
export function isOverdue(r: Pick<WallRow, 'status' | 'dueAt'>, now: number): boolean {
  return isOpen(r.status) && r.dueAt !== null && r.dueAt < now;
}

export interface Intake {
  total: number;
  /** Every channel, in CHANNELS order, zeros included: the wall's bars do not jump around. */
  byChannel: { channel: Channel; count: number }[];
}

/** Appeals recorded today (China time) by channel, whatever their status since. */
export function intakeToday(rows: readonly WallRow[], now: number): Intake {
  const { from, to } = todayOf(now);
  const counts = new Map<Channel, number>(CHANNELS.map((c) => [c, 0]));
  let total = 0;
  for (const r of rows) {
    if (r.createdAt < from || r.createdAt >= to || !counts.has(r.channel)) continue;
    counts.set(r.channel, counts.get(r.channel)! + 1);
    total++;
  }
  return { total, byChannel: CHANNELS.map((channel) => ({ channel, count: counts.get(channel)! })) };
}

export interface OpenCount {
  open: number;
  overdue: number;
}

/** Open and overdue appeals by the tier holding them, every tier listed. */
export function openByTier(rows: readonly WallRow[], now: number): ({ tier: Tier } & OpenCount)[] {
  const out = new Map<Tier, OpenCount>(TIERS.map((t) => [t, { open: 0, overdue: 0 }]));
  for (const r of rows) {
    if (!isOpen(r.status)) continue;
    const c = out.get(r.tier)!;
    c.open++;
    if (isOverdue(r, now)) c.overdue++;
  }
  return TIERS.map((tier) => ({ tier, ...out.get(tier)! }));
}

export interface UnitCounts {
  /** The units with the most overdue, then open, appeals, `limit` of them. */
  units: ({ unit: string } & OpenCount)[];
  /** Everything else, summed: the other units and open appeals that are no unit's (e.g. at the center's own desk). */
  rest: OpenCount & { units: number };
  total: OpenCount;
}

/** Open and overdue appeals per unit (a town, a department, a county), worst first, bounded to `limit` lines. */
export function openByUnit(rows: readonly WallRow[], unitOf: (r: WallRow) => string | null, now: number, limit: number = UNIT_LIMIT): UnitCounts {
  const per = new Map<string, OpenCount>();
  const none: OpenCount = { open: 0, overdue: 0 };
  const total: OpenCount = { open: 0, overdue: 0 };
  for (const r of rows) {
    if (!isOpen(r.status)) continue;
    const late = isOverdue(r, now) ? 1 : 0;
    total.open++;
    total.overdue += late;
    const unit = unitOf(r);
    const c = unit === null ? none : (per.get(unit) ?? per.set(unit, { open: 0, overdue: 0 }).get(unit)!);
    c.open++;
    c.overdue += late;
  }
  const sorted = [...per].map(([unit, c]) => ({ unit, ...c })).sort((a, b) => b.overdue - a.overdue || b.open - a.open || (a.unit < b.unit ? -1 : a.unit > b.unit ? 1 : 0));
  const units = sorted.slice(0, Math.max(0, limit));
  const others = sorted.slice(units.length);
  const rest = others.reduce((s, u) => ({ open: s.open + u.open, overdue: s.overdue + u.overdue, units: s.units + 1 }), { ...none, units: 0 });
  return { units, rest, total };
}

/**
 * Open appeals on each rung of the supervision ladder (level 1 hotline … 5 discipline), by the
 * rung they stand on now; `off` counts the open ones not (yet) supervised.
 */
export function ladderCounts(rows: readonly WallRow[]): { rungs: { level: number; rung: (typeof SUPERVISION_LADDER)[number]; count: number }[]; off: number } {
  const counts = SUPERVISION_LADDER.map(() => 0);
  let off = 0;
  for (const r of rows) {
    if (!isOpen(r.status)) continue;
    // A level past the ladder's top (a policy with more rungs once) stands on the top rung.
    if (r.supervisionLevel <= 0) off++;
    else counts[Math.min(r.supervisionLevel, SUPERVISION_LADDER.length) - 1]!++;
  }
  return { rungs: SUPERVISION_LADDER.map((rung, i) => ({ level: i + 1, rung, count: counts[i]! })), off };
}

export interface HeatTile extends OpenCount {
  /** A town's (or, on a city's wall, a county's) 12-digit code. */
  code: string;
  band: HeatBand | null;
}

/**
 * The heat map as tiles, one per area (every area listed, in the order given), banded as the
 * map bands its cells (heat-bands.ts): by open appeals, thirds of the fullest area.
 */
export function heatTiles(rows: readonly WallRow[], areas: readonly string[], areaOf: (r: WallRow) => string, now: number): HeatTile[] {
  const per = new Map<string, OpenCount>(areas.map((a) => [a, { open: 0, overdue: 0 }]));
  for (const r of rows) {
    if (!isOpen(r.status)) continue;
    const c = per.get(areaOf(r));
    if (!c) continue;
    c.open++;
    if (isOverdue(r, now)) c.overdue++;
  }
  const max = [...per.values()].reduce((m, c) => Math.max(m, c.open), 0);
  const limits = bandLimits(max);
  return [...per].map(([code, c]) => ({ code, ...c, band: bandOf(c.open, limits) }));
}

export type FeedKind = 'recorded' | 'escalated' | 'supervised';

export interface FeedItem {
  /** Unique per event: `appealId/eventId`. */
  key: string;
  appealId: string;
  kind: FeedKind;
  at: number;
  /** The tier it went to (escalated), the rung it reached (supervised). */
  tier: Tier | null;
  level: number | null;
  title: string;
  village: string;
  urgency: Urgency;
}

/**
 * The feed items in one appeal's history: its recording, each escalation and each rise on the
 * supervision ladder that the fold applied (a refused event never happened), at or after `since`.
 */
export function feedOf(appeal: { id: string; events: readonly unknown[]; title: string; village: string; urgency: Urgency }, since: number): FeedItem[] {
  const out: FeedItem[] = [];
  const base = { appealId: appeal.id, title: appeal.title, village: appeal.village, urgency: appeal.urgency };
  fold(appeal.events, appeal.id, (e, before, _i, refused) => {
    if (refused || e.at < since) return;
    const key = `${appeal.id}/${e.id}`;
    if (e.type === 'recorded') out.push({ ...base, key, kind: 'recorded', at: e.at, tier: null, level: null });
    else if (e.type === 'escalated') out.push({ ...base, key, kind: 'escalated', at: e.at, tier: e.to ?? NEXT_TIER[before.tier], level: null });
    else if (e.type === 'supervised') out.push({ ...base, key, kind: 'supervised', at: e.at, tier: null, level: e.level });
  });
  return out;
}

/** The feed: each event once, newest first (ties by key, so every reader orders them alike), at most `limit`. */
export function mergeFeed(items: Iterable<FeedItem>, limit: number = FEED_LIMIT): FeedItem[] {
  const byKey = new Map<string, FeedItem>();
  for (const it of items) byKey.set(it.key, it);
  return [...byKey.values()].sort((a, b) => b.at - a.at || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0)).slice(0, Math.max(0, limit));
}

/** The keys of `next` that were not in `before`: the items the wall lights up as just in. */
export function freshKeys(before: readonly FeedItem[] | null, next: readonly FeedItem[]): Set<string> {
  if (before === null) return new Set();
  const seen = new Set(before.map((i) => i.key));
  return new Set(next.filter((i) => !seen.has(i.key)).map((i) => i.key));
}

/** One ranked unit as the wall shows it: the fair ranking's order and headline figures. */
export interface WallRankEntry {
  unit: string;
  received: number;
  /** Shrunk on-time rate (fair-ranking.ts), the figure the table sorts by; null with nothing judged. */
  onTime: number | null;
  satisfaction: number | null;
}

/** Everything the wall shows, as GET /api/wall returns it. */
export interface WallSummary {
  at: number;
  level: 'county' | 'city';
  /** What the units and the heat tiles are: a county's towns, a city's counties. */
  areaKind: 'town' | 'county';
  intake: Intake;
  tiers: ({ tier: Tier } & OpenCount)[];
  /** By area (a county's towns, a city's counties), and by department. */
  units: UnitCounts;
  depts: UnitCounts;
  ladder: ReturnType<typeof ladderCounts>;
  heat: HeatTile[];
  feed: FeedItem[];
  ranking: { period: { from: number; to: number; label: string }; by: string; units: WallRankEntry[] };
}
