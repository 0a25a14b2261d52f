import { issueDueReports, type WeeklyReportDeps } from '../services/weekly-report';
import type { Store } from '../store/types';
import { startPeriodic } from './periodic';
import { log } from '../log';

/**
 * Issues the deployment's weekly and monthly reports once their period has closed: checked at
 * start and every `intervalMs` (0: off). Issuing is idempotent (one report per period and
 * scope, the first stored wins), so restarts and several instances never duplicate one.
 */
export function startReportIssuer(store: Store, deps: WeeklyReportDeps, prefix: string, intervalMs: number, clock: () => number = Date.now): () => void {
  return startPeriodic('issuing weekly reports', intervalMs, async () => {
    for (const issued of await issueDueReports(store, deps, prefix, clock())) log.info({ job: 'weekly reports', kind: issued.kind, label: issued.label, scope: issued.scope }, 'report issued');
  });
}
