import 'fake-indexeddb/auto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { recordAppeal } from '../../src/store/appeals';
import { openDb } from '../../src/store/db';
import { deviceId } from '../../src/store/meta';
import { SyncEngine } from '../../src/sync/engine';
import { fetchRegions, until } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// A grid worker's access token expires while they work offline. On the next link the
// engine trades the refresh token for a new one and pushes the outbox; once the session
// itself is revoked, it asks for a login and keeps every unsent record.

let server: RunningServer;

beforeAll(async () => {
  // Access tokens live about a second here, so expiry happens within the test.
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_ACCESS_MINUTES: '0.02' });
});
afterAll(() => server?.close());

describe('refreshing an expired session', () => {
  it('renews an expired access token on its own and keeps syncing; after revocation it keeps the outbox and asks for a login', async () => {
    const res = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'grid', password: 'demo1234' }) });
    let session = (await res.json()) as { token: string; refreshToken: string; user: { id: string; role: 'grid_worker'; displayName: string; scope: { regions: string[]; departments: string[] } } };
    const db = openDb(`refresh-${Math.random()}`);
    await db.regions.bulkPut(await fetchRegions(server.url, session as never));
    const who = { id: session.user.id, role: session.user.role, scope: session.user.scope };
    const input = { channel: 'grid_patrol', category: 'infra.roads', kind: 'help', urgency: 'yellow', villageCode: session.user.scope.regions[0]!, description: '桥面裂缝变大。', citizen: { anonymous: true } };
    expect((await recordAppeal(db, input, who)).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 2_200)); // offline long enough for the access token to expire

    let refreshed = 0;
    const refresh = async () => {
      const r = await fetch(`${server.url}/api/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: session.refreshToken }) });
      if (r.status === 401) return null;
      session = (await r.json()) as typeof session;
      refreshed++;
      return session.token;
    };
    const engine = new SyncEngine({ db, url: server.url.replace('http', 'ws') + '/sync', token: session.token, deviceId: await deviceId(db), WebSocketImpl: WebSocket as never, refresh, retryBaseMs: 50, random: () => 0 });
    let needsLogin = false;
    engine.subscribe((s) => (needsLogin = s.needsLogin));
    engine.start();
    await until(async () => (await db.outbox.count()) === 0, 15_000, 'outbox pushed after refresh');
    expect(refreshed).toBeGreaterThanOrEqual(1);
    expect((await server.store.appealRows()).some((r) => r.createdBy === session.user.id)).toBe(true);

    // The administrator disables the account: the socket closes, the refresh fails, records stay.
    expect((await recordAppeal(db, { ...input, description: '又一处路面塌陷。' }, who)).ok).toBe(true);
    await server.store.updateUser(session.user.id, { disabled: true });
    engine.stop();
    engine.start();
    await until(() => needsLogin, 15_000, 'asks for a login');
    expect(await db.outbox.count()).toBe(1);
    engine.stop();
    db.close();
  });
});
