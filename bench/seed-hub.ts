import WebSocket from 'ws';
import * as Y from 'yjs';
import type { Store } from '../server/store/types';
import { createTokenService } from '../server/services/tokens';
import { contactOf, type AppealInput, type Contact } from '../src/core/appeal';
import type { DeadlinePolicy } from '../src/core/deadline';
import type { Department } from '../src/core/departments';
import { appendEvent, readAppeal, writeNewAppeal, type AppealSnapshot } from '../src/core/doc';
import type { AppealEvent } from '../src/core/events';
import { newId } from '../src/core/id';
import { MAX_PUSH_ITEMS } from '../src/core/limits';
import { decodeServerFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../src/core/protocol';
import { townOf } from '../src/core/regions';
import { scopeFor, type Role, type SessionUser } from '../src/core/roles';
import { generateAppeals, pipelineSteps, prng, type PipelineStep, type StepName, type VillageRef } from './generate';
import { progressAndShape } from './seed-store';

// Seeds a server the way a county fills it: through the sync hub, over the real protocol,
// each step of an appeal's pipeline from another person's device. A grid worker records it
// in the village; an official of the town accepts it and assigns it to the town or to a
// county department; the department's handler (or the town) starts and replies; a seat of
// the county's return-visit center calls the citizen; the town closes (or reopens) it. Each
// step is a new Y.Doc (a new Yjs client) built from what the server had, as a device that
// caught up would hold it, and its update is pushed, validated and committed by the hub.

export interface HubSeedOptions {
  count: number;
  villages: VillageRef[];
  seed: number;
  /** When the first appeal was recorded; each next one `spacingMs` (default a minute) later. */
  from: number;
  spacingMs?: number;
  policy: DeadlinePolicy;
  /** Towns that differ in speed and satisfaction (see seed-store.ts). */
  varied?: boolean;
  /** The share of accepted appeals sent on to a county department (default a half). */
  toDepartments?: number;
}

export interface HubSeedResult {
  appeals: { snapshot: AppealSnapshot; contact: Contact | null }[];
  /** Distinct devices (connections with their own device id) that pushed. */
  devices: number;
  /** Updates pushed and committed. */
  updates: number;
  ms: number;
}

/** The department a town sends each category to, when it sends it on. */
const DEPT_OF: Record<string, Department> = {
  'infra.roads': 'transport',
  'infra.water': 'water',
  'infra.power': 'power',
  'infra.environment': 'ecology',
  'livelihood.social_security': 'civil_affairs',
  'livelihood.medical': 'health',
  'livelihood.education': 'education',
  'livelihood.housing': 'housing',
  'disputes.neighbour': 'justice',
  'disputes.land': 'natural_resources',
  'disputes.wages': 'human_resources',
  'disputes.public_order': 'public_security',
  'services.approval': 'market',
  'services.conduct': 'civil_affairs',
  'services.policy': 'agriculture',
  'services.other': 'civil_affairs',
};

/** Seats of the return-visit center; its calls are spread over them. */
const VISIT_SEATS = 4;
/** Devices pushing at once. */
const PARALLEL = 6;
const BATCH = 100;
/** Below the hub's 20 frames a second per socket. */
const MIN_FRAME_GAP_MS = 60;

interface Person {
  user: SessionUser;
  token: string;
}

/** Users created per store, so repeated seeding of one server reuses them. */
const people = new WeakMap<Store, Map<string, Promise<Person>>>();

function person(store: Store, key: string, role: Role, displayName: string, regions: string[], departments: string[] = []): Promise<Person> {
  let mine = people.get(store);
  if (!mine) people.set(store, (mine = new Map()));
  let p = mine.get(key);
  if (!p) {
    p = (async () => {
      const user: SessionUser = { id: newId(), username: `seed-${key}`, displayName, role, scope: { regions, departments } };
      await store.insertUser({ ...user, passwordHash: 'unused' }, Date.now());
      // The session is opened directly: logging in spends a scrypt, which is not what is seeded.
      const tokens = createTokenService(store, { accessMinutes: 240, sessionDays: 1 });
      return { user, token: (await tokens.open((await store.userById(user.id))!)).token };
    })();
    mine.set(key, p);
  }
  return p;
}

/** One device of a person: a socket after the welcome, already holding everything up to the server's head. */
async function openDevice(url: string, token: string, cursor: number) {
  const ws = new WebSocket(url.replace('http', 'ws') + '/sync');
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
  let lastSent = 0;
  return {
    async push(items: { docId: string; update: Uint8Array; seq: number; contact?: Contact }[]): Promise<void> {
      if (failure) throw failure;
      const gap = lastSent + MIN_FRAME_GAP_MS - performance.now();
      if (gap > 0) await new Promise((r) => setTimeout(r, gap));
      const b = ++batch;
      const ack = new Promise<Ack>((resolve, reject) => waiting.set(b, { resolve, reject }));
      lastSent = performance.now();
      ws.send(encodeFrame({ t: 'push', batch: b, items } satisfies ClientMessage));
      const m = await ack;
      waiting.delete(b);
      if (m.rejected.length > 0) throw new Error(`the hub refused a seeded update: ${m.rejected[0]!.reason} ${m.rejected[0]!.detail}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
}

interface Seeded {
  id: string;
  input: AppealInput;
  at: number;
  steps: PipelineStep[];
  dept: Department | undefined;
  /** The document as the server has it. */
  state: Uint8Array;
}

/** Runs `work` for each key, `PARALLEL` at a time. */
async function inParallel<T>(keys: T[], work: (key: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(PARALLEL, keys.length) }, async () => {
    while (next < keys.length) await work(keys[next++]!);
  }));
}

export async function seedThroughHub(server: { url: string; store: Store }, o: HubSeedOptions): Promise<HubSeedResult> {
  const t0 = performance.now();
  const { store } = server;
  const rnd = prng(o.seed * 31 + 5);
  const now = Date.now();
  const county = scopeFor(o.villages[0]!.code.slice(0, 6) + '000000');
  const names = new Map(o.villages.map((v) => [v.code, v.name.replace(/(村民委员会|居民委员会)$/, '')]));

  const gridOf = (village: string) => person(store, `grid-${village}`, 'grid_worker', `网格员（${names.get(village)}）`, [scopeFor(village)]);
  const townOfficial = (village: string) => person(store, `town-${townOf(village)}`, 'town_official', `镇干部（${townOf(village).slice(6, 9)}）`, [scopeFor(townOf(village))]);
  const handlerOf = (dept: Department) => person(store, `dept-${dept}`, 'dept_handler', `部门经办人（${dept}）`, [county], [dept]);
  const seat = (i: number) => person(store, `visit-${i}`, 'county_dispatcher', `回访中心 ${i + 1} 号席`, [county]);

  const appeals: Seeded[] = generateAppeals(o.count, o.villages, o.seed).map((input, i) => {
    const at = o.from + i * (o.spacingMs ?? 60_000);
    const { progress, shape } = progressAndShape(rnd, input.villageCode, at, now, o.seed, o.varied);
    const dept = rnd() < (o.toDepartments ?? 0.5) ? DEPT_OF[input.category] : undefined;
    return { id: newId(), input, at, dept, steps: pipelineSteps(progress, input.channel, at, { ...shape, ...(dept && { dept }) }), state: new Uint8Array() };
  });

  let devices = 0;
  let updates = 0;
  /** Each person's share of the work pushed from a new device of theirs. */
  const pushFrom = async (who: Promise<Person>, work: { docId: string; update: () => Uint8Array; contact?: Contact }[]) => {
    const p = await who;
    const device = await openDevice(server.url, p.token, await store.head());
    devices++;
    try {
      for (let i = 0; i < work.length; i += Math.min(BATCH, MAX_PUSH_ITEMS)) {
        const items = work.slice(i, i + BATCH).map((w, j) => ({ docId: w.docId, update: w.update(), seq: i + j + 1, ...(w.contact && { contact: w.contact }) }));
        await device.push(items);
        updates += items.length;
      }
    } finally {
      await device.close();
    }
  };
  const groupBy = <K>(list: Seeded[], key: (a: Seeded) => K) => {
    const out = new Map<K, Seeded[]>();
    for (const a of list) out.set(key(a), [...(out.get(key(a)) ?? []), a]);
    return out;
  };

  // 1. Recorded in the village, by its grid worker.
  await inParallel([...groupBy(appeals, (a) => a.input.villageCode)], async ([village, mine]) => {
    const p = await gridOf(village);
    await pushFrom(Promise.resolve(p), mine.map((a) => ({
      docId: a.id,
      ...(contactOf(a.input) && { contact: contactOf(a.input)! }),
      update: () => {
        const doc = new Y.Doc();
        writeNewAppeal(doc, a.input, { id: p.user.id, role: p.user.role, name: p.user.displayName }, a.at, newId());
        a.state = Y.encodeStateAsUpdate(doc);
        doc.destroy();
        return a.state;
      },
    })));
  });

  // 2–5. Each later step by whoever does it, from a device of theirs.
  const whoDoes = (step: StepName, a: Seeded, i: number): [string, () => Promise<Person>] => {
    if (step === 'handle' && a.dept) return [`dept-${a.dept}`, () => handlerOf(a.dept!)];
    if (step === 'visit') return [`visit-${i % VISIT_SEATS}`, () => seat(i % VISIT_SEATS)];
    return [`town-${townOf(a.input.villageCode)}`, () => townOfficial(a.input.villageCode)];
  };
  for (const step of ['accept', 'handle', 'visit', 'close'] as const) {
    const todo = appeals.map((a, i) => ({ a, i, s: a.steps.find((s) => s.step === step) })).filter((x) => x.s);
    const byPerson = new Map<string, { who: () => Promise<Person>; work: typeof todo }>();
    for (const x of todo) {
      const [key, who] = whoDoes(step, x.a, x.i);
      const entry = byPerson.get(key) ?? { who, work: [] };
      entry.work.push(x);
      byPerson.set(key, entry);
    }
    await inParallel([...byPerson.values()], async ({ who, work }) => {
      const p = await who();
      await pushFrom(Promise.resolve(p), work.map(({ a, s }) => ({
        docId: a.id,
        update: () => {
          const doc = new Y.Doc();
          Y.applyUpdate(doc, a.state);
          const before = Y.encodeStateVector(doc);
          for (const [k, e] of s!.events.entries()) appendEvent(doc, { ...e, id: newId(), actor: p.user.id, role: p.user.role, by: p.user.displayName, at: s!.at[k]! } as AppealEvent);
          const diff = Y.encodeStateAsUpdate(doc, before);
          a.state = Y.encodeStateAsUpdate(doc);
          doc.destroy();
          return diff;
        },
      })));
    });
  }

  const out = appeals.map((a) => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, a.state);
    const snapshot = readAppeal(doc, a.id);
    doc.destroy();
    return { snapshot, contact: contactOf(a.input) };
  });
  return { appeals: out, devices, updates, ms: performance.now() - t0 };
}
