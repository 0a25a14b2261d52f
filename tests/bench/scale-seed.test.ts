import { cpSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connect, push } from '../../bench/server-load';
import { seedGeneratedAppeals } from '../../bench/seed-store';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig, type Config } from '../../server/config';
import { docFromUpdates } from '../../src/core/doc';
import { login } from '../helpers/clients';
import { tempDir } from '../helpers/server';

// The scale bench (bench/scale.ts) writes millions of appeals straight into the store with
// seed-store.ts, not through the hub. Here the same documents are pushed through a real hub
// into a copy of the same store: the hub must store the same documents and the same rows,
// but for when each was committed (a seeded store dates that by the appeal's last step).

const COMMIT_TIME = ['receivedAt', 'changedAt', 'lastSeq'];
const withoutCommitTime = (row: object) => Object.fromEntries(Object.entries(row).filter(([k]) => !COMMIT_TIME.includes(k)));
const docState = (parts: Uint8Array[]) => {
  const doc = docFromUpdates(parts);
  const snap = Y.snapshot(doc);
  const json = doc.toJSON();
  doc.destroy();
  return { snap, json };
};

let seeded: RunningServer;
let pushed: RunningServer;
let config: Config;
beforeAll(async () => {
  const dir = tempDir();
  config = loadConfig({ PORT: '0', MINSHENG_DATA_DIR: dir, MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REPORT_INTERVAL_MS: '0' });
  // Both start from the same divisions and accounts, so the events' hands exist on both.
  await (await startServer(config)).close();
  const copy = tempDir();
  cpSync(dir, copy, { recursive: true });
  seeded = await startServer(config);
  pushed = await startServer({ ...config, dataDir: copy });
});
afterAll(async () => {
  await seeded?.close();
  await pushed?.close();
});

describe("the scale bench's direct writes", () => {
  it('store what pushing the same documents through the hub stores', async () => {
    const town = (await seeded.store.userByUsername('town'))!;
    const villages = (await seeded.store.regionsUnder([town.scope.regions[0]!])).filter((r) => r.level === 'village');
    const snapshots = await seedGeneratedAppeals(seeded.store, { count: 16, villages, seed: 5, official: { id: town.id, name: town.displayName }, from: Date.now() - 20 * 86_400_000, spacingMs: 3_600_000, policy: config.policies, varied: true });
    expect(new Set(snapshots.map((s) => s.events.length)).size).toBeGreaterThan(1);

    const conn = await connect(pushed.url, (await login(pushed, 'town')).token);
    for (const [i, s] of snapshots.entries()) await push(conn, i + 1, [{ docId: s.id, update: Y.mergeUpdates(await seeded.store.docParts(s.id)), seq: i + 1 }]);
    conn.ws.close();

    const rowsOf = async (server: RunningServer) => new Map((await server.store.appealRows()).map((r) => [r.id, withoutCommitTime(r)]));
    const direct = await rowsOf(seeded);
    const hub = await rowsOf(pushed);
    expect(hub.size).toBe(snapshots.length);
    for (const s of snapshots) {
      expect(hub.get(s.id)).toEqual(direct.get(s.id));
      const a = docState(await seeded.store.docParts(s.id));
      const b = docState(await pushed.store.docParts(s.id));
      expect(Y.equalSnapshots(a.snap, b.snap)).toBe(true);
      expect(b.json).toEqual(a.json);
    }
  });
});
