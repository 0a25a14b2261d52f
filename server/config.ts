import path from 'node:path';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** GB/T 2260 county code (6 digits) seeded as the demo county. */
  county: string;
  /** Built PWA to serve; absent in tests that only need the API. */
  staticDir: string | null;
  sessionDays: number;
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
  const staticDir = env.MINSHENG_STATIC_DIR === '' ? null : path.resolve(env.MINSHENG_STATIC_DIR ?? 'dist');
  return {
    host: env.HOST ?? '127.0.0.1',
    port,
    dataDir: path.resolve(env.MINSHENG_DATA_DIR ?? 'data'),
    county,
    staticDir,
    sessionDays,
  };
}
