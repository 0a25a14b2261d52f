import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import { WebSocketServer, type WebSocket } from 'ws';
import * as Y from 'yjs';
import { checkUpdate } from '../../src/core/accept';
import type { Policies } from '../../src/core/policy-book';
import { docFromUpdates, eventsOf, fieldsOf } from '../../src/core/doc';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { MAX_FRAME_BYTES } from '../../src/core/limits';
import { appealInScope, type SessionUser } from '../../src/core/roles';
import { publicUser } from '../services/users';
import { createBucket } from '../net/ratelimit';
import type { Revocations } from '../services/revocations';
import type { Store } from '../store/types';
import { storeUpdate, type CommitBus } from './bus';
import { planAttachments, recordVouches } from './attachments';
import type { Tickets } from './tickets';
import { log } from '../log';

// Live rooms speak y-websocket's protocol (y-protocols sync + awareness) so an appeal open
// on two screens co-edits with presence. Every update a room receives is validated and
// committed exactly like a pushed one before anyone else sees it.

const MESSAGE_SYNC = 0;
const MESSAGE_AWARENESS = 1;
const MESSAGE_AUTH = 2;
const MESSAGE_QUERY_AWARENESS = 3;
/** Close code when an update is refused; the reason travels in the close frame. */
export const ROOM_REFUSED = 4403;
/** Close code for a member the appeal has left the scope of (escalated away, moved to another department). */
export const ROOM_OUT_OF_SCOPE = 4404;

interface RoomConn {
  ws: WebSocket;
  user: SessionUser;
  /** The session whose ticket opened it: logging out closes it (`closeSession`). */
  sid: string;
  /** Receipts need (device, seq): each room connection is its own "device". */
  deviceId: string;
  seq: number;
  awarenessIds: Set<number>;
}

interface Room {
  docId: string;
  doc: Y.Doc;
  awareness: awarenessProtocol.Awareness;
  conns: Set<RoomConn>;
  /** Which member set each presence entry: no one speaks for another. */
  presence: Map<number, RoomConn>;
  /** Updates are validated against the room's document and committed one at a time. */
  commits: Promise<void>;
}

function frame(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
}

/**
 * A member's presence update with only the entries it may set: client ids it claimed first
 * (or new ones, which it then claims), each showing the member's own name whatever it sent.
 * Null when nothing is left.
 */
function ownPresence(room: { presence: Map<number, unknown> }, conn: { user: SessionUser }, update: Uint8Array): Uint8Array | null {
  const d = decoding.createDecoder(update);
  const e = encoding.createEncoder();
  const kept: [number, number, string][] = [];
  for (let n = decoding.readVarUint(d); n > 0; n--) {
    const clientId = decoding.readVarUint(d);
    const clock = decoding.readVarUint(d);
    const raw = decoding.readVarString(d);
    const owner = room.presence.get(clientId);
    if (owner !== undefined && owner !== conn) continue;
    room.presence.set(clientId, conn);
    const state = JSON.parse(raw) as unknown;
    const named = state !== null && typeof state === 'object' ? { ...(state as object), user: { name: conn.user.displayName } } : null;
    kept.push([clientId, clock, JSON.stringify(named)]);
  }
  if (kept.length === 0) return null;
  encoding.writeVarUint(e, kept.length);
  for (const [clientId, clock, state] of kept) {
    encoding.writeVarUint(e, clientId);
    encoding.writeVarUint(e, clock);
    encoding.writeVarString(e, state);
  }
  return encoding.toUint8Array(e);
}

/** Messages a room member may send: typing and cursor presence are chatty, but bounded. */
export const ROOM_RATE = { perSecond: 60, burst: 200 };

/** Everything one rooms server's members share. */
interface Rooms {
  store: Store;
  villages: ReadonlySet<string>;
  bus: CommitBus;
  /** The deployment's policies: each appeal is judged and projected by its county's. */
  policy: Policies;
  rooms: Map<string, Room>;
  /** Rooms being loaded: two members arriving together share one load. */
  opening: Map<string, Promise<Room | null>>;
}

function broadcast(room: Room, data: Uint8Array, except?: RoomConn): void {
  for (const c of room.conns) if (c !== except && c.ws.readyState === c.ws.OPEN) c.ws.send(data);
}

function openRoom(ctx: Rooms, docId: string): Promise<Room | null> {
  const existing = ctx.rooms.get(docId);
  if (existing) return Promise.resolve(existing);
  // Two members arriving together share one load.
  if (!ctx.opening.has(docId)) ctx.opening.set(docId, loadRoom(ctx, docId).finally(() => ctx.opening.delete(docId)));
  return ctx.opening.get(docId)!;
}

async function loadRoom(ctx: Rooms, docId: string): Promise<Room | null> {
  const parts = await ctx.store.docParts(docId);
  if (parts.length === 0) return null;
  const doc = docFromUpdates(parts);
  const awareness = new awarenessProtocol.Awareness(doc);
  awareness.setLocalState(null);
  const room: Room = { docId, doc, awareness, conns: new Set(), presence: new Map(), commits: Promise.resolve() };
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    // Whoever this change takes the appeal away from hears nothing more of it.
    const scope = { villageCode: String(fieldsOf(doc).get('villageCode') ?? ''), dept: fold(eventsOf(doc).toArray(), docId).dept, createdBy: String(fieldsOf(doc).get('createdBy') ?? '') };
    for (const c of room.conns) if (!appealInScope(c.user, scope)) leave(room, c, ROOM_OUT_OF_SCOPE, 'no longer in your scope');
    const data = frame((e) => {
      encoding.writeVarUint(e, MESSAGE_SYNC);
      syncProtocol.writeUpdate(e, update);
    });
    broadcast(room, data, origin as RoomConn | undefined);
  });
  awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
    const changed = [...added, ...updated, ...removed];
    const conn = origin as RoomConn | undefined;
    if (conn?.awarenessIds) {
      added.forEach((id) => conn.awarenessIds.add(id));
      removed.forEach((id) => conn.awarenessIds.delete(id));
    }
    broadcast(room, frame((e) => {
      encoding.writeVarUint(e, MESSAGE_AWARENESS);
      encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, changed));
    }));
  });
  ctx.rooms.set(docId, room);
  return room;
}

/** Validates and commits one update from a room member, then shares it. */
async function commit(ctx: Rooms, room: Room, conn: RoomConn, update: Uint8Array): Promise<void> {
  const { store, policy, villages, bus } = ctx;
  const check = checkUpdate(room.docId, room.doc, update, { user: conn.user, policy, knownVillage: (c) => villages.has(c) });
  if (!check.ok) return refuseUpdate(conn, check.reason, check.detail);
  if (!check.changed) return;
  const committed = await store.inPushTx(async (tx) => {
    // Files are checked as in a push: only one's own uploads, or files one may already read.
    const files = await planAttachments(tx, conn.user, () => fieldsOf(room.doc).toJSON(), check.snapshot.fields);
    if (!files.ok) return files;
    const c = await storeUpdate(tx, { docId: room.docId, deviceId: conn.deviceId, clientSeq: ++conn.seq, userId: conn.user.id, bytes: update }, check.snapshot, Date.now(), policy);
    await recordVouches(tx, room.docId, files);
    return c;
  });
  if ('reason' in committed) return refuseUpdate(conn, committed.reason, committed.detail);
  Y.applyUpdate(room.doc, update, conn);
  bus.publish([committed], conn);
}

function refuseUpdate(conn: RoomConn, reason: string, detail: string): void {
  // y-websocket only logs "permission denied"; the close frame carries the reason to our UI.
  conn.ws.send(frame((e) => {
    encoding.writeVarUint(e, MESSAGE_AUTH);
    encoding.writeVarUint(e, 0);
    encoding.writeVarString(e, reason);
  }));
  conn.ws.close(ROOM_REFUSED, `${reason}: ${detail}`.slice(0, 120));
}

function onMessage(ctx: Rooms, room: Room, conn: RoomConn, data: Uint8Array): void {
  const decoder = decoding.createDecoder(data);
  const type = decoding.readVarUint(decoder);
  if (type === MESSAGE_SYNC) {
    const syncType = decoding.readVarUint(decoder);
    if (syncType === syncProtocol.messageYjsSyncStep1) {
      const sv = decoding.readVarUint8Array(decoder);
      conn.ws.send(frame((e) => {
        encoding.writeVarUint(e, MESSAGE_SYNC);
        syncProtocol.writeSyncStep2(e, room.doc, sv);
      }));
    } else if (syncType === syncProtocol.messageYjsSyncStep2 || syncType === syncProtocol.messageYjsUpdate) {
      const update = decoding.readVarUint8Array(decoder);
      room.commits = room.commits
        .then(() => commit(ctx, room, conn, update))
        .catch((err) => {
          log.error({ err }, 'room commit failed');
          conn.ws.close(1011, 'could not store the change; reopen to resume');
        });
    }
  } else if (type === MESSAGE_AWARENESS) {
    const own = ownPresence(room, conn, decoding.readVarUint8Array(decoder));
    if (own) awarenessProtocol.applyAwarenessUpdate(room.awareness, own, conn);
  } else if (type === MESSAGE_QUERY_AWARENESS) {
    conn.ws.send(frame((e) => {
      encoding.writeVarUint(e, MESSAGE_AWARENESS);
      encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(room.awareness, [...room.awareness.getStates().keys()]));
    }));
  }
}

/** Drops a member at once: it is out of the room before the next broadcast. */
function leave(room: Room, conn: RoomConn, code: number, reason: string): void {
  if (!room.conns.delete(conn)) return;
  conn.ws.close(code, reason);
  dropPresence(room, conn);
}

function dropPresence(room: Room, conn: RoomConn): void {
  for (const [id, owner] of room.presence) if (owner === conn) room.presence.delete(id);
  awarenessProtocol.removeAwarenessStates(room.awareness, [...conn.awarenessIds], null);
}

function join(ctx: Rooms, room: Room, ws: WebSocket, user: SessionUser, sid: string): void {
  const conn: RoomConn = { ws, user, sid, deviceId: newId(), seq: 0, awarenessIds: new Set() };
  const rate = createBucket(ROOM_RATE.perSecond, ROOM_RATE.burst);
  room.conns.add(conn);
  ws.on('message', (data: Buffer) => {
    // A closing socket still delivers what was in flight: a member who left sends nothing more.
    if (!room.conns.has(conn)) return;
    if (!rate.take()) return void ws.close(1008, 'rate limited');
    try {
      onMessage(ctx, room, conn, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } catch (err) {
      ws.close(1007, 'malformed message');
      void err;
    }
  });
  ws.on('close', () => {
    if (room.conns.delete(conn)) dropPresence(room, conn);
    if (room.conns.size === 0 && ctx.rooms.get(room.docId) === room) {
      ctx.rooms.delete(room.docId);
      room.awareness.destroy();
      room.doc.destroy();
    }
  });
  // Start the y-websocket handshake: our state vector, and who is here.
  ws.send(frame((e) => {
    encoding.writeVarUint(e, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(e, room.doc);
  }));
  if (room.awareness.getStates().size > 0) {
    ws.send(frame((e) => {
      encoding.writeVarUint(e, MESSAGE_AWARENESS);
      encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(room.awareness, [...room.awareness.getStates().keys()]));
    }));
  }
}

function refuse(socket: Duplex, status: string): void {
  socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
  socket.destroy();
}

export function createRooms(store: Store, villages: ReadonlySet<string>, bus: CommitBus, tickets: Tickets, policy: Policies, revocations: Revocations) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const rooms = new Map<string, Room>();
  const ctx: Rooms = { store, villages, bus, policy, rooms, opening: new Map() };

  // Updates committed through the sync hub reach open rooms too.
  bus.subscribe((committed, origin) => {
    for (const c of committed) {
      const room = rooms.get(c.docId);
      if (room && ![...room.conns].includes(origin as RoomConn)) Y.applyUpdate(room.doc, c.update, 'hub');
    }
  });

  const unrevoke = revocations.subscribe((userId) => {
    for (const room of rooms.values()) for (const c of room.conns) if (c.user.id === userId) c.ws.close(4401, 'revoked');
  });

  return {
    /** `/room/<docId>?ticket=…` */
    async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
      const url = new URL(req.url ?? '/', 'http://local');
      const docId = url.pathname.slice('/room/'.length);
      const ticket = tickets.take(url.searchParams.get('ticket') ?? '', docId);
      try {
        const user = ticket ? await store.userById(ticket.userId) : null;
        if (!ticket || !user || user.disabled) return refuse(socket, '401 Unauthorized');
        const appeal = await store.appealScope(docId);
        const room = appeal && appealInScope(user, appeal) ? await openRoom(ctx, docId) : null;
        if (!room) return refuse(socket, '404 Not Found');
        wss.handleUpgrade(req, socket, head, (ws) => join(ctx, room, ws, publicUser(user), ticket.sid));
      } catch (err) {
        log.error({ err }, 'room upgrade failed');
        refuse(socket, '500 Internal Server Error');
      }
    },
    /** Logout: the session's members leave their rooms at once (nothing they send after is committed). */
    closeSession(sid: string): void {
      for (const room of rooms.values()) for (const c of [...room.conns]) if (c.sid === sid) leave(room, c, 4401, 'logged out');
    },
    close(): void {
      unrevoke();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
