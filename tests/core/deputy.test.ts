import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { checkUpdate, type CheckContext } from '../../src/core/accept';
import { validateAppealInput, validateStoredFields, CHANNELS, type AppealInput } from '../../src/core/appeal';
import { POLICY_PRESETS } from '../../src/core/deadline';
import { COLUMN_KIND, COLUMNS, deputyChannelDenial, deputyTitleKey, MAX_SUPPORTS, supportIdsIn } from '../../src/core/deputy';
import { deputyTallies, postOverdue } from '../../src/core/deputy-report';
import { writeNewAppeal, type Actor } from '../../src/core/doc';
import { fold } from '../../src/core/fold';
import { holds, holdsDoc, type HoldingRow } from '../../src/core/holdings';
import { newId } from '../../src/core/id';
import { recordingDesk } from '../../src/core/intake-desk';
import { phoneNav } from '../../src/core/nav';
import { project } from '../../src/core/projection';
import { ROLE_QUEUES } from '../../src/core/queues';
import { appealInScope, ROLES, type SessionUser } from '../../src/core/roles';
import { gridWorker, knownVillage, VILLAGE } from './fixtures';

// Deputies' columns (issue 29, item 3): a post is an appeal on the `deputy` channel with a
// column, linked appeals and a shown name; only deputies post there and they post nowhere else;
// a deputy follows their own posts only; the report counts posts per department.

const deputy: SessionUser = { id: newId(), username: 'deputy', displayName: '县人大代表 王秀兰', role: 'deputy', scope: { regions: ['371324'], departments: [] } };
const otherDeputy: SessionUser = { ...deputy, id: newId(), username: 'deputy2' };

function post(over: Partial<AppealInput> = {}): AppealInput {
  return { channel: 'deputy', column: 'proposal', kind: 'suggestion', category: 'infra.roads', urgency: 'yellow', villageCode: VILLAGE, description: '建议修缮村道', citizen: { anonymous: true }, gps: null, ...over };
}

const ctx = (user: SessionUser): CheckContext => ({ user, knownVillage, policy: POLICY_PRESETS.lanling });

function pushNew(by: SessionUser, input: AppealInput, desk = recordingDesk(by.role)) {
  const id = newId();
  const doc = new Y.Doc();
  writeNewAppeal(doc, input, { id: by.id, role: by.role, ...(desk && { desk }) } as Actor, 1_700_000_000_000, newId());
  return { id, check: checkUpdate(id, null, Y.encodeStateAsUpdate(doc), ctx(by)), doc };
}

describe('a post’s fields', () => {
  it('accepts a post in each column with the kind its column sets, and keeps column, links and shown name', () => {
    const links = [newId(), newId()];
    for (const column of COLUMNS) {
      const r = validateAppealInput(post({ column, kind: COLUMN_KIND[column], supports: links, shownAs: '王代表' }), knownVillage);
      expect(r.ok, column).toBe(true);
      if (r.ok) expect(r.value).toMatchObject({ channel: 'deputy', column, supports: links, shownAs: '王代表' });
    }
  });

  it('refuses a post without a column, with a kind its column does not set, or naming a citizen', () => {
    const { column: _c, ...noColumn } = post();
    expect(validateAppealInput(noColumn, knownVillage)).toMatchObject({ ok: false, errors: { column: 'required' } });
    expect(validateAppealInput(post({ column: 'gossip' as never }), knownVillage)).toMatchObject({ ok: false, errors: { column: 'invalid_choice' } });
    expect(validateAppealInput(post({ column: 'criticism', kind: 'suggestion' }), knownVillage)).toMatchObject({ ok: false, errors: { kind: 'kind_follows_column' } });
    expect(validateAppealInput(post({ citizen: { anonymous: false, name: '张三', phone: '13812345678' } }), knownVillage)).toMatchObject({ ok: false, errors: { citizenName: 'personal_data_in_document' } });
    const stored = { ...post(), citizen: { anonymous: false }, createdBy: deputy.id, createdAt: 1 };
    expect(validateStoredFields(stored, 'x', knownVillage)).toMatchObject({ ok: false, errors: { citizenName: 'personal_data_in_document' } });
  });

  it('refuses the deputy fields on any other channel', () => {
    const base = { ...post(), channel: 'grid_patrol' as const, kind: 'suggestion' as const };
    expect(validateAppealInput({ ...base, column: 'proposal' }, knownVillage)).toMatchObject({ ok: false, errors: { column: 'needs_deputy_channel' } });
    expect(validateAppealInput({ ...base, column: undefined, supports: [newId()] }, knownVillage)).toMatchObject({ ok: false, errors: { supports: 'needs_deputy_channel' } });
    expect(validateAppealInput({ ...base, column: undefined, shownAs: '王' }, knownVillage)).toMatchObject({ ok: false, errors: { shownAs: 'needs_deputy_channel' } });
  });

  it('takes only a short list of distinct appeal ids as links, and no phone number as a shown name', () => {
    expect(validateAppealInput(post({ supports: ['not-an-id'] }), knownVillage)).toMatchObject({ ok: false, errors: { supports: 'invalid_links' } });
    const id = newId();
    expect(validateAppealInput(post({ supports: [id, id] }), knownVillage)).toMatchObject({ ok: false, errors: { supports: 'invalid_links' } });
    expect(validateAppealInput(post({ supports: [] }), knownVillage)).toMatchObject({ ok: false, errors: { supports: 'invalid_links' } });
    expect(validateAppealInput(post({ supports: Array.from({ length: MAX_SUPPORTS + 1 }, () => newId()) }), knownVillage)).toMatchObject({ ok: false, errors: { supports: 'too_many_links' } });
    expect(validateAppealInput(post({ supports: Array.from({ length: MAX_SUPPORTS }, () => newId()) }), knownVillage).ok).toBe(true);
    expect(validateAppealInput(post({ shownAs: '138 1234 5678' }), knownVillage)).toMatchObject({ ok: false, errors: { shownAs: 'personal_data_in_document' } });
    expect(validateAppealInput(post({ shownAs: 'x'.repeat(21) }), knownVillage)).toMatchObject({ ok: false, errors: { shownAs: 'too_long' } });
  });

  it('finds the appeal ids in whatever a deputy pastes: ids and board links, each once', () => {
    const a = newId();
    const b = newId();
    expect(supportIdsIn(`${a}\nhttps://x.example/p/board/${b.toUpperCase()}?lang=en ${a} 123`)).toEqual([a, b]);
    fc.assert(fc.property(fc.string(), (s) => supportIdsIn(s).every((id) => validateAppealInput(post({ supports: [id] }), knownVillage).ok)));
  });
});

describe('who posts in the columns', () => {
  it('only a deputy, and a deputy only there: for every role and channel', () => {
    for (const role of ROLES) for (const channel of CHANNELS) expect(deputyChannelDenial(role, channel) === null, `${role} ${channel}`).toBe((role === 'deputy') === (channel === 'deputy'));
  });

  it('the server accepts a deputy’s new post, which waits at the county platform', () => {
    const { check } = pushNew(deputy, post());
    expect(check.ok, check.ok ? '' : check.detail).toBe(true);
    if (check.ok) expect(fold(check.snapshot.events, check.snapshot.id)).toMatchObject({ status: 'new', tier: 'county' });
  });

  it('the server refuses a deputy’s appeal on another channel, and a grid worker’s post in the columns', () => {
    const asAppeal = pushNew(deputy, { ...post(), channel: 'grid_patrol', column: undefined, kind: 'help' } as AppealInput).check;
    expect(asAppeal.ok ? 'ok' : `${asAppeal.reason} ${asAppeal.detail}`).toBe('forbidden recorded: role_not_allowed');
    const byGrid = pushNew(gridWorker, post()).check;
    expect(byGrid.ok ? 'ok' : `${byGrid.reason} ${byGrid.detail}`).toBe('forbidden recorded: role_not_allowed');
  });
});

describe('what a deputy follows', () => {
  const row = (createdBy: string): HoldingRow => ({ status: 'assigned', tier: 'county', reached: 'county', supervisionLevel: 0, unreasonable: null, createdBy, changedAt: 0 });

  it('holds and sees their own posts only, never another’s or a citizen’s appeal in their area', () => {
    expect(holds(deputy, row(deputy.id), 0)).toBe(true);
    expect(holds(deputy, row(otherDeputy.id), 0)).toBe(false);
    expect(holds(deputy, { ...row(deputy.id), createdBy: undefined }, 0)).toBe(false);
    // Meetings and patrols (no holding row) are the village's, not a deputy's.
    expect(holdsDoc(deputy, null, 0)).toBe(false);
    expect(appealInScope(deputy, { villageCode: VILLAGE, dept: null, createdBy: deputy.id })).toBe(true);
    expect(appealInScope(deputy, { villageCode: VILLAGE, dept: null, createdBy: gridWorker.id })).toBe(false);
    expect(appealInScope(deputy, { villageCode: VILLAGE, dept: null })).toBe(false);
    expect(appealInScope(deputy, { villageCode: '371325000000', dept: null, createdBy: deputy.id })).toBe(false);
  });

  it('opens on their own posts, with 新建 for a post and no meetings', () => {
    expect(ROLE_QUEUES.deputy).toEqual(['mine']);
    const nav = phoneNav('deputy');
    expect(nav.tabs).toContain('new');
    expect([...nav.tabs, ...nav.more]).not.toContain('meetings');
    expect([...nav.tabs, ...nav.more]).not.toContain('reports');
  });

  it('names the public title from the body and the deputy’s level', () => {
    expect(deputyTitleKey('npc', 'county')).toBe('deputy.title.npc.county');
    expect(deputyTitleKey('npc', 'town')).toBe('deputy.title.npc.town');
    expect(deputyTitleKey('cppcc', 'town')).toBe('deputy.title.cppcc.county');
    expect(deputyTitleKey('cppcc', 'city')).toBe('deputy.title.cppcc.city');
    expect(deputyTitleKey(null, 'county')).toBe('deputy.title.any');
  });
});

describe('the report per department', () => {
  const NOW = 1_700_000_000_000;
  type Row = Parameters<typeof deputyTallies>[0][number];
  const r = (over: Partial<Row>): Row => ({ channel: 'deputy', dept: 'water', repliedAt: null, onTime: null, dueAt: null, status: 'assigned', ...over });

  it('counts received, answered, on time and overdue per department, posts only', () => {
    const rows = [
      r({ repliedAt: NOW - 5, onTime: true, status: 'replied' }),
      r({ repliedAt: NOW - 5, onTime: false, status: 'replied' }),
      r({ dueAt: NOW - 1 }),
      r({ dueAt: NOW + 1 }),
      r({ dept: null, status: 'new', dueAt: NOW - 1 }),
      r({ channel: 'grid_patrol', dueAt: NOW - 1 }),
    ];
    expect(deputyTallies(rows, NOW)).toEqual([
      { dept: 'water', received: 4, answered: 2, onTime: 1, overdue: 2 },
      { dept: '', received: 1, answered: 0, onTime: 0, overdue: 1 },
    ]);
  });

  it('holds for any rows: answered ≤ received, on time + answered late = answered, overdue ≤ received', () => {
    const row = fc.record({
      channel: fc.constantFrom('deputy' as const, 'walk_in' as const),
      dept: fc.constantFrom('water', 'transport', null),
      repliedAt: fc.option(fc.integer({ min: 0, max: 2 * NOW }), { nil: null }),
      onTime: fc.option(fc.boolean(), { nil: null }),
      dueAt: fc.option(fc.integer({ min: 0, max: 2 * NOW }), { nil: null }),
      status: fc.constantFrom('new' as const, 'assigned' as const, 'replied' as const, 'closed' as const),
    }).map((x) => ({ ...x, onTime: x.repliedAt === null ? null : (x.onTime ?? true) }));
    fc.assert(fc.property(fc.array(row, { maxLength: 40 }), (rows) => {
      const tallies = deputyTallies(rows, NOW);
      expect(tallies.reduce((n, t) => n + t.received, 0)).toBe(rows.filter((x) => x.channel === 'deputy').length);
      for (const t of tallies) {
        expect(t.answered).toBeLessThanOrEqual(t.received);
        expect(t.onTime).toBeLessThanOrEqual(t.answered);
        expect(t.overdue).toBeLessThanOrEqual(t.received);
      }
      for (const x of rows) if (x.repliedAt !== null) expect(postOverdue(x, NOW)).toBe(x.onTime === false);
    }));
  });

  it('a post answered through its own channel projects like any appeal', () => {
    const { check } = pushNew(deputy, post());
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    const p = project(check.snapshot, POLICY_PRESETS.lanling);
    expect(p).toMatchObject({ channel: 'deputy', kind: 'suggestion', tier: 'county', createdBy: deputy.id, anonymous: true });
  });
});
