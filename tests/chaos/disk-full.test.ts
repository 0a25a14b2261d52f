import 'fake-indexeddb/auto';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { TROUBLE_MESSAGE } from '../../server/store/trouble';
import { until } from '../helpers/clients';
import { pushingPhone, recordSteadily } from '../helpers/pushing-phones';
import { tempDir } from '../helpers/server';
import { scale } from './scale';

// The data disk fills up (issue 31). The data directory lives on a small tmpfs of its own (this
// machine's tests run as root); a file then takes every byte left. Pushes are refused with a
// reason the phone shows, kept in its outbox (not quarantined: the records are fine), and sent
// again once space is back; the database passes its integrity check and holds each appeal once.

const BEFORE = scale(5, 50);
const WHILE_FULL = scale(5, 50);

/** Writes zeros until the file system says no more. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(256 * 1024);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    // The last few bytes too, so even a one-page write fails.
    const byte = Buffer.alloc(1);
    try {
      for (;;) writeSync(fd, byte);
    } catch {
      /* full */
    }
  } finally {
    closeSync(fd);
  }
}

describe('the data disk fills up', () => {
  it(`refuses pushes with a clear reason, keeps them on the phone, and takes them when space is back (${BEFORE} + ${WHILE_FULL} appeals)`, async () => {
    const mount = tempDir('minsheng-full-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mount]);
    } catch (err) {
      throw new Error(`this test mounts a small tmpfs and must run as root: ${(err as Error).message}`);
    }
    const dataDir = path.join(mount, 'data');
    mkdirSync(dataDir);
    const server = await startServer(loadConfig({ PORT: '0', MINSHENG_DATA_DIR: dataDir, MINSHENG_STATIC_DIR: '', MINSHENG_DEMO: '0', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REPORT_INTERVAL_MS: '0' }));
    const acks = new Set<string>();
    const phone = await pushingPhone(server.url, 'grid', 'demo1234', 'full', acks);
    const filler = path.join(mount, 'filler');
    try {
      const early = await recordSteadily(phone, '早', BEFORE, 20);
      await until(async () => (await phone.db.outbox.count()) === 0, 30_000, 'the first appeals acked');

      fill(filler);
      const late = await recordSteadily(phone, '满', WHILE_FULL, 20);
      await until(() => phone.status().error?.includes(TROUBLE_MESSAGE.full) ?? false, 30_000, 'the phone told the disk is full');
      expect(await phone.db.outbox.count()).toBe(WHILE_FULL);
      expect(await phone.db.quarantine.count()).toBe(0);
      expect(acks.size).toBe(BEFORE);
      // The server still answers while full.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

      rmSync(filler);
      phone.engine.kick();
      await until(async () => (await phone.db.outbox.count()) === 0, 60_000, 'the outbox drained once space was back');
      expect(acks.size).toBe(BEFORE + WHILE_FULL);
      expect(await phone.db.quarantine.count()).toBe(0);
      await server.close();

      const db = new Database(path.join(dataDir, 'minsheng.sqlite'), { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const ids = (db.prepare('SELECT id FROM appeals').all() as { id: string }[]).map((r) => r.id).sort();
        expect(ids).toEqual([...early, ...late].sort());
        expect((db.prepare('SELECT count(*) AS n FROM updates').get() as { n: number }).n).toBe(BEFORE + WHILE_FULL);
      } finally {
        db.close();
      }
      console.log(`disk full: ${BEFORE} appeals before, ${WHILE_FULL} recorded while full (refused, kept on the phone, quarantined 0), all ${acks.size} acked after; integrity ok`);
    } finally {
      phone.engine.stop();
      phone.db.close();
      await server.close().catch(() => undefined);
      execFileSync('umount', ['-l', mount]);
    }
  }, scale(120_000, 600_000));
});
