import { t } from '../i18n/index.svelte';

/** Words for a refused step: a rule of the matrix (`denial.*`) or of the state machine (`reason.*`). */
export function explainRule(code: string): string {
  const denial = `denial.${code}`;
  return t(denial) !== denial ? t(denial) : t(`reason.${code}`);
}
