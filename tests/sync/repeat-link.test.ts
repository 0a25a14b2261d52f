import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { recordAppeal } from '../../src/store/appeals';
import { device, login, type Device } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// The repeat link a worker makes from the duplicate hints (src/core/duplicate-hints.ts) goes
// to the server with the appeal, which keeps it and whose special governance follows it:
// a repeat recorded under another category still counts with the problem it repeats.

let server: RunningServer;
let grid: Device;
let village: string;

beforeAll(async () => {
  server = await startTestServer();
  grid = await device(server, await login(server, 'grid'));
  village = grid.who.scope.regions[0]!;
});

afterAll(async () => {
  grid?.close();
  await server?.close();
});

const input = (category: string, description: string, extra: Record<string, unknown> = {}) => ({
  channel: 'grid_patrol', category, kind: 'help', urgency: 'yellow', villageCode: village, description, citizen: { anonymous: true }, ...extra,
});

async function record(category: string, description: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await recordAppeal(grid.db, input(category, description, extra), grid.who);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value.id;
}

async function special(): Promise<{ category: string; appealIds: string[] }[]> {
  const town = await login(server, 'town');
  const res = await fetch(`${server.url}/api/reports/special`, { headers: { authorization: `Bearer ${town.token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { groups: { category: string; appealIds: string[] }[] }).groups;
}

describe('the repeat link on the server', () => {
  it('is accepted, kept, and followed by special governance', async () => {
    const first = await record('infra.water', '自来水管道漏水');
    await record('infra.water', '自来水管又漏水了');
    // Recorded as roads (the worker saw the road flooded), linked as a repeat of the leak.
    const linked = await record('infra.roads', '漏水把路面泡坏了', { repeatOf: first });
    grid.engine.start();
    await grid.settled();
    expect(await grid.db.quarantine.count()).toBe(0);
    const groups = await special();
    expect(groups).toHaveLength(1);
    expect(groups[0]!.category).toBe('infra.water');
    expect(groups[0]!.appealIds).toContain(linked);
    expect(groups[0]!.appealIds).toHaveLength(3);
  });
});
