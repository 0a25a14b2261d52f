// `npm run migrate:pg -- <data directory> <postgres URL>`: moves a SQLite data directory into
// an empty PostgreSQL database and verifies it; then start with DATABASE_URL set.
import { migrateSqliteToPg } from '../services/migrate-to-pg';

const [dataDir, url] = process.argv.slice(2);
if (!dataDir || !url || !/^postgres(ql)?:\/\//.test(url)) {
  console.error('usage: npm run migrate:pg -- <data directory> <postgres://… URL of an empty database>');
  process.exit(2);
}
try {
  const report = await migrateSqliteToPg(dataDir, url, (line) => console.log(line));
  if (report.mismatched.length > 0) {
    console.error(`MISMATCH: ${report.mismatched.join(', ')}`);
    process.exit(1);
  }
  console.log(`Done. Start with DATABASE_URL=${url} MINSHENG_DATA_DIR=${dataDir} (uploaded files stay there).`);
} catch (err) {
  console.error(`Migration failed, nothing was kept in PostgreSQL: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
