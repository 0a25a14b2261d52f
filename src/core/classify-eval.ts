// How well a classifier's suggestions match a labelled set: the share whose first suggestion
// is the label (top-1) and whose three suggestions include it (top-3). A text may also accept
// a second category a dispatcher could fairly choose (`also`).

export interface Labelled {
  text: string;
  category: string;
  also?: readonly string[];
}

export interface Accuracy {
  count: number;
  top1: number;
  top3: number;
  /** The texts whose first suggestion is wrong, with what was suggested. */
  misses: { text: string; expected: string; got: string[] }[];
}

export function accuracy(set: readonly Labelled[], suggest: (text: string) => readonly { category: string }[]): Accuracy {
  let top1 = 0;
  let top3 = 0;
  const misses: Accuracy['misses'] = [];
  for (const item of set) {
    const got = suggest(item.text).slice(0, 3).map((s) => s.category);
    const right = (c: string | undefined) => c !== undefined && (c === item.category || (item.also ?? []).includes(c));
    if (right(got[0])) top1++;
    else misses.push({ text: item.text, expected: item.category, got });
    if (got.some(right)) top3++;
  }
  const n = Math.max(set.length, 1);
  return { count: set.length, top1: top1 / n, top3: top3 / n, misses };
}
