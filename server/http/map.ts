import { tallyFilter } from '../../src/core/citymap';
import type { TallyFilter, TallyLevel } from '../../src/core/geo';
import { HttpError } from './plumbing';

// The query of the map's server counts (GET /api/map/tally):
//   level=county|town|village (town when absent), within=<a 4-, 6- or 9-digit region prefix>,
//   category=<class>, urgency=red|orange|yellow, from=YYYY-MM-DD, to=YYYY-MM-DD (China time, inclusive).

const LEVELS: readonly TallyLevel[] = ['county', 'town', 'village'];

export interface MapTallyQuery {
  level: TallyLevel;
  within: string | null;
  filter: TallyFilter;
}

export function mapTallyQuery(params: URLSearchParams): MapTallyQuery {
  const level = (params.get('level') ?? 'town') as TallyLevel;
  if (!LEVELS.includes(level)) throw new HttpError(400, 'invalid_query', `level must be one of ${LEVELS.join(', ')}`);
  const within = params.get('within');
  if (within !== null && !/^\d{4}(\d{2}(\d{3})?)?$/.test(within)) throw new HttpError(400, 'invalid_query', 'within must be a region prefix of 4, 6 or 9 digits');
  const parsed = tallyFilter({ category: params.get('category'), urgency: params.get('urgency'), from: params.get('from'), to: params.get('to') });
  if (!parsed.ok) throw new HttpError(400, 'invalid_query', parsed.error);
  return { level, within, filter: parsed.filter };
}

/**
 * The reader's scope narrowed to `within` (a city dispatcher's village counts of one county):
 * each scope prefix under it, or `within` itself where a scope prefix covers it.
 */
export function narrowScope(prefixes: readonly string[], within: string | null): string[] {
  if (within === null) return [...prefixes];
  return [...new Set(prefixes.flatMap((p) => (within.startsWith(p) ? [within] : p.startsWith(within) ? [p] : [])))];
}
