import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import * as Y from 'yjs';
import { checkUpdate } from '../../src/core/accept';
import type { DeadlinePolicy } from '../../src/core/deadline';
import { compactParts, docFromUpdates, fieldsOf } from '../../src/core/doc';
import { MAX_FRAME_BYTES } from '../../src/core/limits';
import { decodeClientFrame, encodeFrame, FrameError, type ClientMessage, type Rejection, type ServerMessage } from '../../src/core/protocol';
import { validateContact, type Contact } from '../../src/core/appeal';
import type { RejectReason } from '../../src/core/accept';
import { mayViewContact } from '../../src/core/privacy';
import { appealInScope, type SessionUser } from '../../src/core/roles';
import { clientIp } from '../net/address';
import { publicUser } from '../services/users';
import { createBucket } from '../net/ratelimit';
import type { Revocations } from '../services/revocations';
import type { TokenService } from '../services/tokens';
import type { Store } from '../store/types';
import { createCommitBus, storeUpdate, type CommitBus, type Committed } from './bus';
import { planAttachments, recordVouches } from './attachments';


// The server's side of the sync protocol (src/core/protocol.ts; the device's is
// src/sync/engine.ts). Its contract:
//
// - A connection must send a valid hello within the deadline; until the welcome its frames
//   are small and nothing sent to it is compressed, and few may wait per address.
// - Pushes: one connection's batches are applied in order, each in one store transaction.
//   Every item is checked whole against its stored document (src/core/accept.ts) and stored
//   or refused on its own; the ack is sent only after COMMIT. A receipt (device, seq, user)
//   is written with each stored update, so a resend is acknowledged again and never stored
//   twice. A refused item carries the server's state of its document (`base`) when the user
//   may still see it.
// - Catch-up: everything in the user's scope with a sequence above the hello's cursor, merged
//   per document, in pages in sequence order; the last page says the cursor the device may
//   store. Live fan-out starts once catch-up is done; what commits meanwhile waits in the
//   connection's backlog and is sent in commit order.
// - Scope is checked on every document sent and every update accepted; a revoked user or an
//   ended session is closed (4401), and a push is stored only while its session lasts.

interface Session {
  user: SessionUser;
  deviceId: string;
}

type PushMessage = Extract<ClientMessage, { t: 'push' }>;
type AckMessage = Extract<ServerMessage, { t: 'ack' }>;

export interface HubOptions {
  /** Update rows of one document before they are folded into its snapshot. */
  compactAfterRows?: number;
  /** Documents per catch-up page. */
  pageDocs?: number;
  heartbeatMs?: number;
  /** Limits on sockets that have not yet been welcomed (defaults: PRE_AUTH_LIMITS). */
  preAuth?: Partial<PreAuthLimits>;
  /**
   * Test-only fault injection: called at named points of a push. The crash tests kill
   * the process here to prove an ack always follows a commit and a resend is idempotent.
   */
  fault?: (point: 'before-commit' | 'after-commit') => void;
}

const PAGE_BYTES = MAX_FRAME_BYTES / 2;
/** Pause catch-up while this much is still queued for a slow socket (2G). */
const HIGH_WATER = 512 * 1024;

/**
 * Sockets that have not been welcomed yet cost memory and prove nothing: each must send a
 * valid hello within `helloMs`, and only so many may wait at once, from one address and in all.
 * Many phones can share one address (carrier NAT), but a phone waits only while its hello
 * is checked, a few milliseconds.
 */
export interface PreAuthLimits {
  helloMs: number;
  perAddress: number;
  total: number;
}
export const PRE_AUTH_LIMITS: PreAuthLimits = { helloMs: 10_000, perAddress: 64, total: 1024 };
/** The largest frame accepted before the welcome: a hello (token of at most 2 KiB) is under 3 KiB. */
export const PRE_AUTH_MAX_PAYLOAD = 8 * 1024;
/** The largest frame of a welcomed connection: a full push batch. */
const MAX_PAYLOAD = MAX_FRAME_BYTES + 64 * 1024;
/** Close code when no valid hello arrived in time (after HTTP 408). */
export const CLOSE_HELLO_TIMEOUT = 4408;
/** Close code when the session or the user's access ended (token refused, revoked, logged out). */
export const CLOSE_UNAUTHORIZED = 4401;
/** Closing waits this long for the peer's close frame before dropping the socket. */
const CLOSE_GRACE_MS = 2_000;

/**
 * ws fixes maxPayload per server; a socket's own limit lives on its receiver and, for a
 * compressed frame, its inflater (ws 8). tests/sync/session-limits.test.ts proves the limit holds.
 */
function setMaxPayload(ws: WebSocket, bytes: number): boolean {
  const inner = ws as unknown as { _receiver?: { _maxPayload?: unknown }; _extensions?: Record<string, { _maxPayload?: unknown } | undefined> };
  const receiver = inner._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') return false;
  receiver._maxPayload = bytes;
  const inflater = inner._extensions?.['permessage-deflate'];
  if (inflater && typeof inflater._maxPayload === 'number') inflater._maxPayload = bytes;
  return true;
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Applies one push batch in a single transaction. Every item is checked against a
 * scratch copy of its document; a rejected item stores nothing and carries the
 * server's state of the document back so the client can rebuild without it.
 */
export async function applyPush(store: Store, session: Session, msg: PushMessage, now: number, policy: DeadlinePolicy, villages: ReadonlySet<string>, fault?: HubOptions['fault']): Promise<{ ack: AckMessage; committed: Committed[] }> {
  const accepted: number[] = [];
  const rejected: Rejection[] = [];
  const committed: Committed[] = [];
  const { user } = session;
  const ctx = { user, policy, knownVillage: (code: string) => villages.has(code) };
  await store.inPushTx(async (tx) => {
    await tx.prefetch?.(session.deviceId, msg.items.map((i) => i.seq), [...new Set(msg.items.map((i) => i.docId))], user.id);
    for (const item of msg.items) {
      if (await tx.seen(session.deviceId, item.seq, user.id)) {
        accepted.push(item.seq);
        continue;
      }
      const parts = await tx.docParts(item.docId);
      const current = parts.length > 0 ? docFromUpdates(parts) : null;
      const check = checkUpdate(item.docId, current, item.update, ctx);
      if (!check.ok) {
        rejected.push({ seq: item.seq, docId: item.docId, reason: check.reason, detail: check.detail });
        continue;
      }
      const contactRefusal = item.contact ? refuseContact(item.contact, check.snapshot.fields, user) : null;
      if (contactRefusal) {
        rejected.push({ seq: item.seq, docId: item.docId, ...contactRefusal });
        continue;
      }
      const files = await planAttachments(tx, user, () => (current ? fieldsOf(current).toJSON() : null), check.snapshot.fields);
      if (!files.ok) {
        rejected.push({ seq: item.seq, docId: item.docId, reason: files.reason, detail: files.detail });
        continue;
      }
      if (item.contact) await tx.putContact(item.docId, item.contact, user.id, now);
      committed.push(await storeUpdate(tx, { docId: item.docId, deviceId: session.deviceId, clientSeq: item.seq, userId: user.id, bytes: item.update }, check.snapshot, now, policy));
      await recordVouches(tx, item.docId, files);
      accepted.push(item.seq);
    }
    fault?.('before-commit');
    // Bases are taken after the whole batch, so they include updates accepted after the refused one.
    for (const r of rejected) {
      // The projection, committed with the batch, already says who may see the document.
      const scope = await tx.appealScope(r.docId);
      if (!scope || !appealInScope(user, scope)) continue;
      r.base = Y.mergeUpdates(await tx.docParts(r.docId));
    }
  });
  return { ack: { t: 'ack', batch: msg.batch, accepted, rejected }, committed };
}

/** A contact travels only with an appeal its sender recorded, and never with an anonymous one. */
function refuseContact(contact: unknown, fields: Record<string, unknown>, user: SessionUser): { reason: RejectReason; detail: string } | null {
  const checked = validateContact(contact);
  if (!checked.ok) return { reason: 'invalid_fields', detail: `contact: ${Object.entries(checked.errors).map(([k, v]) => `${k} ${v}`).join(', ')}` };
  if ((fields.citizen as { anonymous?: boolean } | undefined)?.anonymous !== false) return { reason: 'forbidden', detail: 'contact: anonymous appeal' };
  if (fields.createdBy !== user.id) return { reason: 'forbidden', detail: 'contact: not_creator' };
  return null;
}

interface Conn {
  ws: WebSocket;
  session: Session | null;
  /** The session id of the verified hello: logging out of it closes this connection. */
  sid: string | null;
  /** Closed by the server (revoked, logged out, timed out): whatever it still sends is ignored. */
  ended: boolean;
  /** Counted among the sockets waiting for a welcome, with its hello deadline. */
  waiting: ReturnType<typeof setTimeout> | null;
  /** Set while the hello's token is being verified. */
  authenticating: boolean;
  rate: ReturnType<typeof createBucket>;
  ip: string;
  /** Live fan-out goes only to connections whose catch-up has finished... */
  caughtUp: boolean;
  /** ...and what commits while it runs waits here, sent in order once it has. */
  backlog: Committed[];
  /** This connection's pushes, one after another. */
  pushes: Promise<void>;
  alive: boolean;
}

/** Frames one connection may send: sustained per second, and in a burst (a reconnecting phone's backlog). */
export const SYNC_RATE = { perSecond: 20, burst: 60 };

/** Refusals worth an audit line: someone tried to act outside what they may (an honest race's history_rewritten is not one). */
const AUDITED: readonly string[] = ['forbidden', 'out_of_scope', 'foreign_author', 'not_creator', 'fields_rewritten', 'events_removed', 'duplicate_event', 'comment_flood', 'attachment_not_yours'];

export interface HubDeps {
  store: Store;
  /** Every village code of the county: what an appeal may name (regions do not change while serving). */
  villages: ReadonlySet<string>;
  policy: DeadlinePolicy;
  tokens: TokenService;
  revocations: Revocations;
  bus?: CommitBus;
}

/** Answers an upgrade with a plain HTTP refusal, so no WebSocket is allocated. */
function refuseUpgrade(socket: Duplex, status: string, message: string): void {
  socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nRetry-After: 10\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
  socket.destroy();
}

export function createSyncHub({ store, villages, policy, tokens, revocations, bus = createCommitBus() }: HubDeps, options: HubOptions = {}) {
  const compactAfterRows = options.compactAfterRows ?? 64;
  const pageDocs = options.pageDocs ?? 200;
  const conns = new Set<Conn>();
  /** Pushes still being stored: closing waits for them before the store goes. */
  const working = new Set<Promise<void>>();
  let closed = false;
  // permessage-deflate, which browsers negotiate natively: Yjs updates carry text
  // uncompressed, and on 2G the compressed frame is what matters. Context takeover lets
  // a stream of small frames share one window.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_PAYLOAD,
    perMessageDeflate: { threshold: 128, zlibDeflateOptions: { level: 6 } },
  });

  // Nothing is compressed for a socket not yet welcomed: its deflate context would cost tens of KiB
  // (with context takeover, ws compresses every frame whatever the threshold).
  const send = (conn: Conn, msg: ServerMessage): void => {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(encodeFrame(msg), { compress: conn.session !== null });
  };
  const fail = (conn: Conn, code: Extract<ServerMessage, { t: 'error' }>['code'], message: string): void => send(conn, { t: 'error', code, message });

  const drained = (ws: WebSocket) =>
    new Promise<void>((resolve) => {
      const poll = () => (ws.readyState !== ws.OPEN || ws.bufferedAmount < HIGH_WATER ? resolve() : setTimeout(poll, 25));
      poll();
    });

  /**
   * Sends everything in the user's scope after `from`, merged per document, in pages ordered
   * by each document's last change. `resumeAt` skips documents an interrupted catch-up from
   * the same `from` already sent whole (last changed at or below it).
   */
  async function catchUp(conn: Conn, session: Session, from: number, resumeAt = from): Promise<void> {
    let cursor = resumeAt;
    for (;;) {
      if (conn.session !== session || conn.ws.readyState !== conn.ws.OPEN) return;
      const { user } = session;
      const docs = await store.changedDocs(cursor, user.scope.regions, pageDocs, user.role === 'dept_handler' ? user.scope.departments : undefined);
      const items: { docId: string; update: Uint8Array }[] = [];
      let bytes = 0;
      let next = cursor;
      let full = false;
      for (const d of docs) {
        // The SQL filter narrows; this check is the rule.
        if (appealInScope(user, { villageCode: d.village, dept: d.dept })) {
          // Relative to where the client started, not to this page: a document listed here
          // by its latest change may also hold older changes the client lacks.
          const update = Y.mergeUpdates(await store.docPartsSince(d.docId, from));
          if (items.length > 0 && bytes + update.byteLength > PAGE_BYTES) {
            full = true;
            break;
          }
          const contact = mayViewContact(session.user, { villageCode: d.village, dept: d.dept, anonymous: d.anonymous }) ? await store.contact(d.docId) : null;
          items.push({ docId: d.docId, update, ...(contact && { contact }) });
          bytes += update.byteLength;
        }
        next = d.lastSeq;
      }
      if (conn.session !== session) return;
      const more = full || docs.length === pageDocs;
      send(conn, { t: 'changes', items, cursor: next, more });
      if (!more) {
        // What committed while the pages were read follows them, in commit order, on the
        // fan-out's own queue (some of it may repeat the last page: applying twice is harmless).
        const backlog = conn.backlog;
        conn.backlog = [];
        conn.caughtUp = true;
        if (backlog.length > 0) fanOuts = fanOuts.then(() => deliver([conn], backlog)).catch((err) => console.error('fan-out failed', err));
        return;
      }
      cursor = next;
      await drained(conn.ws);
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Fan-out runs one commit batch at a time, so every client sees commits in sequence order. */
  let fanOuts: Promise<void> = Promise.resolve();
  function fanOut(committed: Committed[], from: unknown): void {
    for (const conn of conns) if (conn.session && !conn.caughtUp) conn.backlog.push(...committed);
    const ready = [...conns].filter((conn) => conn.session && conn.caughtUp);
    fanOuts = fanOuts.then(() => deliver(ready, committed, from)).catch((err) => console.error('fan-out failed', err));
  }

  /**
   * Sends one commit batch to each connection that may see it. The connection that pushed
   * it gets only the new cursor: it has the update, and the cursor must not overtake an
   * earlier commit still on its way (an ack carries none for that reason).
   */
  async function deliver(targets: Conn[], committed: Committed[], from: unknown = null): Promise<void> {
    const top = committed[committed.length - 1]!.seq;
    // Looked up once per document, however many connections receive it.
    const contacts = new Map<string, Promise<Contact | null>>();
    const contactOf = (docId: string) => {
      if (!contacts.has(docId)) contacts.set(docId, store.contact(docId));
      return contacts.get(docId)!;
    };
    const wholeDocs = new Map<string, Promise<Uint8Array>>();
    const wholeDoc = (docId: string) => {
      if (!wholeDocs.has(docId)) wholeDocs.set(docId, store.docParts(docId).then((parts) => Y.mergeUpdates(parts)));
      return wholeDocs.get(docId)!;
    };
    for (const conn of targets) {
      if (!conn.session) continue;
      if (conn === from) {
        send(conn, { t: 'changes', items: [], cursor: top, more: false });
        continue;
      }
      const user = conn.session.user;
      const items = [];
      for (const c of committed) {
        if (!appealInScope(user, { villageCode: c.village, dept: c.dept })) continue;
        const contact = mayViewContact(user, { villageCode: c.village, dept: c.dept, anonymous: c.anonymous }) ? await contactOf(c.docId) : null;
        // A department sees an appeal only once it is assigned there, so it may lack the
        // history: it gets the whole document, not just this change.
        const update = user.role === 'dept_handler' ? await wholeDoc(c.docId) : c.update;
        items.push({ docId: c.docId, update, ...(contact && { contact }) });
      }
      // Commits are published in sequence order, so `top` skips only updates this client may not see.
      if (items.length > 0) send(conn, { t: 'changes', items, cursor: top, more: false });
    }
  }

  async function onPush(conn: Conn, session: Session, msg: PushMessage): Promise<void> {
    let result: Awaited<ReturnType<typeof applyPush>>;
    try {
      result = await applyPush(store, session, msg, Date.now(), policy, villages, options.fault);
      options.fault?.('after-commit');
    } catch (err) {
      // Nothing was committed: the client keeps the batch and resends it.
      console.error('push failed', err);
      return void fail(conn, 'server_error', 'the server could not store this batch; it will be retried');
    }
    const { ack, committed } = result;
    for (const r of ack.rejected) {
      if (AUDITED.includes(r.reason)) {
        await store.insertAudit({ at: Date.now(), actor: session.user.id, action: 'permission_refused', target: r.docId, ip: conn.ip, detail: { what: 'sync', reason: r.reason, detail: r.detail } });
      }
    }
    send(conn, ack);
    bus.publish(committed, conn);
    for (const docId of new Set(committed.map((c) => c.docId))) {
      try {
        await store.compact(docId, compactAfterRows, compactParts);
      } catch (err) {
        console.error('compaction failed', docId, err);
      }
    }
  }

  const unsubscribe = bus.subscribe(fanOut);

  const limits: PreAuthLimits = { ...PRE_AUTH_LIMITS, ...options.preAuth };
  /** Sockets not yet welcomed, per address: each counted from its upgrade to its welcome or close. */
  const waitingByIp = new Map<string, number>();
  let waitingTotal = 0;
  let payloadWarned = false;

  function stopWaiting(conn: Conn): void {
    if (!conn.waiting) return;
    clearTimeout(conn.waiting);
    conn.waiting = null;
    waitingTotal--;
    const n = (waitingByIp.get(conn.ip) ?? 1) - 1;
    if (n > 0) waitingByIp.set(conn.ip, n);
    else waitingByIp.delete(conn.ip);
  }

  /** Closes a connection from this side: nothing it still sends is read, and a peer that does not answer the close is dropped. */
  function end(conn: Conn, code: number, reason: string, message?: string): void {
    if (message) fail(conn, 'unauthorized', message);
    conn.ended = true;
    conn.session = null;
    stopWaiting(conn);
    conn.ws.close(code, reason);
    setTimeout(() => conn.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const ip = clientIp(req);
    const conn: Conn = { ws, session: null, sid: null, ended: false, waiting: null, authenticating: false, caughtUp: false, backlog: [], pushes: Promise.resolve(), alive: true, rate: createBucket(SYNC_RATE.perSecond, SYNC_RATE.burst), ip };
    conns.add(conn);
    // Until the welcome: a deadline for the hello, a place among the waiting, and frames no bigger than a hello.
    waitingTotal++;
    waitingByIp.set(ip, (waitingByIp.get(ip) ?? 0) + 1);
    conn.waiting = setTimeout(() => end(conn, CLOSE_HELLO_TIMEOUT, `no valid hello within ${Math.round(limits.helloMs / 1000)} s`), limits.helloMs);
    if (!setMaxPayload(ws, PRE_AUTH_MAX_PAYLOAD) && !payloadWarned) {
      payloadWarned = true;
      console.warn('ws internals changed: frames before the hello are limited only by maxPayload');
    }
    ws.on('pong', () => (conn.alive = true));
    ws.on('close', () => {
      stopWaiting(conn);
      conns.delete(conn);
    });
    ws.on('error', () => ws.terminate());

    ws.on('message', (data, isBinary) => {
      // Inflating a compressed frame is asynchronous: it can finish after close().
      if (closed || conn.ended) return;
      try {
        onMessage(conn, data, isBinary);
      } catch (err) {
        console.error('sync message failed', err);
        fail(conn, 'server_error', 'internal error');
      }
    });
  });

  /** Bumped by every revocation here: a hello verified across one is verified again. */
  let revocationCount = 0;
  async function verifyHello(token: string): ReturnType<TokenService['verify']> {
    for (;;) {
      const before = revocationCount;
      const found = await tokens.verify(token);
      if (!found || before === revocationCount) return found;
    }
  }

  function onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    if (!conn.rate.take()) {
      fail(conn, 'rate_limited', `more than ${SYNC_RATE.perSecond} frames a second; slow down`);
      conn.ws.close(1008, 'rate limited');
      return;
    }
    if (!isBinary) return fail(conn, 'bad_frame', 'text frames are not part of the protocol; send binary frames');
    let msg: ClientMessage;
    try {
      msg = decodeClientFrame(toBytes(data));
    } catch (err) {
      if (err instanceof FrameError) return fail(conn, err.code, err.message);
      throw err;
    }
    if (msg.t === 'hello') {
      if (conn.session || conn.authenticating) return fail(conn, 'bad_message', 'hello is sent once per connection');
      conn.authenticating = true;
      // The token is checked in this first frame, never taken from the URL.
      void verifyHello(msg.token)
        .then((found) => {
          conn.authenticating = false;
          if (conn.ended || conn.ws.readyState !== conn.ws.OPEN) return;
          if (!found) return end(conn, CLOSE_UNAUTHORIZED, 'unauthorized', 'session expired or invalid: log in again');
          stopWaiting(conn);
          setMaxPayload(conn.ws, MAX_PAYLOAD);
          conn.sid = found.sid;
          return welcome(conn, { user: publicUser(found.user), deviceId: msg.deviceId }, msg.cursor, msg.resume);
        })
        .catch((err) => {
          // The store did not answer (a database restarting): the client retries with backoff.
          console.error('hello failed', err);
          fail(conn, 'server_error', 'the server could not start this session; it will be retried');
          conn.ws.close(1011, 'server error');
        });
      return;
    }
    if (!conn.session) return fail(conn, 'not_ready', 'send hello before push');
    const session = conn.session;
    const work = (conn.pushes = conn.pushes.then(() => pushWhileSignedIn(conn, session, msg)).catch((err) => console.error('push failed', err)));
    working.add(work);
    void work.finally(() => working.delete(work));
  }

  /**
   * A push is stored only while its session lasts. Logging out here closes the connection at
   * once; another instance's logout or revocation does not reach this one, so the store is asked.
   */
  async function pushWhileSignedIn(conn: Conn, session: Session, msg: PushMessage): Promise<void> {
    if (conn.session !== session) return;
    if (conn.sid && !(await store.sessionAlive(conn.sid, Date.now()))) return end(conn, CLOSE_UNAUTHORIZED, 'session ended', 'your session has ended: log in again');
    if (conn.session !== session) return;
    return onPush(conn, session, msg);
  }

  async function welcome(conn: Conn, session: Session, cursor: number, resume?: number): Promise<void> {
    conn.session = session;
    conn.caughtUp = false;
    conn.backlog = [];
    send(conn, { t: 'welcome', user: session.user, serverTime: Date.now(), head: await store.head(), policy });
    void catchUp(conn, session, cursor, Math.max(cursor, resume ?? cursor)).catch((err) => {
      console.error('catch-up failed', err);
      fail(conn, 'server_error', 'catch-up failed; reconnect to resume');
    });
  }

  // Disabling a user or changing their password or scope ends their open connections.
  const unrevoke = revocations.subscribe((userId) => {
    revocationCount++;
    for (const conn of conns) if (conn.session?.user.id === userId) end(conn, CLOSE_UNAUTHORIZED, 'revoked', 'your access has changed: log in again');
  });

  // Phones vanish without closing (2G dead zones): ping, and drop sockets that stay silent.
  const heartbeat = setInterval(() => {
    for (const conn of conns) {
      if (!conn.alive) {
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();

  return {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      // Past a cap the upgrade is refused before a WebSocket exists (ws upgrades synchronously,
      // so the counts cannot move between this check and the connection).
      const ip = clientIp(req);
      if ((waitingByIp.get(ip) ?? 0) >= limits.perAddress) return refuseUpgrade(socket, '429 Too Many Requests', 'too many sync connections from this address are waiting for a hello');
      if (waitingTotal >= limits.total) return refuseUpgrade(socket, '503 Service Unavailable', 'too many sync connections are waiting for a hello');
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    /** Logout: closes the connections opened under session `sid`; nothing they send after is acknowledged or stored. */
    closeSession(sid: string): void {
      revocationCount++;
      for (const conn of conns) if (conn.sid === sid && !conn.ended) end(conn, CLOSE_UNAUTHORIZED, 'logged out', 'you logged out: log in again');
    },
    /** Sockets waiting for their welcome, for tests and monitoring. */
    waiting(): { total: number; addresses: number } {
      return { total: waitingTotal, addresses: waitingByIp.size };
    },
    /** Stops accepting work; resolves once pushes already under way have finished with the store. */
    close(): Promise<void> {
      closed = true;
      unsubscribe();
      unrevoke();
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      return Promise.all([...working]).then(() => fanOuts);
    },
  };
}

export type SyncHub = ReturnType<typeof createSyncHub>;
