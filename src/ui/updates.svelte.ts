import { registerSW } from 'virtual:pwa-register';
import { t } from '../i18n/index.svelte';
import { toast } from './toast.svelte';

// A new version waits until the user says so, and even then not while a form holds unsaved
// input or a save is being written: the reload would throw away what the user typed, or
// cut a transaction short (IndexedDB would roll it back, and the user would think it saved).

export const updates = $state({
  ready: false,
  /** Why the update could not be applied just now, for the banner. */
  held: null as null | 'unsaved' | 'saving',
  apply: () => {},
  check: async () => {},
});

const unsaved = new Set<string>();
let saving = 0;
const idle: (() => void)[] = [];

/** A form reports whether it holds input not yet saved. */
export function markUnsaved(form: string, dirty: boolean): void {
  if (dirty) unsaved.add(form);
  else unsaved.delete(form);
  if (!dirty && updates.held === 'unsaved' && unsaved.size === 0) updates.held = null;
}

/** Wraps a local write so an update waits for it to finish. */
export async function whileSaving<T>(write: () => Promise<T>): Promise<T> {
  saving++;
  try {
    return await write();
  } finally {
    saving--;
    if (saving === 0) idle.splice(0).forEach((f) => f());
  }
}

export function hasUnsavedInput(): boolean {
  return unsaved.size > 0;
}

export function registerServiceWorker(): void {
  // The browser asks before leaving a page with unsaved input, whatever the reason.
  window.addEventListener('beforeunload', (e) => {
    if (unsaved.size > 0) e.preventDefault();
  });
  if (!('serviceWorker' in navigator)) return;
  let registration: ServiceWorkerRegistration | undefined;
  // A worker installed while an older one controls the page is a new version. The plugin's
  // own event misses a worker the browser began installing before the page registered
  // (on the navigation itself), so the registration is watched here as well.
  const announce = () => {
    if (navigator.serviceWorker.controller) updates.ready = true;
  };
  const watch = (sw: ServiceWorker | null | undefined) =>
    sw?.addEventListener('statechange', () => {
      if (sw.state === 'installed') announce();
    });
  const update = registerSW({
    onNeedRefresh: announce,
    // The first install finished caching the app: from now on it opens without a network.
    onOfflineReady: () => toast(t('app.offlineReady'), 8_000),
    onRegisteredSW(_url, r) {
      registration = r;
      if (!r) return;
      if (r.waiting) announce();
      watch(r.installing);
      r.addEventListener('updatefound', () => watch(r.installing));
      // Phones keep the app open for days: look for a new version every hour too.
      setInterval(() => void r.update().catch(() => {}), 3_600_000);
    },
  });
  updates.check = async () => {
    await registration?.update().catch(() => {});
  };
  updates.apply = () => {
    if (unsaved.size > 0) {
      updates.held = 'unsaved';
      return;
    }
    if (saving > 0) {
      updates.held = 'saving';
      idle.push(() => updates.apply());
      return;
    }
    updates.held = null;
    // The new worker takes over, then this page reloads into the new version.
    navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
    void update(true);
  };
}
