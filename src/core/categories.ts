// The seeded category set: 4 classes x 4 sub-items, as the county systems use.
// Later this becomes per-county configuration; codes are stable identifiers.

export interface CategoryClass {
  code: string;
  subs: string[];
}

export const CATEGORY_CLASSES: readonly CategoryClass[] = [
  { code: 'infra', subs: ['infra.roads', 'infra.water', 'infra.power', 'infra.environment'] },
  { code: 'livelihood', subs: ['livelihood.social_security', 'livelihood.medical', 'livelihood.education', 'livelihood.housing'] },
  { code: 'disputes', subs: ['disputes.neighbour', 'disputes.land', 'disputes.wages', 'disputes.public_order'] },
  { code: 'services', subs: ['services.approval', 'services.conduct', 'services.policy', 'services.other'] },
];

export const CATEGORY_CODES: readonly string[] = CATEGORY_CLASSES.flatMap((c) => c.subs);

export function isCategory(code: unknown): code is string {
  return typeof code === 'string' && CATEGORY_CODES.includes(code);
}
