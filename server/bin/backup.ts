// `npm run backup`: an online backup of a SQLite data directory (and its uploaded files) into
// MINSHENG_BACKUP_DIR, verified after writing; exits 1 when it does not verify.
import { loadConfig } from '../config';
import { backupSqlite, loadBackupConfig } from '../backup/sqlite';

try {
  const config = loadConfig(process.env);
  if (config.databaseUrl) {
    console.error('DATABASE_URL is set: back PostgreSQL up with pg_dump -Fc and copy the files directory (README, "Backups and restore")');
    process.exit(2);
  }
  const { backupDir, keep } = loadBackupConfig(process.env, config.dataDir);
  const started = Date.now();
  const r = await backupSqlite({ dataDir: config.dataDir, backupDir, keep });
  const m = r.manifest;
  const line = `${r.folder}: ${m.documents.count} documents, ${(m.database.bytes / 1048576).toFixed(1)} MiB database, ${m.files.length} files (${r.copiedFiles} new), ${Date.now() - started} ms`;
  if (!r.verify.ok) {
    console.error(`BACKUP FAILED VERIFICATION ${line}\n  ${r.verify.problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`backup verified ${line}${r.removed.length ? `; removed ${r.removed.length} old (keeping ${keep})` : ''}`);
} catch (err) {
  console.error(`backup failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
