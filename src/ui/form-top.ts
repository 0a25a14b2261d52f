import { tick } from 'svelte';

/**
 * After a bench meeting's 保存，记录下一件 the form is empty again for the next villager, who
 * starts at its top: brings the form's top back into view (under the sticky header) and puts
 * the focus on its first field that can be filled. Scrolls without animation where the user
 * asked for reduced motion. (Issue 26, item 6.)
 */
export async function showFormTop(form: HTMLFormElement | null = document.querySelector('main form')): Promise<void> {
  await tick();
  if (!form) return;
  const header = document.querySelector('header')?.getBoundingClientRect().bottom ?? 0;
  const top = Math.max(0, form.getBoundingClientRect().top + window.scrollY - Math.max(0, header) - 8);
  const reduced = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  window.scrollTo({ top, behavior: reduced ? 'auto' : 'smooth' });
  const first = form.querySelector<HTMLElement>('input:not([type=hidden]):not(:disabled), select:not(:disabled), textarea:not(:disabled)');
  first?.focus({ preventScroll: true });
}
