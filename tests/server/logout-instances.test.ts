import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { dropPgSchema, openPgStore } from '../../server/store/postgres';
import { CLOSE_UNAUTHORIZED } from '../../server/sync/hub';
import { writeNewAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import { decodeServerFrame, encodeFrame, type ServerMessage } from '../../src/core/protocol';
import { login } from '../helpers/clients';
import { PG_URL, tempDir } from '../helpers/server';

// A logout on one instance closes that session's sockets there at once. Instances sharing
// PostgreSQL do not hear each other's logouts, so a socket on another instance learns of it
// on its next push: the store has no such session, the push is neither acknowledged nor stored.

const pgUp = process.env.MINSHENG_TEST_PG_UP === '1';
if (!pgUp) console.warn('logout across instances: SKIPPED (no PostgreSQL reachable)');

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropPgSchema(PG_URL, s);
});

describe.skipIf(!pgUp)('logging out with two instances on one PostgreSQL', () => {
  it("refuses the next push of that session's socket on the other instance", async () => {
    const schema = `logout_${process.pid}_${Date.now() % 100000}`;
    schemas.push(schema);
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.end();
    const servers: RunningServer[] = [];
    for (let i = 0; i < 2; i++) servers.push(await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0' }), await openPgStore(PG_URL, schema)));
    const [a, b] = servers as [RunningServer, RunningServer];
    try {
      const grid = await login(a, 'grid');
      const ws = new WebSocket(b.url.replace('http', 'ws') + '/sync');
      ws.binaryType = 'arraybuffer';
      const inbox: ServerMessage[] = [];
      ws.on('message', (d) => inbox.push(decodeServerFrame(new Uint8Array(d as ArrayBuffer))));
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send(encodeFrame({ t: 'hello', token: grid.token, deviceId: newId(), cursor: 0 }));
      const deadline = Date.now() + 10_000;
      while (!inbox.some((m) => m.t === 'changes' && !m.more) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(inbox[0]?.t).toBe('welcome');

      expect((await fetch(`${a.url}/api/logout`, { method: 'POST', headers: { authorization: `Bearer ${grid.token}` } })).status).toBe(200);
      const doc = new Y.Doc();
      writeNewAppeal(doc, { channel: 'walk_in', category: 'infra.water', kind: 'help', urgency: 'yellow', villageCode: grid.user.scope.regions[0]!, description: '另一台服务器上的推送。', citizen: { anonymous: true } }, { id: grid.user.id, role: grid.user.role }, Date.now(), newId());
      const docId = newId();
      ws.send(encodeFrame({ t: 'push', batch: 1, items: [{ docId, seq: 1, update: Y.encodeStateAsUpdate(doc) }] }));
      expect(await closed).toBe(CLOSE_UNAUTHORIZED);
      expect(inbox.some((m) => m.t === 'ack')).toBe(false);
      expect(inbox.find((m) => m.t === 'error')).toMatchObject({ code: 'unauthorized' });
      expect(await b.store.docParts(docId)).toEqual([]);
    } finally {
      for (const s of servers) await s.close();
    }
  });
});
