import * as v from 'valibot';
import type { Scope } from './roles';

// Area sub-centers (片区中心; Wanyuan's "1+7+N": one county center, seven area centers, N
// towns and departments). A sub-center is no tier of its own: it is a county-tier desk for a
// few towns of one county, worked by a county dispatcher whose scope lists those towns. The
// list is deployment configuration (MINSHENG_SUBCENTERS); devices get it to name the desk a
// town's escalation goes to.

export interface Subcenter {
  /** Short and stable: its demo dispatcher is `sub-<id>`. */
  id: string;
  /** What people call it: "东片区中心". */
  name: string;
  /** The 9-digit codes of its towns, all in one county. */
  towns: string[];
}

const SubcenterSchema = v.strictObject({
  id: v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_-]{0,27}$/, 'an id is 1–28 of a-z 0-9 _ - (it names the login sub-<id>)')),
  name: v.pipe(v.string(), v.trim(), v.minLength(1, 'a name is required'), v.maxLength(40)),
  towns: v.pipe(v.array(v.pipe(v.string(), v.regex(/^\d{9}$/, 'a town is its 9-digit code'))), v.minLength(1, 'at least one town')),
});
const SubcentersSchema = v.pipe(v.array(SubcenterSchema), v.maxLength(100));

export type ParsedSubcenters = { ok: true; subcenters: Subcenter[] } | { ok: false; error: string };

/**
 * Checks a sub-center list: its shape, ids unique, each one's towns in one county, no town in
 * two of them (or twice in one) and, given `within` (the deployment's prefix: a county's 6
 * digits or a city's 4), every town inside it.
 */
export function parseSubcenters(input: unknown, within?: string): ParsedSubcenters {
  const r = v.safeParse(SubcentersSchema, input);
  if (!r.success) return { ok: false, error: r.issues.map((i) => `${v.getDotPath(i) ?? 'list'}: ${i.message}`).join('; ') };
  const ids = new Set<string>();
  const owner = new Map<string, string>();
  for (const s of r.output) {
    if (ids.has(s.id)) return { ok: false, error: `id "${s.id}" is used twice` };
    ids.add(s.id);
    const county = s.towns[0]!.slice(0, 6);
    for (const town of s.towns) {
      if (within !== undefined && !town.startsWith(within)) return { ok: false, error: `${s.id}: town ${town} is outside the deployment's region ${within}` };
      if (town.slice(0, 6) !== county) return { ok: false, error: `${s.id}: towns ${s.towns[0]} and ${town} lie in different counties (a sub-center covers towns of one county)` };
      const taken = owner.get(town);
      if (taken !== undefined) return { ok: false, error: taken === s.id ? `${s.id}: town ${town} is listed twice` : `town ${town} is in both ${taken} and ${s.id}` };
      owner.set(town, s.id);
    }
  }
  return { ok: true, subcenters: r.output };
}

/** The sub-center covering a region code's town (a village's 12 digits or a town's 9), if any. */
export function subcenterOf(subcenters: readonly Subcenter[], code: string): Subcenter | undefined {
  const town = code.slice(0, 9);
  return town.length === 9 ? subcenters.find((s) => s.towns.includes(town)) : undefined;
}

/** The scope of a sub-center's dispatcher: its towns (tiers.ts's scopeFitsRole accepts it for a county dispatcher). */
export function subcenterScope(s: Subcenter): Scope {
  return { regions: [...s.towns], departments: [] };
}
