import { errorSeen, jobRan } from '../ops/journal';
import { log } from '../log';

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
    const at = Date.now();
    let ok = false;
    try {
      await task();
      ok = true;
    } catch (err) {
      log.error({ err, job: what }, `${what} failed`);
      errorSeen(what);
    } finally {
      running = false;
      jobRan(what, { at, ok, ms: Date.now() - at });
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
