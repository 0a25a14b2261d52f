import { describe, expect, it } from 'vitest';
import type { UnitMetrics } from '../../src/core/metrics';
import { NAV_ITEMS, navItemsFor, phoneNav } from '../../src/core/nav';
import { hotSpots, scopeFigures, tallyTotals, type PlaceTally } from '../../src/core/overview';
import { ROLES } from '../../src/core/roles';

const place = (code: string, open: number, overdue: number): PlaceTally => ({ code, total: open + 1, open, overdue, red: 0, orange: 0, yellow: open });
const unit = (over: Partial<UnitMetrics>): UnitMetrics => ({ unit: 'u', received: 0, answered: 0, onTimeRate: null, handlingDays: null, rated: 0, satisfactionRate: null, repeatRate: null, reopenRate: null, returns: 0, reassigns: 0, dispatchMinutes: null, visitRate: null, qualityReviewed: 0, qualityPassRate: null, ...over });

describe('leader home figures', () => {
  it('ranks hot spots by overdue, then open, and leaves out places with nothing open', () => {
    const spots = hotSpots([place('a', 9, 0), place('b', 2, 2), place('c', 0, 0), place('d', 5, 2), place('e', 1, 0)], 3);
    expect(spots.map((s) => s.code)).toEqual(['d', 'b', 'a']);
    expect(hotSpots([place('c', 0, 0)], 5)).toEqual([]);
  });

  it('adds the open and overdue counts', () => {
    expect(tallyTotals([place('a', 3, 1), place('b', 4, 2)])).toEqual({ open: 7, overdue: 3 });
    expect(tallyTotals([])).toEqual({ open: 0, overdue: 0 });
  });

  it('weights each unit’s satisfaction by its rated count and dispatch time by its intake', () => {
    const figures = scopeFigures([
      unit({ received: 10, answered: 8, rated: 4, satisfactionRate: 1, dispatchMinutes: 2 }),
      unit({ received: 30, answered: 20, rated: 12, satisfactionRate: 0.5, dispatchMinutes: 6 }),
      unit({ received: 5, answered: 0 }),
    ]);
    expect(figures).toMatchObject({ received: 45, answered: 28, rated: 16 });
    // (4·1 + 12·0.5) / 16, not the plain mean of 1 and 0.5.
    expect(figures.satisfactionRate).toBeCloseTo(10 / 16);
    expect(figures.dispatchMinutes).toBeCloseTo((10 * 2 + 30 * 6) / 40);
  });

  it('has no rate where nothing was rated or dispatched', () => {
    expect(scopeFigures([unit({ received: 3 })])).toEqual({ received: 3, answered: 0, rated: 0, satisfactionRate: null, dispatchMinutes: null });
  });
});

describe('navigation per role', () => {
  it('puts every place a role may open in its tab bar or its 更多 sheet, once, with at most four tabs', () => {
    for (const role of ROLES) {
      const { tabs, more } = phoneNav(role);
      expect(tabs.length, role).toBeLessThanOrEqual(4);
      expect([...tabs, ...more].sort(), role).toEqual(navItemsFor(role).sort());
    }
  });

  it('keeps each role’s daily work under the thumb', () => {
    expect(phoneNav('grid_worker').tabs).toEqual(['new', 'list', 'meetings', 'map']);
    expect(phoneNav('leader').tabs[0]).toBe('home');
    expect(phoneNav('dept_handler')).toEqual({ tabs: ['list', 'map', 'reports', 'civic'], more: ['info'] });
    expect(navItemsFor('grid_worker')).not.toContain('reports');
    expect(navItemsFor('admin')).toContain('admin');
    expect(NAV_ITEMS.filter((i) => ROLES.some((r) => navItemsFor(r).includes(i)))).toEqual([...NAV_ITEMS]);
  });
});
