import type { IncomingMessage } from 'node:http';

/** The client's address for rate limits and the audit log (no proxy is trusted). */
export function clientIp(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}
