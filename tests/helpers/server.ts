import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { dropPgSchema, openPgStore } from '../../server/store/postgres';
import type { HubOptions } from '../../server/sync/hub';

export interface ServerProcess {
  url: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function tempDir(prefix = 'minsheng-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Starts the real server (`server/bin/main.ts`) as a child process on a free port. Unlike `npm
 * start` it starts empty: `MINSHENG_DEMO: '1'` in `env` seeds the demo county.
 */
export async function spawnServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  const dataDir = env.MINSHENG_DATA_DIR ?? tempDir();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/bin/main.ts'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { ...process.env, PORT: '0', MINSHENG_DATA_DIR: dataDir, MINSHENG_DEMO: '0', MINSHENG_DEMO_ACCOUNTS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 60_000);
    const check = () => {
      const m = /running at (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    child,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** PostgreSQL for the tests that run on both stores; CI starts nothing, so it may be absent. */
export const PG_URL = process.env.MINSHENG_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether the sync suites of this run use PostgreSQL (the "postgres" vitest project sets it). */
export const onPostgres = () => process.env.MINSHENG_TEST_STORE === 'postgres';

/**
 * A real server in this process on the store this run tests: SQLite in a temp directory,
 * or PostgreSQL in a fresh schema dropped when the server closes. Empty unless `env` has
 * `MINSHENG_DEMO: '1'` (the demo county).
 */
export async function startTestServer(env: Record<string, string> = {}, hubOptions: HubOptions = {}): Promise<RunningServer> {
  const config = loadConfig({ PORT: '0', MINSHENG_DATA_DIR: tempDir(), MINSHENG_STATIC_DIR: '', MINSHENG_DEMO: '0', ...env });
  if (!onPostgres()) return startServer(config, undefined, hubOptions);
  const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const server = await startServer(config, await openPgStore(PG_URL, schema), hubOptions);
  const close = server.close;
  return { ...server, close: () => close().then(() => dropPgSchema(PG_URL, schema)) };
}
