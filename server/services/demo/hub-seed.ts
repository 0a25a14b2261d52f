import * as Y from 'yjs';
import type { Store } from '../../store/types';
import { contactOf, type AppealInput, type Contact } from '../../../src/core/appeal';
import type { DeadlinePolicy } from '../../../src/core/deadline';
import type { Department } from '../../../src/core/departments';
import { appendEvent, readAppeal, writeNewAppeal, type AppealSnapshot } from '../../../src/core/doc';
import type { AppealEvent } from '../../../src/core/events';
import { newId } from '../../../src/core/id';
import { townOf } from '../../../src/core/regions';
import { scopeFor, type Role } from '../../../src/core/roles';
import { ensurePerson, inParallel, pushFrom, type Person } from './devices';
import { generateAppeals, pipelineSteps, prng, progressAndShape, type PipelineStep, type StepName, type VillageRef } from './generate';

// Seeds a server the way a county fills it: through the sync hub, over the real protocol,
// each step of an appeal's pipeline from another person's device. A grid worker records it
// in the village; an official of the town accepts it and assigns it to the town or to a
// county department; the department's handler (or the town) starts and replies; a seat of
// the county's return-visit center calls the citizen; the town closes (or reopens) it. Each
// step is a new Y.Doc (a new Yjs client) built from what the server had, as a device that
// caught up would hold it, and its update is pushed, validated and committed by the hub.
// The benchmarks use it (bench/seed-hub.ts re-exports it); the demo seed (seed.ts) walks
// its own, richer script over the same devices.

export interface HubSeedOptions {
  count: number;
  villages: VillageRef[];
  seed: number;
  /** When the first appeal was recorded; each next one `spacingMs` (default a minute) later. */
  from: number;
  spacingMs?: number;
  policy: DeadlinePolicy;
  /** Towns that differ in speed and satisfaction (see generate.ts, progressAndShape). */
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
export const DEPT_OF: Record<string, Department> = {
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

/** Users created per store, so repeated seeding of one server reuses them. */
const people = new WeakMap<Store, Map<string, Promise<Person>>>();

function person(store: Store, key: string, role: Role, displayName: string, regions: string[], departments: string[] = []): Promise<Person> {
  let mine = people.get(store);
  if (!mine) people.set(store, (mine = new Map()));
  let p = mine.get(key);
  if (!p) {
    p = ensurePerson(store, { username: `seed-${key}`, displayName, role, regions, departments, passwordHash: 'unused' });
    mine.set(key, p);
  }
  return p;
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
  const pushAs = async (p: Person, work: { docId: string; make: () => Uint8Array; contact?: Contact }[]) => {
    devices++;
    const n = await pushFrom(server.url, store, p, work);
    updates += n;
  };
  const groupBy = <K>(list: Seeded[], key: (a: Seeded) => K) => {
    const out = new Map<K, Seeded[]>();
    for (const a of list) out.set(key(a), [...(out.get(key(a)) ?? []), a]);
    return out;
  };

  // 1. Recorded in the village, by its grid worker.
  await inParallel([...groupBy(appeals, (a) => a.input.villageCode)], async ([village, mine]) => {
    const p = await gridOf(village);
    await pushAs(p, mine.map((a) => ({
      docId: a.id,
      ...(contactOf(a.input) && { contact: contactOf(a.input)! }),
      make: () => {
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
      await pushAs(p, work.map(({ a, s }) => ({
        docId: a.id,
        make: () => {
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
