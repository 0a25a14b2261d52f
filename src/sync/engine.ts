import { adoptServerTime } from '../store/clock';
import { MAX_FRAME_BYTES, MAX_PUSH_ITEMS } from '../core/limits';
import { decodeServerFrame, encodeFrame, FrameError, PROTOCOL_VERSION, WIRE_COMPACT, type ServerMessage, type WireVersion } from '../core/protocol';
import { exhaustive } from '../core/exhaustive';
import type { SessionUser } from '../core/roles';
import { updatesTable, type MinshengDB, type OutboxRow } from '../store/db';
import { applyRemoteChanges, docTables, rebaseDoc, rebuildDoc, type CatchUpResume } from '../store/docs';
import { getMeta, setMeta } from '../store/meta';
import { backoffDelay } from './backoff';
import { pruneHoldings } from '../store/holdings';
import { purgeExpired, refetchPending, refetchPurged, screenPurged } from '../store/retention';
import { adoptPolicy } from '../store/policy';
import { keepReceipts } from '../store/receipts';
import { holdsBack, journalAcked, knownStore, meetStoreIdentity, releaseDeferred } from '../store/restored';
import type { DeadlinePolicy } from '../core/deadline';

// The device's side of the sync protocol (src/core/protocol.ts; the server's is
// server/sync/hub.ts). Its contract:
//
// - Pushing: outbox entries go out in `seq` order, at most one batch in flight. An entry
//   leaves the outbox only when an ack names it, accepted (durably stored: resending it is
//   harmless, the server's receipts make it idempotent) or rejected. A rejected entry moves
//   to the quarantine with its reason and its document is rebuilt from the server's state
//   (`base`) plus what is still pending; a `history_rewritten` refusal is not quarantined:
//   its events are appended again after the server's (store/docs.ts `rebaseDoc`). Anything
//   an ack does not name is sent again.
// - Catching up: the hello carries `cursor`, the server sequence up to which this device holds
//   every change in its scope. The cursor moves only when a catch-up completes, in the same
//   IndexedDB transaction as the last page's data; mid catch-up only `catchUpResume` moves,
//   so a link cut on 2G resumes where it got to and never skips a document.
// - Live: after catch-up, frames apply in arrival order, one after another.
// - The link's state comes from the socket, never from navigator.onLine; reconnects back off
//   with jitter up to 30 s, and a silent link is given up after the ack timeout.

export type LinkState = 'offline' | 'connecting' | 'online';

export interface SyncStatus {
  link: LinkState;
  lastSyncedAt: number | null;
  /** Last problem worth showing (server error frame, auth failure). */
  error: string | null;
  /** The server refused our session: the user must log in again; the outbox is kept. */
  needsLogin: boolean;
  /** Catch-up progress in server sequence numbers, while pages are still arriving. */
  catchUp: { done: number; total: number } | null;
}

export interface SyncOptions {
  db: MinshengDB;
  url: string;
  token: string;
  deviceId: string;
  onWelcome?: (user: SessionUser) => void;
  /**
   * Called when the server refuses the access token: a new token, null when the session
   * has ended (log in again), or undefined when the server could not be reached.
   */
  refresh?: () => Promise<string | null | undefined>;
  WebSocketImpl?: typeof WebSocket;
  random?: () => number;
  ackTimeoutMs?: number;
  /** First reconnect delay; doubles per failed attempt up to 30 s. */
  retryBaseMs?: number;
  /** Quiet time on an idle link before a heartbeat ping (default 0: no heartbeat; the app uses 2 s). */
  heartbeatMs?: number;
  /** Whether anyone is looking: the heartbeat costs data, so it runs only then (default: always). */
  attentive?: () => boolean;
  /** Frame bytes sent and received, for the month's data usage (store/data-usage.ts). */
  onBytes?: (sent: number, received: number) => void;
  /** Authorized REST, to bring purged appeals whole again when they change (store/retention.ts); without it they wait to be opened. */
  fetcher?: (path: string) => Promise<Response>;
}

type Listener = (s: SyncStatus) => void;

// Leave room in a frame for the JSON header around the updates.
const BATCH_BYTES = MAX_FRAME_BYTES - 64 * 1024;
/** A ping unanswered this long (or three round trips, on a slow link) means the link is dead. */
const PONG_WAIT_MS = 3_000;
const HEARTBEAT_TICK_MS = 500;
/** How often a live device re-checks what it holds (the recent window moves on). */
const PRUNE_EVERY_MS = 60 * 60_000;

/**
 * One WebSocket per client carrying every appeal. Pushes the outbox in batches, one
 * batch in flight, and deletes an entry only when the server has acknowledged it as
 * durably stored. Connection state comes from the socket, never from navigator.onLine.
 */
export class SyncEngine {
  private status: SyncStatus = { link: 'offline', lastSyncedAt: null, error: null, needsLogin: false, catchUp: null };
  private listeners = new Set<Listener>();
  private ws: WebSocket | null = null;
  private attempt = 0;
  /** When the last hello left (device clock), to read the welcome's server time against. */
  private helloSentAt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  /** The batch awaiting its ack, with its rows: accepted ones go to the journal without reading the outbox again. */
  private inflight: { batch: number; seqs: number[]; rows: OutboxRow[] } | null = null;
  /** Whether the outbox may hold deferred replays (store/restored.ts): only then is it scanned to release them. */
  private deferredMaybe = true;
  private nextBatch = 1;
  private stopped = true;
  private flushing = false;
  /** Frames are handled one after another: a later page must never commit before an earlier one. */
  private queue: Promise<void> = Promise.resolve();
  private catchUpFrom = 0;
  /** Who the server says this session is, and when the device last dropped what it no longer holds. */
  private user: SessionUser | null = null;
  private prunedAt = 0;
  /** Where this catch-up resumed: documents last changed at or below it arrived whole before. */
  private catchUpAt = 0;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastHeardAt = 0;
  /** When the unanswered ping left (0: none), and the smoothed round trip of answered ones. */
  private pingSentAt = 0;
  private pings = 0;
  private rttMs = 0;
  /** The frame format this connection sends: 1 until the welcome agrees on the compact one the hello offered. */
  private wire: WireVersion = PROTOCOL_VERSION;

  constructor(private opts: SyncOptions) {}

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    fn(this.status);
    return () => this.listeners.delete(fn);
  }

  get current(): SyncStatus {
    return this.status;
  }

  /** A frame about to leave, counted for the month's data usage. */
  private counted(frame: Uint8Array): Uint8Array {
    this.opts.onBytes?.(frame.byteLength, 0);
    return frame;
  }

  private set(patch: Partial<SyncStatus>): void {
    this.status = { ...this.status, ...patch };
    for (const fn of this.listeners) fn(this.status);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.ws?.close();
    this.ws = null;
    this.inflight = null;
    this.set({ link: 'offline' });
  }

  /** The device says its network is gone: the socket would take up to a heartbeat to notice. */
  dropLink(): void {
    const ws = this.ws;
    if (!ws) return;
    // A close handshake on a dead network can take minutes: the socket is let go at once.
    this.ws = null;
    this.inflight = null;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.stopHeartbeat();
    this.set({ link: 'offline', catchUp: null });
    this.scheduleRetry();
    ws.close();
  }

  /** Try now: after a local write, or when the browser thinks the network is back. */
  kick(): void {
    if (this.stopped) return;
    if (this.status.link === 'online') void this.flush();
    else if (this.status.link === 'offline' && !this.status.needsLogin) {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.connect();
    }
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.retryTimer = this.ackTimer = null;
    this.stopHeartbeat();
  }

  /**
   * The badge must say offline within seconds of a link that dies silently (a 2G cell with no
   * backhaul). An idle link is pinged after a quiet spell; a busy one is already watched (the
   * push's ack timer), and a ping queued behind a long catch-up page would time out falsely.
   */
  private startHeartbeat(): void {
    const quiet = this.opts.heartbeatMs ?? 0;
    if (quiet <= 0 || this.heartbeat) return;
    this.lastHeardAt = Date.now();
    this.pingSentAt = 0;
    this.heartbeat = setInterval(() => {
      const ws = this.ws;
      if (!ws || this.status.link !== 'online') return;
      const now = Date.now();
      if (this.inflight || this.status.catchUp || ws.bufferedAmount > 0) {
        this.pingSentAt = 0;
        return;
      }
      if (this.pingSentAt) {
        if (now - this.pingSentAt >= Math.max(PONG_WAIT_MS, 3 * this.rttMs)) this.dropLink();
        return;
      }
      if (now - this.lastHeardAt >= quiet && (this.opts.attentive?.() ?? true)) {
        ws.send(this.counted(encodeFrame({ t: 'ping', n: ++this.pings }, this.wire)));
        this.pingSentAt = now;
      }
    }, Math.min(HEARTBEAT_TICK_MS, quiet));
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** Any frame proves the link alive; a pong also measures it. */
  private heard(msg: ServerMessage): void {
    const now = Date.now();
    if (this.pingSentAt && msg.t === 'pong') this.rttMs = this.rttMs ? 0.8 * this.rttMs + 0.2 * (now - this.pingSentAt) : now - this.pingSentAt;
    this.lastHeardAt = now;
    this.pingSentAt = 0;
  }

  private connect(): void {
    if (this.stopped || this.ws) return;
    // The device has no network at all: wait for it (the 'online' event kicks) rather than dial.
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      this.set({ link: 'offline' });
      return this.scheduleRetry();
    }
    this.set({ link: 'connecting' });
    const Impl = this.opts.WebSocketImpl ?? WebSocket;
    let ws: WebSocket;
    try {
      ws = new Impl(this.opts.url);
    } catch (err) {
      this.set({ error: String(err) });
      return this.scheduleRetry();
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.wire = PROTOCOL_VERSION;
    ws.onopen = async () => {
      const cursor = (await getMeta<number>(this.opts.db, 'cursor')) ?? 0;
      // A catch-up cut off part way (a drop on 2G) resumes where it got to, not from the start.
      const resume = await getMeta<CatchUpResume | null>(this.opts.db, 'catchUpResume');
      this.catchUpFrom = cursor;
      this.catchUpAt = resume?.from === cursor ? resume.at : cursor;
      const store = await knownStore(this.opts.db);
      this.helloSentAt = Date.now();
      if (this.ws === ws) ws.send(this.counted(encodeFrame({ t: 'hello', token: this.opts.token, deviceId: this.opts.deviceId, cursor, ...(this.catchUpAt > cursor && { resume: this.catchUpAt }), ...(store && { store }), wire: WIRE_COMPACT })));
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      if (!(ev.data instanceof ArrayBuffer)) return this.set({ error: 'server sent a text frame' });
      this.opts.onBytes?.(0, ev.data.byteLength);
      let msg: ServerMessage;
      try {
        msg = decodeServerFrame(new Uint8Array(ev.data));
      } catch (err) {
        // A frame we cannot read: drop the link and start clean rather than guess.
        this.set({ error: err instanceof FrameError ? err.message : String(err) });
        return ws.close();
      }
      this.heard(msg);
      this.queue = this.queue
        .then(() => (this.ws === ws ? this.onMessage(msg) : undefined))
        .catch((err) => {
          // Could not store what arrived (e.g. storage full): drop the link, resume later from the cursor.
          this.set({ error: err instanceof Error ? err.message : String(err) });
          ws.close();
        });
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.inflight = null;
      if (this.ackTimer) clearTimeout(this.ackTimer);
      this.stopHeartbeat();
      this.set({ link: 'offline', catchUp: null });
      this.scheduleRetry();
    };
    ws.onerror = () => ws.close();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.status.needsLogin || this.retryTimer) return;
    const delay = backoffDelay(this.attempt++, this.opts.random, this.opts.retryBaseMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private async onMessage(msg: ServerMessage): Promise<void> {
    switch (msg.t) {
      case 'welcome':
        this.attempt = 0;
        this.nextBatch = 1;
        this.set({
          link: 'online',
          error: null,
          lastSyncedAt: Date.now(),
          catchUp: msg.head > this.catchUpFrom ? { done: 0, total: msg.head - this.catchUpFrom } : null,
        });
        this.user = msg.user;
        // A server that predates the compact format says nothing and gets version 1.
        this.wire = msg.wire === WIRE_COMPACT ? WIRE_COMPACT : PROTOCOL_VERSION;
        this.startHeartbeat();
        this.opts.onWelcome?.(msg.user);
        await adoptServerTime(this.opts.db, msg.serverTime, this.helloSentAt);
        if (msg.store) {
          // A restored server: it catches this phone up from its restore point, and gets back what it lost.
          const met = await meetStoreIdentity(this.opts.db, msg.store);
          if (met.kind === 'restored') {
            this.catchUpFrom = this.catchUpAt = met.cursor;
            this.set({ catchUp: msg.head > met.cursor ? { done: 0, total: msg.head - met.cursor } : null });
          }
        }
        // The welcome names every county with its own policy: absent, there is none (or the server predates them).
        await adoptPolicy(this.opts.db, msg.policy as DeadlinePolicy, (msg.countyPolicies ?? {}) as Record<string, DeadlinePolicy>);
        return this.flush();
      case 'ack':
        return this.onAck(msg);
      case 'pong':
        return;
      case 'changes': {
        // Changes to appeals this device purged are held back and the appeals fetched whole (store/retention.ts).
        const { apply, held } = await screenPurged(this.opts.db, msg.items);
        await applyRemoteChanges(this.opts.db, apply, msg.cursor === undefined ? undefined : msg.more ? { resume: { from: this.catchUpFrom, at: msg.cursor } } : { cursor: msg.cursor });
        if (this.status.catchUp) {
          const done = (msg.cursor ?? this.catchUpFrom) - this.catchUpFrom;
          this.set({ catchUp: msg.more ? { ...this.status.catchUp, done: Math.max(this.status.catchUp.done, done) } : null, lastSyncedAt: Date.now() });
        } else {
          this.set({ lastSyncedAt: Date.now() });
        }
        if (!msg.more) {
          if (this.deferredMaybe) {
            this.deferredMaybe = false;
            if ((await releaseDeferred(this.opts.db)) > 0) void this.flush();
          }
          await this.prune();
        }
        if (held.length > 0) void this.refetch();
        return;
      }
      case 'error':
        if (msg.code === 'unauthorized') {
          // Access tokens are short-lived: try the refresh token before asking for a login.
          const renewed = await this.opts.refresh?.();
          if (renewed) {
            this.opts.token = renewed;
            this.attempt = 0;
            return;
          }
          if (renewed === undefined && this.opts.refresh) return;
          this.set({ needsLogin: true, error: msg.message });
          this.clearTimers();
          return;
        }
        this.set({ error: `${msg.code}: ${msg.message}` });
        return;
      default:
        return exhaustive(msg);
    }
  }

  /**
   * A county or city desk's device lets go of what it no longer holds: once a catch-up is
   * complete (it then has every change to what it keeps), and at most hourly while live.
   */
  private async prune(): Promise<void> {
    const now = Date.now();
    if (!this.user || now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    await pruneHoldings(this.opts.db, this.user, now);
    await purgeExpired(this.opts.db, this.user.role, now);
    void this.refetch();
  }

  private refetching = false;

  /** Brings purged appeals that changed again whole, one pass at a time, off the frame queue (it is REST). */
  private async refetch(): Promise<void> {
    const fetcher = this.opts.fetcher;
    if (!fetcher || this.refetching) return;
    this.refetching = true;
    try {
      while ((await refetchPending(this.opts.db)).length > 0 && this.status.link === 'online') {
        if ((await refetchPurged(this.opts.db, fetcher)) === 0) break;
      }
    } catch {
      // Offline or a storage error: the queue is kept and tried again at the next prune or held change.
    } finally {
      this.refetching = false;
    }
  }

  private async onAck(msg: Extract<ServerMessage, { t: 'ack' }>): Promise<void> {
    const inflight = this.inflight;
    if (!inflight || inflight.batch !== msg.batch) return;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    const { db } = this.opts;
    const rejected = new Map(msg.rejected.filter((r) => inflight.seqs.includes(r.seq)).map((r) => [r.seq, r]));
    // A step Yjs placed before someone's concurrent one is sent again after it, not quarantined.
    const rebase = new Map([...rejected.values()].filter((r) => r.reason === 'history_rewritten' && r.base).map((r) => [r.docId, r.base!]));
    await db.transaction('rw', [db.outbox, db.quarantine, db.sent, ...docTables(db), db.meta], async () => {
      // A replay waiting for someone else's change to reach the restored server is kept, not refused.
      const rows: (OutboxRow | undefined)[] = [];
      for (const row of await db.outbox.bulkGet([...rejected.keys()])) {
        if (!row || !holdsBack(row, rejected.get(row.seq)!.reason)) {
          rows.push(row);
          continue;
        }
        rejected.delete(row.seq);
        await db.outbox.update(row.seq, { deferred: 1 });
        this.deferredMaybe = true;
      }
      const quarantine = async (docIds: (id: string) => boolean) => {
        for (const row of rows) {
          const r = row && rejected.get(row.seq);
          if (r && docIds(r.docId)) await db.quarantine.put({ seq: row.seq, docId: row.docId, update: row.update, reason: r.reason, detail: r.detail, at: Date.now() });
        }
      };
      await quarantine((docId) => !rebase.has(docId));
      // The pushes that began their documents: the server's clock then is each one's first receipt.
      if (msg.received) {
        const began = await db.outbox.bulkGet(msg.received.seqs.filter((s) => inflight.seqs.includes(s)));
        await keepReceipts(db, began.flatMap((row) => (row ? [[row.docId, msg.received!.at] as const] : [])));
      }
      // Only what the server named is settled; anything it skipped stays and is resent.
      await journalAcked(db, inflight.rows.filter((row) => msg.accepted.includes(row.seq)));
      await db.outbox.bulkDelete([...msg.accepted, ...rejected.keys()].filter((s) => inflight.seqs.includes(s)));
      for (const [docId, base] of rebase) {
        // Events are carried over; a field or text edit refused with them stays visible in the quarantine.
        if ((await rebaseDoc(db, docId, base)).editsLeft) await quarantine((id) => id === docId);
      }
      // Rebuild each document without the refused update: server state plus what is still pending.
      for (const [docId, r] of new Map([...rejected.values()].map((r) => [r.docId, r]))) if (!rebase.has(docId)) await rebuildDoc(db, docId, r.base);
      if (msg.cursor !== undefined && msg.cursor > ((await getMeta<number>(db, 'cursor')) ?? 0)) await setMeta(db, 'cursor', msg.cursor);
    });
    this.inflight = null;
    this.set({ lastSyncedAt: Date.now() });
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.inflight || this.status.link !== 'online') return;
    this.flushing = true;
    try {
      const ws = this.ws;
      if (!ws) return;
      const rows: OutboxRow[] = [];
      let bytes = 0;
      for (const row of await this.opts.db.outbox.orderBy('seq').filter((r) => r.deferred !== 1).limit(MAX_PUSH_ITEMS).toArray()) {
        if (rows.length > 0 && bytes + row.update.byteLength > BATCH_BYTES) break;
        rows.push(row);
        bytes += row.update.byteLength;
      }
      if (rows.length === 0 || this.ws !== ws) return;
      const batch = this.nextBatch++;
      this.inflight = { batch, seqs: rows.map((r) => r.seq), rows };
      ws.send(this.counted(encodeFrame({ t: 'push', batch, items: rows.map((r) => ({ docId: r.docId, seq: r.seq, update: r.update, ...(r.contact && { contact: r.contact }) })) }, this.wire)));
      // A silent link (2G dead zone) never closes by itself: give up on it and reconnect.
      this.ackTimer = setTimeout(() => this.ws === ws && this.dropLink(), this.opts.ackTimeoutMs ?? 30_000);
    } finally {
      this.flushing = false;
    }
  }
}
