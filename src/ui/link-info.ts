import type { LinkInfo } from '../core/media-budget';

// The phone's link as the browser reports it, for the originals' budget. Its own small module:
// the session loads it at start, and media.ts (the encoders) stays out of the first page load.

/** What the browser says of the link (Network Information API), or null where it says nothing. */
export function linkInfo(): LinkInfo | null {
  const c = (navigator as Navigator & { connection?: LinkInfo }).connection;
  if (!c) return null;
  return { ...(c.type !== undefined && { type: c.type }), ...(c.effectiveType !== undefined && { effectiveType: c.effectiveType }), ...(c.saveData !== undefined && { saveData: c.saveData }) };
}

/** Calls `fn` when the link changes (a phone walks into WLAN), where the browser tells. */
export function onLinkChange(fn: () => void): void {
  const c = (navigator as Navigator & { connection?: EventTarget }).connection;
  c?.addEventListener?.('change', fn);
}
