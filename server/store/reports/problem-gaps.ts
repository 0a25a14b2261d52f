import type { AppealProjection } from '../../../src/core/projection';
import { planOnce, type Sql } from '../sql';

// Whether an appeal repeats an earlier problem, and whether its problem came back after its
// reply, depend on the other appeals of its village and category (src/core/metrics.ts
// `repeats`, src/core/fair-ranking.ts `recomplained`). Searching for them at every report
// costs a city's month seconds, so each appeal row keeps the gaps that decide both for any
// window (the window is policy, and can change):
//   repeat_gap    its recording − the latest recording before it of the same problem;
//   comeback_gap  the earliest recording after its reply of the same problem − its reply;
//   merge_gap     the earliest recording after its reply of a duplicate merged into it − its reply.
// Null where there is none. A repeat within W is repeat_gap <= W (or a merge); a re-complaint,
// comeback_gap <= W or merge_gap <= W.

/** The facts of an appeal its own and the others' gaps depend on. */
export interface ProblemFacts {
  village: string;
  category: string;
  createdAt: number;
  repliedAt: number | null;
  mergedInto: string | null;
}

const SAME_PROBLEM = 'b.village = appeals.village AND b.category = appeals.category';
const GAPS = {
  repeat_gap: `appeals.created_at - (SELECT max(b.created_at) FROM appeals b WHERE ${SAME_PROBLEM} AND b.created_at < appeals.created_at)`,
  comeback_gap: `(SELECT min(b.created_at) FROM appeals b WHERE ${SAME_PROBLEM} AND b.created_at > appeals.replied_at AND b.id <> appeals.id) - appeals.replied_at`,
  // `+ 0`: PostgreSQL would otherwise walk the recording-time index for the first later duplicate,
  // through thousands of appeals, rather than look up the few merged into this one.
  merge_gap: `(SELECT min(b.created_at + 0) FROM appeals b WHERE b.merged_into = appeals.id AND b.created_at > appeals.replied_at) - appeals.replied_at`,
};

/** Whether an appeal row's stored gaps differ from what its problem's appeals now give. */
export const STALE_GAPS = Object.entries(GAPS).map(([col, expr]) => `${col} IS DISTINCT FROM (${expr})`).join(' OR ');

/** Sets the gaps of the appeals `where` selects, writing only the rows whose gaps changed. */
export function recomputeGaps(where: string): string {
  const set = Object.entries(GAPS).map(([col, expr]) => `${col} = ${expr}`).join(', ');
  return `UPDATE appeals SET ${set} WHERE (${where}) AND (${STALE_GAPS})`;
}

export const FACT_COLUMNS = 'id, village, category, created_at, replied_at, merged_into, received_at';

/** The stored facts of the appeals `ids`, by id, with their first receipts: what an upsert is about to change. */
export async function storedFacts(tx: Sql, ids: readonly string[]): Promise<Map<string, ProblemFacts & { receivedAt: number | null }>> {
  if (ids.length === 0) return new Map();
  const list = tx.dialect.inList('id', ids);
  const rows = await tx.all<Record<string, unknown>>(`SELECT ${FACT_COLUMNS} FROM appeals WHERE ${list.sql}`, list.args);
  return new Map(rows.map((r) => [r.id as string, { ...factsFromRow(r), receivedAt: r.received_at === null ? null : Number(r.received_at) }]));
}

/** The facts a projection is about to write (its recording time stays the stored one, as the upsert keeps it). */
export function factsOf(p: AppealProjection, before: ProblemFacts | undefined): ProblemFacts {
  return { village: p.village, category: p.category, createdAt: before?.createdAt ?? p.createdAt, repliedAt: p.repliedAt, mergedInto: p.mergedInto };
}

export function factsFromRow(r: Record<string, unknown>): ProblemFacts {
  return {
    village: r.village as string,
    category: r.category as string,
    createdAt: Number(r.created_at),
    repliedAt: r.replied_at === null || r.replied_at === undefined ? null : Number(r.replied_at),
    mergedInto: (r.merged_into as string | null) ?? null,
  };
}

export interface Touched {
  /** Villages and categories, each with the recording time the appeal had or has in it. */
  problems: [string, string, number][];
  ids: string[];
}

const sameFacts = (a: ProblemFacts, b: ProblemFacts) =>
  a.village === b.village && a.category === b.category && a.createdAt === b.createdAt && a.repliedAt === b.repliedAt && a.mergedInto === b.mergedInto;

/**
 * The appeals whose gaps an upsert of `id` from `before` (absent: new) to `after` can change:
 * every appeal of its old and new problem, itself, and the appeals it was and is merged into;
 * itself alone when only its reply moved. Null when none can change.
 */
export function touchedBy(id: string, before: ProblemFacts | undefined, after: ProblemFacts): Touched | null {
  if (before && sameFacts(before, after)) return null;
  // A reply (the common change) moves only the appeal's own gaps: no other's depends on it.
  if (before && sameFacts({ ...before, repliedAt: after.repliedAt }, after)) return { problems: [], ids: [id] };
  const problems: [string, string, number][] = [];
  for (const f of [before, after]) if (f) problems.push([f.village, f.category, f.createdAt]);
  // The appeal itself is one of its new problem's.
  const ids = new Set([before?.mergedInto, after.mergedInto].filter((m): m is string => !!m && m !== id));
  return { problems, ids: [...ids] };
}

/**
 * Of a problem's appeals, those whose gaps an appeal recorded at a time between `lo` and `hi`
 * entering or leaving it can change: the ones recorded at or after it (their latest earlier
 * recording; the appeal itself among them), and the ones replied before it whose first
 * recording after the reply is not earlier than it. Recomputing every appeal of the problem
 * instead cost each new appeal as much as its village's whole history of that problem.
 */
const MAY_CHANGE = (lo: string, hi: string) =>
  `(a.created_at >= ${lo} OR (a.replied_at < ${hi} AND (a.comeback_gap IS NULL OR a.replied_at + a.comeback_gap >= ${lo})))`;

/**
 * PostgreSQL's, one text for any number of problems (joined through the problem index from a
 * list of rows; a long OR of them, PostgreSQL scans the table for), planned once per connection:
 * with its six subqueries, planning it took half as long as running it.
 */
const PG_PROBLEMS_GAPS = planOnce(
  recomputeGaps(`appeals.id IN (SELECT a.id FROM unnest(?::text[], ?::text[], ?::bigint[], ?::bigint[]) AS p(v, c, lo, hi)
    JOIN appeals a ON a.village = p.v AND a.category = p.c WHERE ${MAY_CHANGE('p.lo', 'p.hi')})`),
);

/** Brings the gaps of the appeals the upserts touched up to date inside the push's transaction: a statement for the problems, one for the appeals. */
export async function maintainGaps(tx: Sql, touched: readonly Touched[]): Promise<void> {
  if (touched.length === 0) return;
  // Per problem, the earliest and latest recording time that entered or left it.
  const spans = new Map<string, [string, string, number, number]>();
  for (const [village, category, at] of touched.flatMap((t) => t.problems)) {
    const key = `${village}|${category}`;
    const was = spans.get(key);
    spans.set(key, [village, category, Math.min(at, was?.[2] ?? at), Math.max(at, was?.[3] ?? at)]);
  }
  const problems = [...spans.values()];
  // The candidates are chosen in a subquery by id: as a filter beside the gaps' own test, the
  // databases worked out the gaps of every appeal of the problem first.
  if (problems.length > 0) {
    if (tx.dialect.name === 'postgres') {
      await tx.run(PG_PROBLEMS_GAPS, [0, 1, 2, 3].map((k) => problems.map((p) => p[k])));
    } else {
      const where = problems.map(() => `(a.village = ? AND a.category = ? AND ${MAY_CHANGE('?', '?')})`).join(' OR ');
      await tx.run(recomputeGaps(`appeals.id IN (SELECT a.id FROM appeals a WHERE ${where})`), problems.flatMap(([v, c, lo, hi]) => [v, c, lo, hi, lo]));
    }
  }
  const appeals = [...new Set(touched.flatMap((t) => t.ids))];
  if (appeals.length === 0) return;
  const ids = tx.dialect.inList('appeals.id', appeals);
  await tx.run(recomputeGaps(ids.sql), ids.args);
}
