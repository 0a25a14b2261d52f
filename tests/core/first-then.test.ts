import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareRows, firstThen, SORTS } from '../../src/core/queues';

// The appeal just recorded goes first in the list; every other row keeps the chosen order.
const row = fc.record({
  id: fc.uuid(),
  dueAt: fc.option(fc.integer({ min: 0, max: 1e12 }), { nil: null }),
  urgency: fc.constantFrom('red', 'orange', 'yellow' as const),
  updatedAt: fc.integer({ min: 0, max: 1e12 }),
  village: fc.constantFrom('371324100001', '371324100002', '371324200003'),
});

describe('the just-saved appeal first', () => {
  it('puts it first and leaves the rest in the sort order, for every sort', () => {
    fc.assert(
      fc.property(fc.uniqueArray(row, { selector: (r) => r.id, minLength: 1, maxLength: 40 }), fc.nat(), fc.constantFrom(...SORTS), (rows, pick, sort) => {
        const first = rows[pick % rows.length]!.id;
        const sorted = [...rows].sort(firstThen(first, compareRows(sort)));
        expect(sorted[0]!.id).toBe(first);
        expect(sorted.slice(1)).toEqual(rows.filter((r) => r.id !== first).sort(compareRows(sort)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('is the sort itself when nothing was just saved, or the appeal is not in the list', () => {
    fc.assert(
      fc.property(fc.uniqueArray(row, { selector: (r) => r.id, maxLength: 40 }), fc.constantFrom(...SORTS), (rows, sort) => {
        expect([...rows].sort(firstThen(null, compareRows(sort)))).toEqual([...rows].sort(compareRows(sort)));
        expect([...rows].sort(firstThen('not-in-the-list', compareRows(sort)))).toEqual([...rows].sort(compareRows(sort)));
      }),
    );
  });
});
