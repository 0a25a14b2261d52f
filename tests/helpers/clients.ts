import 'fake-indexeddb/auto';
import WebSocket from 'ws';
import { decodeServerFrame, type ServerMessage } from '../../src/core/protocol';
import type { Region } from '../../src/core/regions';
import type { Role, SessionUser } from '../../src/core/roles';
import { hashPassword } from '../../server/services/auth';
import type { RunningServer } from '../../server/app';
import { newId } from '../../src/core/id';
import { openDb, type MinshengDB } from '../../src/store/db';
import { deviceId } from '../../src/store/meta';
import { SyncEngine, type SyncStatus } from '../../src/sync/engine';

export interface Login {
  token: string;
  user: SessionUser;
}

export async function login(server: RunningServer, username: string, password = 'demo1234'): Promise<Login> {
  const res = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
  return (await res.json()) as Login;
}

/** Adds a user straight to the store (the admin page comes later); `departments` for department handlers. */
export async function addUser(server: RunningServer, username: string, role: Role, regions: string[], departments: string[] = []): Promise<void> {
  await server.store.insertUser({ id: newId(), username, displayName: username, role, scope: { regions, departments }, passwordHash: await hashPassword('demo1234') }, Date.now());
}

export async function until(cond: () => Promise<boolean> | boolean, ms = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** A device: its own IndexedDB (fake-indexeddb), its regions, and a sync engine. */
export interface Device {
  db: MinshengDB;
  session: Login;
  engine: SyncEngine;
  status: () => SyncStatus;
  who: { id: string; role: Role; scope: SessionUser['scope'] };
  /** Resolves once connected, caught up and with an empty outbox. */
  settled(ms?: number): Promise<void>;
  close(): void;
}

export interface DeviceOptions {
  url?: string;
  regions?: Region[];
  WebSocketImpl?: typeof WebSocket;
  ackTimeoutMs?: number;
  retryBaseMs?: number;
  heartbeatMs?: number;
  /** Gives the engine authorized REST (it fetches purged appeals whole again, store/retention.ts). */
  rest?: boolean;
}

export async function fetchRegions(url: string, session: Login): Promise<Region[]> {
  const res = await fetch(`${url}/api/regions`, { headers: { authorization: `Bearer ${session.token}` } });
  return ((await res.json()) as { regions: Region[] }).regions;
}

export async function device(server: RunningServer, session: Login, options: DeviceOptions = {}): Promise<Device> {
  const db = openDb(`dev-${newId()}`);
  await db.regions.bulkPut(options.regions ?? (await fetchRegions(server.url, session)));
  const url = options.url ?? server.url;
  const engine = new SyncEngine({
    db,
    url: url.replace('http', 'ws') + '/sync',
    token: session.token,
    deviceId: await deviceId(db),
    WebSocketImpl: (options.WebSocketImpl ?? WebSocket) as never,
    random: () => 0,
    ...(options.ackTimeoutMs && { ackTimeoutMs: options.ackTimeoutMs }),
    ...(options.retryBaseMs && { retryBaseMs: options.retryBaseMs }),
    ...(options.heartbeatMs && { heartbeatMs: options.heartbeatMs }),
    ...(options.rest && { fetcher: (path: string) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${session.token}` } }) }),
  });
  let status!: SyncStatus;
  engine.subscribe((s) => (status = s));
  return {
    db,
    session,
    engine,
    status: () => status,
    who: { id: session.user.id, role: session.user.role, scope: session.user.scope },
    settled: (ms) => until(async () => status.link === 'online' && status.catchUp === null && (await db.outbox.count()) === 0, ms, 'device settled'),
    close() {
      engine.stop();
      db.close();
    },
  };
}

/**
 * A WebSocket class for SyncEngine that hands every server frame it receives to `onFrame`
 * as it arrives (tests count acks and refusals on the wire, not from the outbox afterwards).
 */
export function sniffingWebSocket(onFrame: (msg: ServerMessage) => void): typeof WebSocket {
  return class extends WebSocket {
    constructor(url: string) {
      super(url);
      this.on('message', (data: Buffer) => {
        let msg: ServerMessage;
        try {
          msg = decodeServerFrame(new Uint8Array(data));
        } catch {
          return;
        }
        onFrame(msg);
      });
    }
  } as unknown as typeof WebSocket;
}
