import { registerSW } from 'virtual:pwa-register';

/** A waiting service worker: the UI offers a reload instead of swapping code under the user. */
export const updates = $state({ ready: false, apply: null as null | (() => void) });

export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  const update = registerSW({
    onNeedRefresh() {
      updates.ready = true;
    },
  });
  updates.apply = () => void update(true);
}
