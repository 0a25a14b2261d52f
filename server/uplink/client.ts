import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { newId } from '../../src/core/id';
import type { Policies } from '../../src/core/policy-book';
import { decodeServerFrame, encodeFrame, PROTOCOL_VERSION, WIRE_COMPACT, type ClientMessage, type ServerMessage, type WireVersion } from '../../src/core/protocol';
import { relayToken } from '../services/relay-keys';
import type { Store } from '../store/types';
import type { CommitBus } from '../sync/bus';
import { createOutbox, type UpRefusal } from './outbox';
import { takeIn } from './take-in';

// A county server's uplink to its city (issue 25): it connects to the city's sync hub as a
// relay peer, signed with the county's key, and syncs both ways over the phones' protocol.
// Down: everything of its county the city has, above all what was done there (city dispatch,
// supervision, city departments' replies), stored as it comes under the device id `upstream`;
// the cursor moves in meta once a page is stored, so a restart resumes where it stopped.
// Up: its outbox (outbox.ts), every change of its county made here, acknowledged by the city
// page by page.

export interface UplinkConfig {
  /** The city's sync endpoint: wss://city.example/sync. */
  url: string;
  /** The key id the city's administrator gave when registering this server's public key. */
  keyId: string;
  /** Path to this server's private key (npm run uplink:key). */
  keyFile: string;
  /**
   * A line can go quiet without closing (a radio link fading, a NAT forgetting): the uplink
   * pings this often and drops a line that left two pings in a row (or a handshake for two
   * intervals) unanswered, then reconnects. Default 15 s; raise it on a very slow line.
   */
  pingMs?: number;
}

export interface UplinkStatus {
  state: 'connecting' | 'catching-up' | 'live' | 'down' | 'refused';
  /** The city's sequence this server holds every change of its county up to. */
  cursor: number;
  /** This server's sequence the city holds every change of the county up to. */
  upCursor: number;
  /** At most this many changes of the city are still to come down (its sequence at the welcome, less the cursor; 0 once caught up). */
  pendingDown: number;
  /** Changes of the county stored here that the city has not acknowledged. */
  pendingUp: number;
  lastSyncAt: number | null;
  bytesDown: number;
  bytesUp: number;
  /** The frame format the city agreed to on the last welcome (2: compact, core/wire.ts). */
  wire: WireVersion;
  /** Why the last connection ended, when it did. */
  error: string | null;
  /** Changes the city would not take, newest last, with the reason. */
  refused: UpRefusal[];
  /** The line's last state changes, newest last. */
  history: { at: number; state: UplinkStatus['state']; error: string | null }[];
}

const CURSOR_KEY = 'uplink_cursor';
const RESUME_KEY = 'uplink_resume';
const DEVICE_KEY = 'uplink_device';
const CLOSE_UNAUTHORIZED = 4401;
const HISTORY_KEY = 'uplink_history';
/** The bus origin of what the uplink stored from the city. */
const UPLINK_ORIGIN = Symbol('uplink');
const KEEP_HISTORY = 50;

interface Deps {
  store: Store;
  bus: CommitBus;
  policy: Policies;
  config: UplinkConfig;
  /** Retry delays, for tests. */
  retryMs?: { base: number; max: number };
}

export function startUplink({ store, bus, policy, config, retryMs = { base: 1000, max: 60_000 } }: Deps) {
  const privateKeyPem = readFileSync(config.keyFile, 'utf8');
  const status: Omit<UplinkStatus, 'refused' | 'history' | 'pendingUp'> = { state: 'connecting', cursor: 0, upCursor: 0, pendingDown: 0, lastSyncAt: null, bytesDown: 0, bytesUp: 0, wire: PROTOCOL_VERSION, error: null };
  let history: UplinkStatus['history'] = [];
  let refused: UpRefusal[] = [];
  /** Documents changed here since the outbox last drained (what the admin sees as pending up). */
  const dirty = new Set<string>();
  let ws: WebSocket | null = null;
  let stopped = false;
  let paused = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  // Pages are stored one after another, in the order they arrive.
  let storing: Promise<void> = Promise.resolve();
  let outbox: ReturnType<typeof createOutbox> | null = null;
  /** The push awaiting the city's ack on the open line, and a wake-up for the outbox. */
  let waitingAck: { batch: number; resolve: (ack: Extract<ServerMessage, { t: 'ack' }>) => void; reject: (err: Error) => void } | null = null;
  let wake: (() => void) | null = null;
  /** Changes committed here, counted: a drain knows whether any came while it ran. */
  let commits = 0;
  let batch = 0;

  const setState = (state: UplinkStatus['state']) => {
    if (status.state === state) return;
    status.state = state;
    history = [...history, { at: Date.now(), state, error: status.error }].slice(-KEEP_HISTORY);
    void store.setMeta(HISTORY_KEY, JSON.stringify(history)).catch(() => undefined);
  };

  const connect = async (): Promise<void> => {
    if (stopped) return;
    const deviceId = (await store.getMeta(DEVICE_KEY)) ?? (await store.claimMeta(DEVICE_KEY, newId()));
    const cursor = Number((await store.getMeta(CURSOR_KEY)) ?? 0);
    const resume = JSON.parse((await store.getMeta(RESUME_KEY)) ?? 'null') as { from: number; at: number } | null;
    if (history.length === 0) history = JSON.parse((await store.getMeta(HISTORY_KEY)) ?? '[]') as UplinkStatus['history'];
    // Paused or stopped while the cursors were read: no line now.
    if (stopped || paused) return;
    status.cursor = cursor;
    setState('connecting');
    const pingMs = config.pingMs ?? 15_000;
    const socket = (ws = new WebSocket(config.url, { perMessageDeflate: true, handshakeTimeout: 2 * pingMs }));
    socket.binaryType = 'nodebuffer';
    // Anything from the city proves the line. Two pings in a row unanswered end it, unless a
    // page is still leaving: on a slow line a ping waits behind it, and so does its pong.
    let unanswered = 0;
    socket.on('pong', () => (unanswered = 0));
    const pinger = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > 0) return void (unanswered = 0);
      if (unanswered >= 2) return socket.terminate();
      unanswered++;
      socket.ping();
    }, pingMs);
    pinger.unref();
    // The compact frames once the city's welcome agreed to them (core/wire.ts), JSON until then.
    status.wire = PROTOCOL_VERSION;
    const sendFrame = (msg: ClientMessage) => {
      const frame = encodeFrame(msg, status.wire);
      status.bytesUp += frame.byteLength;
      socket.send(frame);
    };
    socket.on('open', () => {
      sendFrame({ t: 'hello', token: relayToken(config.keyId, privateKeyPem), deviceId, cursor, ...(resume?.from === cursor && resume.at > cursor && { resume: resume.at }), wire: WIRE_COMPACT });
    });
    socket.on('message', (data: Buffer) => {
      unanswered = 0;
      status.bytesDown += data.byteLength;
      let msg: ServerMessage;
      try {
        msg = decodeServerFrame(new Uint8Array(data));
      } catch (err) {
        status.error = `a frame from the city did not decode: ${(err as Error).message}`;
        return socket.close();
      }
      if (msg.t === 'ack') return void (waitingAck?.batch === msg.batch && waitingAck.resolve(msg));
      if (msg.t === 'welcome') {
        status.wire = msg.wire === WIRE_COMPACT ? WIRE_COMPACT : PROTOCOL_VERSION;
        attempt = 0;
        status.error = null;
        status.pendingDown = Math.max(0, msg.head - cursor);
        setState('catching-up');
        // The welcome names the county this key speaks for; its outbox starts on the open line.
        outbox = createOutbox({ store, policy, county: msg.user.scope.regions[0] ?? '', publish: (c) => bus.publish(c, null) });
        void pushUp(socket, sendFrame);
        return;
      }
      storing = storing.then(() => onMessage(msg, cursor)).catch((err: unknown) => {
        // Nothing of a page that failed is kept but what committed: resume from the stored cursor.
        status.error = `storing what the city sent failed: ${(err as Error).message}`;
        socket.close();
      });
    });
    socket.on('close', (code, reason) => {
      clearInterval(pinger);
      if (ws === socket) ws = null;
      waitingAck?.reject(new Error('the line to the city closed'));
      waitingAck = null;
      wake?.();
      if (code === CLOSE_UNAUTHORIZED) status.error = `the city refused this server's key (${reason.toString() || 'unauthorized'}): register a new key at the city`;
      setState(code === CLOSE_UNAUTHORIZED ? 'refused' : 'down');
      schedule();
    });
    socket.on('error', (err) => (status.error = err.message));
  };

  /** Drains the outbox while this socket is open, then waits for the next change made here. */
  const pushUp = async (socket: WebSocket, sendFrame: (msg: ClientMessage) => void): Promise<void> => {
    const box = outbox!;
    const send = (push: Omit<Extract<ClientMessage, { t: 'push' }>, 'batch'>) =>
      new Promise<Extract<ServerMessage, { t: 'ack' }>>((resolve, reject) => {
        if (socket !== ws) return reject(new Error('the line to the city closed'));
        waitingAck = { batch: ++batch, resolve, reject };
        sendFrame({ ...push, batch });
      });
    try {
      // What waited here while the line was down (or before a restart) counts as pending until sent.
      for (const d of await box.pending()) dirty.add(d);
      while (socket === ws && !stopped) {
        const before = new Set(dirty);
        const mark = commits;
        await box.drain(send);
        for (const d of before) dirty.delete(d);
        status.upCursor = await box.cursor();
        refused = await box.refusals();
        // Something committed while the drain ran may have come after its last read: drain again.
        if (commits !== mark) continue;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } catch (err) {
      if (socket === ws) {
        status.error = `relaying up failed: ${(err as Error).message}`;
        socket.close();
      }
    } finally {
      waitingAck = null;
    }
  };

  // Every change stored here but the city's own wakes the outbox.
  const unsubscribe = bus.subscribe((committed, origin) => {
    if (origin === UPLINK_ORIGIN) return;
    commits++;
    for (const c of committed) dirty.add(c.docId);
    wake?.();
  });

  const schedule = () => {
    if (stopped || paused || timer) return;
    const delay = Math.min(retryMs.max, retryMs.base * 2 ** Math.min(attempt++, 10));
    timer = setTimeout(() => {
      timer = null;
      void connect().catch((err: unknown) => {
        status.error = (err as Error).message;
        schedule();
      });
    }, delay);
    timer.unref();
  };

  const onMessage = async (msg: ServerMessage, from: number): Promise<void> => {
    switch (msg.t) {
      case 'changes': {
        const committed = await takeIn(store, policy, msg.items);
        // Stored from the city: the outbox skips them, and they are not pending up.
        if (committed.length > 0) bus.publish(committed, UPLINK_ORIGIN);
        if (msg.cursor !== undefined) {
          if (msg.more) await store.setMeta(RESUME_KEY, JSON.stringify({ from, at: msg.cursor }));
          else {
            await store.setMeta(CURSOR_KEY, String(Math.max(msg.cursor, status.cursor)));
            await store.setMeta(RESUME_KEY, 'null');
            status.cursor = Math.max(msg.cursor, status.cursor);
            status.pendingDown = 0;
            setState('live');
          }
        }
        status.lastSyncAt = Date.now();
        return;
      }
      case 'error':
        status.error = `${msg.code}: ${msg.message}`;
        return;
      case 'ack':
      case 'welcome':
        return;
    }
  };

  void connect().catch((err: unknown) => {
    status.error = (err as Error).message;
    schedule();
  });

  return {
    status: (): UplinkStatus => ({ ...status, pendingUp: dirty.size, refused: [...refused], history: [...history] }),
    /** Drops the line (a test's cut); it comes back by itself after the retry delay. */
    cut(): void {
      ws?.terminate();
    },
    /** Takes the line down until `resume` (a test's days in the mountains; an admin's maintenance). */
    pause(): void {
      paused = true;
      if (timer) clearTimeout(timer);
      timer = null;
      ws?.terminate();
      // Down at once, whatever the socket was doing (a reconnect half way, a close still to come).
      setState('down');
    },
    resume(): void {
      paused = false;
      if (timer) clearTimeout(timer);
      timer = null;
      attempt = 0;
      schedule();
    },
    async stop(): Promise<void> {
      stopped = true;
      unsubscribe();
      if (timer) clearTimeout(timer);
      ws?.close();
      wake?.();
      await storing;
    },
  };
}

export type Uplink = ReturnType<typeof startUplink>;
