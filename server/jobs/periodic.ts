/**
 * Runs `task` every `intervalMs` and once at start, never one run under another; a failure is
 * logged as `what failed`, never fatal. 0 turns it off. Returns the stop function.
 */
export function startPeriodic(what: string, intervalMs: number, task: () => Promise<void>): () => void {
  if (intervalMs <= 0) return () => undefined;
  let running = false;
  const run = async () => {
    // A slow run is not started again under itself.
    if (running) return;
    running = true;
    try {
      await task();
    } catch (err) {
      console.error(`${what} failed`, err);
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void run(), 0);
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  first.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
