import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { countyPolicies, defaultPolicy, type Policies } from '../../src/core/policy-book';
import { exhaustive } from '../../src/core/exhaustive';
import { MAX_FRAME_BYTES } from '../../src/core/limits';
import { decodeClientFrame, FrameError, WIRE_COMPACT, type ClientMessage, type ServerMessage } from '../../src/core/protocol';
import { clientIp } from '../net/address';
import { storeTrouble, TROUBLE_MESSAGE } from '../store/trouble';
import { errorSeen } from '../ops/journal';
import { storeEpoch } from '../ops/store-epoch';
import { catchUpStart, type StoreEpoch } from '../../src/core/store-epoch';
import { publicUser } from '../services/users';
import { isRelayToken, relaySid, verifyRelayToken } from '../services/relay-keys';
import { createBucket } from '../net/ratelimit';
import type { Revocations } from '../services/revocations';
import type { TokenService } from '../services/tokens';
import type { Store } from '../store/types';
import { createCommitBus, type CommitBus } from './bus';
import { catchUp } from './catchup';
import { fail, send, sessionOf, sidOf, type Conn, type Session } from './conn';
import { createFanOut, type FanOut } from './fanout';
import { shareOf } from './share';
import { storePush, type AckMessage, type PushFault, type PushMessage } from './push';
import type { RelayLinks } from './relay-links';
import type { Metrics } from '../metrics';
import { log } from '../log';


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
//
// This module holds the handshake, the push queue, revocation and the heartbeat; a
// connection's life is the tagged union in conn.ts (awaiting-hello → authenticating →
// catching-up → live, or closing). Pushes are stored in push.ts, catch-up pages are read in
// catchup.ts and live fan-out is ordered in fanout.ts.

type HelloMessage = Extract<ClientMessage, { t: 'hello' }>;

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
  fault?: PushFault;
}

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
/** Close code when the server is stopping (RFC 6455 "service restart"): the phone comes back soon. */
export const CLOSE_RESTARTING = 1012;
/** Closing waits this long for the peer's close frame before dropping the socket. */
const CLOSE_GRACE_MS = 2_000;

/** Frames one connection may send: sustained per second, and in a burst (a reconnecting phone's backlog). */
export const SYNC_RATE = { perSecond: 20, burst: 60 };

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

export interface HubDeps {
  store: Store;
  /** Every village code of the county: what an appeal may name (regions do not change while serving). */
  villages: ReadonlySet<string>;
  /** The deployment's deadline policies: one, or a book of its counties'. */
  policy: Policies;
  tokens: TokenService;
  revocations: Revocations;
  bus?: CommitBus;
  /** Where county servers' uplinks are reported (the city admin's page). */
  relayLinks?: RelayLinks;
  /** Counts pushes, acks and catch-up bytes when metrics are on (server/metrics.ts). */
  metrics?: Pick<Metrics, 'pushAcked' | 'catchUpSent'> | null;
}

/** Answers an upgrade with a plain HTTP refusal, so no WebSocket is allocated. */
function refuseUpgrade(socket: Duplex, status: string, message: string): void {
  socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nRetry-After: 10\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
  socket.destroy();
}

/** Sockets not yet welcomed, per address: each counted from its upgrade to its welcome or close, with its hello deadline. */
function createWaitingRoom(limits: PreAuthLimits) {
  const deadlines = new Map<Conn, ReturnType<typeof setTimeout>>();
  const byIp = new Map<string, number>();
  return {
    /** Why a new socket from `ip` may not wait, or null if it may. */
    refusal(ip: string): { status: string; message: string } | null {
      if ((byIp.get(ip) ?? 0) >= limits.perAddress) return { status: '429 Too Many Requests', message: 'too many sync connections from this address are waiting for a hello' };
      if (deadlines.size >= limits.total) return { status: '503 Service Unavailable', message: 'too many sync connections are waiting for a hello' };
      return null;
    },
    enter(conn: Conn, onTimeout: () => void): void {
      byIp.set(conn.ip, (byIp.get(conn.ip) ?? 0) + 1);
      deadlines.set(conn, setTimeout(onTimeout, limits.helloMs));
    },
    leave(conn: Conn): void {
      const deadline = deadlines.get(conn);
      if (deadline === undefined) return;
      clearTimeout(deadline);
      deadlines.delete(conn);
      const n = (byIp.get(conn.ip) ?? 1) - 1;
      if (n > 0) byIp.set(conn.ip, n);
      else byIp.delete(conn.ip);
    },
    counts(): { total: number; addresses: number } {
      return { total: deadlines.size, addresses: byIp.size };
    },
  };
}

type WaitingRoom = ReturnType<typeof createWaitingRoom>;

/** Everything one hub's connections share. */
interface Hub {
  store: Store;
  villages: ReadonlySet<string>;
  policy: Policies;
  tokens: TokenService;
  bus: CommitBus;
  relayLinks: RelayLinks | undefined;
  metrics: HubDeps['metrics'];
  options: HubOptions;
  limits: PreAuthLimits;
  conns: Set<Conn>;
  /** Pushes still being stored: closing waits for them before the store goes. */
  working: Set<Promise<void>>;
  fanOut: FanOut;
  waiting: WaitingRoom;
  /** Bumped by every revocation here: a hello verified across one is verified again. */
  revocationCount: number;
  closed: boolean;
  payloadWarned: boolean;
  /** The store's identity, read once (server/ops/store-epoch.ts). */
  epoch?: Promise<StoreEpoch>;
}

/** Closes a connection from this side: nothing it still sends is read, and a peer that does not answer the close is dropped. */
function end(hub: Hub, conn: Conn, code: number, reason: string, message?: string): void {
  if (message) fail(conn, 'unauthorized', message);
  conn.state = { phase: 'closing' };
  hub.waiting.leave(conn);
  conn.ws.close(code, reason);
  setTimeout(() => conn.ws.terminate(), CLOSE_GRACE_MS).unref();
}

function onConnection(hub: Hub, ws: WebSocket, req: IncomingMessage): void {
  const conn: Conn = { id: randomBytes(6).toString('hex'), ws, ip: clientIp(req), rate: createBucket(SYNC_RATE.perSecond, SYNC_RATE.burst), state: { phase: 'awaiting-hello' }, pushes: Promise.resolve(), alive: true };
  hub.conns.add(conn);
  // Until the welcome: a deadline for the hello, a place among the waiting, and frames no bigger than a hello.
  hub.waiting.enter(conn, () => end(hub, conn, CLOSE_HELLO_TIMEOUT, `no valid hello within ${Math.round(hub.limits.helloMs / 1000)} s`));
  if (!setMaxPayload(ws, PRE_AUTH_MAX_PAYLOAD) && !hub.payloadWarned) {
    hub.payloadWarned = true;
    log.warn('ws internals changed: frames before the hello are limited only by maxPayload');
  }
  ws.on('pong', () => (conn.alive = true));
  log.debug({ conn: conn.id }, 'sync socket opened');
  ws.on('close', (code) => {
    log.debug({ conn: conn.id, code }, 'sync socket closed');
    hub.waiting.leave(conn);
    hub.conns.delete(conn);
    hub.fanOut.leave(conn);
  });
  ws.on('error', () => ws.terminate());
  ws.on('message', (data, isBinary) => {
    // Inflating a compressed frame is asynchronous: it can finish after close().
    if (hub.closed || conn.state.phase === 'closing') return;
    try {
      onMessage(hub, conn, data, isBinary);
    } catch (err) {
      log.error({ err, conn: conn.id }, 'sync message failed');
      errorSeen('sync');
      fail(conn, 'server_error', 'internal error');
    }
  });
}

function onMessage(hub: Hub, conn: Conn, data: RawData, isBinary: boolean): void {
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
  switch (msg.t) {
    case 'hello':
      return onHello(hub, conn, msg);
    case 'push':
      return queuePush(hub, conn, msg);
    case 'ping':
      return send(conn, { t: 'pong', n: msg.n });
    default:
      return exhaustive(msg);
  }
}

async function verifyHello(hub: Hub, token: string): ReturnType<TokenService['verify']> {
  for (;;) {
    const before = hub.revocationCount;
    const found = await hub.tokens.verify(token);
    if (!found || before === hub.revocationCount) return found;
  }
}

/** The session a hello's token opens: a person's (an access token) or a county server's uplink (a relay token). */
async function authenticate(hub: Hub, msg: HelloMessage): Promise<{ session: Session; sid: string } | null> {
  if (isRelayToken(msg.token)) {
    const relay = await verifyRelayToken(hub.store, msg.token);
    if (!relay) return null;
    await hub.store.touchRelayKey(relay.keyId, Date.now());
    const user = { id: relaySid(relay.keyId), username: `relay-${relay.county}`, displayName: relay.county, role: 'county_dispatcher' as const, scope: { regions: [relay.county], departments: [] } };
    return { session: { user, deviceId: msg.deviceId, relay }, sid: relaySid(relay.keyId) };
  }
  const found = await verifyHello(hub, msg.token);
  return found && { session: { user: publicUser(found.user), deviceId: msg.deviceId }, sid: found.sid };
}

function onHello(hub: Hub, conn: Conn, msg: HelloMessage): void {
  if (conn.state.phase !== 'awaiting-hello') return fail(conn, 'bad_message', 'hello is sent once per connection');
  conn.state = { phase: 'authenticating' };
  // The token is checked in this first frame, never taken from the URL.
  void authenticate(hub, msg)
    .then((found) => {
      // Only end() moves a connection on from authenticating: it is closing.
      if (conn.state.phase !== 'authenticating') return;
      if (conn.ws.readyState !== conn.ws.OPEN) {
        conn.state = { phase: 'awaiting-hello' };
        return;
      }
      if (!found) return end(hub, conn, CLOSE_UNAUTHORIZED, 'unauthorized', 'session expired or invalid: log in again');
      hub.waiting.leave(conn);
      setMaxPayload(conn.ws, MAX_PAYLOAD);
      return welcome(hub, conn, found.session, found.sid, msg);
    })
    .catch((err) => {
      // The store did not answer (a database restarting): the client retries with backoff.
      const trouble = storeTrouble(err);
      if (!trouble) log.error({ err, conn: conn.id }, 'hello failed');
      errorSeen(trouble ? `store ${trouble}` : 'hello');
      fail(conn, 'server_error', trouble ? TROUBLE_MESSAGE[trouble] : 'the server could not start this session; it will be retried');
      conn.ws.close(1011, 'server error');
    });
}

/** The default policy, and the counties' own only when there are any: a county deployment's welcome is as before. */
function welcomePolicies(p: Policies): Pick<Extract<ServerMessage, { t: 'welcome' }>, 'policy' | 'countyPolicies'> {
  const counties = countyPolicies(p);
  return Object.keys(counties).length > 0 ? { policy: defaultPolicy(p), countyPolicies: counties } : { policy: defaultPolicy(p) };
}

async function welcome(hub: Hub, conn: Conn, session: Session, sid: string, hello: HelloMessage): Promise<void> {
  conn.state = { phase: 'catching-up', session, sid, backlog: [] };
  hub.fanOut.join(conn, shareOf(session).regions);
  const relay = session.relay;
  if (relay && hub.relayLinks) {
    hub.relayLinks.opened(relay.keyId);
    conn.ws.once('close', () => hub.relayLinks?.closed(relay.keyId));
  }
  const epoch = await (hub.epoch ??= storeEpoch(hub.store));
  // A phone from before a restore catches up from the restore point, whatever its cursor says.
  const { from, resumeAt } = catchUpStart(epoch, hello.store, hello.cursor, hello.resume);
  // A device that reads the compact format gets it from the welcome on, and sends it once told.
  const compact = (hello.wire ?? 1) >= WIRE_COMPACT;
  if (compact) conn.wire = WIRE_COMPACT;
  send(conn, { t: 'welcome', user: session.user, serverTime: Date.now(), head: await hub.store.head(), store: epoch, ...welcomePolicies(hub.policy), ...(compact && { wire: WIRE_COMPACT }) });
  const input = { store: hub.store, conn, session, from, resumeAt, pageDocs: hub.options.pageDocs ?? 200, fanOut: hub.fanOut, sent: hub.metrics?.catchUpSent };
  void catchUp(input).catch((err) => {
    log.error({ err, conn: conn.id }, 'catch-up failed');
    fail(conn, 'server_error', 'catch-up failed; reconnect to resume');
  });
}

/** One connection's pushes are stored one after another. */
function queuePush(hub: Hub, conn: Conn, msg: PushMessage): void {
  const session = sessionOf(conn);
  if (!session) return fail(conn, 'not_ready', 'send hello before push');
  if (!session.relay && msg.authors) return fail(conn, 'bad_message', 'only a county server relays the records of its authors');
  // The ack's latency is measured from here: the device waits through the queue too.
  const arrived = performance.now();
  const work = (conn.pushes = conn.pushes
    .then(() => pushWhileSignedIn(hub, conn, session, msg, arrived))
    .catch((err) => {
      // Checking the session can meet a store in trouble too; the phone keeps the batch either way.
      const trouble = storeTrouble(err);
      errorSeen(trouble ? `store ${trouble}` : 'push');
      if (trouble) return fail(conn, 'server_error', TROUBLE_MESSAGE[trouble]);
      log.error({ err, conn: conn.id }, 'push failed');
    }));
  hub.working.add(work);
  void work.finally(() => hub.working.delete(work));
}

/**
 * A push is stored only while its session lasts. Logging out here closes the connection at
 * once; another instance's logout or revocation does not reach this one, so the store is asked.
 */
async function pushWhileSignedIn(hub: Hub, conn: Conn, session: Session, msg: PushMessage, arrived: number): Promise<void> {
  if (sessionOf(conn) !== session) return;
  const sid = sidOf(conn);
  if (sid && !(await stillValid(hub.store, session, sid))) return end(hub, conn, CLOSE_UNAUTHORIZED, 'session ended', 'your session has ended: log in again');
  if (sessionOf(conn) !== session) return;
  const { store, policy, villages, options, bus } = hub;
  if (session.relay) msg = await withoutCityAccounts(store, msg);
  const relay = session.relay;
  const linked = relay && hub.relayLinks ? (ack: AckMessage) => hub.relayLinks!.pushed(relay.keyId, msg.items.reduce((n, i) => n + i.update.byteLength, 0), ack.accepted.length, ack.rejected) : undefined;
  const counted = hub.metrics ? (ack: AckMessage) => hub.metrics!.pushAcked(ack.accepted.length, ack.rejected.map((r) => r.reason), (performance.now() - arrived) / 1000) : undefined;
  const acked =
    linked || counted
      ? (ack: AckMessage) => {
          linked?.(ack);
          counted?.(ack);
        }
      : undefined;
  return storePush({ store, conn, session, msg, policy, villages, fault: options.fault, compactAfterRows: options.compactAfterRows ?? 64, publish: (committed, from) => bus.publish(committed, from), acked });
}

/** A person's session not logged out or expired; a county server's key not revoked. */
async function stillValid(store: Store, session: Session, sid: string): Promise<boolean> {
  if (!session.relay) return store.sessionAlive(sid, Date.now());
  const key = await store.relayKey(session.relay.keyId);
  return key !== null && key.revokedAt === null;
}

/** A county server speaks for its own people only: a record naming one of the city's accounts is dropped, so its events are refused as foreign. */
async function withoutCityAccounts(store: Store, msg: PushMessage): Promise<PushMessage> {
  if (!msg.authors?.length) return msg;
  const known = await Promise.all(msg.authors.map((a) => store.userById(a.id)));
  return { ...msg, authors: msg.authors.filter((_, i) => known[i] === null) };
}

/**
 * A key revoked on another instance (behind a load balancer) does not reach this one's
 * revocations: each heartbeat asks the store whether the keys of open uplinks still stand.
 */
function watchRelayKeys(hub: Hub, ms: number): ReturnType<typeof setInterval> {
  const timer = setInterval(() => {
    const open = [...hub.conns].filter((c) => sessionOf(c)?.relay);
    for (const conn of open) {
      const session = sessionOf(conn)!;
      void stillValid(hub.store, session, sidOf(conn)!)
        .then((valid) => {
          if (!valid && sessionOf(conn) === session) end(hub, conn, CLOSE_UNAUTHORIZED, 'revoked', 'this server’s key was revoked');
        })
        .catch(() => undefined);
    }
  }, ms);
  timer.unref();
  return timer;
}

/** Phones vanish without closing (2G dead zones): ping, and drop sockets that stay silent. */
function startHeartbeat(conns: ReadonlySet<Conn>, ms: number): ReturnType<typeof setInterval> {
  const heartbeat = setInterval(() => {
    for (const conn of conns) {
      if (!conn.alive) {
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }, ms);
  heartbeat.unref();
  return heartbeat;
}

export function createSyncHub({ store, villages, policy, tokens, revocations, bus = createCommitBus(), relayLinks, metrics }: HubDeps, options: HubOptions = {}) {
  const limits: PreAuthLimits = { ...PRE_AUTH_LIMITS, ...options.preAuth };
  const conns = new Set<Conn>();
  const hub: Hub = { store, villages, policy, tokens, bus, relayLinks, metrics, options, limits, conns, working: new Set(), fanOut: createFanOut({ store, conns }), waiting: createWaitingRoom(limits), revocationCount: 0, closed: false, payloadWarned: false };
  // permessage-deflate, which browsers negotiate natively: Yjs updates carry text
  // uncompressed, and on 2G the compressed frame is what matters. Context takeover lets
  // a stream of small frames share one window.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_PAYLOAD,
    perMessageDeflate: { threshold: 128, zlibDeflateOptions: { level: 6 } },
  });
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => onConnection(hub, ws, req));
  const unsubscribe = bus.subscribe((committed, from) => hub.fanOut.publish(committed, from));
  // Disabling a user or changing their password or scope ends their open connections.
  const unrevoke = revocations.subscribe((userId) => {
    hub.revocationCount++;
    for (const conn of conns) if (sessionOf(conn)?.user.id === userId) end(hub, conn, CLOSE_UNAUTHORIZED, 'revoked', 'your access has changed: log in again');
  });
  const heartbeat = startHeartbeat(conns, options.heartbeatMs ?? 30_000);
  const keyWatch = watchRelayKeys(hub, options.heartbeatMs ?? 30_000);

  return {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      // Past a cap the upgrade is refused before a WebSocket exists (ws upgrades synchronously,
      // so the counts cannot move between this check and the connection).
      const refusal = hub.waiting.refusal(clientIp(req));
      if (refusal) return refuseUpgrade(socket, refusal.status, refusal.message);
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    /** Logout: closes the connections opened under session `sid`; nothing they send after is acknowledged or stored. */
    closeSession(sid: string): void {
      hub.revocationCount++;
      for (const conn of conns) if (sidOf(conn) === sid) end(hub, conn, CLOSE_UNAUTHORIZED, 'logged out', 'you logged out: log in again');
    },
    /** Sockets waiting for their welcome, for tests and monitoring. */
    waiting(): { total: number; addresses: number } {
      return hub.waiting.counts();
    },
    /** Welcomed connections of devices and of county servers' uplinks, and sockets still waiting (for /metrics). */
    connections(): { devices: number; relays: number; waiting: number } {
      let devices = 0;
      let relays = 0;
      for (const conn of conns) {
        const session = sessionOf(conn);
        if (session?.relay) relays++;
        else if (session) devices++;
      }
      return { devices, relays, waiting: hub.waiting.counts().total };
    },
    /**
     * Stops taking work (frames that arrive from here on are not read, so they are not acked
     * and the phone sends them again); pushes already under way finish and are acked; then every
     * socket is told the server is restarting. Resolves once the store has nothing in flight.
     */
    close(): Promise<void> {
      hub.closed = true;
      unsubscribe();
      unrevoke();
      clearInterval(heartbeat);
      clearInterval(keyWatch);
      wss.close();
      return Promise.all([...hub.working])
        .then(() => hub.fanOut.settled())
        .then(() => {
          for (const conn of conns) end(hub, conn, CLOSE_RESTARTING, 'server restarting: retry');
        });
    },
  };
}

export type SyncHub = ReturnType<typeof createSyncHub>;
