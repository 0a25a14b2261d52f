// Departments an appeal can be assigned to (转办), at a county or at the city: the tier it
// is assigned at says which (a county's water bureau, the city's). Codes are stable identifiers;
// names live in the i18n messages. Department handlers' scopes list these codes.
export const DEPARTMENTS = [
  'water', 'transport', 'housing', 'natural_resources', 'ecology', 'agriculture', 'civil_affairs',
  'human_resources', 'health', 'education', 'public_security', 'market', 'power', 'justice',
  // The county (or city) government itself: where a case nobody owns falls back to (兜底).
  'government',
] as const;
export type Department = (typeof DEPARTMENTS)[number];

export function isDepartment(code: unknown): code is Department {
  return typeof code === 'string' && (DEPARTMENTS as readonly string[]).includes(code);
}
