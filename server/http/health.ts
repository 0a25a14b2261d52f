import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics';
import type { MetaStore } from '../store/types';

// What a load balancer, an orchestrator or Prometheus asks (issue 31). No login, tiny
// answers, nothing about anyone:
// - /healthz: the process serves (200 while it answers at all).
// - /readyz: it can do its work: the database answers a trivial query in time, and it is not
//   shutting down (else 503, so traffic goes to another instance).
// - /metrics: Prometheus text, only with MINSHENG_METRICS_TOKEN set and sent as a bearer
//   token (404 when off, 401 without it).

/** The deployed version (package.json), said by /healthz. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** How long the readiness query may take before the database counts as unreachable. */
export const READY_TIMEOUT_MS = 2_000;

export interface HealthDeps {
  /** The cheapest read there is (`getMeta`), on the store the server uses. */
  store: Pick<MetaStore, 'getMeta'>;
  /** Null when MINSHENG_METRICS_TOKEN is unset: /metrics is off. */
  metrics: { metrics: Metrics; token: string } | null;
  /** True from the moment the server starts to close. */
  closing: () => boolean;
}

export const HEALTH_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Whether the database answered a trivial query within READY_TIMEOUT_MS. */
async function databaseAnswers(store: HealthDeps['store']): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS)));
  try {
    return await Promise.race([store.getMeta('county').then(() => true), late]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Compares in constant time, so the token cannot be guessed a byte at a time from response times. */
function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Answers /healthz, /readyz and /metrics; false for any other path. */
export function createHealth({ store, metrics, closing }: HealthDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    if (!HEALTH_PATHS.has(path)) return false;
    if (path === '/metrics' && !metrics) {
      res.writeHead(404).end();
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    if (path === '/healthz') sendJson(res, 200, { ok: true, version: VERSION });
    else if (path === '/readyz') {
      if (closing()) sendJson(res, 503, { ok: false, reason: 'shutting_down' });
      else if (!(await databaseAnswers(store))) sendJson(res, 503, { ok: false, reason: 'database_unreachable' });
      else sendJson(res, 200, { ok: true });
    } else if (metrics) {
      const m = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''));
      if (!m || !sameToken(m[1]!, metrics.token)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="metrics"', 'cache-control': 'no-store' }).end();
        return true;
      }
      const body = await metrics.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.metrics.registry.contentType, 'cache-control': 'no-store' });
      res.end(body);
    }
    return true;
  };
}
