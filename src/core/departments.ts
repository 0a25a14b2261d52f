// County departments an appeal can be assigned to (转办). Codes are stable identifiers;
// names live in the i18n messages. Department handlers' scopes list these codes.
export const DEPARTMENTS = [
  'water', 'transport', 'housing', 'natural_resources', 'ecology', 'agriculture', 'civil_affairs',
  'human_resources', 'health', 'education', 'public_security', 'market', 'power', 'justice',
] as const;
export type Department = (typeof DEPARTMENTS)[number];

export function isDepartment(code: unknown): code is Department {
  return typeof code === 'string' && (DEPARTMENTS as readonly string[]).includes(code);
}
