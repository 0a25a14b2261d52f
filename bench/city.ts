import 'fake-indexeddb/auto';
import { rmSync } from 'node:fs';
import { startServer } from '../server/app';
import { loadConfig } from '../server/config';
import { ensureSeeded } from '../server/services/seed';
import { openSqliteStore } from '../server/store/sqlite';
import type { Store } from '../server/store/types';
import { holdingBounds, RECENT_MS } from '../src/core/holdings';
import { openDb } from '../src/store/db';
import { deviceId } from '../src/store/meta';
import { login, type Login } from '../tests/helpers/clients';
import { tempDir } from '../tests/helpers/server';
import type { VillageRef } from './generate';
import { PROFILES, startSlowLink } from './link';
import { recordReads } from './reports';
import { seedGeneratedAppeals } from './seed-store';
import { engineFor, until } from './sync';
import type { BenchRow } from './table';

// `npm run bench -- city` (not in the default run: it takes many minutes). A deployment for a
// whole city (MINSHENG_REGION=371300, Linyi), each figure beside its county-level equivalent
// measured in the same run, the county being 兰陵 (371324):
//   1. seeding the city's divisions into a fresh SQLite store, beside seeding one county's;
//   2. the city dispatcher's first sync over 3G, beside 兰陵's county dispatcher's first sync
//      from the same store: each device holds its desk's share of its scope (src/core/holdings.ts),
//      so the city's phone downloads what needs the city, not the city;
//   3. the city-level reports on the city's appeals for the city dispatcher, beside the same
//      reports for 兰陵's county dispatcher.
// The appeals are spread evenly over the 13 counties (each county's share uniformly over its
// villages) and over the last 200 days, interleaved in time, at all stages, and written
// straight into the store (seed-store.ts): seed-hub.ts pushes through the hub from a device per
// person but serves one county per store, and 200,000 appeals through it would take too long
// on 2 cores. Each document is then written by one hand, so it is somewhat smaller than one
// built by five people's devices (the sync bench's); both sides of each ratio have the same.

const CITY = '371300';
const COUNTY = '371324';
const APPEALS = Number(process.env.BENCH_CITY_APPEALS ?? 200_000);
/**
 * The store size at which the city dispatcher's sync is measured: when below APPEALS, the
 * city's figures are extrapolated linearly to APPEALS and the county's sync is measured again
 * at APPEALS, both printed.
 */
const SYNC_AT = Math.min(APPEALS, Number(process.env.BENCH_CITY_SYNC_AT ?? APPEALS));
/** Appeals per county per transaction. */
const CHUNK = 1000;
const DAY = 86_400_000;

const n = (x: number) => x.toLocaleString('en-US');
const best = async (times: number, f: () => Promise<number>) => {
  let min = Infinity;
  for (let i = 0; i < times; i++) min = Math.min(min, await f());
  return min;
};

/** 1. ensureSeeded into a fresh SQLite store: its time and the region rows it wrote. */
async function seedRegion(region: string): Promise<{ ms: number; rows: number; dir: string }> {
  const dir = tempDir(`bench-city-seed-${region}-`);
  const store = openSqliteStore(dir);
  try {
    const t = performance.now();
    await ensureSeeded(store, region);
    const ms = performance.now() - t;
    const rows = (await store.regionsUnder([region.endsWith('00') ? region.slice(0, 4) : region])).length;
    return { ms, rows, dir };
  } finally {
    await store.close();
  }
}

/** Seeds appeals evenly over the counties, round by round, until the store holds `upTo`. */
function cityAppeals(store: Store, villages: VillageRef[], official: { id: string; name: string }, hotline: { id: string; name: string }, policy: Parameters<typeof seedGeneratedAppeals>[1]['policy']) {
  const counties = [...new Set(villages.map((v) => v.code.slice(0, 6)))].sort();
  const villagesOf = new Map(counties.map((c) => [c, villages.filter((v) => v.code.startsWith(c))]));
  const share = (c: number) => Math.floor(APPEALS / counties.length) + (c < APPEALS % counties.length ? 1 : 0);
  const done = counties.map(() => 0);
  const start = Date.now() - 201 * DAY;
  const spacing = (200 * DAY) / APPEALS;
  let total = 0;
  let round = 0;
  let ms = 0;
  return {
    counties,
    perCounty: share,
    get total() {
      return total;
    },
    get ms() {
      return ms;
    },
    /** Seeds until the store holds `upTo` (whole rounds, so every county gets its share of it). */
    async until(upTo: number): Promise<void> {
      const t = performance.now();
      while (total < upTo) {
        const per = Math.min(CHUNK, Math.ceil((upTo - total) / counties.length));
        for (const [c, county] of counties.entries()) {
          const count = Math.min(per, share(c) - done[c]!);
          if (count <= 0) continue;
          // The k-th appeal of county c is the (k·13 + c)-th of the city, in time.
          await seedGeneratedAppeals(store, { count, villages: villagesOf.get(county)!, seed: 1000 + round * counties.length + c, official, from: start + (done[c]! * counties.length + c) * spacing, spacingMs: spacing * counties.length, policy, varied: true, hotline });
          done[c]! += count;
          total += count;
        }
        round++;
        if (round % 5 === 0) console.log(`city: ${n(total)} appeals seeded (${((ms + performance.now() - t) / 1000).toFixed(0)} s)`);
      }
      ms += performance.now() - t;
    },
    inCounty: (county: string) => done[counties.indexOf(county)]!,
  };
}

/**
 * Once more when a request fails on the way (its timing, if any, starts again): this client and
 * the server share one event loop, and after a long busy stretch (seeding, a sync) the server
 * may close a kept-alive connection just as the next request goes out on it.
 */
async function again<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof TypeError && e.message === 'fetch failed')) throw e;
    console.log(`city: ${what}: fetch failed (${String((e.cause as Error | undefined)?.message)}), asked again`);
    return f();
  }
}

export async function city(): Promise<BenchRow[]> {
  const dirs: string[] = [];
  const links: Awaited<ReturnType<typeof startSlowLink>>[] = [];
  try {
    // 1. Seeding. Once first, so the package's JSON files are parsed for both (each seed still
    // streams the 37 MB village CSV); then best of three, alternating, each into a fresh store.
    dirs.push((await seedRegion(COUNTY)).dir);
    const seeds = { city: { ms: Infinity, rows: 0 }, county: { ms: Infinity, rows: 0 } };
    for (let i = 0; i < 3; i++) {
      for (const [key, region] of [['city', CITY], ['county', COUNTY]] as const) {
        const r = await seedRegion(region);
        dirs.push(r.dir);
        seeds[key] = { ms: Math.min(seeds[key].ms, r.ms), rows: r.rows };
      }
    }

    // 2. A city deployment on a real server, its appeals written into its store.
    const dataDir = tempDir('bench-city-');
    dirs.push(dataDir);
    const config = loadConfig({ PORT: '0', MINSHENG_REGION: CITY, MINSHENG_DATA_DIR: dataDir, MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' });
    const server = await startServer(config);
    try {
      const { store } = server;
      const villages = (await store.regionsUnder([CITY.slice(0, 4)])).filter((r) => r.level === 'village');
      const official = (await store.userByUsername('town'))!;
      const center = (await store.userByUsername('city'))!;
      // 12345 calls (an eighth of the channels) are taken in at the city center, which leads them.
      const seeder = cityAppeals(store, villages, { id: official.id, name: official.displayName }, { id: center.id, name: center.displayName }, config.policies);
      if (seeder.counties.length !== 13) console.log(`city: appeals spread over ${seeder.counties.length} counties with villages`);

      const signIn = (username: string) => again(`logging in ${username}`, () => login(server, username));
      // Logged in again before each phase: access tokens last 15 minutes.
      let cityUser = await signIn('city');
      let countyUser = await signIn('dispatcher');
      if (cityUser.user.role !== 'city_dispatcher' || countyUser.user.role !== 'county_dispatcher') throw new Error(`unexpected demo roles: ${cityUser.user.role}, ${countyUser.user.role}`);
      const port = Number(new URL(server.url).port);

      /** A fresh device's first sync over 3G: bytes both ways, time until caught up, appeals held. */
      const firstSync = async (who: Login, expected: number) => {
        const db = openDb(`bench-city-${who.user.username}-${Date.now()}`);
        // With flow control: minutes of catch-up queued on the link at once would hold the hub's
        // pings back past its 30 s heartbeat, and the socket would be dropped and resumed.
        const link = await startSlowLink(port, PROFILES['3g'], { window: 64 * 1024 });
        links.push(link);
        const device = engineFor(db, link, who.token, await deviceId(db));
        const t = performance.now();
        device.engine.start();
        const progress = setInterval(() => void db.appeals.count().then((c) => console.log(`city: ${who.user.username}'s device holds ${n(c)} of ${n(expected)} (${((performance.now() - t) / 1000).toFixed(0)} s, ${(link.bytes.down / 2 ** 20).toFixed(1)} MiB down; this process: RSS ${(process.memoryUsage().rss / 2 ** 30).toFixed(1)} GiB, heap ${(process.memoryUsage().heapUsed / 2 ** 30).toFixed(1)} GiB)`)), 60_000);
        try {
          await until(async () => device.caughtUp() && (await db.appeals.count()) >= expected);
        } finally {
          clearInterval(progress);
        }
        const out = { ms: performance.now() - t, bytes: link.bytes.up + link.bytes.down, held: await db.appeals.count() };
        device.engine.stop();
        await link.close();
        db.close();
        await db.delete();
        return out;
      };

      /** How many appeals a desk's device holds of its scope now (src/core/holdings.ts), by the store's own filter. */
      const heldBy = async (prefix: string, tier: 'county' | 'city') => (await store.changedDocs(0, [prefix], 10_000_000, { holding: holdingBounds(tier, Date.now() - RECENT_MS) })).length;
      await seeder.until(SYNC_AT);
      const atSync = { total: seeder.total, county: seeder.inCounty(COUNTY), countyHeld: await heldBy(COUNTY, 'county'), cityHeld: await heldBy(CITY.slice(0, 4), 'city') };
      console.log(`city: ${n(atSync.total)} appeals seeded in ${(seeder.ms / 1000).toFixed(0)} s; measuring first syncs (兰陵's desk holds ${n(atSync.countyHeld)} of ${n(atSync.county)}, the city's ${n(atSync.cityHeld)} of ${n(atSync.total)})`);
      const countySync = await firstSync(await signIn('dispatcher'), atSync.countyHeld);
      const citySync = await firstSync(await signIn('city'), atSync.cityHeld);
      let countySyncFull = countySync;
      if (SYNC_AT < APPEALS) {
        await seeder.until(APPEALS);
        console.log(`city: ${n(seeder.total)} appeals seeded in ${(seeder.ms / 1000).toFixed(0)} s; measuring 兰陵's first sync again (${n(seeder.inCounty(COUNTY))})`);
        countySyncFull = await firstSync(await signIn('dispatcher'), await heldBy(COUNTY, 'county'));
      }
      console.log(`city: ${n(seeder.total)} appeals in the store, ${n(seeder.inCounty(COUNTY))} of them in 兰陵; seeding took ${(seeder.ms / 1000).toFixed(0)} s`);

      // 3. Reports, each the best of three requests, and the best of three replays of the store
      // reads its first request made (printed for the ranking and the red/black lists).
      const reads = recordReads(store);
      cityUser = await signIn('city');
      countyUser = await signIn('dispatcher');
      const ask = (who: Login, report: string, query: string) => again(`${report}?${query} for ${who.user.username}`, async () => {
        const t = performance.now();
        const res = await fetch(`${server.url}/api/reports/${report}?${query}`, { headers: { authorization: `Bearer ${who.token}` } });
        if (!res.ok) throw new Error(`${report}?${query} for ${who.user.username}: ${res.status} ${await res.text()}`);
        await res.json();
        return performance.now() - t;
      });
      const measure = async (who: Login, report: string, query: string) => {
        const { value: first, reads: made } = await reads.during(() => ask(who, report, query));
        const ms = Math.min(first, await best(2, () => ask(who, report, query)));
        const read = await best(3, async () => {
          const t = performance.now();
          for (const r of made) await r();
          return performance.now() - t;
        });
        return { ms, read };
      };
      const rank = { city: await measure(cityUser, 'ranking', 'by=county&period=week'), county: await measure(countyUser, 'ranking', 'by=town&period=week') };
      const towns = await measure(cityUser, 'ranking', 'by=town&period=week');
      const rankMonth = { city: await measure(cityUser, 'ranking', 'by=county&period=month'), county: await measure(countyUser, 'ranking', 'by=town&period=month') };
      const redBlack = { city: await measure(cityUser, 'redblack', 'by=county&period=week&history=6'), county: await measure(countyUser, 'redblack', 'by=town&period=week&history=6') };
      const trends = { city: await measure(cityUser, 'trends', 'weeks=12'), county: await measure(countyUser, 'trends', 'weeks=12') };
      const special = { city: await measure(cityUser, 'special', ''), county: await measure(countyUser, 'special', '') };

      console.log(`city: a desk's device holds its share of its scope (src/core/holdings.ts) and browses the rest on the server`);
      const extrapolated = SYNC_AT < APPEALS;
      if (extrapolated) console.log(`city: the city dispatcher's sync was measured at ${n(SYNC_AT)} appeals and is extrapolated linearly to ${n(APPEALS)} (×${(APPEALS / SYNC_AT).toFixed(0)}); BENCH_CITY_SYNC_AT=${APPEALS} measures it whole`);

      const MiB = (b: number) => b / 2 ** 20;
      const s = (ms: number) => ms / 1000;
      const scale = APPEALS / atSync.total;
      const countyAgainst = (count: number) => `兰陵's county dispatcher, its county's ${n(count)}, same store`;
      const countyTotal = seeder.inCounty(COUNTY);
      const reportAgainst = (what: string) => `兰陵's county dispatcher, ${what}, same store`;
      const syncRows: BenchRow[] = [
        { figure: `2. city dispatcher's first sync, ${n(atSync.total)} appeals, bytes (3G)`, minsheng: MiB(citySync.bytes), comparison: MiB(countySync.bytes), against: countyAgainst(atSync.county), kind: 'peer', unit: 'MiB' },
        { figure: '   time over 3G', minsheng: s(citySync.ms), comparison: s(countySync.ms), against: countyAgainst(atSync.county), kind: 'peer', unit: 's' },
        { figure: '   bytes per appeal', minsheng: citySync.bytes / citySync.held, comparison: countySync.bytes / countySync.held, against: countyAgainst(atSync.county), kind: 'peer', unit: 'B' },
        { figure: '   appeals on the device (its share)', minsheng: citySync.held, comparison: countySync.held, against: countyAgainst(atSync.county), kind: 'peer', unit: '' },
        { figure: '   same, against its whole scope', minsheng: citySync.held, comparison: atSync.total, against: 'every appeal of the city (what the device held before its share was bounded)', kind: 'peer', unit: '' },
        ...(extrapolated
          ? [
              { figure: `   ${n(APPEALS)} appeals, bytes (extrapolated ×${scale.toFixed(0)})`, minsheng: MiB(citySync.bytes * scale), comparison: MiB(countySyncFull.bytes), against: `${countyAgainst(countyTotal)} (measured)`, kind: 'peer' as const, unit: 'MiB' },
              { figure: `   ${n(APPEALS)} appeals, time over 3G (extrapolated)`, minsheng: s(citySync.ms * scale), comparison: s(countySyncFull.ms), against: `${countyAgainst(countyTotal)} (measured)`, kind: 'peer' as const, unit: 's' },
            ]
          : []),
      ];
      return [
        { figure: '1. seed a city (临沂 371300), time', minsheng: seeds.city.ms, comparison: seeds.county.ms, against: 'seeding one county (兰陵 371324), fresh store, best of 3', kind: 'peer', unit: 'ms' },
        { figure: '   region rows', minsheng: seeds.city.rows, comparison: seeds.county.rows, against: 'one county (兰陵 371324)', kind: 'peer', unit: '' },
        ...syncRows,
        { figure: `3. ranking, this week, ${n(APPEALS)} appeals: city by county`, minsheng: rank.city.ms, comparison: rank.county.ms, against: reportAgainst(`by town, its ${n(countyTotal)}`), kind: 'peer', unit: 'ms' },
        { figure: '   of which the store reads', minsheng: rank.city.read, comparison: rank.county.read, against: reportAgainst('the same reads for its request'), kind: 'peer', unit: 'ms' },
        { figure: '   city by town (all 156 towns)', minsheng: towns.ms, comparison: rank.county.ms, against: reportAgainst('by town'), kind: 'peer', unit: 'ms' },
        { figure: '   this month, city by county', minsheng: rankMonth.city.ms, comparison: rankMonth.county.ms, against: reportAgainst('by town, this month'), kind: 'peer', unit: 'ms' },
        { figure: '   same', minsheng: rankMonth.city.ms, comparison: 1000, against: 'one second, a dashboard refresh', kind: 'target', unit: 'ms' },
        { figure: '   red/black lists, this week and 5 before', minsheng: redBlack.city.ms, comparison: redBlack.county.ms, against: reportAgainst('by town'), kind: 'peer', unit: 'ms' },
        { figure: '   of which the store reads', minsheng: redBlack.city.read, comparison: redBlack.county.read, against: reportAgainst('the same reads for its request'), kind: 'peer', unit: 'ms' },
        { figure: '   trends, 12 weeks, with forecasts', minsheng: trends.city.ms, comparison: trends.county.ms, against: reportAgainst('its county'), kind: 'peer', unit: 'ms' },
        { figure: '   special governance, 90 days', minsheng: special.city.ms, comparison: special.county.ms, against: reportAgainst('its county'), kind: 'peer', unit: 'ms' },
      ];
    } finally {
      await server.close();
    }
  } finally {
    for (const l of links) await l.close().catch(() => {});
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}
