import type { WebSocket } from 'ws';
import { encodeFrame, type ServerMessage, type WireVersion } from '../../src/core/protocol';
import type { SessionUser } from '../../src/core/roles';
import type { RelayPeer } from '../services/relay-keys';
import type { createBucket } from '../net/ratelimit';
import type { Committed } from './bus';

/** Who a welcomed connection acts for: a person's device, or a county server's uplink (`relay`). */
export interface Session {
  user: SessionUser;
  deviceId: string;
  relay?: RelayPeer;
}

/**
 * Where a connection is in its life. It only moves forward:
 * awaiting-hello → authenticating → catching-up → live, and any of them → closing.
 */
export type ConnState =
  /** Connected; no hello yet. */
  | { phase: 'awaiting-hello' }
  /** The hello's token is being verified. */
  | { phase: 'authenticating' }
  /**
   * Welcomed; catch-up pages are being sent. Live fan-out waits in `backlog` and is sent in
   * commit order once catch-up is done. `sid` is the session id of the verified hello:
   * logging out of it closes this connection.
   */
  | { phase: 'catching-up'; session: Session; sid: string; backlog: Committed[] }
  /** Caught up: receives live fan-out. */
  | { phase: 'live'; session: Session; sid: string }
  /** Closed by the server (revoked, logged out, timed out): whatever it still sends is ignored. */
  | { phase: 'closing' };

export interface Conn {
  /** A random id for the log: a connection's lines can be followed without naming who it is. */
  id: string;
  ws: WebSocket;
  ip: string;
  rate: ReturnType<typeof createBucket>;
  state: ConnState;
  /** This connection's pushes, one after another. */
  pushes: Promise<void>;
  alive: boolean;
  /** The frame format sent to it: 1 until the welcome agrees on a newer one its hello offered. */
  wire?: WireVersion;
}

/** The session of a welcomed connection, or null before the welcome and once closing. */
export function sessionOf(conn: Conn): Session | null {
  return conn.state.phase === 'catching-up' || conn.state.phase === 'live' ? conn.state.session : null;
}

/** The session id of a welcomed connection, or null before the welcome and once closing. */
export function sidOf(conn: Conn): string | null {
  return conn.state.phase === 'catching-up' || conn.state.phase === 'live' ? conn.state.sid : null;
}

/**
 * Sends one message if the socket is open. Nothing is compressed for a socket not yet
 * welcomed: its deflate context would cost tens of KiB (with context takeover, ws
 * compresses every frame whatever the threshold).
 */
export function send(conn: Conn, msg: ServerMessage): void {
  sendSized(conn, msg);
}

/** `send`, saying how many bytes the frame had (0 when the socket was not open). */
export function sendSized(conn: Conn, msg: ServerMessage): number {
  if (conn.ws.readyState !== conn.ws.OPEN) return 0;
  const frame = encodeFrame(msg, conn.wire);
  conn.ws.send(frame, { compress: sessionOf(conn) !== null });
  return frame.byteLength;
}

export function fail(conn: Conn, code: Extract<ServerMessage, { t: 'error' }>['code'], message: string): void {
  send(conn, { t: 'error', code, message });
}
