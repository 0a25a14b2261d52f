import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/app';
import { appendEvent } from '../../src/core/doc';
import type { AppealEvent } from '../../src/core/events';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { inQueue } from '../../src/core/queues';
import { act, recordAppeal } from '../../src/store/appeals';
import { applyLocalChange } from '../../src/store/docs';
import { seen, stateOn, step } from '../helpers/appeal-steps';
import { device, login, type Device } from '../helpers/clients';
import { startTestServer } from '../helpers/server';

// 全流程质检 over the real hub: the town answers with boilerplate; the county's quality
// reviewer finds it in their queue, sends it back; the town answers properly and the reviewer
// passes it. The server keeps the verdict in its rows and the ranking counts it. Nobody else
// may judge a reply, and a verdict on a reply already replaced is refused.

let server: RunningServer;
let grid: Device, town: Device, reviewer: Device;

beforeAll(async () => {
  server = await startTestServer({ MINSHENG_SCAN_INTERVAL_MS: '0' });
  [grid, town, reviewer] = (await Promise.all(['grid', 'town', 'reviewer'].map(async (name) => device(server, await login(server, name))))) as [Device, Device, Device];
  for (const d of [grid, town, reviewer]) d.engine.start();
});

afterAll(async () => {
  for (const d of [grid, town, reviewer]) d?.close();
  await server?.close();
});

describe('a reply reviewed, sent back, answered again and passed', () => {
  let id: string;
  let firstReply: string;

  it('the boilerplate reply lands in the reviewer’s queue, flagged', async () => {
    const village = grid.session.user.scope.regions[0]!;
    const r = await recordAppeal(grid.db, { channel: 'grid_patrol', category: 'infra.roads', kind: 'complaint', urgency: 'yellow', villageCode: village, description: '村西桥护栏断了，孩子上学危险。', citizen: { anonymous: true } }, { ...grid.who, name: grid.session.user.displayName });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    id = r.value.id;
    await grid.settled();
    await seen(town, id, (s) => s.status === 'new', 'the new appeal');
    await step(town, id, { type: 'assigned', to: 'town', from: 'town' });
    await step(town, id, { type: 'replied', note: '我镇对此高度重视，已积极协调有关部门，将尽快解决，请耐心等待。', via: 'grid_patrol' });
    await seen(reviewer, id, (s) => s.status === 'replied', 'the reply');
    const row = (await reviewer.db.appeals.get(id))!;
    expect(row.qualityFlags).toEqual(['boilerplate', 'no_action']);
    expect(inQueue('quality', row, reviewer.session.user, Date.now())).toBe(true);
    firstReply = (await stateOn(reviewer, id))!.lastReplyId!;
  });

  it('a town official may not judge it; the server refuses and keeps the reason on their phone', async () => {
    await applyLocalChange(town.db, id, (doc) => {
      const events = doc.getArray('events').toArray();
      const u = town.session.user;
      appendEvent(doc, { type: 'quality_reviewed', verdict: 'passed', reply: firstReply, id: newId(), actor: u.id, role: u.role, at: Date.now(), basis: fold(events, id).lastAppliedId! } as AppealEvent);
    });
    town.engine.kick();
    await town.settled();
    expect(await town.db.quarantine.toArray()).toEqual([expect.objectContaining({ docId: id, reason: 'forbidden', detail: 'quality_reviewed: role_not_allowed' })]);
    await town.db.quarantine.clear();
  });

  it('sent back: the town has it in progress again, and the server row says so', async () => {
    await step(reviewer, id, { type: 'quality_reviewed', verdict: 'redo', reply: firstReply, note: '请写明护栏何时修好、由谁修', rules: ['boilerplate', 'no_action'] });
    await seen(town, id, (s) => s.status === 'in_progress' && s.quality === 'redo', 'the redo');
    const row = (await server.store.appealRows()).find((r) => r.id === id)!;
    expect(row).toMatchObject({ status: 'in_progress', quality: 'redo', redoCount: 1, replyId: firstReply, qualityFlags: ['boilerplate', 'no_action'] });
    expect(row.dueAt).not.toBeNull();
  });

  it('answered again and passed; a late verdict on the first reply is refused as stale', async () => {
    await step(town, id, { type: 'replied', note: '镇交通办已于11月30日更换护栏12米，并加装警示牌。', via: 'grid_patrol' });
    await seen(reviewer, id, (s) => s.status === 'replied' && s.redoCount === 1, 'the second reply');
    const row = (await reviewer.db.appeals.get(id))!;
    // Redone replies are always checked again, flagged or not.
    expect(row.qualityFlags).toEqual([]);
    expect(inQueue('quality', row, reviewer.session.user, Date.now())).toBe(true);
    const second = (await stateOn(reviewer, id))!.lastReplyId!;
    expect(second).not.toBe(firstReply);
    expect(await act(reviewer.db, id, reviewer.session.user, { type: 'quality_reviewed', verdict: 'redo', reply: firstReply, note: '旧答复' })).toEqual({ ok: false, reason: 'stale_reply' });
    await step(reviewer, id, { type: 'quality_reviewed', verdict: 'passed', reply: second });
    await seen(town, id, (s) => s.quality === 'passed', 'the pass');
    expect((await server.store.appealRows()).find((r) => r.id === id)).toMatchObject({ status: 'replied', quality: 'passed', redoCount: 1, qualityFlags: [] });
    expect(inQueue('quality', (await reviewer.db.appeals.get(id))!, reviewer.session.user, Date.now())).toBe(false);
  });

  it('the ranking counts it reviewed and not passed at the first attempt', async () => {
    const res = await fetch(`${server.url}/api/reports/ranking?by=town&period=week`, { headers: { authorization: `Bearer ${reviewer.session.token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { units: { unit: string; qualityReviewed: number; qualityPassRate: number | null; visitRate: number | null }[] };
    const town = body.units.find((u) => u.qualityReviewed > 0)!;
    expect(town).toMatchObject({ qualityReviewed: 1, qualityPassRate: 0, visitRate: 0 });
  });
});
