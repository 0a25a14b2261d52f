// `npm run migrate` brings the configured database (MINSHENG_DATA_DIR's SQLite, or DATABASE_URL's
// PostgreSQL) to this release's schema and re-derives projections where needed, as a server
// start would; `npm run migrate -- --dry-run` only prints what that would change.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ConfigError, loadConfig } from '../config';
import { fingerprint, PROJECTION_META_KEY, reprojectIfPolicyChanged } from '../jobs/reproject';
import { fillOwnMinutes } from '../jobs/own-minutes';
import { pendingMigrations, type PendingMigration } from '../store/migration-plan';
import { openStore } from '../store';
import { MIGRATIONS as PG_MIGRATIONS } from '../store/postgres/migrations';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../store/sqlite/migrations';

interface Plan {
  where: string;
  pending: PendingMigration[];
  /** Whether the projections would be derived again (a new policy or new projection columns). */
  reproject: boolean;
  appeals: number;
}

async function planSqlite(dataDir: string, wanted: string): Promise<Plan> {
  const file = path.join(dataDir, 'minsheng.sqlite');
  if (!existsSync(file)) return { where: file, pending: pendingMigrations(SQLITE_MIGRATIONS, new Set()), reproject: false, appeals: 0 };
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const has = (table: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
    const applied = new Set(has('schema_migrations') ? (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version) : []);
    const meta = has('meta') ? (db.prepare('SELECT value FROM meta WHERE key = ?').get(PROJECTION_META_KEY) as { value: string } | undefined) : undefined;
    const appeals = has('appeals') ? (db.prepare('SELECT count(*) AS n FROM appeals').get() as { n: number }).n : 0;
    return { where: file, pending: pendingMigrations(SQLITE_MIGRATIONS, applied), reproject: appeals > 0 && meta?.value !== wanted, appeals };
  } finally {
    db.close();
  }
}

async function planPostgres(url: string, wanted: string): Promise<Plan> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const has = async (table: string) => (await client.query('SELECT to_regclass($1) AS t', [table])).rows[0].t !== null;
    const applied = new Set((await has('schema_migrations')) ? (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version) : []);
    const meta = (await has('meta')) ? (await client.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [PROJECTION_META_KEY])).rows[0] : undefined;
    const appeals = (await has('appeals')) ? Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM appeals')).rows[0]!.n) : 0;
    return { where: url.replace(/\/\/[^@/]*@/, '//…@'), pending: pendingMigrations(PG_MIGRATIONS, applied), reproject: appeals > 0 && meta?.value !== wanted, appeals };
  } finally {
    await client.end();
  }
}

function print(plan: Plan, dryRun: boolean): void {
  const would = dryRun ? 'would apply' : 'applies';
  console.log(`database: ${plan.where}`);
  if (plan.pending.length === 0) console.log('schema: up to date');
  for (const m of plan.pending) console.log(`${would} migration ${m.version}: ${m.statements.join('; ')}`);
  if (plan.reproject) console.log(`${dryRun ? 'would re-derive' : 're-derives'} the projections of ${plan.appeals} appeals (policy or projection columns changed)`);
  if (dryRun) console.log(plan.pending.length === 0 && !plan.reproject ? 'nothing to change' : 'dry run: nothing was changed');
}

try {
  const dryRun = process.argv.includes('--dry-run');
  const unknown = process.argv.slice(2).filter((a) => a !== '--dry-run');
  if (unknown.length > 0) throw new ConfigError(`unknown argument ${unknown[0]}: the only option is --dry-run`);
  const config = loadConfig(process.env);
  const wanted = fingerprint(config.policies);
  const plan = config.databaseUrl ? await planPostgres(config.databaseUrl, wanted) : await planSqlite(config.dataDir, wanted);
  print(plan, dryRun);
  if (!dryRun) {
    const store = await openStore(config);
    try {
      await reprojectIfPolicyChanged(store, config.policies);
      const filled = await fillOwnMinutes(store, config.policies);
      if (filled > 0) console.log(`filled the own handling minutes of ${filled} appeals`);
    } finally {
      await store.close();
    }
    console.log('done');
  }
} catch (err) {
  console.error(err instanceof ConfigError ? `Configuration error: ${err.message}` : err);
  process.exit(1);
}
