import pg from 'pg';
import { PG_TYPES, pgTransaction } from '../postgres/runner';
import { bytesOf, HOLDING_COLUMNS, HOLDING_NULLS, holdingFromRow } from '../rows';
import type { Sql } from '../sql';
import type { CommitRow, SyncLog } from './contract';
import { sharedSyncLog } from './index';
import { bufferedPushTx } from './pg-push-tx';
import { log } from '../../log';

// PostgreSQL's sync log: several instances share it, so pushes take one advisory lock (the
// sequence stays the commit order across instances) and each commit is announced on a
// channel every instance listens to.

/**
 * The channel every instance of one deployment listens on for commits, from any instance.
 * Notifications are database-wide, so a deployment in its own schema (a county's and its
 * city's on one database, or tests) has a channel of its own: another's commits would name
 * sequence numbers of a different log.
 */
function channelOf(schema: string | undefined): string {
  return schema ? `minsheng_commits:${schema}`.slice(0, 63) : 'minsheng_commits';
}
/** Commits per notification: a payload must stay under PostgreSQL's 8,000 bytes. */
const PER_NOTIFY = 100;

export interface PgConnection {
  pool: pg.Pool;
  sql: Sql;
  url: string;
  schema: string | undefined;
}

export function pgSyncLog({ pool, sql, url, schema }: PgConnection): SyncLog {
  const channel = channelOf(schema);
  return {
    ...sharedSyncLog(sql),
    // Pushes commit one at a time (across every instance): a sequence number is never
    // visible before a smaller one, so no client's cursor can step over an update.
    inPushTx: (fn) =>
      pgTransaction(
        pool,
        async (c) => {
          const tx = bufferedPushTx(c);
          const out = await fn(tx);
          await tx.flush();
          // Delivered to every listening instance at COMMIT, in commit order, or never.
          for (let i = 0; i < tx.inserted.length; i += PER_NOTIFY) await c.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify(tx.inserted.slice(i, i + PER_NOTIFY))]);
          return out;
        },
        { withPushes: true },
      ),
    head: async () => (await sql.get<{ n: number | null }>("SELECT pg_sequence_last_value(pg_get_serial_sequence('updates', 'seq')) AS n"))?.n ?? 0,
    subscribeCommits: async (fn) => listen(url, schema, channel, fn),
    commitsBySeq: async (commits) => {
      const rows = await sql.all<{ seq: number; bytes: Buffer; received_at: number }>('SELECT seq, bytes, received_at FROM updates WHERE seq = ANY(?)', [commits.map((c) => c.seq)]);
      const found = new Map(rows.map((r) => [r.seq, bytesOf(r.bytes)]));
      const storedAt = new Map(rows.map((r) => [r.seq, Number(r.received_at)]));
      const docIds = [...new Set(commits.map((c) => c.docId))];
      const scopes = new Map(
        (
          await sql.all<Record<string, unknown> & { id: string; village: string; dept: string | null; anonymous: number; received_at: number | null }>(
            `SELECT id, village, dept, anonymous, received_at, ${HOLDING_COLUMNS} FROM appeals WHERE id = ANY(?) UNION ALL SELECT id, village, NULL, 1, NULL, ${HOLDING_NULLS} FROM meetings WHERE id = ANY(?)
             UNION ALL SELECT id, village, NULL, 1, NULL, ${HOLDING_NULLS} FROM patrols WHERE id = ANY(?)
             UNION ALL SELECT id, village, NULL, 1, NULL, ${HOLDING_NULLS} FROM points_docs WHERE id = ANY(?)`,
            [docIds, docIds, docIds, docIds],
          )
        ).map((r) => [r.id, r]),
      );
      return commits.flatMap((c): CommitRow[] => {
        const scope = scopes.get(c.docId);
        // Stored in the batch that first received the appeal: its receipt goes with it (src/core/sync-delay.ts).
        const first = scope?.received_at !== null && scope?.received_at !== undefined && storedAt.get(c.seq) === Number(scope.received_at);
        return scope ? [{ seq: c.seq, docId: c.docId, update: found.get(c.seq) ?? null, village: scope.village, dept: scope.dept, anonymous: scope.anonymous === 1, holding: scope.status === null ? null : holdingFromRow(scope), ...(first && { receivedAt: Number(scope.received_at) }) }] : [];
      });
    },
  };
}

/**
 * One connection that LISTENs for commits, reconnecting with backoff if it drops. Commits
 * notified while it was down reach this instance's clients at their next catch-up.
 */
async function listen(url: string, schema: string | undefined, channel: string, fn: (commits: { seq: number; docId: string }[]) => void): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  let wait = 250;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, types: PG_TYPES, ...(schema && { options: `-c search_path=${schema}` }) });
    c.on('notification', (n) => {
      if (n.channel !== channel || !n.payload) return;
      try {
        fn((JSON.parse(n.payload) as [number, string][]).map(([seq, docId]) => ({ seq, docId })));
      } catch (err) {
        log.error({ err }, 'unreadable commit notification');
      }
    });
    c.on('error', (err) => log.warn({ err: err.message }, 'commit listener lost its connection'));
    c.on('end', () => {
      if (stopped) return;
      client = null;
      setTimeout(() => void connect().catch(() => undefined), wait);
      wait = Math.min(wait * 2, 10_000);
    });
    await c.connect();
    await c.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
    wait = 250;
    client = c;
  };
  await connect();
  return async () => {
    stopped = true;
    await client?.end().catch(() => undefined);
  };
}
