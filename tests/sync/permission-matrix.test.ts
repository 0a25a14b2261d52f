import * as Y from 'yjs';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { storeUpdate } from '../../server/sync/bus';
import type { AppealInput } from '../../src/core/appeal';
import { appendEvent, docFromUpdates, eventsOf, fieldsOf, readAppeal, textOf, writeNewAppeal } from '../../src/core/doc';
import type { AppealEvent, EventInput } from '../../src/core/events';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { decodeServerFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../src/core/protocol';
import { appealInScope, RECORDING_ROLES, regionInScope, ROLES, type Role, type SessionUser } from '../../src/core/roles';
import { ACTIONS, appealContext, checkNewEvents, type Action } from '../../src/core/workflow';
import { login } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// Every role × scope relation × operation, attempted through the real hub over a real
// socket, against the verdict src/core's rules give. Fixture appeals are written straight
// into the store (a trusted setup); every attempt is an ordinary push or catch-up.

const RELATIONS = ['own village', 'other village, same town', 'other town', 'other county'] as const;
type Relation = (typeof RELATIONS)[number];
const OPS = ['read', 'create', ...ACTIONS, 'edit fields', 'edit text', 'delete event', 'overwrite event', 'forge actor'] as const;
type Op = (typeof OPS)[number];
/** The seeded county's demo users: a county deployment has no city dispatcher. */
const USERNAMES: Partial<Record<Role, string>> = { grid_worker: 'grid', bench_facilitator: 'bench', village_station: 'station', town_official: 'town', dept_handler: 'dept', county_dispatcher: 'dispatcher', leader: 'leader', quality_reviewer: 'reviewer', mediator: 'mediator', deputy: 'deputy', admin: 'admin' };
const TESTED = ROLES.filter((r) => USERNAMES[r] !== undefined);
const RECORDER = '0190a000-0000-7000-8000-00000000beef';
/** The server's default for the seeded county (Lanling). */
const POLICY = POLICY_PRESETS.lanling;

let server: RunningServer;
let villages: Record<Relation, string>;
const users = {} as Record<Role, { token: string; user: SessionUser }>;

/** For each action, the history that makes the state machine allow it (cf. tests/core/permissions.test.ts). */
function history(action: Action): EventInput[] {
  const toWater: EventInput = { type: 'assigned', tier: 'town', dept: 'water' };
  const bounce: EventInput[] = [{ type: 'assigned', to: 'village', handler: RECORDER }, { type: 'returned', reason: '不属本单位', to: 'village' }];
  const replied: EventInput[] = [{ type: 'assigned', tier: 'village' }, { type: 'replied', note: '已处理', via: 'grid_patrol' }];
  switch (action) {
    case 'started':
    case 'replied':
    case 'extension_requested':
      return [toWater];
    case 'escalated':
      return [{ type: 'assigned', tier: 'village' }];
    case 'extension_decided':
      return [toWater, { type: 'extension_requested', days: 2, reason: '需要采购材料' }];
    case 'visited':
    case 'quality_reviewed':
      return replied;
    case 'mediation_requested':
      return [{ type: 'assigned', tier: 'village' }];
    case 'mediation_session':
    case 'mediation_closed':
      // Sent to the demo county's mediator.
      return [{ type: 'assigned', tier: 'village' }, { type: 'mediation_requested', mediator: users.mediator.user.id, mediatorName: '调解员' }];
    case 'reopened':
      return [...replied, { type: 'visited', satisfaction: 'unsatisfied' }];
    case 'closed':
      return [...replied, { type: 'visited', satisfaction: 'satisfied' }];
    case 'published':
      return [{ type: 'accepted' }];
    case 'unpublished':
      return [{ type: 'accepted' }, { type: 'published', summary: '已公开' }];
    case 'adopted':
      return [{ type: 'accepted' }];
    case 'reception_held':
      return [{ type: 'reception_booked', slotId: '01890a5d-ac96-774b-bcce-b302099a8058', startsAt: 1_700_100_000_000, host: '县长 王明' }];
    case 'reassigned':
      return [{ type: 'assigned', to: 'village', handler: RECORDER }];
    case 'returned':
    case 'unreasonable_requested':
      return [toWater];
    case 'reviewed':
      return [...bounce, ...bounce];
    case 'unreasonable_decided':
      return [toWater, { type: 'unreasonable_requested', reason: '超出政策' }];
    default:
      return [];
  }
}

function attempt(action: Action): EventInput {
  const inputs: Record<Action, EventInput> = {
    accepted: { type: 'accepted' },
    assigned: { type: 'assigned', tier: 'village' },
    started: { type: 'started' },
    escalated: { type: 'escalated', reason: '超出本级能力' },
    replied: { type: 'replied', note: '已修复', via: 'grid_patrol' },
    extension_requested: { type: 'extension_requested', days: 2, reason: '等待材料' },
    extension_decided: { type: 'extension_decided', approved: true, days: 2 },
    supervised: { type: 'supervised', level: 1 },
    visited: { type: 'visited', satisfaction: 'satisfied' },
    reopened: { type: 'reopened', reason: '群众不满意' },
    closed: { type: 'closed' },
    merged: { type: 'merged', into: newId() },
    commented: { type: 'commented', note: '跟进中' },
    published: { type: 'published', summary: '村道塌陷，已修复', reply: '镇交通办已修复' },
    unpublished: { type: 'unpublished' },
    adopted: { type: 'adopted', note: '建议很好，已采纳' },
    reception_booked: { type: 'reception_booked', slotId: '01890a5d-ac96-774b-bcce-b302099a8058', startsAt: 1_700_100_000_000, host: '县长 王明' },
    reception_held: { type: 'reception_held', slotId: '01890a5d-ac96-774b-bcce-b302099a8058', note: '当面答复' },
    reassigned: { type: 'reassigned', to: 'village', reason: '改由村里办' },
    returned: { type: 'returned', reason: '不属本单位职责', to: 'village' },
    reviewed: { type: 'reviewed', to: 'village', note: '研判：村里办理' },
    unreasonable_requested: { type: 'unreasonable_requested', reason: '诉求超出政策范围' },
    unreasonable_decided: { type: 'unreasonable_decided', approved: true },
    // The reply it judges is filled in from the fixture (see prepare).
    quality_reviewed: { type: 'quality_reviewed', verdict: 'redo', reply: RECORDER, note: '请写明具体措施和时间' },
    mediation_requested: { type: 'mediation_requested', mediator: '0190a000-0000-7000-8000-00000000cafe', mediatorName: '调解员' },
    mediation_session: { type: 'mediation_session', parties: '张家、李家', place: '村委会', agreed: '院墙原址重砌' },
    mediation_closed: { type: 'mediation_closed', settled: true, note: '签订调解协议' },
  };
  return inputs[action];
}

function input(village: string, category = 'infra.water'): AppealInput {
  return { channel: 'grid_patrol', category, kind: 'special', urgency: 'orange', villageCode: village, description: '水渠堵塞，农田浇不上水。', citizen: { anonymous: false, name: '李四', phone: '13912345678' }, gps: null };
}

/** Writes a fixture appeal with `events` (by a trusted setup actor) straight into the store. */
async function fixture(village: string, events: EventInput[], recorder = RECORDER, category?: string): Promise<string> {
  const id = newId();
  const doc = new Y.Doc();
  writeNewAppeal(doc, input(village, category), { id: recorder, role: 'grid_worker' }, Date.now(), newId());
  for (const e of events) appendEvent(doc, { ...e, id: newId(), actor: '0190a000-0000-7000-8000-0000000000aa', role: 'city_dispatcher', at: Date.now() } as AppealEvent);
  await server.store.inPushTx(async (tx) => storeUpdate(tx, { docId: id, deviceId: 'setup', clientSeq: await tx.nextClientSeq('setup'), userId: 'setup', bytes: Y.encodeStateAsUpdate(doc) }, readAppeal(doc, id), Date.now(), POLICY));
  doc.destroy();
  return id;
}

/** The update a client would send for `op` on fixture `id`, and the verdict the core rules give. */
async function prepare(op: Exclude<Op, 'read'>, role: Role, relation: Relation): Promise<{ docId: string; update: Uint8Array; allowed: boolean }> {
  const { user } = users[role];
  const village = villages[relation];
  if (op === 'create') {
    const inScope = regionInScope(user.scope, village);
    const doc = new Y.Doc();
    writeNewAppeal(doc, input(village), { id: user.id, role: user.role }, Date.now(), newId());
    // Only a village of this county is an appeal at all; then role and scope decide.
    return { docId: newId(), update: Y.encodeStateAsUpdate(doc), allowed: relation !== 'other county' && inScope && RECORDING_ROLES.includes(role) };
  }
  const action = (ACTIONS as readonly string[]).includes(op) ? (op as Action) : 'commented';
  // Fields belong to whoever recorded the appeal: here the grid worker, for every village.
  // Mediation takes disputes only: its steps are tried on one.
  const id = await fixture(village, history(action), op === 'edit fields' ? users.grid_worker.user.id : RECORDER, action.startsWith('mediation') ? 'disputes.neighbour' : undefined);
  const doc = docFromUpdates(await server.store.docParts(id));
  const before = Y.encodeStateVector(doc);
  const state = fold(eventsOf(doc).toArray(), id);
  // Regions, and for a department only what is assigned to it.
  const inScope = appealInScope(user, { villageCode: village, dept: state.dept });
  let allowed = false;
  if (op === 'edit fields') {
    fieldsOf(doc).set('urgency', 'red');
    allowed = inScope && user.id === users.grid_worker.user.id;
  } else if (op === 'edit text') {
    textOf(doc).insert(0, '补充：');
    allowed = inScope;
  } else if (op === 'delete event') {
    eventsOf(doc).delete(0, 1);
  } else if (op === 'forge actor') {
    // A comment in someone else's name (the town official's, or the grid worker's for them).
    const other = role === 'town_official' ? users.grid_worker.user : users.town_official.user;
    appendEvent(doc, { type: 'commented', note: '代他人发言', id: newId(), actor: other.id, role: other.role, at: Date.now() } as AppealEvent);
  } else if (op === 'overwrite event') {
    const first = eventsOf(doc).get(0) as AppealEvent;
    doc.transact(() => {
      eventsOf(doc).delete(0, 1);
      eventsOf(doc).insert(0, [{ ...first, at: first.at + 1 }]);
    });
  } else {
    const event = { ...attempt(action), ...(action === 'quality_reviewed' && { reply: state.lastReplyId! }), id: newId(), actor: user.id, role: user.role, at: Date.now(), basis: state.lastAppliedId! } as AppealEvent;
    appendEvent(doc, event);
    const events = eventsOf(doc).toArray();
    allowed = inScope && checkNewEvents(events, (i) => i === events.length - 1, id, () => user, appealContext(fieldsOf(doc).toJSON()), POLICY) === null;
  }
  const update = Y.encodeStateAsUpdate(doc, before);
  doc.destroy();
  return { docId: id, update, allowed };
}

/** A raw protocol client: hello, catch-up, then pushes with their acks. */
async function connect(token: string) {
  const ws = new WebSocket(server.url.replace('http', 'ws') + '/sync');
  ws.binaryType = 'arraybuffer';
  const inbox: ServerMessage[] = [];
  let wake: (() => void) | null = null;
  ws.on('message', (d: ArrayBuffer) => {
    inbox.push(decodeServerFrame(new Uint8Array(d)));
    wake?.();
  });
  await new Promise((r) => ws.on('open', r));
  const next = async (): Promise<ServerMessage> => {
    while (inbox.length === 0) await new Promise<void>((r) => (wake = r));
    return inbox.shift()!;
  };
  const send = (m: ClientMessage) => ws.send(encodeFrame(m));
  send({ t: 'hello', token, deviceId: newId(), cursor: 0 });
  const seen = new Set<string>();
  for (;;) {
    const m = await next();
    if (m.t === 'changes') {
      m.items.forEach((i) => seen.add(i.docId));
      if (!m.more) break;
    } else if (m.t === 'error') throw new Error(m.message);
  }
  return { ws, seen, next, send };
}

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  for (const role of TESTED) users[role] = await login(server, USERNAMES[role]!);
  const own = users.grid_worker.user.scope.regions[0]!;
  const town = own.slice(0, 9);
  const all = (await server.store.regionsUnder(['371324'])).filter((r) => r.level === 'village').map((r) => r.code);
  villages = {
    'own village': own,
    'other village, same town': all.find((c) => c.startsWith(town) && c !== own)!,
    'other town': all.find((c) => !c.startsWith(town))!,
    'other county': '511781100201',
  };
});
afterAll(() => server?.close());

describe('permission matrix through the real server', () => {
  it('allows exactly what src/core allows, for every role, scope relation and operation', async () => {
    const readable = Object.fromEntries(await Promise.all(RELATIONS.filter((r) => r !== 'other county').map(async (r) => [r, await fixture(villages[r], [])]))) as Record<Relation, string>;
    type Case = { role: Role; relation: Relation; op: Op; allowed: boolean; docId?: string; update?: Uint8Array };
    const cases: Case[] = [];
    for (const role of TESTED) {
      for (const relation of RELATIONS) {
        for (const op of OPS) {
          // Another county's appeal cannot exist in this county's store: only creating one can be tried.
          if (relation === 'other county' && op !== 'create') continue;
          if (op === 'read') cases.push({ role, relation, op, allowed: appealInScope(users[role].user, { villageCode: villages[relation], dept: null }) });
          else cases.push({ role, relation, op, ...(await prepare(op, role, relation)) });
        }
      }
    }

    const mismatches: string[] = [];
    let allowed = 0;
    for (const role of TESTED) {
      const client = await connect(users[role].token);
      const mine = cases.filter((c) => c.role === role);
      for (const c of mine.filter((c) => c.op === 'read')) {
        const got = client.seen.has(readable[c.relation]);
        if (got !== c.allowed) mismatches.push(`${role} ${c.relation} read: got ${got}`);
        if (got) allowed++;
      }
      const pushes = mine.filter((c) => c.op !== 'read');
      const stored = await server.store.updateCount();
      client.send({ t: 'push', batch: 1, items: pushes.map((c, i) => ({ docId: c.docId!, seq: i + 1, update: c.update! })) });
      let ack: ServerMessage;
      do ack = await client.next();
      while (ack.t !== 'ack');
      const accepted = new Set(ack.accepted);
      pushes.forEach((c, i) => {
        const got = accepted.has(i + 1);
        if (got !== c.allowed) mismatches.push(`${role} ${c.relation} ${c.op}: got ${got ? 'allowed' : 'refused'} (${ack.t === 'ack' ? ack.rejected.find((r) => r.seq === i + 1)?.reason : ''})`);
        if (got) allowed++;
      });
      // Refused attempts store nothing: exactly one update row per accepted push.
      expect(await server.store.updateCount() - stored).toBe(accepted.size);
      client.ws.close();
    }
    console.log(`matrix: ${cases.length} cases, ${cases.length - allowed} refused, ${allowed} allowed`);
    expect(mismatches).toEqual([]);
  }, 120_000);
});
