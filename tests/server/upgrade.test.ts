import 'fake-indexeddb/auto';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../server/app';
import { digestDocuments } from '../../server/backup/sqlite';
import { loadConfig } from '../../server/config';
import { summarizeSql } from '../../server/store/migration-plan';
import { MIGRATIONS } from '../../server/store/sqlite/migrations';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { policyFor } from '../../src/core/policy-book';
import { project } from '../../src/core/projection';
import { device, login } from '../helpers/clients';
import { tempDir } from '../helpers/server';

// Upgrades (issue 31): a data directory written by an older release (commit cc9321e, issue 26's
// lived-in demo county: 452 appeals, schema version 15) is opened by today's code. Every
// document must come through unchanged, every projection must be what today's code derives
// from its document, and `npm run migrate -- --dry-run` must say what would change and change
// nothing.

const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/datadir-cc9321e/minsheng.sqlite.gz');
const ROOT = path.resolve(import.meta.dirname, '../..');

function unpack(): string {
  const dir = tempDir('minsheng-upgrade-');
  writeFileSync(path.join(dir, 'minsheng.sqlite'), gunzipSync(readFileSync(FIXTURE)));
  return dir;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const migrate = (dataDir: string, ...args: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', 'server/bin/migrate.ts', ...args], { cwd: ROOT, env: { ...process.env, MINSHENG_DATA_DIR: dataDir }, encoding: 'utf8' });

function readDb<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

describe('upgrading a data directory from an older release', () => {
  it('--dry-run lists the pending migrations and the re-derivation, and writes nothing', () => {
    const dir = unpack();
    const file = path.join(dir, 'minsheng.sqlite');
    const before = sha(file);
    const from = readDb(file, (db) => (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number }).v);
    const out = migrate(dir, '--dry-run');
    for (let v = from + 1; v <= MIGRATIONS.length; v++) expect(out).toContain(`would apply migration ${v}: ${summarizeSql(MIGRATIONS[v - 1]!).join('; ')}`);
    expect(out).not.toContain(`would apply migration ${from}:`);
    expect(out).toMatch(/would re-derive the projections of 452 appeals/);
    expect(out).toContain('dry run: nothing was changed');
    expect(sha(file)).toBe(before);
  });

  it('keeps every document, derives every projection as today, and serves the phones', async () => {
    const dir = unpack();
    const file = path.join(dir, 'minsheng.sqlite');
    const documentsBefore = readDb(file, digestDocuments);
    expect(documentsBefore.count).toBeGreaterThan(452);

    const config = loadConfig({ PORT: '0', MINSHENG_DATA_DIR: dir, MINSHENG_STATIC_DIR: '', MINSHENG_SCAN_INTERVAL_MS: '0', MINSHENG_REPORT_INTERVAL_MS: '0' });
    const server = await startServer(config);
    try {
      const rows = await server.store.appealRows();
      expect(rows).toHaveLength(452);
      for (const row of rows) {
        const doc = docFromUpdates(await server.store.docParts(row.id));
        const snapshot = readAppeal(doc, row.id);
        expect(row).toEqual(project(snapshot, policyFor(config.policies, snapshot.fields.villageCode)));
        doc.destroy();
      }
      // A town official's phone signs in with the old account and catches up its town.
      const town = await login(server, 'town');
      const phone = await device(server, town);
      phone.engine.start();
      try {
        await phone.settled(30_000);
        const held = await phone.db.appeals.count();
        expect(held).toBe(rows.filter((r) => r.town === town.user.scope.regions[0]!.padEnd(12, '0')).length);
        expect(held).toBeGreaterThan(0);
      } finally {
        phone.close();
      }
    } finally {
      await server.close();
    }

    readDb(file, (db) => {
      expect((db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number }).v).toBe(MIGRATIONS.length);
      expect(digestDocuments(db)).toEqual(documentsBefore);
    });
    expect(migrate(dir, '--dry-run')).toContain('nothing to change');
  }, 120_000);
});
