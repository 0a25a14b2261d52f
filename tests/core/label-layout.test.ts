import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { layoutLabels, overlaps, spreadPins, textWidth, type Box, type LabelItem } from '../../src/core/label-layout';

// Place names on the map never overlap one another or another place's pin, whatever the
// pins; the busiest places get their names first.

const pin = (id: string, x: number, y: number, priority: number, w = 40): LabelItem => ({ id, anchor: { x: x - 14, y: y - 12, w: 28, h: 24 }, w, h: 16, priority });

const item = fc.record({
  x: fc.integer({ min: -50, max: 410 }),
  y: fc.integer({ min: -50, max: 690 }),
  pinW: fc.integer({ min: 0, max: 48 }),
  pinH: fc.integer({ min: 0, max: 32 }),
  w: fc.integer({ min: 0, max: 120 }),
  h: fc.integer({ min: 0, max: 24 }),
  priority: fc.integer({ min: 0, max: 50 }),
});

describe('label layout', () => {
  it('places a lone pin’s name to its right', () => {
    const [spot] = layoutLabels([pin('a', 100, 100, 3)]);
    expect(spot).toEqual({ id: 'a', placement: 'right', box: { x: 116, y: 92, w: 40, h: 16 } });
  });

  it('moves a name to the other side when the right is taken, and leaves it out when all are', () => {
    // b sits just right of a: a's name goes left; c is boxed in by neighbours on all four sides.
    const spots = layoutLabels([pin('a', 100, 100, 5), pin('b', 150, 100, 1)]);
    expect(spots[0]!.placement).toBe('left');
    expect(spots[1]!.placement).toBe('right');
    const around = [pin('n', 200, 170, 9), pin('s', 200, 230, 9), pin('w', 150, 200, 9), pin('e', 250, 200, 9), pin('c', 200, 200, 0)];
    const c = layoutLabels(around).find((s) => s.id === 'c')!;
    expect(c).toEqual({ id: 'c', placement: null, box: null });
  });

  it('gives the place with more appeals its name first', () => {
    // Same spot, two names: only one fits in each position, the busier one takes the first.
    const spots = layoutLabels([pin('quiet', 100, 100, 1), pin('busy', 100, 100, 9)]);
    expect(spots.find((s) => s.id === 'busy')!.placement).not.toBeNull();
    const busy = layoutLabels([pin('busy', 100, 100, 9)])[0]!;
    expect(spots.find((s) => s.id === 'busy')).toEqual(busy);
  });

  it('keeps names inside the view when asked', () => {
    const view: Box = { x: 0, y: 0, w: 360, h: 640 };
    const [spot] = layoutLabels([pin('edge', 340, 100, 1)], { view });
    expect(spot!.placement).toBe('left');
    expect(layoutLabels([pin('out', 500, 100, 1)], { view })[0]!.placement).toBeNull();
  });

  it('never shows two overlapping names, nor a name over another pin, for any pins', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 60 }), fc.boolean(), (raw, bounded) => {
        const items: LabelItem[] = raw.map((r, i) => ({ id: `p${i}`, anchor: { x: r.x, y: r.y, w: r.pinW, h: r.pinH }, w: r.w, h: r.h, priority: r.priority }));
        const view = bounded ? { x: 0, y: 0, w: 360, h: 640 } : undefined;
        const spots = layoutLabels(items, { view });
        expect(spots.map((s) => s.id)).toEqual(items.map((i) => i.id));
        const shown = spots.flatMap((s, i) => (s.box ? [{ box: s.box, i }] : []));
        for (const a of shown) {
          for (const b of shown) if (a.i !== b.i) expect(overlaps(a.box, b.box)).toBe(false);
          items.forEach((other, j) => {
            if (j !== a.i && other.anchor.w > 0 && other.anchor.h > 0) expect(overlaps(a.box, other.anchor)).toBe(false);
          });
          if (view) {
            expect(a.box.x).toBeGreaterThanOrEqual(0);
            expect(a.box.x + a.box.w).toBeLessThanOrEqual(360);
          }
        }
        // Nothing with room is left out: a lone name is always placed.
        if (items.length === 1 && items[0]!.w > 0 && items[0]!.h > 0 && !view) expect(spots[0]!.box).not.toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order the pins come in', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 30 }).chain((raw) => fc.tuple(fc.constant(raw), fc.shuffledSubarray(raw.map((_, i) => i), { minLength: raw.length, maxLength: raw.length }))), ([raw, perm]) => {
        const items: LabelItem[] = raw.map((r, i) => ({ id: `p${i}`, anchor: { x: r.x, y: r.y, w: r.pinW, h: r.pinH }, w: r.w, h: r.h, priority: r.priority }));
        const byId = (spots: ReturnType<typeof layoutLabels>) => new Map(spots.map((s) => [s.id, s.placement]));
        expect(byId(layoutLabels(perm.map((i) => items[i]!)))).toEqual(byId(layoutLabels(items)));
      }),
    );
  });

  it('measures Chinese names a full em per character', () => {
    expect(textWidth('大仲村镇', 12)).toBe(48);
    expect(textWidth('A1', 10)).toBe(12);
  });
});

describe('spreading pins', () => {
  const pinAt = fc.record({ x: fc.integer({ min: 0, max: 360 }), y: fc.integer({ min: 0, max: 640 }), w: fc.integer({ min: 1, max: 48 }), h: fc.integer({ min: 1, max: 32 }), priority: fc.integer({ min: 0, max: 40 }) });

  it('leaves pins with room where they are, the busiest where it is', () => {
    const spots = spreadPins([
      { id: 'a', x: 100, y: 100, w: 40, h: 28, priority: 3 },
      { id: 'b', x: 110, y: 105, w: 40, h: 28, priority: 9 },
      { id: 'c', x: 300, y: 300, w: 40, h: 28, priority: 1 },
    ]);
    expect(spots[1]).toEqual({ id: 'b', x: 110, y: 105, moved: false });
    expect(spots[2]).toEqual({ id: 'c', x: 300, y: 300, moved: false });
    expect(spots[0]!.moved).toBe(true);
    // Moved only as far as needed: onto the first ring.
    expect(Math.abs(spots[0]!.x - 100)).toBeLessThanOrEqual(42);
    expect(Math.abs(spots[0]!.y - 100)).toBeLessThanOrEqual(30);
  });

  it('never leaves two pins overlapping, for any pins', () => {
    fc.assert(
      fc.property(fc.array(pinAt, { maxLength: 40 }), (raw) => {
        const items = raw.map((r, i) => ({ id: `p${i}`, ...r }));
        const spots = spreadPins(items);
        const boxes = spots.map((s, i) => ({ x: s.x - items[i]!.w / 2, y: s.y - items[i]!.h / 2, w: items[i]!.w, h: items[i]!.h }));
        for (const [i, a] of boxes.entries()) for (const b of boxes.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
        spots.forEach((s, i) => expect(s.moved).toBe(s.x !== items[i]!.x || s.y !== items[i]!.y));
      }),
      { numRuns: 200 },
    );
  });
});
