import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import * as Y from 'yjs';
import type { Contact } from '../../src/core/appeal';
import { docFromUpdates, readAppeal } from '../../src/core/doc';
import { newId } from '../../src/core/id';
import type { Policies } from '../../src/core/policy-book';
import { decodeServerFrame, encodeFrame, type ServerMessage } from '../../src/core/protocol';
import { relayToken } from '../services/relay-keys';
import type { Store } from '../store/types';
import { storeUpdate, type CommitBus, type Committed } from '../sync/bus';

// A county server's uplink to its city (issue 25): it connects to the city's sync hub as a
// relay peer, signed with the county's key, and takes in everything of its county the city
// has, above all what was done there (city dispatch, supervision, city departments' replies),
// into its own store, from where its phones receive it as from any push. The city validated
// those changes; here they are stored as they come, under the device id `upstream`, and the
// cursor moves in meta once a page is stored, so a restart resumes where it stopped.

export interface UplinkConfig {
  /** The city's sync endpoint: wss://city.example/sync. */
  url: string;
  /** The key id the city's administrator gave when registering this server's public key. */
  keyId: string;
  /** Path to this server's private key (npm run uplink:key). */
  keyFile: string;
}

export interface UplinkStatus {
  state: 'connecting' | 'catching-up' | 'live' | 'down' | 'refused';
  /** The city's sequence this server holds every change of its county up to. */
  cursor: number;
  lastSyncAt: number | null;
  bytesDown: number;
  /** Why the last connection ended, when it did. */
  error: string | null;
}

/** Where updates taken from the city are numbered in this server's sync log. */
export const UPSTREAM_DEVICE = 'upstream';
const CURSOR_KEY = 'uplink_cursor';
const RESUME_KEY = 'uplink_resume';
const DEVICE_KEY = 'uplink_device';
const CLOSE_UNAUTHORIZED = 4401;

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
  const status: UplinkStatus = { state: 'connecting', cursor: 0, lastSyncAt: null, bytesDown: 0, error: null };
  let ws: WebSocket | null = null;
  let stopped = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  // Pages are stored one after another, in the order they arrive.
  let storing: Promise<void> = Promise.resolve();

  const connect = async (): Promise<void> => {
    if (stopped) return;
    const deviceId = (await store.getMeta(DEVICE_KEY)) ?? (await store.claimMeta(DEVICE_KEY, newId()));
    const cursor = Number((await store.getMeta(CURSOR_KEY)) ?? 0);
    const resume = JSON.parse((await store.getMeta(RESUME_KEY)) ?? 'null') as { from: number; at: number } | null;
    status.cursor = cursor;
    status.state = 'connecting';
    const socket = (ws = new WebSocket(config.url, { perMessageDeflate: true }));
    socket.binaryType = 'nodebuffer';
    socket.on('open', () => {
      const hello = { t: 'hello' as const, token: relayToken(config.keyId, privateKeyPem), deviceId, cursor, ...(resume?.from === cursor && resume.at > cursor && { resume: resume.at }) };
      socket.send(encodeFrame(hello));
    });
    socket.on('message', (data: Buffer) => {
      status.bytesDown += data.byteLength;
      let msg: ServerMessage;
      try {
        msg = decodeServerFrame(new Uint8Array(data));
      } catch (err) {
        status.error = `a frame from the city did not decode: ${(err as Error).message}`;
        return socket.close();
      }
      storing = storing.then(() => onMessage(msg, cursor)).catch((err: unknown) => {
        // Nothing of a page that failed is kept but what committed: resume from the stored cursor.
        status.error = `storing what the city sent failed: ${(err as Error).message}`;
        socket.close();
      });
    });
    socket.on('close', (code, reason) => {
      if (ws === socket) ws = null;
      status.state = code === CLOSE_UNAUTHORIZED ? 'refused' : 'down';
      if (code === CLOSE_UNAUTHORIZED) status.error = `the city refused this server's key (${reason.toString() || 'unauthorized'}): register a new key at the city`;
      schedule();
    });
    socket.on('error', (err) => (status.error = err.message));
  };

  const schedule = () => {
    if (stopped || timer) return;
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
      case 'welcome':
        attempt = 0;
        status.state = 'catching-up';
        status.error = null;
        return;
      case 'changes': {
        const committed = await takeIn(store, policy, msg.items);
        if (committed.length > 0) bus.publish(committed, null);
        if (msg.cursor !== undefined) {
          if (msg.more) await store.setMeta(RESUME_KEY, JSON.stringify({ from, at: msg.cursor }));
          else {
            await store.setMeta(CURSOR_KEY, String(Math.max(msg.cursor, status.cursor)));
            await store.setMeta(RESUME_KEY, 'null');
            status.cursor = Math.max(msg.cursor, status.cursor);
            status.state = 'live';
          }
        }
        status.lastSyncAt = Date.now();
        return;
      }
      case 'error':
        status.error = `${msg.code}: ${msg.message}`;
        return;
      case 'ack':
        return;
    }
  };

  void connect().catch((err: unknown) => {
    status.error = (err as Error).message;
    schedule();
  });

  return {
    status: (): UplinkStatus => ({ ...status }),
    /** Drops the line (a test's cut); it comes back by itself after the retry delay. */
    cut(): void {
      ws?.terminate();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      ws?.close();
      await storing;
    },
  };
}

export type Uplink = ReturnType<typeof startUplink>;

/**
 * Stores what the city sent, each document in its own push transaction: the city's changes
 * join this server's log as if a device had pushed them, so its phones receive them. An
 * update that adds nothing this server lacks is not stored again.
 */
async function takeIn(store: Store, policy: Policies, items: { docId: string; update: Uint8Array; contact?: Contact }[]): Promise<Committed[]> {
  const out: Committed[] = [];
  for (const { docId, update, contact } of items) {
    const committed = await store.inPushTx(async (tx) => {
      const parts = await tx.docParts(docId);
      const doc = docFromUpdates(parts);
      const before = Y.encodeStateAsUpdate(doc);
      Y.applyUpdate(doc, update);
      const after = Y.encodeStateAsUpdate(doc);
      const snapshot = readAppeal(doc, docId);
      doc.destroy();
      if (contact) await tx.putContact(docId, contact, UPSTREAM_DEVICE, Date.now());
      if (parts.length > 0 && Buffer.from(before).equals(Buffer.from(after))) return null;
      const clientSeq = await tx.nextClientSeq(UPSTREAM_DEVICE);
      return storeUpdate(tx, { docId, deviceId: UPSTREAM_DEVICE, clientSeq, userId: UPSTREAM_DEVICE, bytes: update }, snapshot, Date.now(), policy);
    });
    if (committed) out.push(committed);
  }
  return out;
}
