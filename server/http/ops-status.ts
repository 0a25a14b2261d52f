import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config';
import { latestBackup, type LatestBackup } from '../backup/sqlite';
import { opsSnapshot, type OpsSnapshot } from '../ops/journal';
import type { Store, UserRecord } from '../store/types';
import { VERSION } from './health';
import type { Route } from './plumbing';
import { refused } from './admin';

// The administrator's status page (issue 31): what an operator checks first, in one answer.

export interface OpsStatus {
  version: string;
  now: number;
  store: { kind: 'sqlite' | 'postgres'; bytes: number | null };
  devices: { devices: number; relays: number; waiting: number };
  backup: { configured: boolean; latest: LatestBackup | null; problem: string | null };
  ops: OpsSnapshot;
}

interface StatusDeps {
  store: Store;
  config: Pick<Config, 'dataDir' | 'backupDir'>;
  authed: (req: IncomingMessage) => Promise<{ user: UserRecord }>;
  /** Read when asked: the hub starts after the API. */
  connections: () => { devices: number; relays: number; waiting: number };
}

async function sqliteBytes(dataDir: string): Promise<number> {
  let n = 0;
  for (const f of ['minsheng.sqlite', 'minsheng.sqlite-wal']) {
    const file = path.join(dataDir, f);
    if (existsSync(file)) n += (await stat(file)).size;
  }
  return n;
}

export function createOpsStatusRoutes({ store, config, authed, connections }: StatusDeps): Record<string, Route> {
  return {
    'GET /api/admin/status': async (req) => {
      const { user } = await authed(req);
      if (user.role !== 'admin') throw await refused(store, user, req, 'Only an administrator may see the server status');
      // PostgreSQL measures itself; SQLite is its files in the data directory.
      const kind = store.databaseBytes ? 'postgres' : 'sqlite';
      const bytes = store.databaseBytes ? await store.databaseBytes() : await sqliteBytes(config.dataDir);
      let latest: LatestBackup | null = null;
      let problem: string | null = null;
      if (config.backupDir) {
        try {
          latest = await latestBackup(config.backupDir);
        } catch (err) {
          problem = `cannot read ${config.backupDir}: ${err instanceof Error ? err.message : String(err)}`;
        }
      }
      const status: OpsStatus = { version: VERSION, now: Date.now(), store: { kind, bytes }, devices: connections(), backup: { configured: config.backupDir !== null, latest, problem }, ops: opsSnapshot() };
      return [200, status];
    },
  };
}
