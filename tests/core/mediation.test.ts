import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { POLICY_PRESETS } from '../../src/core/deadline';
import type { AppealEvent } from '../../src/core/events';
import { fold } from '../../src/core/fold';
import { newId } from '../../src/core/id';
import { mediationTallies, mediatorsFor, type MediationRow, type RosterEntry } from '../../src/core/mediation';
import { project } from '../../src/core/projection';
import type { SessionUser } from '../../src/core/roles';
import { authorize, availableActions } from '../../src/core/workflow';
import { VILLAGE, ev } from './fixtures';

// 老苗调解: a dispute sent to a mediator, sessions recorded, then settled (the agreement is the
// reply) or not (back to its handler, the record kept); counts and settle rates per mediator.

const POLICY = POLICY_PRESETS.lanling;
const mediator: SessionUser = { id: newId(), username: 'miao', displayName: '金牌调解员 苗', role: 'mediator', scope: { regions: ['371324102'], departments: [] } };
const as = { id: mediator.id, role: mediator.role } as const;
const send = (to = mediator.id) => ev('mediation_requested', { mediator: to, mediatorName: '金牌调解员 苗' });
const dispute = { villageCode: VILLAGE, kind: 'complaint', urgency: 'yellow', channel: 'grid_patrol', category: 'disputes.neighbour' } as const;
const snapshot = (events: AppealEvent[]) => ({ id: 'a', fields: { villageCode: VILLAGE, kind: 'complaint', urgency: 'yellow', createdAt: 0, category: 'disputes.neighbour' }, description: 'x', events }) as never;

describe('a mediation', () => {
  const start = [ev('recorded'), ev('assigned', { to: 'town', from: 'town' })];

  it('settled: the agreement answers the citizen and the return visit follows', () => {
    const closed = ev('mediation_closed', { settled: true, note: '双方签订协议，院墙本月内重砌' }, as);
    const events = [...start, send(), ev('mediation_session', {}, as), ev('mediation_session', {}, as), closed];
    const s = fold(events);
    expect(s).toMatchObject({ status: 'replied', stage: 'visit', repliedAt: closed.at, lastReplyId: closed.id, mediation: { mediator: mediator.id, sessions: 2, outcome: 'settled' }, conflicts: [] });
    const row = project(snapshot(events), POLICY);
    expect(row).toMatchObject({ mediator: mediator.id, mediationSessions: 2, mediationOutcome: 'settled', repliedAt: closed.at, onTime: true, replyId: closed.id });
    // The reviewers check the agreement like any reply; a visit and a close follow as usual.
    expect(fold([...events, ev('visited'), ev('closed')])).toMatchObject({ status: 'closed', conflicts: [] });
  });

  it('not settled: back in progress with its handler, the record kept; it can be sent again', () => {
    const events = [...start, send(), ev('mediation_session', {}, as), ev('mediation_closed', { settled: false, note: '双方分歧大' }, as)];
    const s = fold(events);
    expect(s).toMatchObject({ status: 'in_progress', tier: 'town', mediation: { sessions: 1, outcome: 'not_settled' }, repliedAt: null });
    expect(project(snapshot(events), POLICY)).toMatchObject({ mediationOutcome: 'not_settled', repliedAt: null, stage: 'handle' });
    const other = newId();
    expect(fold([...events, send(other)])).toMatchObject({ status: 'in_progress', mediation: { mediator: other, sessions: 0, outcome: null }, conflicts: [] });
  });

  it('sent straight from the desk’s waiting list: dispatched, and the handling clock starts', () => {
    const sent = send();
    const s = fold([ev('recorded'), ev('accepted'), sent]);
    expect(s).toMatchObject({ status: 'in_progress', stage: 'handle', stageStartedAt: sent.at, firstAssignedAt: sent.at, leadTier: 'village' });
  });

  it('refuses a second request while one runs, and sessions or outcomes without one', () => {
    expect(fold([...start, send(), send()]).conflicts.map((c) => c.reason)).toEqual(['mediation_open']);
    expect(fold([...start, ev('started'), ev('mediation_session', {}, as)]).conflicts.map((c) => c.reason)).toEqual(['no_mediation']);
    const ended = [...start, send(), ev('mediation_closed', { settled: false, note: '不成' }, as)];
    expect(fold([...ended, ev('mediation_closed', {}, as)]).conflicts.map((c) => c.reason)).toEqual(['no_mediation']);
  });

  it('only disputes go to mediation, and only the mediator sent to records it', () => {
    const town: SessionUser = { id: 'u-town', username: 't', displayName: 't', role: 'town_official', scope: { regions: ['371324102'], departments: [] } };
    const s = fold(start);
    expect(authorize(town, dispute, s, send(), POLICY)).toBeNull();
    expect(authorize(town, { ...dispute, category: 'infra.roads' }, s, send(), POLICY)).toBe('not_dispute');
    expect(availableActions(town, { ...dispute, category: 'infra.roads' }, s, POLICY)).not.toContain('mediation_requested');
    const sent = fold([...start, send()]);
    expect(authorize(mediator, dispute, sent, ev('mediation_session', {}, as), POLICY)).toBeNull();
    const colleague = { ...mediator, id: newId() };
    expect(authorize(colleague, dispute, sent, { ...ev('mediation_session'), actor: colleague.id, role: 'mediator' } as AppealEvent, POLICY)).toBe('not_mediator');
    expect(availableActions(mediator, dispute, sent, POLICY)).toEqual(['commented', 'mediation_session', 'mediation_closed']);
  });
});

describe('the roster and the report', () => {
  it('offers the mediators of the appeal’s area, gold first', () => {
    const roster: RosterEntry[] = [
      { id: 'a', name: '乙', grade: 'excellent', regions: ['371324102'] },
      { id: 'b', name: '甲', grade: null, regions: ['371324102'] },
      { id: 'c', name: '丙', grade: 'gold', regions: ['371324102'] },
      { id: 'd', name: '丁', grade: 'gold', regions: ['371324103'] },
    ];
    expect(mediatorsFor(roster, VILLAGE).map((m) => m.id)).toEqual(['c', 'a', 'b']);
  });

  it('hand-worked: counts and settle rates per mediator and per town', () => {
    const rows: MediationRow[] = [
      { village: '371324102201', mediator: 'm1', mediationSessions: 2, mediationOutcome: 'settled' },
      { village: '371324102202', mediator: 'm1', mediationSessions: 1, mediationOutcome: 'not_settled' },
      { village: '371324102201', mediator: 'm1', mediationSessions: 3, mediationOutcome: 'settled' },
      { village: '371324103201', mediator: 'm2', mediationSessions: 0, mediationOutcome: null },
      { village: '371324103201', mediator: null, mediationSessions: 0, mediationOutcome: null },
    ];
    expect(mediationTallies(rows, 'mediator')).toEqual([
      { key: 'm1', sent: 3, settled: 2, notSettled: 1, open: 0, sessions: 6, settleRate: 2 / 3 },
      { key: 'm2', sent: 1, settled: 0, notSettled: 0, open: 1, sessions: 0, settleRate: null },
    ]);
    expect(mediationTallies(rows, 'town').map((t) => [t.key, t.sent, t.settleRate])).toEqual([['371324102000', 3, 2 / 3], ['371324103000', 1, null]]);
  });

  it('every mediation is counted once, whichever way it is tallied', () => {
    const row = fc.record({
      village: fc.constantFrom('371324102201', '371324103201', '371324104201'),
      mediator: fc.option(fc.constantFrom('m1', 'm2', 'm3'), { nil: null }),
      mediationSessions: fc.nat(5),
      mediationOutcome: fc.constantFrom('settled' as const, 'not_settled' as const, null),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), (rows) => {
        const sent = rows.filter((r) => r.mediator !== null).length;
        for (const by of ['mediator', 'town'] as const) {
          const t = mediationTallies(rows, by);
          expect(t.reduce((n, x) => n + x.sent, 0)).toBe(sent);
          for (const x of t) expect(x.settled + x.notSettled + x.open).toBe(x.sent);
        }
      }),
    );
  });
});
