// `npm run restore -- <backup folder> [--data-dir <dir>] [--force]`: verifies a backup, restores
// its database and files into the data directory (MINSHENG_DATA_DIR by default) and verifies
// the result. Stop the server first.
// `npm run restore -- --mark-restored [--taken-at <time>]`: after restoring PostgreSQL with its
// own tools, gives the configured store a new identity so phones put back what it lacks
// (src/core/store-epoch.ts); --taken-at is when the dump was taken (else phones send all they kept).
import path from 'node:path';
import { restoreSqlite, verifyBackup } from '../backup/sqlite';
import { ConfigError, loadConfig } from '../config';
import { EPOCH_KEY, restoredEpoch } from '../ops/store-epoch';
import { openStore } from '../store';

const args = process.argv.slice(2);
const usage = 'usage: npm run restore -- <backup folder> [--data-dir <dir>] [--force] [--verify-only]\n   or: npm run restore -- --mark-restored [--taken-at <ISO time of the dump>]';
let folder: string | undefined;
let dataDir = process.env.MINSHENG_DATA_DIR ?? 'data';
let force = false;
let verifyOnly = false;
let mark = false;
let takenAt: string | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--force') force = true;
  else if (a === '--verify-only') verifyOnly = true;
  else if (a === '--mark-restored') mark = true;
  else if (a === '--taken-at' && args[i + 1]) takenAt = args[++i]!;
  else if (a === '--data-dir' && args[i + 1]) dataDir = args[++i]!;
  else if (!a.startsWith('--') && folder === undefined) folder = a;
  else {
    console.error(`unknown argument "${a}"\n${usage}`);
    process.exit(2);
  }
}
if (mark) {
  const at = takenAt === undefined ? 0 : Date.parse(takenAt);
  if (Number.isNaN(at)) {
    console.error(`--taken-at "${takenAt}" is not a time (e.g. 2026-11-30T02:30:00+08:00)`);
    process.exit(2);
  }
  try {
    const store = await openStore(loadConfig(process.env));
    try {
      const epoch = restoredEpoch(await store.head(), at);
      await store.setMeta(EPOCH_KEY, JSON.stringify(epoch));
      console.log(`marked as restored: identity ${epoch.id}, from sequence ${epoch.since}; phones send again what was acknowledged ${at ? `from ${new Date(at).toISOString()}` : 'in the last 30 days'}`);
    } finally {
      await store.close();
    }
    process.exit(0);
  } catch (err) {
    console.error(err instanceof ConfigError ? `Configuration error: ${err.message}` : `marking failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
if (!folder) {
  console.error(usage);
  process.exit(2);
}
try {
  if (verifyOnly) {
    const r = await verifyBackup(folder);
    if (!r.ok) {
      console.error(`backup ${folder} does NOT verify:\n  ${r.problems.join('\n  ')}`);
      process.exit(1);
    }
    console.log(`backup ${folder} verified: ${r.manifest!.documents.count} documents, ${r.manifest!.files.length} files`);
    process.exit(0);
  }
  const r = await restoreSqlite(folder, path.resolve(dataDir), force);
  if (r.after.length > 0) {
    console.error(`restored into ${path.resolve(dataDir)} but it does NOT verify:\n  ${r.after.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`restored and verified ${path.resolve(dataDir)}: backup of ${r.manifest.createdAt} (version ${r.manifest.version}), ${r.manifest.documents.count} documents, ${r.files} files; new store identity ${r.epoch?.id}`);
} catch (err) {
  console.error(`restore failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
