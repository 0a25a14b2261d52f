import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PG_TYPES, pgTransaction } from '../postgres/runner';
import { bytesOf, HOLDING_COLUMNS, HOLDING_NULLS, holdingFromRow } from '../rows';
import type { Sql } from '../sql';
import type { CommitRow, SyncLog } from './contract';
import { sharedSyncLog } from './index';
import { docLockKey, namespaceOf, RELEASE_MARKERS, safeHeadSql } from './pg-locks';
import { bufferedPushTx } from './pg-push-tx';
import { log } from '../../log';

// PostgreSQL's sync log: several instances share it and push transactions run side by side
// (a document's pushes queue on that document's lock), so sequence numbers may commit out of
// order. Nothing past the safe head (pg-locks.ts) is served: `head` is it, catch-up caps its
// cursor there, and commits announced on the channel every instance listens to are held until
// every smaller number is settled, then handed on in sequence order.

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
/** Documents whose row count after a push is kept for its compaction. */
const ROWS_KEPT = 10_000;
/** How often held commits look again for the safe head while a smaller number is in flight. */
const HOLD_POLL_MS = 5;
/** A barrier not back by then: the listening connection is in trouble, look again. */
const BARRIER_WAIT_MS = 5_000;

export interface PgConnection {
  pool: pg.Pool;
  sql: Sql;
  url: string;
  schema: string | undefined;
}

export function pgSyncLog({ pool, sql, url, schema }: PgConnection): SyncLog {
  // The schema the tables live in, asked once: a search_path in the URL names it as well as
  // `schema` does, and both the lock namespace and the channel must follow the tables.
  let where: Promise<{ ns: number; channel: string }> | undefined;
  const deployment = (): Promise<{ ns: number; channel: string }> =>
    (where ??= sql.get<{ s: string }>('SELECT current_schema() AS s').then(
      (r) => {
        const current = r?.s ?? 'public';
        return { ns: namespaceOf(current), channel: channelOf(current === 'public' ? undefined : current) };
      },
      (err: unknown) => {
        where = undefined;
        throw err;
      },
    ));
  const namespace = async () => (await deployment()).ns;
  const lockDoc = async (tx: Sql, docId: string) => void (await tx.get('SELECT pg_advisory_xact_lock(?::bigint) AS l', [docLockKey(await namespace(), docId)]));
  const shared = sharedSyncLog(sql, { lockDoc });
  // Update rows a document had when this instance's push of it committed (read under its lock,
  // so exact then): compaction right after that push needs no query to know it has nothing to fold.
  const rowsAfterPush = new Map<string, number>();
  return {
    ...shared,
    compact: async (docId, minRows, merge) => {
      const known = rowsAfterPush.get(docId);
      rowsAfterPush.delete(docId);
      // Rows another instance added since are counted by that instance's own compaction.
      return known !== undefined && known < minRows ? false : shared.compact(docId, minRows, merge);
    },
    inPushTx: async (fn) => {
      const { ns: space, channel } = await deployment();
      let inserted: [number, string][] = [];
      let rows = new Map<string, number>();
      const out = await pgTransaction(
        pool,
        async (c) => {
          const tx = bufferedPushTx(c, space);
          const out = await fn(tx);
          await tx.flush();
          inserted = tx.inserted;
          rows = tx.rows;
          return out;
        },
        {
          // Announced in a transaction of its own right after the push's COMMIT, in the same
          // round trip, and only then is the in-flight marker released (pg-locks.ts). That
          // transaction writes nothing that must survive a crash, so it does not wait for the
          // disk; a crash before it leaves the commit to the other instances' catch-up.
          afterCommit: () => {
            const notices: string[] = [];
            for (let i = 0; i < inserted.length; i += PER_NOTIFY) notices.push(`SELECT pg_notify(${literal(channel)}, ${literal(JSON.stringify(inserted.slice(i, i + PER_NOTIFY)))})`);
            const announce = notices.length > 0 ? `BEGIN; SET LOCAL synchronous_commit TO off; ${notices.join('; ')}; COMMIT; ` : '';
            return `${announce}${RELEASE_MARKERS}`;
          },
          afterRollback: RELEASE_MARKERS,
        },
      );
      for (const [, docId] of inserted) {
        const n = rows.get(docId);
        if (n !== undefined) rowsAfterPush.set(docId, n);
      }
      // Kept for the compaction that follows each push; a bound for those never asked.
      for (const docId of rowsAfterPush.keys()) {
        if (rowsAfterPush.size <= ROWS_KEPT) break;
        rowsAfterPush.delete(docId);
      }
      return out;
    },
    head: async () => (await sql.get<{ h: number }>(safeHeadSql(await namespace())))?.h ?? 0,
    subscribeCommits: async (fn) => {
      const { ns, channel } = await deployment();
      return listen(url, schema, channel, ns, fn);
    },
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

/** A string literal for SQL sent without parameters. */
const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

type Commit = { seq: number; docId: string };

/**
 * One connection that LISTENs for commits, reconnecting with backoff if it drops. Commits
 * notified while it was down reach this instance's clients at their next catch-up.
 *
 * Notified commits are held until the safe head reaches them, then handed on in sequence
 * order. Notifications arrive in commit order, not sequence order; a push releases its
 * in-flight marker only after its announcement is queued, so a commit settled by the time the
 * safe head is read was queued before this connection's own barrier notification, sent right
 * after that read, and once the barrier is back every commit up to that head is here.
 */
async function listen(url: string, schema: string | undefined, channel: string, ns: number, fn: (commits: Commit[]) => void): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  let wait = 250;
  const barrierChannel = `minsheng_barrier_${randomBytes(8).toString('hex')}`;
  let held: (Commit & { batch: number })[] = [];
  let batches = 0;
  let barriers = 0;
  const passed = new Map<number, () => void>();
  let draining = false;
  let again = false;

  /** Hands on every held commit up to `head`, in sequence order, a notification's run at a time. */
  const release = (head: number) => {
    const ready = held.filter((c) => c.seq <= head).sort((a, b) => a.seq - b.seq);
    if (ready.length === 0) return;
    held = held.filter((c) => c.seq > head);
    // The bus knows a local batch by its first number, so a batch split by another's numbers
    // goes on in pieces (the later ones reach its sender too: applying twice is harmless).
    for (let i = 0; i < ready.length; ) {
      let j = i + 1;
      while (j < ready.length && ready[j]!.batch === ready[i]!.batch) j++;
      fn(ready.slice(i, j).map(({ seq, docId }) => ({ seq, docId })));
      i = j;
    }
  };

  const drain = async (): Promise<void> => {
    if (draining) {
      again = true;
      return;
    }
    draining = true;
    try {
      for (;;) {
        again = false;
        const c = client;
        if (!c || stopped || held.length === 0) return;
        const n = ++barriers;
        const back = new Promise<boolean>((resolve) => {
          passed.set(n, () => resolve(true));
          setTimeout(() => resolve(false), BARRIER_WAIT_MS).unref();
        });
        const results = (await c.query(`${safeHeadSql(ns)}; NOTIFY "${barrierChannel}", '${n}'`)) as unknown as pg.QueryResult<{ h: number }>[];
        const ok = await back;
        passed.delete(n);
        if (ok) release(results[0]!.rows[0]!.h);
        if (!again && held.length > 0) await new Promise((r) => setTimeout(r, HOLD_POLL_MS));
      }
    } catch (err) {
      // The connection dropped: it drains again once it is back.
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'held commits wait for the commit listener');
    } finally {
      draining = false;
    }
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, types: PG_TYPES, ...(schema && { options: `-c search_path=${schema}` }) });
    c.on('notification', (n) => {
      if (n.channel === barrierChannel) return passed.get(Number(n.payload))?.();
      if (n.channel !== channel || !n.payload) return;
      try {
        const batch = ++batches;
        for (const [seq, docId] of JSON.parse(n.payload) as [number, string][]) held.push({ seq, docId, batch });
        void drain();
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
    // A barrier's commit need not wait for the disk: nothing of it has to survive a crash.
    await c.query(`LISTEN "${channel.replaceAll('"', '""')}"; LISTEN "${barrierChannel}"; SET synchronous_commit = off`);
    wait = 250;
    client = c;
    void drain();
  };
  await connect();
  return async () => {
    stopped = true;
    await client?.end().catch(() => undefined);
  };
}
