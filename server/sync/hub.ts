import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { checkUpdate } from '../../src/core/accept';
import { docFromUpdates } from '../../src/core/doc';
import { MAX_FRAME_BYTES } from '../../src/core/limits';
import { project } from '../../src/core/projection';
import { decodeClientFrame, encodeFrame, FrameError, type ClientMessage, type Rejection, type ServerMessage } from '../../src/core/protocol';
import type { SessionUser } from '../../src/core/roles';
import { publicUser, userForToken } from '../http/api';
import type { Store } from '../store/types';

interface Session {
  user: SessionUser;
  deviceId: string;
}

type PushMessage = Extract<ClientMessage, { t: 'push' }>;

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Applies one push batch in a single transaction and returns the ack. Every item is
 * checked against a scratch copy of its document; a rejected item stores nothing.
 * Called only after the previous batch of this socket has been answered.
 */
export function applyPush(store: Store, session: Session, msg: PushMessage, now: number): Extract<ServerMessage, { t: 'ack' }> {
  const accepted: number[] = [];
  const rejected: Rejection[] = [];
  const ctx = { user: session.user, knownVillage: (code: string) => store.isVillage(code) };
  store.inPushTx((tx) => {
    for (const item of msg.items) {
      if (tx.seen(session.deviceId, item.seq)) {
        accepted.push(item.seq);
        continue;
      }
      const stored = tx.docUpdates(item.docId);
      const current = stored.length > 0 ? docFromUpdates(stored) : null;
      const check = checkUpdate(item.docId, current, item.update, ctx);
      if (!check.ok) {
        rejected.push({ seq: item.seq, reason: check.reason, detail: check.detail });
        continue;
      }
      const seq = tx.insertUpdate({ docId: item.docId, deviceId: session.deviceId, clientSeq: item.seq, userId: session.user.id, bytes: item.update }, now);
      tx.upsertProjection(project(check.snapshot), seq, now);
      accepted.push(item.seq);
    }
  });
  return { t: 'ack', batch: msg.batch, accepted, rejected };
}

export function createSyncHub(store: Store) {
  // A little headroom over the protocol limit so an oversize frame gets a clear error frame
  // from the decoder; far larger ones are cut by ws itself (close 1009).
  // permessage-deflate, which browsers negotiate natively: Yjs updates carry text
  // uncompressed, and on 2G the compressed frame is what matters. Context takeover lets
  // a stream of small frames share one window.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES + 64 * 1024,
    perMessageDeflate: { threshold: 128, zlibDeflateOptions: { level: 6 } },
  });

  wss.on('connection', (ws: WebSocket) => {
    let session: Session | null = null;
    const send = (msg: ServerMessage) => ws.readyState === ws.OPEN && ws.send(encodeFrame(msg));
    const fail = (code: Extract<ServerMessage, { t: 'error' }>['code'], message: string) => send({ t: 'error', code, message });

    ws.on('message', (data, isBinary) => {
      if (!isBinary) return fail('bad_frame', 'text frames are not part of the protocol; send binary frames');
      let msg: ClientMessage;
      try {
        msg = decodeClientFrame(toBytes(data));
      } catch (err) {
        if (err instanceof FrameError) return fail(err.code, err.message);
        throw err;
      }
      if (msg.t === 'hello') {
        const user = userForToken(store, msg.token);
        if (!user) {
          fail('unauthorized', 'session expired or invalid: log in again');
          ws.close(4401, 'unauthorized');
          return;
        }
        session = { user: publicUser(user), deviceId: msg.deviceId };
        send({ t: 'welcome', user: session.user, serverTime: Date.now() });
        return;
      }
      if (!session) return fail('not_ready', 'send hello before push');
      try {
        send(applyPush(store, session, msg, Date.now()));
      } catch (err) {
        // Nothing was committed: the client keeps the batch and resends it.
        console.error('push failed', err);
        fail('server_error', 'the server could not store this batch; it will be retried');
      }
    });
    ws.on('error', () => ws.terminate());
  });

  return {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
