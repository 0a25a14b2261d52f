// Where a map's place names go, so that no two shown names overlap: each name takes one of a
// few positions around its anchor (a pin, or a bare point) or is left out, the place with the
// most appeals first. Pure screen-pixel geometry; the map screen recomputes it on zoom and move.

/** A screen rectangle in px: left, top, width, height. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type Placement = 'right' | 'left' | 'top' | 'bottom';
export const PLACEMENTS: readonly Placement[] = ['right', 'left', 'top', 'bottom'];

export interface LabelItem {
  id: string;
  /** What the name belongs to: a pin's box, or a zero-size box at a bare point. */
  anchor: Box;
  /** The name's size in px. */
  w: number;
  h: number;
  /** Higher goes first (a pin's count); ties by id, so the result does not depend on input order. */
  priority: number;
}

export interface LabelSpot {
  id: string;
  /** Null: the name is left out (a pin still shows its count). */
  placement: Placement | null;
  box: Box | null;
}

const hasArea = (b: Box): boolean => b.w > 0 && b.h > 0;

export const overlaps = (a: Box, b: Box): boolean => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** The name's box at one position, `gap` px from its anchor. */
export function candidate(item: LabelItem, at: Placement, gap: number): Box {
  const { anchor: a, w, h } = item;
  const cx = a.x + a.w / 2;
  const cy = a.y + a.h / 2;
  switch (at) {
    case 'right':
      return { x: a.x + a.w + gap, y: cy - h / 2, w, h };
    case 'left':
      return { x: a.x - gap - w, y: cy - h / 2, w, h };
    case 'top':
      return { x: cx - w / 2, y: a.y - gap - h, w, h };
    case 'bottom':
      return { x: cx - w / 2, y: a.y + a.h + gap, w, h };
  }
}

/**
 * Greedy placement by priority: each name takes the first of `order` positions that overlaps
 * no name already placed and no pin (an anchor with an area; its own aside), and, when `view` is given, lies inside
 * it; else it is left out. Returns one spot per item, in the input's order.
 */
export function layoutLabels(items: readonly LabelItem[], { gap = 2, view, order = PLACEMENTS }: { gap?: number; view?: Box; order?: readonly Placement[] } = {}): LabelSpot[] {
  const ranked = items.map((item, i) => ({ item, i })).sort((a, b) => b.item.priority - a.item.priority || (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : a.i - b.i));
  const placed: Box[] = [];
  const spots: LabelSpot[] = new Array<LabelSpot>(items.length);
  const inside = (b: Box) => !view || (b.x >= view.x && b.y >= view.y && b.x + b.w <= view.x + view.w && b.y + b.h <= view.y + view.h);
  for (const { item, i } of ranked) {
    let spot: LabelSpot = { id: item.id, placement: null, box: null };
    if (item.w > 0 && item.h > 0) {
      for (const at of order) {
        const box = candidate(item, at, gap);
        if (!inside(box)) continue;
        if (placed.some((p) => overlaps(p, box))) continue;
        // Pins stay readable: no name covers another place's pin (a bare point is no obstacle).
        if (items.some((other, j) => j !== i && hasArea(other.anchor) && overlaps(other.anchor, box))) continue;
        spot = { id: item.id, placement: at, box };
        break;
      }
    }
    if (spot.box) placed.push(spot.box);
    spots[i] = spot;
  }
  return spots;
}

/** A name's width in px as the map draws it: CJK characters a full em, others about half. */
export function textWidth(text: string, fontPx: number): number {
  let w = 0;
  for (const ch of text) w += /[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]/.test(ch) ? fontPx : fontPx * 0.6;
  return Math.ceil(w);
}

export interface PinItem {
  id: string;
  /** Where the place is on the screen (px): the pin's centre if it has room there. */
  x: number;
  y: number;
  w: number;
  h: number;
  priority: number;
}

export interface PinSpot {
  id: string;
  /** The pin's centre: its place, or moved aside (then drawn with a line to its place). */
  x: number;
  y: number;
  moved: boolean;
}

/**
 * Pins that would cover one another are moved aside, so that each count can be read and
 * tapped: the busiest stay on their place, each other takes the nearest free spot on rings of
 * growing size around its own place (a ring always has room at last: there are finitely many
 * pins). Returns one spot per item, in the input's order; no two pins' boxes overlap.
 */
export function spreadPins(items: readonly PinItem[], { gap = 2 }: { gap?: number } = {}): PinSpot[] {
  const ranked = items.map((item, i) => ({ item, i })).sort((a, b) => b.item.priority - a.item.priority || (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : a.i - b.i));
  const placed: Box[] = [];
  const spots: PinSpot[] = new Array<PinSpot>(items.length);
  const boxAt = (p: PinItem, x: number, y: number): Box => ({ x: x - p.w / 2, y: y - p.h / 2, w: p.w, h: p.h });
  const free = (b: Box) => !placed.some((o) => overlaps(o, b));
  for (const { item, i } of ranked) {
    let spot: PinSpot = { id: item.id, x: item.x, y: item.y, moved: false };
    if (!free(boxAt(item, item.x, item.y))) {
      search: for (let ring = 1; ; ring++) {
        // More directions on wider rings, so that their spots are about a pin apart.
        const steps = 8 * ring;
        for (let k = 0; k < steps; k++) {
          const a = (2 * Math.PI * k) / steps - Math.PI / 2;
          const x = item.x + Math.cos(a) * ring * (item.w + gap);
          const y = item.y + Math.sin(a) * ring * (item.h + gap);
          if (free(boxAt(item, x, y))) {
            spot = { id: item.id, x, y, moved: true };
            break search;
          }
        }
      }
    }
    placed.push(boxAt(item, spot.x, spot.y));
    spots[i] = spot;
  }
  return spots;
}
