import { onDestroy } from 'svelte';
import { t } from '../i18n/index.svelte';
import { clearDraft, loadDraft, saveDraft } from '../store/drafts';
import { db } from './session.svelte';
import { toast } from './toast.svelte';

// Keeps a form's input as a draft while the user types (src/store/drafts.ts): restored when the
// form opens again, also after a reload or a crash; written a moment after each change and at
// once when the form goes away; removed when the form is saved or emptied. Call during setup.

const WRITE_AFTER_MS = 300;

export interface Draft {
  /** The draft was restored: the form shows what the user typed before. */
  readonly restored: boolean;
  /**
   * After a save: the draft goes, and nothing the form still shows is written again; unless
   * the form stays open for the next one (`next`, a bench meeting's next villager).
   */
  saved(next?: boolean): Promise<void>;
}

/**
 * `inline`: the form says "restored" on itself (Draft.restored) instead of a toast, which a
 * later notice (e.g. "ready for offline use") could replace before anyone read it.
 */
export function keepDraft<T>(key: string, read: () => T, hasInput: (value: T) => boolean, restore: (value: T) => void, options: { inline?: boolean } = {}): Draft {
  const state = $state({ ready: false, restored: false });
  let pending: T | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let done = false;
  /** Whether the form held input at its last change: leaving it then keeps a draft. */
  let holding = false;

  const write = (value: T) => void (hasInput(value) ? saveDraft(db, key, value) : clearDraft(db, key)).catch(() => undefined);
  const flush = () => {
    clearTimeout(timer);
    if (pending === null || done) return;
    const value = pending;
    pending = null;
    write(value);
  };

  void loadDraft<T>(db, key)
    .then((found) => {
      if (found !== null && hasInput(found)) {
        restore(found);
        state.restored = true;
        if (!options.inline) toast(t('draft.restored'));
      }
    })
    .catch(() => undefined)
    .finally(() => (state.ready = true));

  $effect(() => {
    const value = read();
    // Until the stored draft is back, the empty form must not overwrite it.
    if (!state.ready || done) return;
    holding = hasInput(value);
    pending = value;
    clearTimeout(timer);
    // Emptied (清空重填): the stored draft goes at once, or a reload right after would bring it back.
    if (holding) timer = setTimeout(flush, WRITE_AFTER_MS);
    else flush();
  });
  // A phone puts the app away (or the tab is reloaded) without unmounting it: write now.
  const onHide = () => document.visibilityState === 'hidden' && flush();
  document.addEventListener('visibilitychange', onHide);
  window.addEventListener('pagehide', flush);
  onDestroy(() => {
    document.removeEventListener('visibilitychange', onHide);
    window.removeEventListener('pagehide', flush);
    flush();
    if (holding && !done) toast(t('draft.kept'));
  });

  return {
    get restored() {
      return state.restored;
    },
    async saved(next = false) {
      done = !next;
      holding = false;
      // What was restored is saved: the next form (a bench meeting's next villager) starts anew.
      state.restored = false;
      clearTimeout(timer);
      pending = null;
      await clearDraft(db, key).catch(() => undefined);
    },
  };
}
