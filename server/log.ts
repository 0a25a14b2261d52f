import pino from 'pino';

// The server's log: one JSON object per line on stdout (pino), for journald, Loki or any log
// shipper. What goes in is chosen so that nothing personal does: requests are logged by method,
// path shape and status (never query strings, bodies, addresses or codes in paths), sync
// connections by a random id, errors by their message and stack. MINSHENG_LOG_LEVEL sets the
// level (default info; debug adds every sync connection's open and close).

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
// Test runs keep to warnings unless told otherwise: a line per request of thousands of tests
// would bury their results.
const level = process.env.MINSHENG_LOG_LEVEL || (process.env.VITEST ? 'warn' : 'info');
if (!LEVELS.includes(level)) throw new Error(`MINSHENG_LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${level}"`);

// Synchronous: a line logged just before the process exits is not lost.
const stdout = pino.destination({ dest: 1, sync: true });
const taps = new Set<(line: string) => void>();

export const log = pino(
  { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
  {
    write(line: string) {
      stdout.write(line);
      for (const tap of taps) tap(line);
    },
  },
);

/** Hands every log line to `fn` as well (tests read what would be logged); returns the undo. */
export function tapLog(fn: (line: string) => void): () => void {
  taps.add(fn);
  return () => taps.delete(fn);
}

/**
 * A path with every segment that is not a plain lower-case word replaced by `:id`:
 * `/p/track/K7M2Q9` → `/p/track/:id`, `/api/files/9f2…` → `/api/files/:id`. Codes, phone
 * numbers, ids and place codes in paths never reach the log.
 */
export function pathShape(url: string | undefined): string {
  const pathname = (url ?? '/').split(/[?#]/, 1)[0]!;
  return pathname
    .split('/')
    .map((seg) => (seg === '' || /^[a-z][a-z0-9-]{0,31}$/.test(seg) ? seg : ':id'))
    .join('/');
}
