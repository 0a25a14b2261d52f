import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awaitsReview } from '../../src/core/reply-quality';
import { startServer, type RunningServer } from '../../server/app';
import { ConfigError, loadConfig } from '../../server/config';
import { DEMO_META } from '../../server/services/demo/seed';
import { readAppeal } from '../../src/core/doc';
import type { AppealProjection } from '../../src/core/projection';
import { ROLE_QUEUES } from '../../src/core/queues';
import type { SessionUser } from '../../src/core/roles';
import { device, login, type Login } from '../helpers/clients';
import { browseAll, DEMO_LOGINS, DEMO_QUEUES, emptyDemoQueues } from '../helpers/demo-queues';
import { tempDir } from '../helpers/server';

// The lived-in demo (issue 26): the first start of an empty data directory with MINSHENG_DEMO
// on fills the demo county through the server's own hub and API, so that every demo login's
// screens have something true to show. Checked here as each of them would see it: their
// queues over REST, the bench meetings on a synced device, the public pages, the civic lists.

const env = (dir: string, demo: string) => ({ PORT: '0', MINSHENG_DATA_DIR: dir, MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_DEMO: demo });

async function get<T>(server: RunningServer, path: string, session?: Login): Promise<T> {
  const res = await fetch(`${server.url}${path}`, session ? { headers: { authorization: `Bearer ${session.token}` } } : {});
  expect(res.status, path).toBe(200);
  return (res.headers.get('content-type') ?? '').includes('json') ? ((await res.json()) as T) : ((await res.text()) as T);
}

describe('the demo county (MINSHENG_DEMO=1)', () => {
  let server: RunningServer;
  let dir: string;
  let seedMs: number;
  const sessions = new Map<string, Login>();
  const rows = new Map<string, AppealProjection[]>();

  beforeAll(async () => {
    dir = tempDir();
    const t0 = performance.now();
    server = await startServer(loadConfig(env(dir, '1')));
    seedMs = performance.now() - t0;
    for (const name of DEMO_LOGINS) {
      const session = await login(server, name);
      sessions.set(name, session);
      rows.set(name, await browseAll(server, session));
    }
  }, 240_000);
  afterAll(() => server?.close());

  it('gives the county’s quality reviewer replies sent back, passed, and flagged ones still waiting', () => {
    const all = rows.get('reviewer')!;
    expect(all.length).toBe(server.seed.demo!.appeals);
    const redone = all.filter((r) => r.quality === 'redo');
    expect(redone.length).toBeGreaterThan(0);
    expect(redone.every((r) => r.status === 'in_progress' && r.redoCount === 1 && r.qualityFlags.length > 0)).toBe(true);
    expect(all.filter((r) => r.quality === 'passed').length).toBeGreaterThan(5);
    expect(all.filter((r) => awaitsReview(r)).length).toBeGreaterThan(0);
  });

  it('seeds a few hundred appeals over twelve weeks, from many devices, and says so at start', () => {
    const demo = server.seed.demo!;
    console.log(`demo seed: ${JSON.stringify(demo)}; start with seeding ${Math.round(seedMs)} ms`);
    expect(demo.appeals).toBeGreaterThanOrEqual(400);
    expect(demo.appeals).toBeLessThanOrEqual(600);
    expect(demo.devices).toBeGreaterThan(100);
    const all = rows.get('admin')!;
    expect(all.length).toBe(demo.appeals);
    const ages = all.map((r) => (Date.now() - r.createdAt) / 86_400_000);
    expect(Math.max(...ages)).toBeGreaterThan(70);
    expect(Math.max(...ages)).toBeLessThanOrEqual(84.1);
    expect(Math.min(...ages)).toBeLessThan(1);
    // Every town of the county has appeals, and many have a GPS point.
    expect(new Set(all.map((r) => r.town)).size).toBeGreaterThanOrEqual(15);
    expect(all.filter((r) => r.lat !== null && r.lng !== null).length).toBeGreaterThan(100);
  });

  it("gives every demo login's own queues something to show", () => {
    for (const name of DEMO_LOGINS) for (const queue of DEMO_QUEUES[name]) expect(ROLE_QUEUES[(sessions.get(name)!.user as SessionUser).role]).toContain(queue);
    expect(emptyDemoQueues((name) => rows.get(name)!, (name) => sessions.get(name)!.user as SessionUser, Date.now())).toEqual([]);
    // The station took some in at its own counter.
    const station = sessions.get('station')!.user;
    expect(rows.get('station')!.some((r) => r.createdBy === station.id)).toBe(true);
  });

  it('has overdue and supervised appeals, closed ones rated, and reopened ones', () => {
    const all = rows.get('leader')!;
    const now = Date.now();
    const open = all.filter((r) => !['closed', 'merged'].includes(r.status));
    expect(open.filter((r) => r.dueAt !== null && r.dueAt < now).length).toBeGreaterThan(5);
    expect(open.filter((r) => r.supervisionLevel > 0).length).toBeGreaterThan(5);
    const closed = all.filter((r) => r.status === 'closed');
    expect(closed.length).toBeGreaterThan(all.length / 3);
    expect(closed.filter((r) => r.satisfaction !== null).length).toBeGreaterThan(closed.length / 2);
    expect(new Set(closed.map((r) => r.satisfaction)).size).toBeGreaterThanOrEqual(2);
    expect(all.filter((r) => r.reopenCount > 0).length).toBeGreaterThan(0);
  });

  it("writes each step as its own person from their own device: several authors in one appeal's history", async () => {
    const admin = sessions.get('admin')!;
    // Recorded in the village (not taken in on the county's hotline) and handled by a bureau.
    const closed = rows.get('admin')!.filter((r) => r.status === 'closed' && r.dept !== null && r.channel === 'grid_patrol').slice(0, 5);
    expect(closed.length).toBe(5);
    const actors = new Set<string>();
    for (const row of closed) {
      const { update } = await get<{ update: string }>(server, `/api/appeal-doc?id=${row.id}`, admin);
      const doc = new Y.Doc();
      Y.applyUpdate(doc, Buffer.from(update, 'base64'));
      const events = readAppeal(doc, row.id).events as { actor: string; type: string }[];
      doc.destroy();
      const mine = new Set(events.map((e) => e.actor));
      // Recorded in the village, sent by the town, answered by the bureau, called back by a seat.
      expect(mine.size, row.id).toBeGreaterThanOrEqual(4);
      for (const a of mine) actors.add(a);
    }
    expect(actors.size).toBeGreaterThanOrEqual(8);
  });

  it('holds bench meetings with adopted good ideas, on the facilitator’s synced device', async () => {
    const d = await device(server, sessions.get('bench')!);
    try {
      d.engine.start();
      await d.settled(60_000);
      const meetings = await d.db.meetings.toArray();
      expect(meetings.length).toBeGreaterThanOrEqual(4);
      expect(meetings.some((m) => m.ideas > 0 && m.adopted > 0)).toBe(true);
      const raised = await d.db.appeals.where('meetingId').above('').count();
      expect(raised).toBeGreaterThan(0);
    } finally {
      d.close();
    }
  }, 120_000);

  it('has a published board item with an approved comment, and comments waiting for the town', async () => {
    const board = await get<string>(server, '/p/board');
    const ids = [...board.matchAll(/href="\/p\/board\/([0-9a-f-]{36})/g)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    const pages = await Promise.all(ids.map((id) => get<string>(server, `/p/board/${id}`)));
    expect(pages.some((p) => p.includes('class="comment"'))).toBe(true);
    // The rejected advertisement never shows.
    expect(pages.some((p) => p.includes('低价代办'))).toBe(false);
    const town = sessions.get('town')!;
    expect((await get<{ comments: unknown[] }>(server, '/api/moderation/comments?status=pending', town)).comments.length).toBeGreaterThan(0);
    expect((await get<{ comments: unknown[] }>(server, '/api/moderation/comments?status=approved', town)).comments.length).toBeGreaterThan(0);
  });

  it('has an open campaign with answers, some adopted, and reception days to book', async () => {
    const { campaigns } = await get<{ campaigns: { id: string; suggestions: number; adopted: number }[] }>(server, '/api/campaigns', sessions.get('grid')!);
    expect(campaigns.length).toBeGreaterThan(0);
    expect(campaigns[0]!.suggestions).toBeGreaterThanOrEqual(10);
    expect(campaigns[0]!.adopted).toBeGreaterThan(0);
    expect(await get<string>(server, '/p/ask')).toContain(`/p/ask/${campaigns[0]!.id}`);
    const { slots } = await get<{ slots: { startsAt: number; booked: number }[] }>(server, '/api/reception/slots', sessions.get('town')!);
    expect(slots.length).toBeGreaterThanOrEqual(2);
    expect(slots.every((s) => s.startsAt > Date.now())).toBe(true);
    expect(slots.some((s) => s.booked > 0)).toBe(true);
    expect(await get<string>(server, '/p/reception')).toContain('接待');
  });

  it('is marked as demo data for the administrator, and only for them', async () => {
    const { demo } = await get<{ demo: { state: string; appeals: number } }>(server, '/api/admin/demo', sessions.get('admin')!);
    expect(demo).toMatchObject({ state: 'done', appeals: server.seed.demo!.appeals });
    const res = await fetch(`${server.url}/api/admin/demo`, { headers: { authorization: `Bearer ${sessions.get('leader')!.token}` } });
    expect(res.status).toBe(403);
  });

  it('is seeded once: a second start of the same data directory adds nothing', async () => {
    const before = rows.get('admin')!.length;
    const mark = await server.store.getMeta(DEMO_META);
    await server.close();
    server = await startServer(loadConfig(env(dir, '1')));
    expect(server.seed.seededNow).toBe(false);
    expect(server.seed.demo).toBeUndefined();
    expect(await browseAll(server, await login(server, 'admin'))).toHaveLength(before);
    expect(await server.store.getMeta(DEMO_META)).toBe(mark);
  }, 60_000);
});

describe('MINSHENG_DEMO', () => {
  it('is off for loadConfig unless asked, on where the entry points ask, and either way when set', () => {
    const base = { MINSHENG_DATA_DIR: tempDir() };
    expect(loadConfig(base).demo).toBe(false);
    expect(loadConfig(base, { demo: true }).demo).toBe(true);
    expect(loadConfig({ ...base, MINSHENG_DEMO: '' }, { demo: true }).demo).toBe(true);
    expect(loadConfig({ ...base, MINSHENG_DEMO: '0' }, { demo: true }).demo).toBe(false);
    expect(loadConfig({ ...base, MINSHENG_DEMO: 'false' }, { demo: true }).demo).toBe(false);
    expect(loadConfig({ ...base, MINSHENG_DEMO: '1' }).demo).toBe(true);
    expect(() => loadConfig({ ...base, MINSHENG_DEMO: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, MINSHENG_DEMO: 'maybe' })).toThrow(/MINSHENG_DEMO must be 1 .* or 0/);
  });

  it('MINSHENG_DEMO=0 starts empty: the regions and logins, no appeals and no demo mark', async () => {
    const server = await startServer(loadConfig(env(tempDir(), '0'), { demo: true }));
    try {
      expect(server.seed.seededNow).toBe(true);
      expect(server.seed.demo).toBeUndefined();
      const admin = await login(server, 'admin');
      expect(await browseAll(server, admin)).toHaveLength(0);
      expect((await get<{ demo: unknown }>(server, '/api/admin/demo', admin)).demo).toBeNull();
      expect((await get<{ campaigns: unknown[] }>(server, '/api/campaigns', admin)).campaigns).toHaveLength(0);
    } finally {
      await server.close();
    }
  }, 60_000);
});
