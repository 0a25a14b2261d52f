import { Delaunay } from 'd3-delaunay';

// Approximate town areas: free township boundaries do not exist, so each town gets the
// part of the county nearer its seat than any other seat (a Voronoi cell, clipped to the
// county outline). Shown as approximate, never as a boundary.

/** [lng, lat] in WGS84, as GeoJSON orders them. */
export type Pt = [number, number];

/**
 * The part of `subject` (any simple polygon) inside `clip` (a convex polygon, either
 * winding): Sutherland–Hodgman. A subject that leaves and re-enters the cell yields one
 * ring with connecting edges along the cell's border, which is fine for shading.
 */
export function clipToConvex(subject: readonly Pt[], clip: readonly Pt[]): Pt[] {
  const ring = clip[0]![0] === clip.at(-1)![0] && clip[0]![1] === clip.at(-1)![1] ? clip.slice(0, -1) : clip;
  const sign = Math.sign(area(ring)) || 1;
  const inside = (p: Pt, a: Pt, b: Pt) => sign * ((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])) >= 0;
  const cross = (p: Pt, q: Pt, a: Pt, b: Pt): Pt => {
    const [x1, y1, x2, y2, x3, y3, x4, y4] = [p[0], p[1], q[0], q[1], a[0], a[1], b[0], b[1]];
    const d = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4);
    const t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / d;
    return [x1 + t * (x2 - x1), y1 + t * (y2 - y1)];
  };
  let out: Pt[] = [...subject];
  for (let i = 0; i < ring.length && out.length > 0; i++) {
    const a = ring[i]!;
    const b = ring[(i + 1) % ring.length]!;
    const input = out;
    out = [];
    for (let j = 0; j < input.length; j++) {
      const p = input[j]!;
      const q = input[(j + 1) % input.length]!;
      if (inside(q, a, b)) {
        if (!inside(p, a, b)) out.push(cross(p, q, a, b));
        out.push(q);
      } else if (inside(p, a, b)) out.push(cross(p, q, a, b));
    }
  }
  return out;
}

/** Signed area (shoelace), in square degrees. */
export function area(ring: readonly Pt[]): number {
  let s = 0;
  for (let i = 0; i < ring.length; i++) {
    const [x1, y1] = ring[i]!;
    const [x2, y2] = ring[(i + 1) % ring.length]!;
    s += x1 * y2 - x2 * y1;
  }
  return s / 2;
}

/** Each seat's approximate area: its Voronoi cell within the outline's bounds, clipped to the outline. */
export function townAreas(seats: readonly { code: string; at: Pt }[], outline: readonly Pt[]): Map<string, Pt[]> {
  const xs = outline.map((p) => p[0]);
  const ys = outline.map((p) => p[1]);
  const pad = 0.01;
  const bounds: [number, number, number, number] = [Math.min(...xs) - pad, Math.min(...ys) - pad, Math.max(...xs) + pad, Math.max(...ys) + pad];
  const voronoi = Delaunay.from(seats.map((s) => s.at)).voronoi(bounds);
  const out = new Map<string, Pt[]>();
  seats.forEach((s, i) => {
    const cell = voronoi.cellPolygon(i) as Pt[] | null;
    if (!cell) return;
    const part = clipToConvex(outline, cell);
    if (part.length >= 3) out.set(s.code, part);
  });
  return out;
}
