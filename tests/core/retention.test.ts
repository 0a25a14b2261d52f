import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { parsePolicy, POLICY_PRESETS } from '../../src/core/deadline';
import { isOpen, STATUSES } from '../../src/core/fold';
import { choosePurge, DAY_MS, DEFAULT_RETENTION_DAYS, expired, filesToDelete, mentionedHashes, parseRetention, retentionDays, type RetentionRow } from '../../src/core/retention';
import { ROLES } from '../../src/core/roles';

// Bounded device storage: what a phone lets go of. The promises: nothing open and nothing
// unsynced is ever chosen; choosing again on what remains chooses nothing; a file still named
// anywhere is never deleted, and the scan that finds names misses none.

const NOW = Date.UTC(2026, 10, 30, 2);
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);

const rowArb = fc.record({
  id: fc.uuid(),
  status: fc.constantFrom(...STATUSES),
  updatedAt: fc.integer({ min: NOW - 400 * DAY_MS, max: NOW }),
});

describe('choosePurge', () => {
  it('never chooses an open appeal, an unsynced one, or one changed within the window', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 60 }), fc.integer({ min: 7, max: 400 }), fc.func(fc.boolean()), (rows, days, unsynced) => {
        const keep = new Set(rows.filter((r) => unsynced(r.id)).map((r) => r.id));
        const chosen = new Set(choosePurge(rows, keep, NOW, days));
        for (const r of rows) {
          if (isOpen(r.status) || keep.has(r.id) || r.updatedAt >= NOW - days * DAY_MS) expect(chosen.has(r.id)).toBe(false);
          else expect(chosen.has(r.id)).toBe(true);
        }
      }),
    );
  });

  it('is idempotent: what remains after a purge has nothing more to purge', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 60 }), fc.integer({ min: 7, max: 400 }), fc.array(fc.uuid()), (rows, days, keepIds) => {
        const keep = new Set(keepIds);
        const chosen = new Set(choosePurge(rows, keep, NOW, days));
        const rest = rows.filter((r) => !chosen.has(r.id));
        expect(choosePurge(rest, keep, NOW, days)).toEqual([]);
      }),
    );
  });

  it('counts the window from the last change: closed 91 days ago goes, 89 stays (grid worker, 90)', () => {
    const rows: RetentionRow[] = [
      { id: 'a', status: 'closed', updatedAt: NOW - 91 * DAY_MS },
      { id: 'b', status: 'closed', updatedAt: NOW - 89 * DAY_MS },
      { id: 'c', status: 'merged', updatedAt: NOW - 200 * DAY_MS },
      { id: 'd', status: 'visited', updatedAt: NOW - 300 * DAY_MS },
    ];
    expect(choosePurge(rows, new Set(), NOW, 90)).toEqual(['a', 'c']);
    expect(expired({ status: 'replied', updatedAt: 0 }, NOW, 90)).toBe(false);
  });
});

describe('retention configuration', () => {
  it('defaults: 90 days for village roles, longer for town and departments, none for bounded desks', () => {
    expect(retentionDays('grid_worker', undefined)).toBe(90);
    expect(retentionDays('bench_facilitator', undefined)).toBe(90);
    expect(retentionDays('village_station', undefined)).toBe(90);
    expect(retentionDays('town_official', undefined)).toBe(180);
    expect(retentionDays('dept_handler', undefined)).toBe(180);
    expect(retentionDays('county_dispatcher', undefined)).toBeNull();
    for (const role of ROLES) expect(role in DEFAULT_RETENTION_DAYS).toBe(true);
  });

  it('an override applies to its role only, and never to a bounded desk', () => {
    expect(retentionDays('grid_worker', { grid_worker: 30 })).toBe(30);
    expect(retentionDays('village_station', { grid_worker: 30 })).toBe(90);
    expect(retentionDays('city_dispatcher', { city_dispatcher: 30 })).toBeNull();
  });

  it('validates with the role and the reason named', () => {
    expect(parseRetention({ grid_worker: 60, town_official: 365 })).toEqual({ ok: true, retention: { grid_worker: 60, town_official: 365 } });
    const short = parseRetention({ grid_worker: 3 });
    expect(short.ok === false && short.error).toMatch(/retention\.grid_worker: .*at least 7/);
    const frac = parseRetention({ grid_worker: 30.5 });
    expect(frac.ok === false && frac.error).toMatch(/grid_worker.*whole number/);
    const unknown = parseRetention({ farmer: 30 });
    expect(unknown.ok).toBe(false);
    expect(parseRetention({ town_official: '90' }).ok).toBe(false);
  });

  it('rides in the deadline policy, checked with it', () => {
    expect(parsePolicy({ ...POLICY_PRESETS.wanyuan, retention: { grid_worker: 60 } })).toMatchObject({ ok: true, policy: { retention: { grid_worker: 60 } } });
    const bad = parsePolicy({ ...POLICY_PRESETS.wanyuan, retention: { grid_worker: 0 } });
    expect(bad.ok === false && bad.error).toMatch(/retention\.grid_worker/);
  });
});

describe('mentionedHashes', () => {
  it('finds every hash a document lists, in Yjs V1 and V2 updates, however the strings sit side by side', () => {
    fc.assert(
      fc.property(fc.array(hex64, { minLength: 1, maxLength: 9 }), fc.array(fc.stringMatching(/^[0-9a-f]{0,8}$/), { maxLength: 4 }), (hashes, noise) => {
        const doc = new Y.Doc();
        const fields = doc.getMap('fields');
        fields.set('attachments', hashes.map((hash) => ({ hash, type: 'image/jpeg', size: 1 })));
        // Hex-looking neighbours: V2 packs keys and strings together.
        noise.forEach((n, i) => fields.set(`${n}${i}`, n));
        // Keys sit side by side in V2's string table: a hash used as a key touches its hex neighbours.
        const captions = doc.getMap('captions');
        noise.forEach((n) => captions.set(n, 1));
        hashes.forEach((h) => captions.set(h, 'caption'));
        const text = doc.getText('note');
        text.insert(0, `${noise.join('')}${hashes.join('')}`);
        const events = doc.getArray('events');
        events.push([{ type: 'replied', attachments: [{ hash: hashes[0]!, type: 'image/png', size: 2 }] }]);
        for (const update of [Y.encodeStateAsUpdate(doc), Y.encodeStateAsUpdateV2(doc)]) {
          const found = mentionedHashes(update);
          for (const h of hashes) expect(found.has(h)).toBe(true);
        }
      }),
    );
  });

  it('finds a hash whose only mention touches other hex characters', () => {
    fc.assert(
      fc.property(hex64, fc.stringMatching(/^[0-9a-f]{1,8}$/), fc.stringMatching(/^[0-9a-f]{0,8}$/), (hash, before, after) => {
        const doc = new Y.Doc();
        doc.getText('note').insert(0, `${before}${hash}${after}`);
        for (const update of [Y.encodeStateAsUpdate(doc), Y.encodeStateAsUpdateV2(doc)]) expect(mentionedHashes(update).has(hash)).toBe(true);
      }),
    );
  });

  it('finds nothing in a document without hashes', () => {
    const doc = new Y.Doc();
    doc.getMap('fields').set('title', '道路破损 abcdef0123');
    expect(mentionedHashes(Y.encodeStateAsUpdateV2(doc)).size).toBe(0);
  });
});

describe('filesToDelete', () => {
  it('never deletes a pending, refused or still named file', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ hash: hex64, pending: fc.constantFrom<0 | 1>(0, 1), failed: fc.option(fc.constant('too_large: x'), { nil: undefined }), named: fc.boolean() }), { maxLength: 30 }),
        (files) => {
          const map = new Map(files.map((f) => [f.hash, f]));
          const named = new Set(files.filter((f) => f.named).map((f) => f.hash));
          const out = filesToDelete(files.map((f) => f.hash), map, named);
          for (const h of out) {
            const f = map.get(h)!;
            expect(f.pending).toBe(0);
            expect(f.failed).toBeUndefined();
            expect(named.has(h)).toBe(false);
          }
          // Idempotent: a second sweep over what is left deletes nothing.
          const left = new Map([...map].filter(([h]) => !out.includes(h)));
          expect(filesToDelete(files.map((f) => f.hash), left, named)).toEqual([]);
        },
      ),
    );
  });
});
