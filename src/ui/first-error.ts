import { tick } from 'svelte';

/**
 * After a save the form refused: brings its first marked field into view and focus, so a
 * thumb at the bottom of a long form on a phone sees what to fix (issue 26, item 8).
 */
export async function showFirstError(): Promise<void> {
  await tick();
  const field = document.querySelector<HTMLElement>('form [aria-invalid="true"]');
  if (!field) return;
  field.scrollIntoView({ block: 'center' });
  field.focus({ preventScroll: true });
}
