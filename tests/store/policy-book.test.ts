import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { POLICY_PRESETS, type DeadlinePolicy } from '../../src/core/deadline';
import { openDb, type MinshengDB } from '../../src/store/db';
import { getMeta } from '../../src/store/meta';
import { adoptPolicy, currentPolicy, loadPolicy } from '../../src/store/policy';
import { deadlinePolicy } from '../../src/store/queries';

// A city device keeps the counties' own deadline policies as it keeps the default: from the
// welcome, in meta, across restarts; the login answer (the default alone) leaves them be.

const city = (p: DeadlinePolicy): DeadlinePolicy => ({ ...p, topTier: 'city' });
const LINYI = city(POLICY_PRESETS.linyi);
const LANLING = city(POLICY_PRESETS.lanling);
const LANLING_VILLAGE = '371324101201';
const LANSHAN_VILLAGE = '371302001001';

const opened: MinshengDB[] = [];
function open(name: string): MinshengDB {
  const db = openDb(name);
  opened.push(db);
  return db;
}
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

describe('the counties’ policies on a device', () => {
  it('answers each village with its county’s policy, and the default elsewhere', async () => {
    const db = open(`book-${Math.random()}`);
    await adoptPolicy(db, LINYI, { '371324': LANLING });
    expect(currentPolicy(db, LANLING_VILLAGE)).toEqual(LANLING);
    expect(currentPolicy(db, LANSHAN_VILLAGE)).toEqual(LINYI);
    expect(currentPolicy(db)).toEqual(LINYI);
    expect(deadlinePolicy(db, LANLING_VILLAGE).name).toBe('lanling');
    expect(deadlinePolicy(db).name).toBe('linyi');
  });

  it('keeps them across a restart, and through a login that carries the default alone', async () => {
    const name = `book-${Math.random()}`;
    const first = open(name);
    await adoptPolicy(first, LINYI, { '371324': LANLING });
    first.close();
    const next = open(name);
    expect(await loadPolicy(next)).toEqual(LINYI);
    expect(currentPolicy(next, LANLING_VILLAGE)).toEqual(LANLING);
    const projectedWith = await getMeta(next, 'projectedWith');
    await adoptPolicy(next, JSON.parse(JSON.stringify(LINYI)) as DeadlinePolicy);
    expect(currentPolicy(next, LANLING_VILLAGE)).toEqual(LANLING);
    // Nothing changed, so nothing was re-derived.
    expect(await getMeta(next, 'projectedWith')).toBe(projectedWith);
  });

  it('drops them when a welcome names none, re-deriving the rows', async () => {
    const db = open(`book-${Math.random()}`);
    await adoptPolicy(db, LINYI, { '371324': LANLING });
    const withCounties = await getMeta(db, 'projectedWith');
    await adoptPolicy(db, LINYI, {});
    expect(currentPolicy(db, LANLING_VILLAGE)).toEqual(LINYI);
    expect(await getMeta(db, 'projectedWith')).not.toBe(withCounties);
    expect(await getMeta(db, 'countyPolicies')).toEqual({});
  });

  it('keeps a county device’s fingerprint as it was, so upgrading re-derives nothing', async () => {
    const a = open(`book-${Math.random()}`);
    await adoptPolicy(a, POLICY_PRESETS.lanling);
    const b = open(`book-${Math.random()}`);
    await adoptPolicy(b, POLICY_PRESETS.lanling, { '371324': POLICY_PRESETS.wanyuan });
    // The version, then the policy with its keys sorted: the format devices had before books.
    const sorted = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1))) : x));
    expect(String(await getMeta(a, 'projectedWith')).replace(/^\d+:/, '')).toBe(sorted(POLICY_PRESETS.lanling));
    expect(await getMeta(b, 'projectedWith')).not.toBe(await getMeta(a, 'projectedWith'));
    expect(String(await getMeta(b, 'projectedWith')).startsWith(String(await getMeta(a, 'projectedWith')))).toBe(true);
  });

  it('ignores counties whose top tier is not the default’s (a deployment that changed), until the next welcome', async () => {
    const db = open(`book-${Math.random()}`);
    await adoptPolicy(db, POLICY_PRESETS.lanling, { '371324': LANLING });
    expect(currentPolicy(db, LANLING_VILLAGE)).toEqual(POLICY_PRESETS.lanling);
  });
});
