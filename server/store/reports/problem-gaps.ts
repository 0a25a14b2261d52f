import type { AppealProjection } from '../../../src/core/projection';
import { byDialect, type Sql } from '../sql';

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

/** Sets the gaps of the appeals `where` selects, writing only the rows whose gaps changed. */
export function recomputeGaps(where: string): string {
  const set = Object.entries(GAPS).map(([col, expr]) => `${col} = ${expr}`).join(', ');
  const changed = Object.entries(GAPS).map(([col, expr]) => `${col} IS DISTINCT FROM (${expr})`).join(' OR ');
  return `UPDATE appeals SET ${set} WHERE (${where}) AND (${changed})`;
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
  /** Villages and categories. */
  problems: [string, string][];
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
  const problems = new Map<string, [string, string]>();
  for (const f of [before, after]) if (f) problems.set(`${f.village}|${f.category}`, [f.village, f.category]);
  // The appeal itself is one of its new problem's.
  const ids = new Set([before?.mergedInto, after.mergedInto].filter((m): m is string => !!m && m !== id));
  return { problems: [...problems.values()], ids: [...ids] };
}

/** Brings the gaps of the appeals the upserts touched up to date inside the push's transaction: a statement for the problems, one for the appeals. */
export async function maintainGaps(tx: Sql, touched: readonly Touched[]): Promise<void> {
  if (touched.length === 0) return;
  const problems = [...new Map(touched.flatMap((t) => t.problems).map((p) => [p.join('|'), p])).values()];
  if (problems.length > 0) {
    // PostgreSQL joins a list of pairs through the problem index; a long OR of them, it scans the table for.
    const where = byDialect(tx, {
      sqlite: problems.map(() => '(appeals.village = ? AND appeals.category = ?)').join(' OR '),
      postgres: '(appeals.village, appeals.category) IN (SELECT * FROM unnest(?::text[], ?::text[]))',
    });
    await tx.run(recomputeGaps(where), tx.dialect.name === 'postgres' ? [problems.map((p) => p[0]), problems.map((p) => p[1])] : problems.flat());
  }
  const appeals = [...new Set(touched.flatMap((t) => t.ids))];
  if (appeals.length === 0) return;
  const ids = tx.dialect.inList('appeals.id', appeals);
  await tx.run(recomputeGaps(ids.sql), ids.args);
}
