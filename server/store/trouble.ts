// A write the store could not make because its disk is full, its connection pool is taken, or
// the database is not answering (restarting) is neither the client's fault nor a bug: the
// client keeps what it sent and sends it again later, so it is told exactly that, not "internal
// error". Anything else stays an internal error.

export type StoreTrouble = 'full' | 'busy' | 'unreachable';

/** PostgreSQL's SQLSTATEs for a server shutting down or starting up, and for too many clients. */
const PG_UNREACHABLE = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08003', '08006']);
const NET_UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

export function storeTrouble(err: unknown): StoreTrouble | null {
  if (typeof err !== 'object' || err === null) return null;
  const { code, message } = err as { code?: unknown; message?: unknown };
  // SQLite's SQLITE_FULL, the file system's ENOSPC, PostgreSQL's disk_full.
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === '53100') return 'full';
  if (typeof code === 'string' && (PG_UNREACHABLE.has(code) || NET_UNREACHABLE.has(code))) return 'unreachable';
  if (typeof message === 'string') {
    // pg-pool's own errors carry no code.
    if (message.startsWith('timeout exceeded when trying to connect')) return 'busy';
    if (/Connection terminated|connection is closed|Client has encountered a connection error/i.test(message)) return 'unreachable';
  }
  return null;
}

export const TROUBLE_MESSAGE: Record<StoreTrouble, string> = {
  full: "the server's disk is full: these records stay on the phone and are sent again when space is back",
  busy: 'the database is busy: these records stay on the phone and are sent again shortly',
  unreachable: 'the database is not answering (restarting?): these records stay on the phone and are sent again shortly',
};

/** What a REST request answers instead of 500 when the store is in trouble: 507 when full, else 503; retry after seconds. */
export const TROUBLE_HTTP: Record<StoreTrouble, { status: number; retryAfter: number; message: string }> = {
  full: { status: 507, retryAfter: 300, message: "The server's disk is full; try again later" },
  busy: { status: 503, retryAfter: 5, message: 'The database is busy; try again in a few seconds' },
  unreachable: { status: 503, retryAfter: 10, message: 'The database is not answering; try again shortly' },
};
