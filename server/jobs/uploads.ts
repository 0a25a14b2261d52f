import { startPeriodic } from './periodic';
import { log } from '../log';

// Unfinished uploads left behind (a phone that gave up, a hash sent by someone without the
// bytes) are removed once older than MINSHENG_UPLOAD_PARTIAL_TTL_HOURS, so they neither fill
// the disk nor count against their owner's cap for ever.

/** Runs `sweep` (server/http/uploads.ts) every `intervalMs` and once at start; returns the stop function. */
export function startUploadSweeper(sweep: (now: number) => Promise<number>, intervalMs: number): () => void {
  return startPeriodic('upload sweep', intervalMs, async () => {
    const removed = await sweep(Date.now());
    if (removed > 0) log.info({ job: 'upload sweep', removed }, 'expired unfinished uploads removed');
  });
}
