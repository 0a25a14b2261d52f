// `npm run restore -- <backup folder> [--data-dir <dir>] [--force]`: verifies a backup, restores
// its database and files into the data directory (MINSHENG_DATA_DIR by default) and verifies
// the result. Stop the server first.
import path from 'node:path';
import { restoreSqlite, verifyBackup } from '../backup/sqlite';

const args = process.argv.slice(2);
const usage = 'usage: npm run restore -- <backup folder> [--data-dir <dir>] [--force] [--verify-only]';
let folder: string | undefined;
let dataDir = process.env.MINSHENG_DATA_DIR ?? 'data';
let force = false;
let verifyOnly = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--force') force = true;
  else if (a === '--verify-only') verifyOnly = true;
  else if (a === '--data-dir' && args[i + 1]) dataDir = args[++i]!;
  else if (!a.startsWith('--') && folder === undefined) folder = a;
  else {
    console.error(`unknown argument "${a}"\n${usage}`);
    process.exit(2);
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
  console.log(`restored and verified ${path.resolve(dataDir)}: backup of ${r.manifest.createdAt} (version ${r.manifest.version}), ${r.manifest.documents.count} documents, ${r.files} files`);
} catch (err) {
  console.error(`restore failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
