import { ConfigError } from '../config';

// Replies by SMS: the SMSC the gateway binds to and how hard it may push. Without
// MINSHENG_SMPP_URL the channel is off and nothing connects; with it, every other
// required setting must be there and well formed, or the server refuses to start.

export interface SmppConfig {
  host: string;
  port: number;
  /** ssmpp:// — SMPP over TLS. */
  tls: boolean;
  systemId: string;
  password: string;
  systemType: string;
  /** The service number citizens text and replies come from (source_addr, and deliver_sm's destination_addr). */
  sourceAddr: string;
  /** Where citizens open the public pages: the base of the code and rating links. */
  publicUrl: string;
  /** 签名 at the start of every message. */
  signature: string;
  /** submit_sm per second, across all numbers (the SMSC contract's TPS). */
  ratePerSecond: number;
  /** Messages one number may be sent per hour; more wait for the next hour. */
  perNumberPerHour: number;
  /** Appeals one number may open by SMS per day; more are not taken in (and not answered). */
  inboundPerNumberPerDay: number;
  /** enquire_link keepalive period. */
  enquireLinkMs: number;
  /** First reconnect delay; doubles up to a minute. Also the first wait after a throttled or failed submit. */
  retryMs: number;
  /** Attempts before a message is given up as failed. */
  maxAttempts: number;
}

const posInt = (env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return n;
};

const SMPP_VARS = ['MINSHENG_SMPP_SYSTEM_ID', 'MINSHENG_SMPP_PASSWORD', 'MINSHENG_SMPP_SOURCE_ADDR'] as const;

/** MINSHENG_SMPP_*: null (the channel off) when MINSHENG_SMPP_URL is unset or empty. */
export function loadSmppConfig(env: NodeJS.ProcessEnv): SmppConfig | null {
  const url = env.MINSHENG_SMPP_URL || undefined;
  if (!url) {
    const stray = SMPP_VARS.find((v) => env[v]);
    if (stray) throw new ConfigError(`${stray} is set without MINSHENG_SMPP_URL (the SMSC's smpp://host:port): set both, or neither to leave SMS off`);
    return null;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`MINSHENG_SMPP_URL must be smpp://host:port (or ssmpp:// for TLS), got "${url.slice(0, 80)}"`);
  }
  if (parsed.protocol !== 'smpp:' && parsed.protocol !== 'ssmpp:') throw new ConfigError(`MINSHENG_SMPP_URL must start with smpp:// or ssmpp://, got "${parsed.protocol}"`);
  if (parsed.username || parsed.password) throw new ConfigError('MINSHENG_SMPP_URL must not carry credentials: use MINSHENG_SMPP_SYSTEM_ID and MINSHENG_SMPP_PASSWORD');
  const tls = parsed.protocol === 'ssmpp:';
  const port = parsed.port ? Number(parsed.port) : tls ? 3550 : 2775;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new ConfigError('MINSHENG_SMPP_URL names no host');

  // SMPP 3.4 §5.2: system_id at most 15 octets, password 8, system_type 12, addresses 20 (all ASCII).
  const systemId = env.MINSHENG_SMPP_SYSTEM_ID ?? '';
  if (!/^[\x21-\x7e]{1,15}$/.test(systemId)) throw new ConfigError('MINSHENG_SMPP_SYSTEM_ID is required with MINSHENG_SMPP_URL: 1–15 printable ASCII characters (the account the operator gave)');
  const password = env.MINSHENG_SMPP_PASSWORD ?? '';
  if (!/^[\x21-\x7e]{1,8}$/.test(password)) throw new ConfigError('MINSHENG_SMPP_PASSWORD is required with MINSHENG_SMPP_URL: 1–8 printable ASCII characters (SMPP 3.4 allows no more)');
  const systemType = env.MINSHENG_SMPP_SYSTEM_TYPE ?? '';
  if (!/^[\x21-\x7e]{0,12}$/.test(systemType)) throw new ConfigError('MINSHENG_SMPP_SYSTEM_TYPE must be at most 12 printable ASCII characters');
  const sourceAddr = env.MINSHENG_SMPP_SOURCE_ADDR ?? '';
  if (!/^\d{3,20}$/.test(sourceAddr)) throw new ConfigError('MINSHENG_SMPP_SOURCE_ADDR is required with MINSHENG_SMPP_URL: the service number, 3–20 digits (e.g. 1069012345)');

  const publicUrl = (env.MINSHENG_PUBLIC_URL ?? '').replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(publicUrl)) {
    throw new ConfigError('MINSHENG_PUBLIC_URL is required with MINSHENG_SMPP_URL: the address citizens open the public pages at (https://…), for the links in messages');
  }
  const signature = env.MINSHENG_SMPP_SIGNATURE ?? '【民声】';
  if (signature.length > 12) throw new ConfigError('MINSHENG_SMPP_SIGNATURE must be at most 12 characters (e.g. 【兰陵县12345】)');

  return {
    host,
    port,
    tls,
    systemId,
    password,
    systemType,
    sourceAddr,
    publicUrl,
    signature,
    ratePerSecond: posInt(env, 'MINSHENG_SMPP_RATE', 10, 1, 1000),
    perNumberPerHour: posInt(env, 'MINSHENG_SMPP_PER_NUMBER_HOUR', 6, 1, 100),
    inboundPerNumberPerDay: posInt(env, 'MINSHENG_SMPP_INBOUND_PER_NUMBER_DAY', 10, 1, 1000),
    enquireLinkMs: posInt(env, 'MINSHENG_SMPP_ENQUIRE_MS', 30_000, 100, 600_000),
    retryMs: posInt(env, 'MINSHENG_SMPP_RETRY_MS', 2_000, 10, 600_000),
    maxAttempts: posInt(env, 'MINSHENG_SMPP_MAX_ATTEMPTS', 20, 1, 1000),
  };
}
