import 'fake-indexeddb/auto';
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Region } from '../../src/core/regions';
import type { Role, Scope } from '../../src/core/roles';
import { recordAppeal } from '../../src/store/appeals';
import { openDb } from '../../src/store/db';
import { deviceId } from '../../src/store/meta';
import { SyncEngine, type SyncStatus } from '../../src/sync/engine';
import { until } from '../helpers/clients';
import { spawnServer, tempDir, type ServerProcess } from '../helpers/server';

// The server process is SIGKILLed inside a push: before its commit, or after the commit
// but before the ack. Either way the client keeps the entries, resends them to the
// restarted server, and the database ends with exactly one copy of each.

let servers: ServerProcess[] = [];

afterEach(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  servers = [];
});

describe.each(['before-commit', 'after-commit'])('server SIGKILLed %s', (point) => {
  it('the client resends after restart and the store holds each update exactly once', async () => {
    const dataDir = tempDir();
    const first = await spawnServer({ MINSHENG_DATA_DIR: dataDir, MINSHENG_FAULT: `kill-${point}:1` });
    servers.push(first);

    const login = (await (
      await fetch(`${first.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'grid', password: 'demo1234' }) })
    ).json()) as { token: string; user: { id: string; role: Role; scope: Scope } };
    const { regions } = (await (await fetch(`${first.url}/api/regions`, { headers: { authorization: `Bearer ${login.token}` } })).json()) as { regions: Region[] };
    const db = openDb(`crash-${point}-${Date.now()}`);
    await db.regions.bulkPut(regions);
    const who = { id: login.user.id, role: login.user.role, scope: login.user.scope };
    for (let i = 0; i < 3; i++) {
      const input = { channel: 'petition', category: 'disputes.land', kind: 'complaint', urgency: 'orange', villageCode: who.scope.regions[0], description: `土地纠纷 ${i}`, citizen: { anonymous: true } };
      expect((await recordAppeal(db, input, who)).ok).toBe(true);
    }

    let status!: SyncStatus;
    const exited = new Promise<void>((resolve) => first.child.once('exit', () => resolve()));
    const engine = new SyncEngine({ db, url: `${first.url.replace('http', 'ws')}/sync`, token: login.token, deviceId: await deviceId(db), WebSocketImpl: WebSocket as never, retryBaseMs: 50, random: () => 0 });
    engine.subscribe((s) => (status = s));
    engine.start();

    // The first push kills the server: no ack arrives, so the outbox keeps all three.
    await exited;
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(await db.outbox.count()).toBe(3);

    // Same data directory, same port: the engine's reconnect finds it.
    servers.push(await spawnServer({ MINSHENG_DATA_DIR: dataDir, PORT: String(first.port) }));
    await until(async () => status.link === 'online' && (await db.outbox.count()) === 0, 30_000, 'outbox drained after restart');
    engine.stop();
    db.close();

    const sqlite = new Database(path.join(dataDir, 'minsheng.sqlite'), { readonly: true });
    try {
      const count = (table: string) => (sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      expect(count('appeals')).toBe(3);
      expect(count('receipts')).toBe(3);
      expect(count('updates')).toBe(3);
    } finally {
      sqlite.close();
    }
  }, 90_000);
});
