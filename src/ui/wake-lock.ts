// Keeps the screen on while a QR sequence plays or the camera scans: a phone that dims after
// 30 s would stop the hand-over half-way. Where the Wake Lock API is missing, nothing happens.

type Sentinel = { release(): Promise<void> };
type WakeLockApi = { request(type: 'screen'): Promise<Sentinel> };

/** Asks for the screen to stay on; the returned function lets it go (safe to call twice). */
export function holdScreenOn(): () => void {
  const api = (navigator as unknown as { wakeLock?: WakeLockApi }).wakeLock;
  if (!api) return () => undefined;
  let sentinel: Sentinel | null = null;
  let released = false;
  const acquire = () =>
    api.request('screen').then(
      (s) => (released ? void s.release() : (sentinel = s)),
      () => undefined, // refused (battery saver, hidden page): the hand-over works without it
    );
  // The browser drops the lock when the page is hidden; take it again on return.
  const onVisible = () => {
    if (document.visibilityState === 'visible' && !released) void acquire();
  };
  void acquire();
  document.addEventListener('visibilitychange', onVisible);
  return () => {
    released = true;
    document.removeEventListener('visibilitychange', onVisible);
    void sentinel?.release().catch(() => undefined);
    sentinel = null;
  };
}
