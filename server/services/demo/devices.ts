import WebSocket from 'ws';
import type { Contact } from '../../../src/core/appeal';
import { newId } from '../../../src/core/id';
import { MAX_PUSH_ITEMS } from '../../../src/core/limits';
import { decodeServerFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../../src/core/protocol';
import type { Role, SessionUser } from '../../../src/core/roles';
import type { Store, UserRecord } from '../../store/types';
import { createTokenService } from '../tokens';

// Devices of people, talking to a running server's sync hub over the real protocol: what the
// demo seed (and the benchmarks' hub seeding) push their updates through, so every update is
// validated and committed as one from a phone in the field would be.

export interface Person {
  user: SessionUser;
  token: string;
}

/** Below the hub's 20 frames a second per socket. */
const MIN_FRAME_GAP_MS = 60;
/** Items per push frame. */
const BATCH = Math.min(100, MAX_PUSH_ITEMS);
/** Devices pushing at once. */
export const PARALLEL = 6;

/** A session for an existing account, opened directly: logging in spends a scrypt, which is not what is seeded. */
export async function personOf(store: Store, user: UserRecord): Promise<Person> {
  const tokens = createTokenService(store, { accessMinutes: 240, sessionDays: 1 });
  const { id, username, displayName, role, scope } = user;
  return { user: { id, username, displayName, role, scope }, token: (await tokens.open(user)).token };
}

export interface NewPerson {
  username: string;
  role: Role;
  displayName: string;
  regions: string[];
  departments?: string[];
  /** The stored password hash (a hash of an unknown password: the account cannot be logged into). */
  passwordHash: string;
}

/** Creates an account, or reuses the one with that username, and opens a session for it. */
export async function ensurePerson(store: Store, p: NewPerson): Promise<Person> {
  let user = await store.userByUsername(p.username);
  if (!user) {
    await store.insertUser({ id: newId(), username: p.username, displayName: p.displayName, role: p.role, scope: { regions: p.regions, departments: p.departments ?? [] }, passwordHash: p.passwordHash }, Date.now());
    user = (await store.userByUsername(p.username))!;
  }
  return personOf(store, user);
}

export interface PushItem {
  docId: string;
  update: Uint8Array;
  contact?: Contact;
}

export interface Device {
  push(items: PushItem[]): Promise<void>;
  close(): Promise<void>;
}

/** One device of a person: a socket after the welcome, already holding everything up to the server's head. */
export async function openDevice(url: string, token: string, cursor: number): Promise<Device> {
  // Uncompressed: on the loopback the deflate of every frame would cost the seed more than it saves.
  const ws = new WebSocket(url.replace('http', 'ws') + '/sync', { perMessageDeflate: false });
  ws.binaryType = 'arraybuffer';
  type Ack = Extract<ServerMessage, { t: 'ack' }>;
  const waiting = new Map<number, { resolve: (m: Ack) => void; reject: (e: Error) => void }>();
  let failure: Error | null = null;
  let welcomed!: () => void;
  const welcome = new Promise<void>((resolve) => (welcomed = resolve));
  const fail = (e: Error) => {
    failure ??= e;
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  };
  ws.on('message', (d: ArrayBuffer) => {
    const m = decodeServerFrame(new Uint8Array(d));
    if (m.t === 'welcome') welcomed();
    else if (m.t === 'ack') waiting.get(m.batch)?.resolve(m);
    else if (m.t === 'error') fail(new Error(`hub: ${JSON.stringify(m)}`));
  });
  ws.on('close', (code) => fail(new Error(`the hub closed the socket (${code})`)));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(encodeFrame({ t: 'hello', token, deviceId: newId(), cursor } satisfies ClientMessage));
  // Until the welcome, the hub takes only a hello-sized frame.
  await Promise.race([welcome, new Promise((_, reject) => ws.once('close', () => reject(failure)))]);
  let batch = 0;
  let seq = 0;
  let lastSent = 0;
  return {
    async push(items: PushItem[]): Promise<void> {
      for (let i = 0; i < items.length; i += BATCH) {
        if (failure) throw failure;
        const gap = lastSent + MIN_FRAME_GAP_MS - performance.now();
        if (gap > 0) await new Promise((r) => setTimeout(r, gap));
        const b = ++batch;
        const ack = new Promise<Ack>((resolve, reject) => waiting.set(b, { resolve, reject }));
        lastSent = performance.now();
        const frame = items.slice(i, i + BATCH).map((it) => ({ docId: it.docId, update: it.update, seq: ++seq, ...(it.contact && { contact: it.contact }) }));
        ws.send(encodeFrame({ t: 'push', batch: b, items: frame } satisfies ClientMessage));
        const m = await ack;
        waiting.delete(b);
        if (m.rejected.length > 0) throw new Error(`the hub refused a seeded update: ${m.rejected[0]!.reason} ${m.rejected[0]!.detail}`);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
}

/** Runs `work` for each key, `PARALLEL` at a time. */
export async function inParallel<T>(keys: readonly T[], work: (key: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(PARALLEL, keys.length) }, async () => {
      while (next < keys.length) await work(keys[next++]!);
    }),
  );
}

/**
 * Pushes a person's share of the work from a new device of theirs. Each update is made only
 * when its turn comes (`make`), so it is built on what the person's earlier updates left.
 */
export async function pushFrom(url: string, store: Store, who: Person, work: readonly { docId: string; make: () => Uint8Array; contact?: Contact }[]): Promise<number> {
  const device = await openDevice(url, who.token, await store.head());
  try {
    for (let i = 0; i < work.length; i += BATCH) {
      await device.push(work.slice(i, i + BATCH).map((w) => ({ docId: w.docId, update: w.make(), ...(w.contact && { contact: w.contact }) })));
    }
  } finally {
    await device.close();
  }
  return work.length;
}
