import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePolicy, type DeadlinePolicy, type PresetName } from '../src/core/deadline';
import { parseTileSource, type TileSource } from '../src/core/geo';
import { DEFAULT_SCORECARD, parseScorecard, type Scorecard } from '../src/core/scorecard';
import { MAX_ATTACHMENT_BYTES } from '../src/core/attachments';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** PostgreSQL instead of the embedded SQLite (`postgres://…`); uploaded files stay in `dataDir`. */
  databaseUrl: string | null;
  /** GB/T 2260 county code (6 digits) seeded as the demo county. */
  county: string;
  /** Built PWA to serve; absent in tests that only need the API. */
  staticDir: string | null;
  sessionDays: number;
  /** Lifetime of a signed access token; refresh tokens last `sessionDays`. */
  accessMinutes: number;
  /** The county's deadline policy: a preset, or a JSON file of the same shape. */
  policy: DeadlinePolicy;
  /** How often the deadline scanner runs; 0 turns it off. */
  scanIntervalMs: number;
  /** Map tiles under the drawn basemap; null (the default) keeps every map request on the device. */
  tiles: TileSource | null;
  /** Open311 partners: API key → name. None by default, so the Open311 requests API is closed. */
  open311Keys: ReadonlyMap<string, string>;
  /** How the red and black lists score units: weights, sub-metrics, list lengths. */
  scorecard: Scorecard;
  /** Unfinished uploads: how long they are kept, how often expired ones are swept, and what one user may hold. */
  uploads: UploadLimits;
  /** Sync sockets not yet welcomed: what the environment overrides of the hub's PRE_AUTH_LIMITS. */
  syncPreAuth: SyncPreAuthOverrides;
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

function loadPolicy(setting: string | undefined, county: string): DeadlinePolicy {
  const value = setting ?? COUNTY_PRESET[county] ?? 'linyi';
  const parsed = parsePolicy(value.endsWith('.json') ? readJson('MINSHENG_DEADLINE_POLICY', value) : value);
  if (!parsed.ok) throw new ConfigError(`MINSHENG_DEADLINE_POLICY: ${parsed.error}`);
  return parsed.policy;
}

/** `MINSHENG_SCORECARD=path/to/scorecard.json` (the shape of DEFAULT_SCORECARD), or the default. */
function loadScorecard(file: string | undefined): Scorecard {
  if (!file) return DEFAULT_SCORECARD;
  const parsed = parseScorecard(readJson('MINSHENG_SCORECARD', file));
  if (!parsed.ok) throw new ConfigError(`MINSHENG_SCORECARD: ${parsed.error}`);
  return parsed.card;
}

export class ConfigError extends Error {}

/** Reads configuration from the environment, rejecting anything malformed with a clear message. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be an integer 0..65535, got "${env.PORT}"`);
  const county = env.MINSHENG_COUNTY ?? '371324';
  if (!/^\d{6}$/.test(county)) throw new ConfigError(`MINSHENG_COUNTY must be a 6-digit GB/T 2260 county code, got "${county}"`);
  const sessionDays = Number(env.MINSHENG_SESSION_DAYS ?? 30);
  if (!Number.isFinite(sessionDays) || sessionDays <= 0) throw new ConfigError(`MINSHENG_SESSION_DAYS must be a positive number`);
  const accessMinutes = Number(env.MINSHENG_ACCESS_MINUTES ?? 15);
  if (!Number.isFinite(accessMinutes) || accessMinutes <= 0 || accessMinutes > 24 * 60) throw new ConfigError('MINSHENG_ACCESS_MINUTES must be a number of minutes between 0 and 1440');
  const scanIntervalMs = Number(env.MINSHENG_SCAN_INTERVAL_MS ?? 5 * 60_000);
  if (!Number.isInteger(scanIntervalMs) || scanIntervalMs < 0) throw new ConfigError('MINSHENG_SCAN_INTERVAL_MS must be a whole number of milliseconds (0 turns the scanner off)');
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
    county,
    staticDir,
    sessionDays,
    accessMinutes,
    policy: loadPolicy(env.MINSHENG_DEADLINE_POLICY, county),
    scanIntervalMs,
    tiles: tiles.source,
    open311Keys: parseOpen311Keys(env.MINSHENG_OPEN311_KEYS),
    scorecard: loadScorecard(env.MINSHENG_SCORECARD),
    uploads: loadUploadLimits(env),
    syncPreAuth: loadSyncPreAuth(env),
  };
}
