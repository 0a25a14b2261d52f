/**
 * Scheduled backups inside the running server (MINSHENG_BACKUP_INTERVAL_MS, off by default).
 * Each run is `npm run backup` in a child process: copying the database in one step would
 * otherwise stall the server's event loop, and a crash in a backup never takes the server down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ConfigError, type Config } from '../config';
import { loadBackupConfig } from './sqlite';
import { log as serverLog } from '../log';

export interface BackupRun {
  at: number;
  ok: boolean;
  /** The backup's one-line summary, or why it failed. */
  line: string;
}

export interface BackupSchedule {
  /** The last finished run, for a status page; null before the first. */
  last(): BackupRun | null;
  stop(): void;
}

/** Checked at startup, so a wrong setting stops the server rather than silently skipping backups. */
export function scheduleBackups(env: NodeJS.ProcessEnv, config: Pick<Config, 'dataDir' | 'databaseUrl'>, log: (line: string) => void = (line) => serverLog.info({ job: 'backup' }, line)): BackupSchedule | null {
  const raw = env.MINSHENG_BACKUP_INTERVAL_MS?.trim() ?? '';
  if (raw === '' || raw === '0') return null;
  const every = Number(raw);
  if (!Number.isInteger(every) || every < 1000) throw new ConfigError(`MINSHENG_BACKUP_INTERVAL_MS must be a whole number of milliseconds of at least 1000 (0 or unset: no scheduled backups), got "${raw}"`);
  if (config.databaseUrl) throw new ConfigError('MINSHENG_BACKUP_INTERVAL_MS backs up SQLite only; with DATABASE_URL schedule pg_dump instead (README, "Backups and restore")');
  try {
    loadBackupConfig(env, config.dataDir);
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err));
  }
  let child: ChildProcess | null = null;
  let last: BackupRun | null = null;
  let stopped = false;
  const run = () => {
    if (child || stopped) return; // One at a time: a slow backup is not overtaken by the next.
    let out = '';
    child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '../bin/backup.ts')], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      env: { ...env, MINSHENG_DATA_DIR: config.dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => {
      child = null;
      last = { at: Date.now(), ok: code === 0, line: out.trim() };
      log(code === 0 ? last.line : `scheduled backup FAILED (exit ${code}): ${last.line}`);
    });
  };
  const timer = setInterval(run, every);
  timer.unref();
  return {
    last: () => last,
    stop() {
      stopped = true;
      clearInterval(timer);
      child?.kill('SIGTERM');
    },
  };
}
