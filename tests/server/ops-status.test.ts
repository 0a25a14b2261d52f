import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { backupSqlite } from '../../server/backup/sqlite';
import type { OpsStatus } from '../../server/http/ops-status';
import { VERSION } from '../../server/http/health';
import { device, login, until } from '../helpers/clients';
import { onPostgres, startTestServer, tempDir } from '../helpers/server';

// The administrator's status page (issue 31): version, database size, last backup and its
// verification, connected devices, the periodic jobs' last runs, errors of the last day.

let server: RunningServer;
let dataDir: string;
const backupDir = tempDir('minsheng-status-backups-');

beforeAll(async () => {
  dataDir = tempDir();
  server = await startTestServer({ MINSHENG_DATA_DIR: dataDir, MINSHENG_BACKUP_DIR: backupDir, MINSHENG_SCAN_INTERVAL_MS: '60000' });
});
afterAll(() => server.close());

async function status(token: string): Promise<{ code: number; body: OpsStatus & { error?: string } }> {
  const res = await fetch(`${server.url}/api/admin/status`, { headers: { authorization: `Bearer ${token}` } });
  return { code: res.status, body: (await res.json()) as OpsStatus & { error?: string } };
}

describe('GET /api/admin/status', () => {
  it('is for administrators only', async () => {
    for (const who of ['town', 'dispatcher', 'leader']) expect((await status((await login(server, who)).token)).code).toBe(403);
  });

  it('tells the version, the database, the devices connected and the jobs that ran', async () => {
    const admin = await login(server, 'admin');
    const phone = await device(server, await login(server, 'grid'));
    phone.engine.start();
    try {
      await phone.settled(10_000);
      await until(async () => (await status(admin.token)).body.ops.jobs.some((j) => j.name === 'deadline scan'), 10_000, 'the first deadline scan recorded');
      const { code, body } = await status(admin.token);
      expect(code).toBe(200);
      expect(body.version).toBe(VERSION);
      expect(body.store.kind).toBe(onPostgres() ? 'postgres' : 'sqlite');
      expect(body.store.bytes).toBeGreaterThan(0);
      expect(body.devices.devices).toBeGreaterThanOrEqual(1);
      const scan = body.ops.jobs.find((j) => j.name === 'deadline scan')!;
      expect(scan.last.ok).toBe(true);
      expect(scan.runs).toBeGreaterThanOrEqual(1);
      expect(typeof body.ops.errors.lastDay).toBe('number');
    } finally {
      phone.close();
    }
  });

  it('shows the last backup and what its verification found', async () => {
    const admin = await login(server, 'admin');
    expect((await status(admin.token)).body.backup).toEqual({ configured: true, latest: null, problem: null });
    if (onPostgres()) return; // npm run backup is SQLite's; PostgreSQL backs up with pg_dump.
    const made = await backupSqlite({ dataDir, backupDir, keep: 3 });
    const { body } = await status(admin.token);
    expect(body.backup.latest).toMatchObject({ name: made.folder.split('/').at(-1), documents: made.manifest.documents.count, databaseBytes: made.manifest.database.bytes });
    expect(body.backup.latest!.verified).toMatchObject({ ok: true, problems: [] });
  });
});
