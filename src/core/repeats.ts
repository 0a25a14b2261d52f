// Special governance (专项治理): the same problem raised again and again. "Same" means the
// same village and category, or an appeal merged into another as its duplicate, or one its
// recorder linked to an earlier appeal of the same village as a repeat (duplicate-hints.ts).

export interface RepeatCandidate {
  id: string;
  village: string;
  category: string;
  createdAt: number;
  mergedInto: string | null;
  /** The recorder's repeat link; followed only to an appeal of the same village, so no one can move a count elsewhere. */
  repeatOf?: string | null;
}

export interface RepeatRule {
  /** How many appeals make a special-governance item. */
  threshold: number;
  /** Only appeals recorded within this many days before `now` count. */
  windowDays: number;
}

export const DEFAULT_REPEAT_RULE: RepeatRule = { threshold: 3, windowDays: 90 };

export interface RepeatGroup {
  village: string;
  category: string;
  /** Newest first. */
  appealIds: string[];
  firstAt: number;
  lastAt: number;
}

/** The groups that reached the threshold, biggest first. */
export function findRepeats(appeals: readonly RepeatCandidate[], rule: RepeatRule, now: number): RepeatGroup[] {
  const byId = new Map(appeals.map((a) => [a.id, a]));
  // A duplicate counts towards the problem it was merged into (or linked to as a repeat),
  // following chains.
  const root = (a: RepeatCandidate): RepeatCandidate => {
    let at = a;
    for (let hops = 0; hops < 32; hops++) {
      const merged = at.mergedInto ? byId.get(at.mergedInto) : undefined;
      const repeated = !merged && at.repeatOf ? byId.get(at.repeatOf) : undefined;
      const next = merged ?? (repeated && repeated.village === at.village ? repeated : undefined);
      if (!next) break;
      at = next;
    }
    return at;
  };
  const since = now - rule.windowDays * 86_400_000;
  const groups = new Map<string, RepeatGroup>();
  for (const a of appeals) {
    if (a.createdAt < since) continue;
    const r = root(a);
    const key = `${r.village}|${r.category}`;
    const g = groups.get(key) ?? { village: r.village, category: r.category, appealIds: [], firstAt: a.createdAt, lastAt: a.createdAt };
    g.appealIds.push(a.id);
    g.firstAt = Math.min(g.firstAt, a.createdAt);
    g.lastAt = Math.max(g.lastAt, a.createdAt);
    groups.set(key, g);
  }
  const created = (id: string) => byId.get(id)!.createdAt;
  return [...groups.values()]
    .filter((g) => g.appealIds.length >= rule.threshold)
    .map((g) => ({ ...g, appealIds: g.appealIds.sort((x, y) => created(y) - created(x) || (x < y ? 1 : -1)) }))
    .sort((a, b) => b.appealIds.length - a.appealIds.length || b.lastAt - a.lastAt || (a.village + a.category < b.village + b.category ? -1 : 1));
}
